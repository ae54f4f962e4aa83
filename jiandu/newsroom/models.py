"""The newsroom's triage of sources: status, star, assignee, what each member has read, and
how each member wants to hear of new activity.

No content lives here: only workflow fields about a source known by its designation. The list
page reads these rows and counts, never a decrypted record.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NEW = "new", _("New")
    IN_REVIEW = "in_review", _("In review")
    AUTHENTICATING = "authenticating", _("Authenticating")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


class SourceState(models.Model):
    """Triage fields of one source (made with the source, see receivers.py)."""

    source = models.OneToOneField(
        "vault.Source", on_delete=models.CASCADE, primary_key=True, related_name="inbox"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    starred = models.BooleanField(default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_sources",
    )

    class Meta:
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["starred"]),
        ]

    def __str__(self) -> str:
        return f"inbox state of source {self.source_id}"


class ReadMark(models.Model):
    """The newest item of a source that a member has read; newer items are unread for them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey("vault.Source", on_delete=models.CASCADE, related_name="read_marks")
    last_item_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "source"], name="one_read_mark_per_member")
        ]

    def __str__(self) -> str:
        return f"member {self.user_id} read source {self.source_id} up to item {self.last_item_id}"


class Notification(models.Model):
    """How a member hears of new activity by e-mail: never, at once (at most hourly), daily."""

    class Mode(models.TextChoices):
        OFF = "off", _("No e-mail")
        EACH = "each", _("An e-mail when there is new activity (at most one an hour)")
        DAILY = "daily", _("One e-mail a day when there was new activity")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="newsroom_notification"
    )
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.OFF)
    last_sent = models.DateTimeField(null=True, blank=True)
    pending = models.BooleanField(default=False)  # new activity since the last e-mail

    def __str__(self) -> str:
        return f"notifications of member {self.user_id}: {self.mode}"


class SourceTag(models.Model):
    """One tag on a source ("land", "follow up"), sealed to the source's newsroom-side public
    key like checklist notes (docs/crypto.md, "Tags and internal notes"): a copy of the
    database shows that a source has tags, how many and who added them, never their text, and
    not which sources share one. Filtering decrypts, for the sources the member can open."""

    source = models.ForeignKey("vault.Source", on_delete=models.CASCADE, related_name="tags")
    sealed_text = models.BinaryField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"tag {self.pk} of source {self.source_id}"


class Note(models.Model):
    """An internal note on a source, or on one of its items, that only the newsroom sees: the
    text sealed to the source's public key (only members with a grant read it); who wrote it
    and when are plain. Every note written and every note shown is a custody record."""

    source = models.ForeignKey("vault.Source", on_delete=models.CASCADE, related_name="notes")
    item = models.ForeignKey(
        "vault.Item", on_delete=models.CASCADE, null=True, blank=True, related_name="notes"
    )
    sealed_text = models.BinaryField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField()

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return f"note {self.pk} on source {self.source_id}"
