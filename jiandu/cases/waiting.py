"""Reviews waiting for a member (issue 18, item 9): cases submitted for review that this member
may publish, counted for the newsroom's navigation and home page. Reads only."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from jiandu.accounts.models import User
from jiandu.cases.models import Case, CaseStatus
from jiandu.core.waiting import Waiting

# Cases submitted at once are few; past this many the count stops (it is a reminder, not a
# report), so the navigation never costs more than a bounded number of small queries.
CHECKED_AT_MOST = 50


def get_reviews_waiting(member: User) -> int:
    """Cases awaiting review that `member` may publish now. The rule is the workflow's own
    (`actions.can_publish`, whatever publishing policy is in force), applied to the few
    submitted cases, so the count never promises a publication the desk would refuse."""
    from jiandu.cases.actions import can_publish

    if not member.has_perm("accounts.publish_cases"):
        return 0
    submitted = (
        Case.objects.filter(submitted_by__isnull=False)
        .exclude(status=CaseStatus.RETRACTED)
        .order_by("pk")[:CHECKED_AT_MOST]
    )
    return sum(1 for case in submitted if can_publish(member, case))


def waiting(member: User) -> list[Waiting]:
    """The case desk's kind of waiting work, for core/waiting.py."""
    return [
        Waiting("reviews", _("Reviews waiting"), get_reviews_waiting(member), reverse("cases:list"))
    ]
