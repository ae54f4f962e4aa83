"""gunicorn in a real process, with the project's own configuration (jiandu.core.gunicorn_conf):

- a source's refused requests leave nothing in its output (issue 17, item 11): no path, no tus
  upload id, no line at all, while a refusal in the newsroom still logs;
- a client that sends its body one byte a second is cut off within the configured read budget,
  and the server keeps answering others (issue 17, item 12: slow request bodies).
"""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.gunicorn_server import running_gunicorn

READ_SECONDS = 3  # JIANDU_REQUEST_READ_SECONDS for this server: the slow client's budget
THREADS = 2
TUS = {"Tus-Resumable": "1.0.0"}
PATCH_TYPE = "application/offset+octet-stream"
MAKE_READER = (
    "from tests.factories import make_member; from jiandu.vault import actions; "
    "m = make_member(); actions.do_create_member_key(m.user, m.password)"
)


@dataclass
class Server:
    port: int
    log: Path
    proc: subprocess.Popen

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("gunicorn")
    env = dict(
        os.environ,
        JIANDU_DATA_DIR=str(tmp / "data"),
        JIANDU_WORKERS="1",
        JIANDU_THREADS=str(THREADS),
        JIANDU_REQUEST_READ_SECONDS=str(READ_SECONDS),
        JIANDU_LOG_LEVEL="INFO",  # louder than production: nothing may slip through even so
        DJANGO_SETTINGS_MODULE="jiandu.settings",
    )
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        env=env,
        check=True,
        capture_output=True,
        timeout=240,
    )
    # A journalist with a key, made as the product makes one, so that the tip line is open.
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", MAKE_READER],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    log = tmp / "gunicorn.log"
    with running_gunicorn(env, log) as (port, proc):
        yield Server(port, log, proc)


def _ask(
    server: Server, method: str, path: str, headers: dict[str, str] | None = None, body=b""
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
    conn.request(method, path, body=body or None, headers=headers or {})
    answer = conn.getresponse()
    answer.read()
    conn.close()
    return answer


def _browser_session(server: Server) -> tuple[str, str]:
    """(Cookie header, CSRF token) as a browser gets them from the submission page."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
    conn.request("GET", "/en/submit/")
    answer = conn.getresponse()
    page = answer.read().decode()
    conn.close()
    cookies = answer.headers.get_all("Set-Cookie") or []
    cookie = next(c.split(";")[0] for c in cookies if c.startswith("jiandu_session="))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return cookie, token


def _create_upload(server: Server, cookie: str, token: str, length: int) -> str:
    answer = _ask(
        server,
        "POST",
        "/en/upload/",
        {
            **TUS,
            "Cookie": cookie,
            "X-CSRFToken": token,
            "Upload-Length": str(length),
            "Upload-Metadata": "filename YS50eHQ=",
        },
    )
    assert answer.status == 201, answer.status
    return answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


@pytest.mark.timeout(300)
def test_a_sources_refused_requests_leave_no_line(server: Server):
    cookie, token = _browser_session(server)
    upload_id = _create_upload(server, cookie, token, 10)
    before = server.output()
    patch = {**TUS, "Cookie": cookie, "X-CSRFToken": token, "Content-Type": PATCH_TYPE}
    unknown_id = "b" * 32
    statuses = {
        # A submission without its CSRF token, with and without a session.
        "csrf": _ask(server, "POST", "/en/submit/", {"Cookie": cookie}, b"a=1").status,
        "csrf_fresh": _ask(server, "POST", "/en/submit/", {}, b"a=1").status,
        # A piece at the wrong offset of a real upload, a piece for an unknown upload.
        "offset": _ask(
            server, "PATCH", f"/en/upload/{upload_id}/", {**patch, "Upload-Offset": "5"}, b"xyz"
        ).status,
        "unknown": _ask(
            server, "PATCH", f"/en/upload/{unknown_id}/", {**patch, "Upload-Offset": "0"}, b"xy"
        ).status,
        "missing": _ask(server, "GET", "/en/no-such-page-on-the-tip-line/").status,
        "missing_zh": _ask(server, "GET", "/upload/nothing/here/").status,
    }
    assert statuses == {
        "csrf": 403,
        "csrf_fresh": 403,
        "offset": 409,
        "unknown": 404,
        "missing": 404,
        "missing_zh": 404,
    }, statuses
    # A refusal in the newsroom still logs (so this test reads the right output).
    assert _ask(server, "GET", "/en/newsroom/no-such-page/").status == 404
    deadline = time.time() + 10
    while "/en/newsroom/no-such-page/" not in server.output() and time.time() < deadline:
        time.sleep(0.2)
    after = server.output()[len(before) :]
    assert "/en/newsroom/no-such-page/" in after, after
    lines = [line for line in after.splitlines() if "/en/newsroom/no-such-page/" not in line]
    assert lines == [], after
    for secret in (upload_id, unknown_id, "/en/upload/", "/en/submit/", "no-such-page-on-the"):
        assert secret not in server.output(), secret


def _slow_clients(server: Server) -> list[socket.socket]:
    """Two clients whose bodies the tip line reads as they come: a form and a tus piece."""
    cookie, token = _browser_session(server)
    upload_id = _create_upload(server, cookie, token, 1000)
    heads = [
        f"POST /en/submit/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n",
        f"PATCH /en/upload/{upload_id}/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        f"X-CSRFToken: {token}\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
        f"Content-Type: {PATCH_TYPE}\r\nContent-Length: 1000\r\n\r\n",
    ]
    assert len(heads) == THREADS
    clients = []
    for head in heads:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        sock.sendall(head.encode() + b"a")
        clients.append(sock)
    return clients


@pytest.mark.timeout(300)
def test_a_body_sent_one_byte_a_second_is_cut_off(server: Server):
    slow = _slow_clients(server)
    for sock in slow:
        sock.setblocking(False)
    started = time.monotonic()
    answered: dict[int, float] = {}
    closed: dict[int, float] = {}
    # Both threads of the one worker now read a slow body. Feed them a byte a second for up
    # to 4 budgets; each must be answered within its budget, and closed.
    while len(closed) < len(slow) and time.monotonic() - started < 4 * READ_SECONDS + 4:
        time.sleep(1)
        for i, sock in enumerate(slow):
            if i in closed:
                continue
            try:
                sock.send(b"a")
                while sock.recv(4096):
                    answered.setdefault(i, time.monotonic() - started)
                closed[i] = time.monotonic() - started
            except BlockingIOError:
                pass
            except OSError:
                closed[i] = time.monotonic() - started
    for sock in slow:
        sock.close()
    assert len(closed) == len(slow), f"still sending after {time.monotonic() - started:.0f} s"
    # Answered (a refusal) within the budget, plus a second of this loop; closed after
    # gunicorn's graceful close (it lingers up to 2 s for what the client still sends).
    assert len(answered) == len(slow), (answered, closed)
    assert max(answered.values()) <= READ_SECONDS + 1.5, answered
    assert max(closed.values()) <= READ_SECONDS + 4, closed
    # The server answers a normal request at once.
    begun = time.monotonic()
    assert _ask(server, "GET", "/en/").status == 200
    assert time.monotonic() - begun < 5


def test_a_normal_request_is_answered_while_slow_clients_wait(server: Server):
    slow = _slow_clients(server)
    try:
        time.sleep(0.5)
        # The slow clients hold both threads until their budget runs out; a normal request
        # waits at most that long, never for ever.
        begun = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", "/en/")
        assert conn.getresponse().status == 200
        conn.close()
        assert time.monotonic() - begun <= READ_SECONDS + 3
    finally:
        for sock in slow:
            sock.close()
