"""The web worker's fast lane (jiandu.core.gunicorn_worker, issue 22 item 4): a kept-alive
connection's plain anonymous GET of a stored page is answered by the worker's main thread;
every other request, and every unexpected byte, goes the usual way with nothing lost or
reordered. Against a real gunicorn with the project's settings and worker, and a stand-in
application (tests/core/fastlane_app.py) whose answers say which way they came."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jiandu.core.gunicorn_worker import fast_request_path

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]
PLAIN = b"GET /cases/a/ HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /cases/a/?q=1 HTTP/1.1\r\nHost: x\r\n\r\n",  # a query
        b"GET /cases/%61/ HTTP/1.1\r\nHost: x\r\n\r\n",  # an escape
        b"GET /cases/a/ HTTP/1.0\r\nHost: x\r\n\r\n",
        b"HEAD /cases/a/ HTTP/1.1\r\nHost: x\r\n\r\n",
        b"get /cases/a/ HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /cases/a/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        b"GET /cases/a/ HTTP/1.1\r\nCookie: jiandu_session=a\r\n\r\n",
        b"GET /cases/a/ HTTP/1.1\r\ncOOkie: x\r\n\r\n",
        b"GET /cases/a/ HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        b"GET /cases/a/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"GET /cases/a/ HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"GET /cases/a/ HTTP/1.1\r\nRange: bytes=0-1\r\n\r\n",
        b"GET /cases/a/ HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",  # obsolete line folding
        b"GET /cases/a/ HTTP/1.1\r\nHost: x\x00y\r\n\r\n",
        b"GET /cases/a/ HTTP/1.1\r\nHost: \xe4\r\n\r\n",
        b"GET /cases/a/ HTTP/1.1\nHost: x\n\n",  # bare line feeds
        b"GET /cases/a/ HTTP/1.1\r\nHost x\r\n\r\n",
        b"GET /cases/a/ HTTP/1.1\r\nHost: x\r\n",  # not all there yet
        PLAIN + PLAIN,  # pipelined
        PLAIN + b"G",
        b"GET /cases/a/ HTTP/1.1\r\n" + b"X-A: b\r\n" * 65 + b"\r\n",
        b"GET /" + b"a" * 600 + b" HTTP/1.1\r\n\r\n",
        b"",
    ],
)
def test_anything_but_one_plain_request_goes_the_usual_way(request_bytes):
    assert fast_request_path(request_bytes) is None


def test_a_plain_request_is_recognised():
    assert fast_request_path(PLAIN) == "/cases/a/"
    assert fast_request_path(b"GET /en/cases/a-b_c.json HTTP/1.1\r\n\r\n") == "/en/cases/a-b_c.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    env = dict(os.environ, JIANDU_WORKERS="1", JIANDU_THREADS="2")
    env["JIANDU_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:jiandu.core.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}", "tests.core.fastlane_app:application"],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        if time.monotonic() > deadline or proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode() if proc.stderr else "no start")
        time.sleep(0.2)
    yield port
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


class Client:
    """One kept-alive connection, reading answers by their Content-Length."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.buffer = bytearray()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def answer(self) -> tuple[str, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        head, rest = bytes(self.buffer).split(b"\r\n\r\n", 1)
        self.buffer = bytearray(rest)
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        length = int(headers["content-length"])
        while len(self.buffer) < length:
            self._more()
        body, self.buffer = bytes(self.buffer[:length]), self.buffer[length:]
        return lines[0], headers, body

    def _more(self) -> None:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise AssertionError("connection closed")
        self.buffer += chunk

    def get(self, path: str, extra: bytes = b"") -> tuple[str, dict[str, str], bytes]:
        self.send(f"GET {path} HTTP/1.1\r\nHost: x\r\n".encode() + extra + b"\r\n")
        return self.answer()

    def close(self) -> None:
        self.sock.close()


def settle() -> None:
    time.sleep(0.3)  # the connection is back on the poller: the next request is "readable"


def test_a_stored_page_is_answered_by_the_fast_lane_as_the_application_would(server):
    client = Client(server)
    first = client.get("/cases/one/")
    settle()
    second = client.get("/cases/one/")
    client.close()
    assert first[1].pop("x-way") == "wsgi"
    assert second[1].pop("x-way") == "fast"
    assert first[0] == second[0] == "HTTP/1.1 200 OK"
    first[1].pop("date"), second[1].pop("date")
    assert first[1] == second[1]  # Server, Connection, the application's headers
    assert first[2] == second[2]


def test_what_is_not_plain_or_not_stored_reaches_the_application(server):
    client = Client(server)
    client.get("/cases/two/")
    for path, extra in [
        ("/cases/two/?q=1", b""),
        ("/cases/two/", b"Cookie: jiandu_session=abc\r\n"),
        ("/cases/never-asked/", b""),
        ("/other/", b""),
    ]:
        settle()
        status, headers, _body = client.get(path, extra)
        assert (status, headers["x-way"]) == ("HTTP/1.1 200 OK", "wsgi"), path
    client.close()


def test_pipelined_and_split_requests_are_answered_in_order(server):
    client = Client(server)
    client.get("/cases/three/")
    settle()
    client.send(b"GET /cases/three/ HTTP/1.1\r\n\r\nGET /cases/four/ HTTP/1.1\r\n\r\n")
    assert re.search(rb"^page /cases/three/", client.answer()[2])
    assert re.search(rb"^page /cases/four/", client.answer()[2])
    settle()
    client.send(b"GET /cases/three/ HT")
    settle()
    client.send(b"TP/1.1\r\nHost: x\r\n\r\n")
    assert client.answer()[2].startswith(b"page /cases/three/")
    settle()
    assert client.get("/cases/three/")[1]["x-way"] == "fast"  # still in the lane after that
    client.close()


def test_an_answer_larger_than_the_socket_takes_at_once_arrives_whole(server):
    client = Client(server)
    client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    whole = client.get("/cases/big/")[2]
    settle()
    client.send(b"GET /cases/big/ HTTP/1.1\r\n\r\n")
    time.sleep(0.5)  # the reader is slow: the worker's send takes only part
    _status, headers, body = client.answer()
    assert headers["x-way"] == "fast" and body == whole and len(body) == 8_000_000
    settle()
    assert client.get("/cases/one/")[2].startswith(b"page /cases/one/")  # the connection goes on
    client.close()
