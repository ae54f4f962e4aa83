"""Several workers on Redis (JIANDU_TASK_BACKEND=redis): each preview's item key, sealed to one
worker's in-memory key, reaches that worker and is opened there, whichever worker it was handed
to; a worker that stops takes its queue with it. Everything runs in real processes: redis-server
without persistence, two `jiandu redis_worker`s, and the newsroom side (redis_driver.py), on a
SQLite database of their own."""

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.test_throttle import redis_url  # noqa: F401 - a Redis without persistence

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None or shutil.which("bwrap") is None,
    reason="needs redis-server and bubblewrap",
)


@pytest.fixture
def cluster(tmp_path, redis_url):  # noqa: F811
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    data = tmp_path / "cluster"
    data.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jiandu.settings",
        "JIANDU_DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite:///{data / 'jiandu.sqlite3'}",
        "JIANDU_TASK_BACKEND": "redis",
        "JIANDU_REDIS_URL": redis_url,
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run(
        [sys.executable, "-m", "jiandu.cli", "migrate", "-v", "0"],
        cwd=ROOT, env=env, check=True, timeout=300,
    )  # fmt: skip
    workers = []

    def start_worker(name: str) -> subprocess.Popen:
        log = (tmp_path / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "jiandu.cli", "redis_worker"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        workers.append(process)
        return process

    yield env, start_worker, redis.Redis.from_url(redis_url, decode_responses=True)
    for process in workers:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_two_workers_each_open_the_previews_sealed_to_them(cluster, tmp_path):
    env, start_worker, client = cluster
    first, second = start_worker("worker1"), start_worker("worker2")
    driver = subprocess.run(
        [sys.executable, "-m", "tests.forensics.redis_driver", "2", "120"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    logs = "".join(p.read_text() for p in tmp_path.glob("worker*.log"))
    assert driver.returncode == 0, driver.stderr[-3000:] + logs[-3000:]
    outcome = json.loads(driver.stdout.strip().splitlines()[-1])
    workers, previews = outcome["workers"], outcome["previews"]
    assert len(workers) == 2 and len(previews) == 4
    # Handed to both workers in turn, and every one opened where it was sealed.
    assert {worker for _state, worker in previews.values()} == set(workers)
    assert [state for state, _worker in previews.values()] == ["ready"] * 4, logs[-3000:]

    # A worker that stops retires its key and drops its own queue from Redis.
    first.send_signal(signal.SIGTERM)
    first.wait(timeout=60)
    check = subprocess.run(
        [
            sys.executable, "-m", "jiandu.cli", "shell", "-c",
            "from jiandu.forensics.models import WorkerKey;"
            "print(list(WorkerKey.objects.values_list('pk', flat=True)))",
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    remaining = json.loads(check.stdout.strip().splitlines()[-1])
    assert len(remaining) == 1 and remaining[0] in workers, check.stderr[-2000:]
    (gone,) = set(workers) - set(remaining)
    assert not [key for key in client.keys("*") if f"preview-{gone}:" in key]
    assert [key for key in client.keys("*") if f"preview-{remaining[0]}:" in key]
    assert second.poll() is None  # the other worker goes on
    # Nothing a worker wrote to its output says when a task ran (no line per task).
    assert "Processed task" not in logs
