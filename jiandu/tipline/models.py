"""The questionnaire the newsroom designs (the tip line's first models).

A questionnaire is a series of immutable versions: the designer saves a whole new version, the
highest number is the one sources see, and an answer records the version it answered
(`"_version"` in the encrypted answers), so an old answer is always shown with the questions
it answered, whatever was edited since. A question's `key` is its name in the answers; it
stays the same across versions when a question is only reworded.

Nothing here is a source's: these rows are the newsroom's, public to anyone who opens the tip
line, and hold no time finer than the hour.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class QuestionnaireVersion(models.Model):
    number = models.PositiveIntegerField(unique=True)
    created_hour = models.DateTimeField()

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
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
