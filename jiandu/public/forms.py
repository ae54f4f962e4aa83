"""The reader's comment form and the moderator's decision form. Plain text only."""

import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _


def plain_text(value: str) -> str:
    """Drop control and format characters (bidi overrides, zero-width marks) but newlines."""
    kept = (
        ch for ch in value if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs")
    )
    return "".join(kept).replace("\r", "").strip()


class CommentForm(forms.Form):
    display_name = forms.CharField(
        label=_("Name (optional)"),
        max_length=60,
        required=False,
        help_text=_("Any name you like, or none. Do not give your real name if that is unsafe."),
    )
    body = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Plain text, up to 2,000 characters. A moderator reads every comment first."),
    )
    # The honeypot: hidden from people (CSS and aria-hidden), filled in by form-filling bots.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def clean_display_name(self) -> str:
        return plain_text(self.cleaned_data["display_name"])

    def clean_body(self) -> str:
        body = plain_text(self.cleaned_data["body"])
        if not body:
            raise forms.ValidationError(_("Write something first."))
        return body


class ModerationForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("approve", _("Approve as written")),
            ("edit", _("Approve with my edit")),
            ("reject", _("Reject")),
        ],
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("Text to publish (for an edit)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    note = forms.CharField(
        label=_("Reason, shown in public with an edit"), required=False, max_length=300
    )

    def clean(self) -> dict:
        cleaned = super().clean() or {}  # Django's Form.clean returns its cleaned_data
        if cleaned.get("decision") == "edit":
            if not plain_text(cleaned.get("body", "")):
                self.add_error("body", _("Give the edited text."))
            if not cleaned.get("note", "").strip():
                self.add_error("note", _("Say why you edited it; readers see this."))
        return cleaned
