"""The source's forms. Every field is optional; every answer is encrypted before it is stored."""

from django import forms
from django.utils.translation import gettext_lazy as _

# The text box's limit; longer text is welcome as an attached file (messages_text says so).
MESSAGE_MAX_CHARACTERS = 100_000

QUESTIONS = [
    ("who", _("Who is involved, and what is their position?")),
    ("where", _("Where did it happen?")),
    ("when", _("When did it happen?")),
    ("how_known", _("How do you know this?")),
    ("files_show", _("What do the files show?")),
]


class SubmissionForm(forms.Form):
    message = forms.CharField(
        label=_("Your message"),
        required=False,
        max_length=MESSAGE_MAX_CHARACTERS,
        error_messages={
            "max_length": _(
                "Your message is %(show_value)d characters long, more than the text box takes "
                "(%(limit_value)d). Save the text as a file and attach it instead (files can be "
                "far larger), or send it in several shorter messages."
            )
        },
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Tell us what happened, in any language. Leave out anything that names you."),
    )
    who = forms.CharField(label=QUESTIONS[0][1], required=False, max_length=2000)
    where = forms.CharField(label=QUESTIONS[1][1], required=False, max_length=2000)
    when = forms.CharField(label=QUESTIONS[2][1], required=False, max_length=2000)
    how_known = forms.CharField(label=QUESTIONS[3][1], required=False, max_length=2000)
    files_show = forms.CharField(label=QUESTIONS[4][1], required=False, max_length=2000)
    # The honeypot: hidden from people (CSS and aria-hidden), filled in by bots.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def answers(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[name].strip()
            for name, _label in QUESTIONS
            if self.cleaned_data.get(name, "").strip()
        }


CODENAME_STYLES = [
    ("zh", _("Chinese characters (Simplified)")),
    ("zh-hant", _("Chinese characters (Traditional)")),
    ("en", _("English words")),
]


class CodenameStyleForm(forms.Form):
    style = forms.ChoiceField(
        label=_("Your codename will be made of"),
        choices=CODENAME_STYLES,
        widget=forms.RadioSelect,
        required=False,
    )


class CodenameForm(forms.Form):
    codename = forms.CharField(
        label=_("Your codename"),
        max_length=400,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_(
            "The eight words or characters you wrote down. Spaces and capitals do not matter."
        ),
    )
