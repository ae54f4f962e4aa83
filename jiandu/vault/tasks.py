"""The vault's hourly job: retention, and everything that keeps times to the hour.

Each run, at the start of a clock hour:
- deletes sources idle longer than JIANDU_RETENTION_DAYS (default 90), resumable uploads with
  no piece for JIANDU_STAGING_IDLE_HOURS (by default the source's idle limit, in whole hours),
  and `.part` files no upload names, abandoned for a day;
- deletes expired session rows (their expiry says the hour of a last request);
- deletes finished task rows (their start and finish times are exact);
- settles file and folder times under the data dir (`jiandu.core.filetimes.settle_tree`), so
  that the ctimes of the past hour's writes all say "this run", not the minute of each write.

Each run enqueues the next for the start of the following hour; `jiandu serve` schedules one
at start if none is waiting. `jiandu purge_sources` does the retention part by hand or from
cron. What remains of times between two runs is in docs/threat-model.md, "Times".
"""

from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.tasks import task

from jiandu.core import taskqueue

TASK_PATH = "jiandu.vault.tasks.purge_idle_sources"


@task
def purge_idle_sources() -> int:
    """The hourly job (the name is kept from when it did retention only). Returns how many
    sources were deleted."""
    from jiandu.core.filetimes import settle_tree
    from jiandu.vault.actions import do_purge_idle_sources
    from jiandu.vault.resumable import remove_idle_uploads
    from jiandu.vault.storage import PART_KEEP_SECONDS, clean_stale_parts

    count = do_purge_idle_sources()
    remove_idle_uploads()  # resumable uploads whose session has ended: their reservations too
    clean_stale_parts(PART_KEEP_SECONDS)  # parts no upload names (a crash), after a day
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    taskqueue.purge_finished()
    settle_tree(Path(settings.DATA_DIR))
    transaction.on_commit(_enqueue_next)
    return count


def _enqueue_next() -> None:
    purge_idle_sources.using(run_after=taskqueue.next_hour()).enqueue()


def schedule_retention() -> None:
    """Enqueue an hourly run unless one is already waiting; the first runs at once."""
    if not taskqueue.is_waiting(TASK_PATH):
        purge_idle_sources.enqueue()
