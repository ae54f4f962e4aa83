"""Background work of the redaction studio (Django Tasks, on the worker's own queue)."""

from django.db import transaction
from django.tasks import task

from jiandu.core import taskqueue

SWEEP_PATH = "jiandu.redaction.tasks.expire_orphaned_renders"


@task
def make_render(render_id: int, worker_key_id: int, sealed_keys: str) -> str:
    """Make one derivative. The item key and the render key are sealed to the worker's
    in-memory key (jiandu/forensics/handoff.py); the return value is the new state only."""
    from jiandu.redaction.actions import do_make_render

    return do_make_render(render_id, worker_key_id, sealed_keys)


@task
def expire_orphaned_renders() -> int:
    """Every few minutes (handoff.STALE): renders whose worker stopped are written expired,
    so that no page has to (issue 20, item 6). Enqueues the next run; returns how many."""
    from jiandu.redaction.actions import do_expire_orphaned_renders

    count = do_expire_orphaned_renders()
    transaction.on_commit(_enqueue_next_sweep)
    return count


def _enqueue_next_sweep() -> None:
    from django.utils import timezone

    from jiandu.forensics.handoff import STALE

    expire_orphaned_renders.using(run_after=timezone.now() + STALE).enqueue()


def schedule_sweep() -> None:
    """At `jiandu serve`'s start: one sweep waiting, unless there is one."""
    if not taskqueue.is_waiting(SWEEP_PATH):
        expire_orphaned_renders.enqueue()
