"""What waits for a member in the inbox (issue 18, item 9): new tips and unread replies.

Read from the triage rows and read marks only, one COUNT each, nothing decrypted, nothing
written. Opening a source (its page, or "mark as read" in the inbox) is what moves the read
mark (actions.do_view_source, do_mark_read), so these counts fall as the member reads.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from jiandu.accounts.models import User
from jiandu.core.waiting import Waiting
from jiandu.newsroom.models import Status
from jiandu.vault.models import Item, Source


def get_tips_waiting(member: User) -> int:
    """Sources still new that this member may open and has never opened: the tips waiting."""
    if not member.has_perm("accounts.read_submissions"):
        return 0
    return (
        Source.objects.filter(grants__member_key__user=member)
        .filter(Q(inbox__status=Status.NEW) | Q(inbox__isnull=True))
        .exclude(read_marks__user=member)
        .count()
    )


def get_replies_waiting(member: User) -> int:
    """Messages and files a source sent after this member last read its conversation: the
    source's replies the member has not read (a never-opened source is a tip, not here)."""
    if not member.has_perm("accounts.read_submissions"):
        return 0
    return (
        Item.objects.filter(
            source__grants__member_key__user=member,
            source__read_marks__user=member,
            pk__gt=F("source__read_marks__last_item_id"),
        )
        .exclude(kind=Item.Kind.REPLY)
        .count()
    )


def waiting(member: User) -> list[Waiting]:
    """The inbox's kinds of waiting work, for core/waiting.py."""
    inbox = reverse("newsroom:sources")
    return [
        Waiting(
            "tips",
            _("New tips"),
            get_tips_waiting(member),
            f"{inbox}?{urlencode({'status': Status.NEW})}",
        ),
        Waiting("replies", _("Unread replies"), get_replies_waiting(member), inbox),
    ]
