"""Writes of the public room: readers' comments and their moderation."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from jiandu.accounts.models import User
from jiandu.public.forms import plain_text
from jiandu.public.models import Comment, CommentStatus
from jiandu.public.pagecache import bump_generation


@transaction.atomic
def do_post_comment(case_slug: str, body: str, display_name: str = "") -> Comment:
    """Hold a reader's comment for moderation. Only the day is kept, not the time."""
    return Comment.objects.create(
        case_slug=case_slug,
        body=body,
        display_name=display_name,
        created_on=timezone.localdate(),
    )


@transaction.atomic
def do_moderate_comment(
    actor: User, comment: Comment, decision: str, body: str = "", note: str = ""
) -> None:
    """Approve, approve with an edit (the reason shown in public), or reject a comment."""
    if not actor.has_perm("accounts.moderate_comments"):
        raise PermissionDenied
    if decision == "approve":
        comment.status = CommentStatus.APPROVED
        comment.moderator_note = ""
    elif decision == "edit":
        if not comment.original_body:
            comment.original_body = comment.body
        comment.body = plain_text(body)
        comment.moderator_note = note.strip()
        comment.status = CommentStatus.APPROVED
    elif decision == "reject":
        comment.status = CommentStatus.REJECTED
    else:
        raise ValueError(decision)
    comment.moderated_at = timezone.now()
    comment.moderated_by = actor
    comment.save()
    transaction.on_commit(bump_generation)
