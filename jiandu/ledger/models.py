"""Custody records and the head of their chain."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    RECEIVE = "receive", _("received")
    VIEW = "view", _("viewed")
    PREVIEW = "preview", _("previewed")
    DOWNLOAD = "download", _("downloaded")
    EXPORT = "export", _("exported")
    STATUS = "status", _("changed status")
    ASSIGN = "assign", _("assigned")
    REPLY = "reply", _("replied")
    DELETE = "delete", _("deleted")
    GRANT = "grant", _("granted access")
    PURGE = "purge", _("deleted by retention")


class CustodyRecord(models.Model):
    """Who did what to which item, when, and why (for deletions). Never content.

    `subject` names the thing by type and database id (e.g. "source:12", "item:40"); the
    designations and file names that would make a record readable stay in the vault, encrypted.
    """

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    subject = models.CharField(max_length=64, db_index=True)
    reason = models.TextField(blank=True)
    mac = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["actor", "at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.subject}"


class ChainHead(models.Model):
    """One row: the MAC of the last record. Appending locks it, so appends form one chain
    even on PostgreSQL with concurrent writers."""

    mac = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"chain head after {self.count} records"
