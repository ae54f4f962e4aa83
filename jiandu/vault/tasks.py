"""Retention: sources idle longer than JIANDU_RETENTION_DAYS (default 90) are deleted, and
resumable uploads abandoned for a day are removed.

The task runs once an hour: each run enqueues the next (`run_after` one hour on), and
`jiandu serve` schedules one at start if none is waiting. `jiandu purge_sources` does the same
by hand or from cron.
"""

from datetime import timedelta

from django.db import transaction
from django.tasks import task
from django.utils import timezone

TASK_PATH = "jiandu.vault.tasks.purge_idle_sources"


@task
def purge_idle_sources() -> int:
    from jiandu.vault.actions import do_purge_idle_sources
    from jiandu.vault.storage import clean_stale_parts

    count = do_purge_idle_sources()
    clean_stale_parts(24 * 3600)  # resumable uploads abandoned for a day
    transaction.on_commit(_enqueue_next)
    return count


def _enqueue_next() -> None:
    purge_idle_sources.using(run_after=timezone.now() + timedelta(hours=1)).enqueue()


def schedule_retention() -> None:
    """Enqueue a retention run unless one is already waiting (database backend only)."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another backend: schedule unconditionally
        purge_idle_sources.enqueue()
        return
    waiting = DBTaskResult.objects.filter(task_path=TASK_PATH, status__in=["READY", "RUNNING"])
    if not waiting.exists():
        purge_idle_sources.enqueue()
