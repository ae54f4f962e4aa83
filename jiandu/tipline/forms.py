"""The source's forms. Every field is optional; every answer is encrypted before it is stored."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiandu.tipline.models import Question
from jiandu.tipline.questionnaire import RESERVED_KEYS, StepForm

# The text box's limit; longer text is welcome as an attached file (messages_text says so).
MESSAGE_MAX_CHARACTERS = 100_000


class SubmissionForm(StepForm):
    """The message, the honeypot, and (for clients that post them directly, and scripts) the
    current questionnaire's answers by key; the pages answer them step by step."""

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
    # The honeypot: hidden from people (CSS and aria-hidden), filled in by bots.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, questions: list[Question] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, questions=questions or [], **kwargs)
        for question in self.questions:  # posted directly, they are never required here
            self.fields[question.key].required = False


CODENAME_STYLES = [
    ("zh", _("Chinese words (Simplified)")),
    ("zh-hant", _("Chinese words (Traditional)")),
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
            "The words or characters you wrote down. Spaces, capitals and Simplified or "
            "Traditional characters do not matter."
        ),
    )


# --- The questionnaire designer (newsroom admins) -------------------------------------------


def _choice_lines(text: str) -> list[dict[str, str]]:
    """One choice a line: `简体 | 繁體 | English` (Traditional and English may be left out)."""
    choices = []
    for number, line in enumerate((ln for ln in text.splitlines() if ln.strip()), start=1):
        parts = [part.strip() for part in line.split("|")] + ["", ""]
        hans, hant, en = parts[0], parts[1], parts[2]
        if not (hans or en):
            raise forms.ValidationError(
                _("Each choice needs a Simplified Chinese or English text.")
            )
        choices.append({"key": str(number), "zh_hans": hans, "zh_hant": hant, "en": en})
    return choices


def choices_as_lines(choices: list[dict[str, str]]) -> str:
    return "\n".join(
        " | ".join([c.get("zh_hans", ""), c.get("zh_hant", ""), c.get("en", "")]).rstrip(" |")
        for c in choices
    )


class QuestionForm(forms.Form):
    key = forms.SlugField(
        label=pgettext_lazy("name of a questionnaire answer", "Key"),
        max_length=40,
        help_text=_("The answer's name (letters, digits, - and _); keep it when only rewording."),
    )
    # The initial kind is what a browser posts for the blank extra row (a select always sends
    # an option): with it as the initial, that row counts as untouched and is left out,
    # without JavaScript (issue 17, item 2: it used to count as a half-filled question, 400).
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Question.Kind.choices, initial=Question.Kind.SHORT
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    group = forms.IntegerField(
        label=_("Page"),
        min_value=1,
        max_value=50,
        initial=1,
        required=False,
        help_text=_("Questions with the same page number are asked together."),
    )
    order = forms.IntegerField(
        label=_("Order"), min_value=0, max_value=999, initial=0, required=False
    )
    label_zh_hans = forms.CharField(
        label=_("Question (Simplified Chinese)"), max_length=500, required=False
    )
    label_zh_hant = forms.CharField(
        label=_("Question (Traditional Chinese)"),
        max_length=500,
        required=False,
        help_text=_("Left empty, it is generated from the Simplified Chinese."),
    )
    label_en = forms.CharField(label=_("Question (English)"), max_length=500, required=False)
    help_zh_hans = forms.CharField(
        label=_("Help (Simplified Chinese)"), max_length=1000, required=False
    )
    help_zh_hant = forms.CharField(
        label=_("Help (Traditional Chinese)"), max_length=1000, required=False
    )
    help_en = forms.CharField(label=_("Help (English)"), max_length=1000, required=False)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For single and multiple choice: one a line, “简体 | 繁體 | English”."),
    )

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        if key in RESERVED_KEYS or key.startswith("_"):
            raise forms.ValidationError(_("This key is used by the form itself; choose another."))
        return key

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["group"] = data.get("group") or 1
        data["order"] = data.get("order") or 0
        if not (data.get("label_zh_hans") or data.get("label_en")):
            self.add_error(
                "label_zh_hans", _("Write the question in Simplified Chinese or English.")
            )
        try:
            data["choices"] = _choice_lines(data.get("choices") or "")
        except forms.ValidationError as exc:
            self.add_error("choices", exc)
            data["choices"] = []
        needs_choices = data.get("kind") in {Question.Kind.SINGLE, Question.Kind.MULTIPLE}
        if needs_choices and len(data["choices"]) < 2:
            self.add_error("choices", _("A choice question needs at least two choices."))
        if not needs_choices:
            data["choices"] = []
        return data


class BaseQuestionFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        keys = [
            form.cleaned_data.get("key")
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if len(keys) != len(set(keys)):
            raise forms.ValidationError(_("Two questions have the same key."))

    def questions(self) -> list[dict[str, Any]]:
        """The kept questions, in page and order."""
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data
            and form.cleaned_data.get("key")
            and not form.cleaned_data.get("DELETE")
        ]
        return sorted(kept, key=lambda data: (data["group"], data["order"]))


QuestionFormSet = forms.formset_factory(
    QuestionForm,
    formset=BaseQuestionFormSet,
    extra=1,
    can_delete=True,
    max_num=60,
    validate_max=True,
)


def question_initial(question: Question) -> dict[str, Any]:
    return {
        "key": question.key,
        "kind": question.kind,
        "required": question.required,
        "group": question.group,
        "order": question.order,
        "label_zh_hans": question.label_zh_hans,
        "label_zh_hant": question.label_zh_hant,
        "label_en": question.label_en,
        "help_zh_hans": question.help_zh_hans,
        "help_zh_hant": question.help_zh_hant,
        "help_en": question.help_en,
        "choices": choices_as_lines(question.choices),
    }


class ReviewForm(forms.Form):
    """A reviewer's decision on the draft they were shown: its id travels with the decision,
    so a page left open while the draft was replaced cannot approve the new one unseen."""

    draft = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("discard", _("Discard"))])
