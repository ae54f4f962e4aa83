"""The questionnaire as sources meet it and journalists read it (models in models.py, the
designer's write in actions.py).

- `current_version()` is what sources answer now (the newest approved version; a draft waits
  for a second member, `pending_draft()`, and `changes()` shows it against the live one
  question by question); `groups()` splits it into the pages of the
  step-by-step flow (one short page per group, no JavaScript needed).
- `step_form()` builds one page's Django form from its questions: short and long text, single
  and multiple choice (only the offered choices validate), a date, yes/no; required or not.
- Answers are stored encrypted like a message (vault.prepare_questionnaire) as a flat JSON
  object with the version they answered: `{"_version": 3, "who": "...", "channels": [...]}`.
  Items from before versions existed have no `_version`: they answered version 1, today's five
  questions.
- `labelled()` gives a stored answer back with the questions *of its version*, in the reader's
  language, so editing the questionnaire never changes how earlier answers read.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import get_language, gettext_lazy

from jiandu.core.chinese import to_traditional
from jiandu.tipline.models import Question, QuestionnaireVersion

VERSION_KEY = "_version"
# Names the submission form uses itself: no question may take them.
RESERVED_KEYS = frozenset(
    {
        "message",
        "website",
        "style",
        "files",
        "uploads",
        "upload_problems",
        "csrfmiddlewaretoken",
        "noted",
        "codename",
        "next",
        "back",
    }
)
SHORT_MAX = 2000
LONG_MAX = 20_000
YES_NO = [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]


def _language_suffix() -> str:
    return {"zh-hans": "zh_hans", "zh-hant": "zh_hant", "en": "en"}.get(
        get_language() or "", "zh_hans"
    )


def localized(values: dict[str, str]) -> str:
    """The text for the reader's language, else Simplified Chinese, else English."""
    suffix = _language_suffix()
    if suffix == "zh_hant" and not values.get("zh_hant") and values.get("zh_hans"):
        return to_traditional(values["zh_hans"])
    return values.get(suffix) or values.get("zh_hans") or values.get("en") or ""


def label(question: Question) -> str:
    return (
        localized(
            {
                "zh_hans": question.label_zh_hans,
                "zh_hant": question.label_zh_hant,
                "en": question.label_en,
            }
        )
        or question.key
    )


def help_text(question: Question) -> str:
    return localized(
        {"zh_hans": question.help_zh_hans, "zh_hant": question.help_zh_hant, "en": question.help_en}
    )


def choice_pairs(question: Question) -> list[tuple[str, str]]:
    return [
        (str(c.get("key", "")), localized(c) or str(c.get("key", ""))) for c in question.choices
    ]


def current_version() -> QuestionnaireVersion | None:
    """The approved version with the highest number: what sources answer now (a draft never)."""
    return (
        QuestionnaireVersion.objects.filter(state=QuestionnaireVersion.State.LIVE)
        .order_by("-number")
        .first()
    )


def pending_draft() -> QuestionnaireVersion | None:
    """The draft waiting for review, if any (there is at most one)."""
    return QuestionnaireVersion.objects.filter(state=QuestionnaireVersion.State.DRAFT).first()


def version_numbered(number: Any) -> QuestionnaireVersion | None:
    if not isinstance(number, int) or isinstance(number, bool):
        return None
    return QuestionnaireVersion.objects.filter(
        number=number, state=QuestionnaireVersion.State.LIVE
    ).first()


def questions(version: QuestionnaireVersion | None) -> list[Question]:
    return list(version.questions.all()) if version is not None else []


def groups(version: QuestionnaireVersion | None) -> list[list[Question]]:
    """The pages of the step-by-step flow, in order; empty groups do not exist."""
    pages: dict[int, list[Question]] = {}
    for question in questions(version):
        pages.setdefault(question.group, []).append(question)
    return [pages[number] for number in sorted(pages)]


def field_for(question: Question) -> forms.Field:
    common: dict[str, Any] = {
        "label": label(question),
        "required": question.required,
        "help_text": help_text(question),
    }
    kind = question.kind
    if kind == Question.Kind.LONG:
        return forms.CharField(
            max_length=LONG_MAX, widget=forms.Textarea(attrs={"rows": 5}), **common
        )
    if kind == Question.Kind.SINGLE:
        return forms.ChoiceField(choices=choice_pairs(question), widget=forms.RadioSelect, **common)
    if kind == Question.Kind.MULTIPLE:
        return forms.MultipleChoiceField(
            choices=choice_pairs(question), widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == Question.Kind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == Question.Kind.YESNO:
        return forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, **common)
    return forms.CharField(max_length=SHORT_MAX, **common)


class StepForm(forms.Form):
    """One page of questions (or, for the submission form, all of them)."""

    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[question.key] = field_for(question)

    def answers(self) -> dict[str, Any]:
        """The cleaned answers fit for JSON, without the empty ones."""
        found: dict[str, Any] = {}
        for question in self.questions:
            value = self.cleaned_data.get(question.key)
            if isinstance(value, datetime.date):
                value = value.isoformat()
            elif isinstance(value, str):
                value = value.strip()
            if value:
                found[question.key] = value
        return found


