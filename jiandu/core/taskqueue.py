"""The one door to the task backend's own storage, for the few questions Django's Tasks API
does not answer: is a run of this task already waiting, dropping finished rows, and dropping a
stopped worker's queue.

The database backend (django-tasks-db) is asked through its table. The Redis backend
(`JIANDU_TASK_BACKEND=redis`, jiandu.core.redis_tasks) answers through its own methods; its
finished tasks expire by themselves (REDIS_COMPLETED_TASK_TTL), so nothing is purged here. Any
other backend: nothing is ever "waiting" (callers enqueue unconditionally), nothing is purged
or dropped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.tasks.backends.base import BaseTaskBackend
from django.utils import timezone

WAITING = ("READY", "RUNNING")
FINISHED = ("SUCCESSFUL", "FAILED")


def _table() -> Any:
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover  (the database backend is not installed)
        return None
    return DBTaskResult


def _backend() -> BaseTaskBackend:
    from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

    return task_backends[DEFAULT_TASK_BACKEND_ALIAS]


def _uses_table() -> bool:
    return type(_backend()).__module__.startswith("django_tasks_db")


def is_waiting(task_path: str) -> bool:
    """Whether a run of the task at `task_path` is queued or running."""
    backend_is_waiting = getattr(_backend(), "is_waiting", None)
    if backend_is_waiting is not None:
        return bool(backend_is_waiting(task_path))
    if not _uses_table():
        return False
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


def drop_queue(queue_name: str) -> None:
    """Delete every task waiting on `queue_name` (a stopped worker's own queue: its tasks hold
    keys sealed to a key that no longer exists)."""
    backend_drop = getattr(_backend(), "drop_queue", None)
    if backend_drop is not None:
        backend_drop(queue_name)
        return
    table = _table()
    if table is not None:
        table.objects.filter(queue_name=queue_name).delete()


def next_hour(now: datetime | None = None) -> datetime:
    """The start of the next full hour (where the hourly jobs run)."""
    now = now or timezone.now()
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
