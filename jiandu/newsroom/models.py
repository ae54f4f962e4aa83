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
