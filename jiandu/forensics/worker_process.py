"""The life of one background worker process, shared by `db_worker` and `redis_worker`.

While a worker runs it holds a key pair whose private half lives only in its memory (the
hand-off of jiandu/forensics/handoff.py) and beats a heartbeat into its key's row; workers that
died without saying so are retired at its start and at every beat; when it stops it retires its
own key, so the item keys still sealed to it in its queue become useless.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from jiandu.forensics import actions, handoff
from jiandu.forensics.models import WorkerKey

logger = logging.getLogger(__name__)


@contextmanager
def worker_key_for_this_process() -> Iterator[WorkerKey]:
    """The process's worker key (its queue is `key.queue_name`), with a heartbeat, retired on
    the way out whatever happened."""
    actions.do_expire_stale_workers()
    key = handoff.start_worker_key()
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(stop,), daemon=True)
    beat.start()
    try:
        yield key
    finally:
        stop.set()
        actions.do_retire_worker(handoff.stop_worker_key())


def _heartbeat(stop: threading.Event) -> None:
    from django.db import close_old_connections

    while not stop.wait(handoff.HEARTBEAT.total_seconds()):
        try:
            handoff.heartbeat()
            actions.do_expire_stale_workers()
        except Exception as exc:  # a locked database now and then: the next beat retries
            logger.warning("worker heartbeat failed: %s", type(exc).__name__)
        finally:
            close_old_connections()
