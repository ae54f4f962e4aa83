"""gunicorn in a real process writes no client address, even for a malformed request (which
its error log names by address at the warning level we keep)."""

import logging
import os
import socket
import sys
import time
from pathlib import Path

import pytest

from jiandu.core.gunicorn_log import REDACTED, QuietSources, RedactAddresses, redact
from tests.gunicorn_server import running_gunicorn

CLIENT = "127.0.0.77"  # the client's own loopback address: it appears nowhere else

MALFORMED = [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    b"G\x00T / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n",
]


def _send(port: int, raw: bytes) -> bytes:
    with socket.socket() as sock:
        sock.bind((CLIENT, 0))
        sock.settimeout(5)
        sock.connect(("127.0.0.1", port))
        sock.sendall(raw)
        try:
            return sock.recv(200)
        except OSError:
            return b""


@pytest.mark.timeout(90)
def test_a_malformed_request_leaves_no_client_address_in_the_log(tmp_path: Path):
    env = dict(
        os.environ,
        JIANDU_DATA_DIR=str(tmp_path / "data"),
        JIANDU_WORKERS="1",
        DJANGO_SETTINGS_MODULE="jiandu.settings",
    )
    env.pop("DATABASE_URL", None)
    log = tmp_path / "gunicorn.log"
    with running_gunicorn(env, log, start_seconds=45) as (port, _proc):
        answers = [_send(port, raw) for raw in MALFORMED]
        time.sleep(1)
    output = log.read_text(errors="replace")
    assert all(a.startswith(b"HTTP/1.1 4") for a in answers), answers
    # The malformed requests were logged (so the test looked at the right place)...
    assert "Invalid request from ip=" + REDACTED in output, output
    # ...and the client's address is nowhere: not in gunicorn's output, not in the data dir.
    assert CLIENT not in output, output
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            assert CLIENT.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(
    "text",
    [
        "Invalid request from ip=203.0.113.7: Invalid HTTP Version",
        "from ip=::1: bad",
        "from ip=2001:db8::8a2e:370:7334: bad",
        "from ip=2001:0db8:85a3:0000:0000:8a2e:0370:7334: bad",
        "from ip=::ffff:198.51.100.4: bad",
        "peer [fe80::1%eth0]:443",
        "connection 192.0.2.1:51234 closed",
    ],
)
def test_addresses_are_redacted(text):
    redacted = redact(text)
    assert REDACTED in redacted
    assert not any(ch.isdigit() for ch in redacted.replace("443", "").replace("51234", "")), (
        redacted
    )


@pytest.mark.parametrize("text", ["Worker timeout (pid:1234)", "at 12:30:45", "gunicorn 27.0.1"])
def test_text_without_addresses_is_kept(text):
    assert redact(text) == text


def test_the_filter_redacts_arguments_and_tracebacks():
    try:
        raise ValueError("peer 198.51.100.4 reset")
    except ValueError:
        record = logging.LogRecord(
            "gunicorn.error",
            logging.ERROR,
            __file__,
            1,
            "from %s",
            ("203.0.113.9",),
            sys.exc_info(),
        )
    RedactAddresses().filter(record)
    formatted = logging.Formatter().format(record)
    assert "203.0.113.9" not in formatted and "198.51.100.4" not in formatted
    assert formatted.startswith("from " + REDACTED) and "peer " + REDACTED in formatted


@pytest.mark.parametrize(
    ("path", "newsroom"),
    [
        ("/newsroom/", True),
        ("/en/newsroom/sources/3/", True),
        ("/zh-hant/newsroom/redaction/items/1/frame/", True),
        ("/", False),
        ("/en/upload/0123456789abcdef0123456789abcdef/", False),
        ("/submit/", False),
        ("/newsroomx/", False),
        ("/en/cases/newsroom/", False),
        ("/upload/newsroom/", False),
        (None, False),
    ],
)
def test_only_the_newsrooms_requests_are_logged(rf, path, newsroom):
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found", (), None
    )
    if path is not None:
        record.request = rf.get(path)
    assert QuietSources().filter(record) is newsroom


def test_request_loggers_without_a_request_and_gunicorns_uri_are_judged_too():
    def record(name: str, msg: str, args: tuple) -> logging.LogRecord:
        return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)

    quiet = QuietSources()
    assert not quiet.filter(record("django.security.csrf", "Forbidden: %s", ("/submit/",)))
    uri = "/en/upload/abc/?x=1"
    assert not quiet.filter(record("gunicorn.error", "Error handling request %s", (uri,)))
    assert not quiet.filter(record("gunicorn.error", "Error handling request %s %s", ("GET", uri)))
    kept = record("gunicorn.error", "Error handling request %s", ("/en/newsroom/x/?a=b",))
    assert quiet.filter(kept)
    assert quiet.filter(record("jiandu.vault", "hourly job done", ()))
    assert quiet.filter(record("gunicorn.error", "Worker timeout (pid:%s)", (12,)))
