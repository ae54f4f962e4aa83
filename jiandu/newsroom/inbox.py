"""The inbox query: sources newest activity first, filtered, one page at a time, fast at scale.

Nothing here decrypts (a tag filter arrives as the ids that newsroom.tags found by opening
the tags of the sources the member can read). The page is one indexed query over sources and
their triage rows (ordered by `last_active_hour`, filtered on status, star, assignee, dates),
a COUNT for the paginator, and two small aggregate queries over the items of the page's sources
only (kinds and unread counts). With 10,000 sources and 100,000 items that stays in milliseconds
(bench/inbox.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiandu.accounts.models import User
from jiandu.newsroom.models import ReadMark, Status
from jiandu.vault.models import Item, Source, SourceGrant

PER_PAGE = 50


class InboxFilterForm(forms.Form):
    """The filters, read from the query string (GET), so a filtered view is a plain link."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Status.choices]
    )
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    starred = forms.BooleanField(label=_("Starred only"), required=False)
    since = forms.DateField(
        label=_("Active since"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Active until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=200)

    def __init__(self, *args: Any, members: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("Anyone or no one")),
            ("me", _("Me")),
            ("none", _("No one")),
            *[(str(member.pk), member.username) for member in members],
        ]


def filtered_sources(user: User, data: dict[str, Any]) -> QuerySet[Source]:
    """Sources matching the (cleaned) filters, newest activity first."""
    rows = Source.objects.select_related("inbox", "inbox__assignee")
    if data.get("status") == Status.NEW:  # a source without its triage row yet is new
        rows = rows.filter(Q(inbox__status=Status.NEW) | Q(inbox__isnull=True))
    elif data.get("status"):
        rows = rows.filter(inbox__status=data["status"])
    assignee = data.get("assignee")
    if assignee == "me":
        rows = rows.filter(inbox__assignee=user)
    elif assignee == "none":
        rows = rows.filter(inbox__assignee__isnull=True)
    elif assignee:
        rows = rows.filter(inbox__assignee_id=int(str(assignee)))
    if data.get("starred"):
        rows = rows.filter(inbox__starred=True)
    if data.get("tagged") is not None:  # ids from newsroom.tags.sources_tagged (decrypted)
        rows = rows.filter(pk__in=data["tagged"])
    tz = timezone.get_current_timezone()
    if data.get("since"):
        start = dt.datetime.combine(data["since"], dt.time.min, tzinfo=tz)
        rows = rows.filter(last_active_hour__gte=start)
    if data.get("until"):
        end = dt.datetime.combine(data["until"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        rows = rows.filter(last_active_hour__lt=end)
    return rows.order_by("-last_active_hour", "-pk")


@dataclass
class Counts:
    messages: int = 0
    files: int = 0
    replies: int = 0
    unread: int = 0


@dataclass
class InboxPage:
    page: Page
    counts: dict[int, Counts] = field(default_factory=dict)
    no_access: set[int] = field(default_factory=set)


def inbox_page(user: User, data: dict[str, Any], number: int | str | None = 1) -> InboxPage:
    paginator = Paginator(filtered_sources(user, data), PER_PAGE)
    page = paginator.get_page(number)
    ids = [row.pk for row in page.object_list]
    return InboxPage(page=page, counts=counts_for(user, ids), no_access=_no_access(user, ids))


def counts_for(user: User, source_ids: list[int]) -> dict[int, Counts]:
    """Messages, files, replies and unread items (for this member) of the given sources."""
    counts: dict[int, Counts] = defaultdict(Counts)
    if not source_ids:
        return counts
    by_kind = (
        Item.objects.filter(source_id__in=source_ids)
        .values("source_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in by_kind:
        entry = counts[row["source_id"]]
        if row["kind"] == Item.Kind.FILE:
            entry.files = row["n"]
        elif row["kind"] == Item.Kind.REPLY:
            entry.replies = row["n"]
        else:
            entry.messages += row["n"]
    mark = ReadMark.objects.filter(user=user, source=OuterRef("source_id")).values("last_item_id")[
        :1
    ]
    unread = (
        Item.objects.filter(source_id__in=source_ids)
        .exclude(kind=Item.Kind.REPLY)
        .annotate(mark=Subquery(mark))
        .filter(Q(mark__isnull=True) | Q(pk__gt=F("mark")))
        .values("source_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for unread_row in unread:
        counts[unread_row["source_id"]].unread = unread_row["n"]
    return counts


def _no_access(user: User, source_ids: list[int]) -> set[int]:
    granted = set(
        SourceGrant.objects.filter(source_id__in=source_ids, member_key__user=user).values_list(
            "source_id", flat=True
        )
    )
    return set(source_ids) - granted


# --- Clearing a flood ----------------------------------------------------------------------

# One confirmation page names at most this many sources (each a form field; Django refuses a
# POST of more than DATA_UPLOAD_MAX_NUMBER_FIELDS = 1,000 of them): a larger flood is cleared
# in several rounds.
CLEAR_BATCH = 500
CLEAR_HOURS = 72


def first_contacts_without_files(hour: dt.datetime | None = None) -> QuerySet[Source]:
    """Sources that made first contact (in `hour`, if given), sent no file, never came back
    with a second submission and were never replied to: what a flood of junk first
    submissions leaves, and what a real source with evidence never looks like."""
    rows = Source.objects.all()
    if hour is not None:
        rows = rows.filter(created_hour=hour)
    return (
        rows.exclude(items__kind__in=[Item.Kind.FILE, Item.Kind.REPLY])
        .annotate(submission_count=Count("submissions", distinct=True))
        .filter(submission_count__lte=1)
        .order_by("pk")
    )


def flood_hours(now: dt.datetime | None = None) -> list[tuple[dt.datetime, int]]:
    """The hours of the last CLEAR_HOURS with such sources, and how many, busiest first."""
    since = (now or timezone.now()) - dt.timedelta(hours=CLEAR_HOURS)
    counted: dict[dt.datetime, int] = defaultdict(int)
    for hour in (
        first_contacts_without_files()
        .filter(created_hour__gte=since)
        .values_list("created_hour", flat=True)
    ):
        counted[hour] += 1
    return sorted(counted.items(), key=lambda pair: (-pair[1], pair[0]))
