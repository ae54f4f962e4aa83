from django import forms
from django.utils.translation import gettext_lazy as _


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
