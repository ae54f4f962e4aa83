"""`jiandu redis_worker`: a worker of the Redis task backend, with the in-memory key that
previews need (`JIANDU_TASK_BACKEND=redis`; run as many as you like, on as many machines).

django-tasks-redis's `run_redis_tasks`, changed as `db_worker` changes django-tasks-db's: before
the loop starts the process makes its key pair (private half in memory only, see
jiandu/forensics/handoff.py), retires workers that died without saying so, reads its own queue
(`preview-<id>`) beside the shared ones (`default` unless --queue names others), and keeps a
heartbeat; when it stops, it retires its key and drops its queue, so the sealed keys that were
waiting there are gone and were useless anyway. Several workers share `default` through the
Redis consumer group; a preview's task reaches only the worker whose key it was sealed to.

It always runs continuously and writes no line per task (nor do the libraries' loggers below
WARNING): a line per task would put the time of every task into whatever keeps the worker's
output (docs/threat-model.md, "Times").
"""

from __future__ import annotations

import logging
import os
from typing import Any

from django.core.management.base import OutputWrapper
from django_tasks_redis.management.commands import run_redis_tasks

from jiandu.forensics.worker_process import worker_key_for_this_process

QUIET_LOGGERS = ("django_tasks_redis", "django.tasks")


class Command(run_redis_tasks.Command):
    stdout: OutputWrapper  # BaseCommand's, through the untyped library command

    @property
    def help(self) -> str:
        return "Run a background worker on Redis (with the in-memory key for previews)."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.set_defaults(continuous=True)

    def handle(self, *args: Any, **options: Any) -> None:
        for name in QUIET_LOGGERS:
            logger = logging.getLogger(name)
            logger.setLevel(max(logger.level, logging.WARNING))
        with worker_key_for_this_process() as key:
            queues = [name for name in (options["queue_name"] or "default").split(",") if name]
            options["queue_name"] = ",".join([*queues, key.queue_name])
            options["continuous"] = True
            super().handle(*args, **options)

    def _run_broker_message(self, backend: Any, broker: Any, message: Any, worker_id: str) -> Any:
        """The library's run of one task, without its line on stdout."""
        stdout = self.stdout
        with open(os.devnull, "w") as null:
            self.stdout = OutputWrapper(null)
            try:
                return super()._run_broker_message(backend, broker, message, worker_id)
            finally:
                self.stdout = stdout
