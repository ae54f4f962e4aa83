"""The public room's own data: readers' comments on cases.

Nothing here identifies a reader: no address, no cookie, no user agent. A comment holds its
text, an optional name the reader chose, and the day it was written. (Daily view counts are the
cases room's: jiandu.cases.viewcounts.)
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CommentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for moderation")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Comment(models.Model):
    case_slug = models.SlugField(max_length=80, db_index=True)
    display_name = models.CharField(_("Name (optional)"), max_length=60, blank=True)
    body = models.TextField(_("Comment"))
    # What the reader wrote, kept for moderators when a moderator edits the text.
    original_body = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=CommentStatus.choices, default=CommentStatus.PENDING
    )
    moderator_note = models.CharField(max_length=300, blank=True)
    created_on = models.DateField()
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.case_slug}"


def get_approved_comments(slug: str) -> list[Comment]:
    return list(Comment.objects.filter(case_slug=slug, status=CommentStatus.APPROVED))
