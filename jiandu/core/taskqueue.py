"""The one door to the task backend's own table, for the few questions Django's Tasks API does
not answer: is a run of this task already waiting, and dropping finished rows.

With another backend (`JIANDU_TASK_BACKEND`, e.g. RQ) there is no table to ask: nothing is
ever "waiting" (callers enqueue unconditionally) and nothing is purged here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

WAITING = ("READY", "RUNNING")
FINISHED = ("SUCCESSFUL", "FAILED")


def _table():  # type: ignore[no-untyped-def]
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover  (the database backend is not installed)
        return None
    return DBTaskResult


def is_waiting(task_path: str) -> bool:
    """Whether a run of the task at `task_path` is queued or running (database backend)."""
    table = _table()
    return table is not None and (
        table.objects.filter(task_path=task_path, status__in=WAITING).exists()
    )


def purge_finished() -> int:
    """Delete every finished row (successful or failed): their start and finish times would
    otherwise stay in the database to the microsecond. Returns how many went."""
    table = _table()
    if table is None:
        return 0
    deleted, _ = table.objects.filter(status__in=FINISHED).delete()
    return deleted


def next_hour(now: datetime | None = None) -> datetime:
    """The start of the next full hour (where the hourly jobs run)."""
    now = now or timezone.now()
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
