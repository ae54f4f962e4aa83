"""`jiandu serve` in a real process: migrates, serves the three pages with the headers, writes
no client address anywhere, and stops cleanly."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_runs_the_three_pages(tmp_path: Path):
    port = free_port()
    env = dict(os.environ, JIANDU_DATA_DIR=str(tmp_path / "data"), JIANDU_WORKERS="1")
    env.pop("DATABASE_URL", None)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jiandu.cli", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.time() + 60
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                    break
                except OSError:
                    if time.time() > deadline or proc.poll() is not None:
                        raise AssertionError(log.read_text()) from None
                    time.sleep(0.5)
            printed_before = log.read_text()
            for path in ("/", "/newsroom/", "/cases/", "/en/cases/"):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as response:
                    assert response.status == 200
                    headers = response.headers
                    assert "default-src 'self'" in headers["Content-Security-Policy"]
                    assert headers["Referrer-Policy"] == "no-referrer"
                    assert headers["Server"] == "jiandu"
            time.sleep(0.5)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=40)
    output = log.read_text()
    assert f"http://127.0.0.1:{port}/newsroom/" in output
    # Nothing was logged for the requests: no access log, so no address.
    assert output[len(printed_before) :].count("127.0.0.1") == 0
    data_files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o777 == 0o600
    for path in data_files:
        if path.suffix in {".sqlite3", ".log"} or path.name.endswith("-wal"):
            assert b"127.0.0.1" not in path.read_bytes(), path
