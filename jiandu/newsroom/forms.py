from typing import Any, cast

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiandu.newsroom import tags
from jiandu.newsroom.models import Notification, Status
from jiandu.vault import retention


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply to this source"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The source reads it after signing in with their codename."),
    )


class RestoreKeyForm(forms.Form):
    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput)
    recovery_key = forms.CharField(
        label=_("Your recovery key"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Leave empty and choose “Start a new key” if the recovery key is lost."),
    )


class TriageForm(forms.Form):
    """Status, assignee, star and a new tag of one source: one form on the source page, so
    triaging a new source is one submission (bench/triage.py counts the page loads)."""

    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    starred = forms.BooleanField(label=_("Starred"), required=False)
    tag = forms.CharField(
        label=_("Add a tag"),
        required=False,
        max_length=200,
        help_text=_("Encrypted: only members who can open this source read it."),
    )

    def __init__(
        self, *args: Any, members: list, tags: list[str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.existing_tags = tags or []
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [("", _("No one"))] + [
            (str(member.pk), member.username) for member in members
        ]

    def clean_tag(self) -> str:
        """Normalised; a tag the source already carries (in any case) is not added twice."""
        text = tags.normalise(self.cleaned_data.get("tag") or "")
        if any(tags.same_tag(text, old) for old in self.existing_tags):
            return ""
        return text


class NoteForm(forms.Form):
    """An internal note on the source or on one of its items (`about`: "" or an item id)."""

    about = forms.ChoiceField(label=_("About"), required=False)
    text = forms.CharField(
        label=_("Internal note"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only the newsroom sees it, never the source. Reading it is logged."),
    )

    prefix = "note"  # beside the reply form on the source page: ids stay unique

    def __init__(self, *args: Any, items: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["about"]).choices = [("", _("This source")), *items]


class ReassignForm(forms.Form):
    """Which member leaves and who takes over their sources (admins only)."""

    leaving = forms.TypedChoiceField(label=_("Member who leaves"), coerce=int)
    successor = forms.TypedChoiceField(label=_("Member who takes over"), coerce=int)
    withdraw = forms.BooleanField(
        label=_("Take their access to these sources away"),
        required=False,
        initial=True,
        help_text=_(
            "Their access is removed only where the new member now holds one; a source you "
            "cannot open yourself stays with them until someone who can grants it."
        ),
    )

    def __init__(self, *args: Any, members: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(member.pk, member.username) for member in members]
        cast(forms.TypedChoiceField, self.fields["leaving"]).choices = choices
        cast(forms.TypedChoiceField, self.fields["successor"]).choices = choices

    def clean(self) -> dict:
        data = cast("dict[str, Any]", super().clean())  # Form.clean returns cleaned_data
        if data.get("leaving") is not None and data.get("leaving") == data.get("successor"):
            self.add_error("successor", _("Choose another member to take over."))
        return data


class DeleteForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are these sources deleted?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Written to the custody log. Deletion destroys the keys: it cannot be undone."),
    )


class ClearFloodForm(forms.Form):
    """Which hour's first-contact sources without files to clear (jiandu.newsroom.inbox);
    the choices are the hours that have some, so a posted hour is one the page offered."""

    hour = forms.TypedChoiceField(label=_("Hour of first contact"), choices=())

    def __init__(self, *args: Any, hours: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["hour"]).choices = hours


class NotificationForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("E-mail me"), choices=Notification.Mode.choices, widget=forms.RadioSelect
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        help_text=_("The e-mail says only that there is new activity: never a name or a count."),
    )

    def clean(self) -> dict:
        data = cast("dict[str, Any]", super().clean())  # Form.clean returns cleaned_data
        if data.get("mode", "off") != Notification.Mode.OFF and not data.get("email"):
            self.add_error("email", _("Give an address to receive e-mails."))
        return data


def _retention_help() -> str:
    """Translated when shown (not at import), with the floor filled in."""
    return gettext(
        "At least %(floor)d days. Deletion destroys the source's keys and files; "
        "it cannot be undone."
    ) % {"floor": retention.FLOOR_DAYS}


class RetentionForm(forms.Form):
    """The retention period; lowering it is confirmed on a second page that posts the same
    number back in `confirmed_days` (vault.retention.check_change decides)."""

    days = forms.IntegerField(
        label=_("Delete sources idle for more than (days)"),
        min_value=retention.FLOOR_DAYS,
        max_value=retention.CEILING_DAYS,
        help_text=lazy(_retention_help, str)(),
        error_messages={
            "min_value": _(
                "Retention cannot be shorter than %(limit_value)s days: a shorter period "
                "could destroy evidence before anyone has read it."
            ),
            "max_value": _("Retention cannot be longer than %(limit_value)s days."),
        },
    )
    confirmed_days = forms.IntegerField(required=False, widget=forms.HiddenInput)
