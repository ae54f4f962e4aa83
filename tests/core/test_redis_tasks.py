"""The Redis task backend (jiandu.core.redis_tasks) against a real redis-server without
persistence: a worker reads exactly the queues it names, a stopped worker's queue can be
dropped, and a waiting hourly job is seen so it is not scheduled twice."""

import shutil
from datetime import timedelta

import pytest
from django.tasks import task
from django.utils import timezone

from jiandu.core.redis_tasks import RedisTaskBackend
from tests.core.test_throttle import redis_url  # noqa: F401 - the module's Redis server

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server")


@task
def sample(n: int) -> int:
    return n


@pytest.fixture
def backend(redis_url):  # noqa: F811
    backend = RedisTaskBackend(
        "default", {"QUEUES": [], "OPTIONS": {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": "t"}}
    )
    backend.get_client().flushdb()
    yield backend
    backend.get_client().flushdb()


def enqueue(backend, queue_name: str, n: int):
    return backend.enqueue(sample.using(queue_name=queue_name), (n,), {})


def received(backend, queue_name: str | None, worker: str) -> set[str]:
    found = set()
    while messages := backend.broker.receive(queue_name=queue_name, worker_id=worker):
        for message in messages:
            found.add(message.task_id)
            backend.broker.ack(message)
    return found


def test_a_worker_reads_the_shared_queue_and_its_own_and_no_other_workers(backend):
    shared = enqueue(backend, "default", 1).id
    mine = enqueue(backend, "preview-1", 2).id
    theirs = enqueue(backend, "preview-2", 3).id
    assert received(backend, "default,preview-1", "worker-1") == {shared, mine}
    assert received(backend, "default,preview-1", "worker-1") == set()
    assert received(backend, "default,preview-2", "worker-2") == {theirs}


def test_a_worker_without_a_list_reads_the_backends_queues_only(backend):
    shared = enqueue(backend, "default", 1).id
    enqueue(backend, "preview-7", 2)
    assert received(backend, None, "worker-x") == {shared}
    assert received(backend, "", "worker-x") == set()


def test_dropping_a_queue_removes_its_tasks_and_leaves_the_others(backend):
    kept = enqueue(backend, "default", 1).id
    gone = [enqueue(backend, "preview-3", n).id for n in range(3)]
    assert received(backend, "preview-3", "worker-3") == set(gone)  # delivered, not yet run
    backend.run_task(gone[0], worker_id="worker-3")  # finished: out of the stream
    later = timezone.now() + timedelta(hours=1)
    delayed = backend.enqueue(sample.using(queue_name="preview-3", run_after=later), (9,), {}).id
    assert backend.drop_queue("preview-3") == 4
    for task_id in [*gone, delayed]:
        assert backend.get_task_data(task_id) is None
    client = backend.get_client()
    assert not [key for key in client.keys("*") if "preview-3" in key]
    assert backend.get_task_data(kept) is not None
    assert received(backend, "default,preview-3", "worker-3") == {kept}


def test_a_waiting_run_is_seen_until_it_has_run(backend):
    path = sample.module_path
    assert not backend.is_waiting(path)
    result = enqueue(backend, "default", 1)
    assert backend.is_waiting(path)
    assert backend.run_task(result.id, worker_id="w").return_value == 1
    assert not backend.is_waiting(path)


def test_jiandu_task_backend_redis_selects_this_backend_and_its_redis(tmp_path):
    import json
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "JIANDU_DATA_DIR": str(tmp_path),
        "JIANDU_TASK_BACKEND": "redis",
        "JIANDU_REDIS_URL": "redis://127.0.0.1:6390/3",
    }
    code = (
        "import json, django; django.setup(); from django.conf import settings;"
        "from jiandu.core.management.commands.serve import worker_command;"
        "print(json.dumps([settings.TASKS['default'], worker_command()]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    tasks, worker = json.loads(out.stdout.strip().splitlines()[-1])
    assert tasks["BACKEND"] == "jiandu.core.redis_tasks.RedisTaskBackend"
    assert tasks["OPTIONS"]["REDIS_URL"] == "redis://127.0.0.1:6390/3"
    assert tasks["OPTIONS"]["REDIS_COMPLETED_TASK_TTL"] <= 60  # finished tasks' times go soon
    assert worker == ["redis_worker"]


def test_the_database_backend_stays_the_default_with_its_worker(settings):
    from jiandu.core.management.commands.serve import worker_command

    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert worker_command() == ["db_worker", "--interval", "1"]
