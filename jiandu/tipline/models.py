"""The questionnaire the newsroom designs (the tip line's first models).

A questionnaire is a series of immutable versions: the designer saves a whole new version as a
draft, which a second member (an admin or editor, never its author) approves or discards
(issue 17, item 2: one admin alone put a required "full name and phone number" question in
front of every source). Approval gives the draft the next number; the highest approved
number is the one sources see, and an answer records the version it answered
(`"_version"` in the encrypted answers), so an old answer is always shown with the questions
it answered, whatever was edited since. A question's `key` is its name in the answers; it
stays the same across versions when a question is only reworded.

Nothing here is a source's: these rows are the newsroom's, public to anyone who opens the tip
line, and hold no time finer than the hour. Who drafted and who decided is kept here (a name
beside the link, so the record outlives a removed account) and in the account audit and the
custody log (jiandu.tipline.actions).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class QuestionnaireVersion(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("questionnaire version", "Waiting for review")
        LIVE = "live", pgettext_lazy("questionnaire version", "Approved")
        DISCARDED = "discarded", pgettext_lazy("questionnaire version", "Discarded")

    # Given on approval, so "version 3" always names questions sources were asked.
    number = models.PositiveIntegerField(unique=True, null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    created_hour = models.DateTimeField()
    live_hour = models.DateTimeField(null=True, blank=True)  # approved, to the hour
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=150, blank=True)
    # Who approved or discarded the draft.
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewer_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            # One draft at a time: a second would be reviewed against a live version that
            # the first may replace, and two drafts invite approving the wrong one.
            models.UniqueConstraint(
                fields=["state"],
                condition=models.Q(state="draft"),
                name="tipline_one_questionnaire_draft",
            )
        ]

    def __str__(self) -> str:
        if self.number is None:
            return f"questionnaire draft {self.pk}"
        return f"questionnaire v{self.number}"


class Question(models.Model):
    class Kind(models.TextChoices):
        SHORT = "short", _("Short text")
        LONG = "long", _("Long text")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        DATE = "date", _("Date")
        YESNO = "yesno", _("Yes or no")

    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.CASCADE, related_name="questions"
    )
    key = models.SlugField(max_length=40)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.SHORT)
    required = models.BooleanField(default=False)
    group = models.PositiveSmallIntegerField(default=1)  # one page of the step-by-step flow
    order = models.PositiveSmallIntegerField(default=0)
    label_zh_hans = models.CharField(max_length=500, blank=True)
    label_zh_hant = models.CharField(max_length=500, blank=True)
    label_en = models.CharField(max_length=500, blank=True)
    help_zh_hans = models.CharField(max_length=1000, blank=True)
    help_zh_hant = models.CharField(max_length=1000, blank=True)
    help_en = models.CharField(max_length=1000, blank=True)
    # For choices: [{"key": "...", "zh_hans": "...", "zh_hant": "...", "en": "..."}, ...]
    choices = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["group", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="tipline_question_key_once")
        ]

    def __str__(self) -> str:
        return self.key
