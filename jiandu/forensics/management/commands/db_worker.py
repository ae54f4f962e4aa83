"""`jiandu db_worker`: django-tasks-db's worker, plus the in-memory key that previews need.

This command takes the place of django_tasks_db's own (the forensics app comes first in
INSTALLED_APPS) and changes nothing else about it. Before the worker starts it makes the
process's key pair (private half in memory only, see jiandu/forensics/handoff.py), retires
workers that died without saying so, adds the process's own queue (`preview-<id>`) to the
queues it serves, and keeps a heartbeat; when it stops, it retires its key, so the sealed keys
still in its queue become useless.

It logs no line per task: django-tasks-db and Django's Tasks framework log each task's start and
end at INFO, which puts the exact time of every task, a submission's e-mail run included, into
whatever keeps the worker's output (docs/threat-model.md, "Times"). Warnings and errors still
show.
"""

import logging
from typing import Any

from django_tasks_db.compat import TASKS_LOGGER
from django_tasks_db.management.commands import db_worker

from jiandu.forensics.worker_process import worker_key_for_this_process


class Command(db_worker.Command):
    help = "Run the background worker (with the in-memory key for previews)."

    def configure_logging(self, verbosity: int) -> None:
        """The worker's own setup, then nothing below WARNING (no per-task lines)."""
        super().configure_logging(verbosity)
        for name in (TASKS_LOGGER, db_worker.logger.name):
            logger = logging.getLogger(name)
            logger.setLevel(max(logger.level, logging.WARNING))

    def handle(self, *args: Any, **options: Any) -> None:
        with worker_key_for_this_process() as key:
            queues = str(options["queue_name"]).split(",")
            if "*" not in queues:
                queues.append(key.queue_name)
            options["queue_name"] = ",".join(queues)
            super().handle(*args, **options)
