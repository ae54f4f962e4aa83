"""Renders that no worker will finish, read without writing.

A render's item key and render key are sealed to one worker's in-memory key; when that worker
stops (its key row retired) or is killed (its row not seen for handoff.STALE), nothing else can
make the render. Pages read such a render as expired at once (`shown_state`); the studio's sweep
writes it (actions.do_expire_orphaned_renders, run by tasks.expire_orphaned_renders every few
minutes on the worker and at `jiandu serve`'s start), never a GET (issue 20, item 6).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from jiandu.forensics import handoff
from jiandu.redaction.models import Render

UNFINISHED = (Render.State.PENDING, Render.State.RUNNING)


def orphaned_renders() -> QuerySet[Render]:
    """Unfinished renders whose worker key is gone or stale."""
    return Render.objects.filter(state__in=UNFINISHED).filter(
        Q(worker_key__isnull=True) | Q(worker_key__seen__lt=timezone.now() - handoff.STALE)
    )


def shown_state(record: Render) -> str:
    """The state a page shows: an unfinished render whose worker stopped reads as expired
    (the journalist renders again) before the sweep has written it."""
    if not record.finished and orphaned_renders().filter(pk=record.pk).exists():
        return Render.State.EXPIRED
    return record.state


def orphaned_ids(records: list[Render]) -> set[int]:
    """Which of these (a page's list) read as expired: one query."""
    unfinished = [r.pk for r in records if not r.finished]
    if not unfinished:
        return set()
    return set(orphaned_renders().filter(pk__in=unfinished).values_list("pk", flat=True))
