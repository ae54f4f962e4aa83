"""Forms of the newsroom login and account pages."""

from collections.abc import Sequence
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from jiandu.accounts.roles import ADMIN, MODERATOR, ROLE_CHOICES


class PasswordStepForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeStepForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code from your authenticator app, or a recovery code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
    )


class ReauthForm(forms.Form):
    """Confirming it is you before a new second factor is made: the password, or a fresh code
    from the authenticator app (or a recovery code). One of the two is enough."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    code = forms.CharField(
        label=_("Or a code from your authenticator app, or a recovery code"),
        max_length=32,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if not data.get("password") and not data.get("code", "").strip():
            raise forms.ValidationError(_("Enter your password or a code."))
        data["code"] = data.get("code", "").strip()
        return data


class EnrolForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code shown by your authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class NewMemberForm(forms.Form):
    username = forms.RegexField(
        label=_("Username"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": _("Use letters, digits and @ . + - _ only.")},
    )
    email = forms.EmailField(label=_("E-mail (optional)"), required=False)
    # The least privilege by default; an administrator only on purpose (confirm_admin).
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, initial=MODERATOR)
    confirm_admin = forms.BooleanField(
        label=_("I understand this member can change everything: members, roles and settings."),
        help_text=_("Needed only when you choose Admin."),
        required=False,
    )

    # The sources the member will work on, sealed to their key as they are created (choices
    # from vault.access.get_grantable_sources, by the newsroom room that owns the page: the
    # sources the admin's key opens; sealed by newsroom.actions.do_add_member).
    sources = forms.MultipleChoiceField(
        label=_("Sources they will work on"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Journalists, editors and admins read these from their first sign-in. Moderators "
            "read no sources."
        ),
    )

    def __init__(
        self, *args: object, source_choices: Sequence[tuple[str, str]] = (), **kwargs: object
    ):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        sources = cast(forms.MultipleChoiceField, self.fields["sources"])
        sources.choices = list(source_choices)
        if not source_choices:
            del self.fields["sources"]

    def clean(self) -> dict:
        """Refuse an administrator nobody confirmed: one slip on the role list must not hand
        over the whole newsroom."""
        data = super().clean() or {}
        if data.get("role") == ADMIN and not data.get("confirm_admin"):
            self.add_error(
                "confirm_admin",
                _("You chose Admin: tick the box to confirm, or choose a role with fewer rights."),
            )
        return data


class MemberActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(a, a) for a in ("role", "clear_failures", "reset", "deactivate", "activate")]
    )
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("action") == "role" and not data.get("role"):
            self.add_error("role", _("Choose a role."))
        return data
