"""Django Tasks on Redis, for a deployment with several workers (`JIANDU_TASK_BACKEND=redis`).

django-tasks-redis stores each task in Redis and hands it out through a stream per queue and
priority, read by a consumer group, so several worker processes (on several machines) share
the work and a dead worker's tasks are taken over. Jiandu adds two things:

- A worker reads a list of queues (`default,preview-12`): every worker serves the shared
  `default` queue and its own `preview-<id>` queue, whose tasks carry an item key sealed to that
  worker's in-memory key and would be useless anywhere else (jiandu/forensics/handoff.py). The
  library reads one queue or all of them; all would let a worker take another's previews,
  which it cannot open. Stale messages are only ever taken over on the shared queues (the
  library sweeps the backend's QUEUES, i.e. `default`), never from another worker's queue.
- `drop_queue`, so a stopped worker's queue goes with its key (forensics' `do_retire_worker`,
  through jiandu.core.taskqueue): its streams, delayed set and task records; and `is_waiting`,
  so an hourly job is not scheduled twice.

Redis runs without persistence (docs/operations.md): a restart loses what was queued, which the
sealed keys lose anyway, since the workers that could open them restart too.
"""

from __future__ import annotations

from django_tasks_redis import RedisTaskBackend as LibraryBackend
from django_tasks_redis.brokers import RedisStreamsBroker


class QueueListBroker(RedisStreamsBroker):
    """The library's broker, reading every queue of a comma-separated list."""

    def queue_names(self, queue_name: str | None = None) -> list[str]:
        if queue_name:
            return [name for name in queue_name.split(",") if name]
        return super().queue_names(None)


class RedisTaskBackend(LibraryBackend):
    broker_class = QueueListBroker

    def is_waiting(self, task_path: str) -> bool:
        """Whether a run of the task at `task_path` is ready, delayed or running (so the hourly
        jobs are scheduled once, however many processes start)."""
        return any(
            data.get("task_path") == task_path and data.get("status") in ("READY", "RUNNING")
            for _task_id, data in self.iter_task_data()
        )

    def drop_queue(self, queue_name: str) -> int:
        """Delete every task of `queue_name` (waiting, delayed, running or finished) with its
        stream entries, records and index entries. Returns how many task records went."""
        client = self.get_client()
        streams = self.broker.stream_keys(queue_name)
        delayed = self.broker.delayed_key(queue_name)
        # The queue's own status index: every task it still has, finished ones included.
        backend_wide = len(self._status_index_keys())
        indexes = self._status_index_keys(queue_name)[backend_wide:]
        task_ids = {
            fields["task_id"]
            for stream in streams
            for _entry, fields in client.xrange(stream)
            if "task_id" in fields
        }
        task_ids.update(client.zrange(delayed, 0, -1))
        for index in indexes:
            task_ids.update(client.zrange(index, 0, -1))
        dropped = sum(1 for task_id in task_ids if self.delete_task_data(task_id))
        client.delete(*streams, delayed, *indexes)
        return dropped
