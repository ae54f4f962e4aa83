"""Renders finished since their member last looked (issue 18, item 9), for the newsroom's
navigation and home page. One COUNT over the member's own renders; reads only."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from jiandu.accounts.models import User
from jiandu.core.waiting import Waiting
from jiandu.redaction.models import Render

# What counts as finished for the member who asked: made, or failed with a reason (not what
# they cancelled themselves, nor one a stopped worker left: the studio says so on its page).
FINISHED_FOR_THE_ASKER = (Render.State.DONE, Render.State.FAILED)


def get_renders_waiting(member: User) -> int:
    """The member's renders that finished (made, or failed with a reason) and that they have
    not marked seen since (actions.do_mark_renders_seen, a POST)."""
    if not member.has_perm("accounts.read_submissions"):
        return 0
    return Render.objects.filter(
        created_by=member, seen=False, state__in=FINISHED_FOR_THE_ASKER
    ).count()


def waiting(member: User) -> list[Waiting]:
    """The studio's kind of waiting work, for core/waiting.py."""
    return [
        Waiting(
            "renders",
            _("Renders finished"),
            get_renders_waiting(member),
            reverse("redaction:index"),
        )
    ]