def initial_for(stored: dict[str, Any], page: list[Question]) -> dict[str, Any]:
    return {q.key: stored[q.key] for q in page if q.key in stored}


def missing_required(version: QuestionnaireVersion | None, answers: dict[str, Any]) -> int | None:
    """The first page (1-based) with a required question left unanswered, or None."""
    for number, page in enumerate(groups(version), start=1):
        if any(q.required and not answers.get(q.key) for q in page):
            return number
    return None


def payload(version: QuestionnaireVersion, answers: dict[str, Any]) -> dict[str, Any]:
    """What is encrypted and stored: the answers and the version they answered."""
    return {VERSION_KEY: version.number, **answers}


def shown_value(question: Question, value: Any) -> str:
    if question.kind in {Question.Kind.SINGLE, Question.Kind.MULTIPLE}:
        names = dict(choice_pairs(question))
        values = value if isinstance(value, list) else [value]
        return ", ".join(names.get(str(v), str(v)) for v in values)
    if question.kind == Question.Kind.YESNO:
        return str(dict(YES_NO).get(str(value), value))
    return str(value)


def labelled(stored: dict[str, Any]) -> list[tuple[str, str]]:
    """A stored answer as (question, answer) pairs, with the questions of the version it
    answered (version 1 for answers from before versions), in the reader's language. Keys the
    version does not know (never expected) are shown by name, so nothing is hidden."""
    version = version_numbered(stored.get(VERSION_KEY, 1))
    shown: list[tuple[str, str]] = []
    seen = {VERSION_KEY}
    for question in questions(version):
        if question.key in stored and stored[question.key] not in ("", [], None):
            shown.append((label(question), shown_value(question, stored[question.key])))
        seen.add(question.key)
    for key, value in stored.items():
        if key not in seen:
            shown.append(
                (
                    key,
                    value
                    if isinstance(value, str)
                    else ", ".join(map(str, value))
                    if isinstance(value, list)
                    else str(value),
                )
            )
    return shown


# --- The review: a draft against the live version, question by question -------------------

# What a reviewer compares, with the label each difference is shown under.
COMPARED = [
    ("kind", gettext_lazy("Kind")),
    ("required", gettext_lazy("Required")),
    ("group", gettext_lazy("Page")),
    ("label_zh_hans", gettext_lazy("Question (Simplified Chinese)")),
    ("label_zh_hant", gettext_lazy("Question (Traditional Chinese)")),
    ("label_en", gettext_lazy("Question (English)")),
    ("help_zh_hans", gettext_lazy("Help (Simplified Chinese)")),
    ("help_zh_hant", gettext_lazy("Help (Traditional Chinese)")),
    ("help_en", gettext_lazy("Help (English)")),
    ("choices", gettext_lazy("Choices")),
]


@dataclass(frozen=True)
class QuestionChange:
    """One question of the review: `added`, `removed`, `changed` or `same`, its key and
    label, and for a changed one each (what, before, after)."""

    status: str
    key: str
    label: str
    fields: list[tuple[str, str, str]]


def _shown(question: Question, name: str) -> str:
    value = getattr(question, name)
    if name == "kind":
        return str(Question.Kind(value).label) if value in Question.Kind.values else str(value)
    if name == "required":
        return str(YES_NO[0][1] if value else YES_NO[1][1])
    if name == "choices":
        return "; ".join(
            " | ".join(str(c.get(lang, "")) for lang in ("zh_hans", "zh_hant", "en")) for c in value
        )
    return str(value)


def _every_field(question: Question, *, removed: bool = False) -> list[tuple[str, str, str]]:
    """An added question's fields as (what, "", value); a removed one's as (what, value, "")."""
    shown = [(str(title), _shown(question, name)) for name, title in COMPARED]
    return [(title, *((value, "") if removed else ("", value))) for title, value in shown if value]


def changes(live: QuestionnaireVersion | None, draft: QuestionnaireVersion) -> list[QuestionChange]:
    """The draft against the live version, in the draft's order, then the questions it
    removes. Every text that differs is shown whole, before and after, so a reviewer reads
    exactly what sources would be asked (an added question is shown field by field; a
    question that only moved says so under "Position")."""
    before = {q.key: q for q in questions(live)}
    after = questions(draft)
    kept_before = [key for key in before if key in {q.key for q in after}]
    kept_after = [q.key for q in after if q.key in before]
    found: list[QuestionChange] = []
    for question in after:
        old = before.get(question.key)
        if old is None:
            found.append(
                QuestionChange("added", question.key, label(question), _every_field(question))
            )
            continue
        fields = [
            (str(title), _shown(old, name), _shown(question, name))
            for name, title in COMPARED
            if _shown(old, name) != _shown(question, name)
        ]
        if kept_before.index(question.key) != kept_after.index(question.key):
            fields.append(
                (
                    str(gettext_lazy("Position")),
                    str(kept_before.index(question.key) + 1),
                    str(kept_after.index(question.key) + 1),
                )
            )
        status = "changed" if fields else "same"
        found.append(QuestionChange(status, question.key, label(question), fields))
    after_keys = {q.key for q in after}
    for key, old in before.items():
        if key not in after_keys:
            found.append(
                QuestionChange("removed", key, label(old), _every_field(old, removed=True))
            )
    return found
