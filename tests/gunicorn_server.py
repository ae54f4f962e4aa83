"""A real gunicorn with the project's own configuration, on a loopback port, for the tests that
must see what the production server does (its log, its workers, its timeouts)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.core.test_serve import free_port

GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "python:jiandu.core.gunicorn_conf"]


@contextmanager
def running_gunicorn(
    env: dict[str, str], log: Path, *, start_seconds: float = 60
) -> Iterator[tuple[int, subprocess.Popen]]:
    """gunicorn serving on a free port, its stdout and stderr in `log`: (port, process) once
    it answers, stopped on the way out. A server that dies or never answers fails the test with
    its own output."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*GUNICORN, "--bind", f"127.0.0.1:{port}"], env=env, stdout=out, stderr=out
        )
        try:
            deadline = time.time() + start_seconds
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.time() > deadline or proc.poll() is not None:
                        raise AssertionError(log.read_text(errors="replace")) from None
                    time.sleep(0.3)
            yield port, proc
        finally:
            proc.terminate()
            proc.wait(timeout=40)
