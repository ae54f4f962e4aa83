"""jiandu.core.gunicorn_worker.LengthBody: a Content-Length body read with one copy, exactly as
gunicorn's own reader would give it (issue 22): the same bytes whatever the read sizes, nothing
taken from a pipelined request behind it, a short body when the client stops, and gunicorn's
way for everything it does not handle."""

from __future__ import annotations

import hashlib
import random
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from gunicorn.http.body import EOFReader, LengthReader
from gunicorn.http.unreader import SocketUnreader

from jiandu.core.gunicorn_worker import LengthBody
from tests.core.test_fast_lane import Client, server  # noqa: F401  (the fixture)

ROOT = Path(__file__).resolve().parents[2]


def _random_bytes(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)  # noqa: S311  (reproducible test bytes)


def _body(data: bytes, length: int, buffered: bytes = b"", close: bool = True):
    """A LengthBody over a socket that receives `data` (sent from a thread), with `buffered`
    already read ahead by the parser."""
    ours, theirs = socket.socketpair()

    def send() -> None:
        theirs.sendall(data)
        if close:
            theirs.close()

    threading.Thread(target=send, daemon=True).start()
    unreader = SocketUnreader(ours)
    if buffered:
        unreader.unread(buffered)
    return LengthBody(LengthReader(unreader, length)), unreader, theirs


@pytest.mark.parametrize("step", [1, 7, 4096, 65536, 1 << 20, 5 << 20])
def test_every_read_size_gives_the_body_and_nothing_after_it(step):
    body_bytes = _random_bytes(step, 3 * 1024 * 1024 + 11)
    after = b"GET /next HTTP/1.1\r\n\r\n"
    head, rest = body_bytes[:500], body_bytes[500:]
    body, unreader, _ = _body(rest + after, len(body_bytes), buffered=head)
    got = []
    while data := body.read(step):
        assert len(data) <= step
        got.append(data)
    assert b"".join(got) == body_bytes
    assert body.read(step) == b""
    assert unreader.read(len(after)) == after  # the next request is still there, whole


def test_read_without_a_size_takes_the_rest_of_the_body():
    body, _, _ = _body(b"abcdef" + b"NEXT", 6)
    assert body.read(2) == b"ab"
    assert body.read() == b"cdef"
    assert body.read() == b""


def test_a_client_that_stops_early_gives_a_short_body():
    body, _, _ = _body(b"x" * 1000, 5000)
    assert body.read(4000) == b"x" * 1000
    assert body.read(4000) == b""


def test_readline_goes_gunicorns_way_and_reads_go_on_after_it():
    body, _, _ = _body(b"line one\nline two\nrest", 23)
    assert body.readline() == b"line one\n"
    assert body.read(9) == b"line two\n"  # from gunicorn's buffer, through its own read
    assert body.read() == b"rest"


def test_other_readers_are_gunicorns():
    """A body without a length (read to the end of the connection) goes gunicorn's way."""
    ours, theirs = socket.socketpair()
    theirs.sendall(b"hello world")
    theirs.close()
    body = LengthBody(EOFReader(SocketUnreader(ours)))
    assert body.read(5) == b"hello"
    assert body.read(100) == b" world"
    assert body.read(100) == b""


@pytest.mark.parametrize("step", [1000, 65536, 1 << 20])
def test_a_real_worker_reads_bodies_through_it(server, step):  # noqa: F811
    """Two requests with bodies, pipelined on one kept-alive connection."""
    client = Client(server)
    try:
        first = _random_bytes(1, 5 * 1024 * 1024 + 3)
        second = b"second body"
        request = b"POST /echo?%d HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
        client.send(request % (step, len(first)) + first + request % (step, len(second)) + second)
        for sent in (first, second):
            status, _headers, answer = client.answer()
            assert status.endswith("200 OK")
            length, digest, kind = answer.decode().split()
            assert (int(length), digest) == (len(sent), hashlib.sha256(sent).hexdigest())
            assert kind == "LengthBody"
    finally:
        client.close()


HEAP_CHURN = """
import queue, resource, sys, threading
if sys.argv[1] == "keep":
    from jiandu.core.gunicorn_worker import keep_heap
    keep_heap()
pieces = queue.Queue(maxsize=3)
def consume():
    while pieces.get() is not None:
        pass
def produce():
    for i in range(300):
        pieces.put(b"\\1" * (1 << 20) + bytes([i % 256]))
    pieces.put(None)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(2):
    threads = [threading.Thread(target=consume), threading.Thread(target=produce)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_a_workers_heap_keeps_the_memory_pieces_pass_through():
    """MiB pieces made by one thread and freed by another, as an upload's are: with the
    worker's malloc settings they reuse the same memory; glibc's defaults map it afresh for
    nearly every piece (about 256 page faults each)."""

    def faults(mode: str) -> int:
        result = subprocess.run(
            [sys.executable, "-c", HEAP_CHURN, mode],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )  # fmt: skip
        return int(result.stdout)

    if sys.platform != "linux":
        pytest.skip("glibc's malloc only")
    kept, default = faults("keep"), faults("default")
    assert kept < 600 * 256 / 10, (kept, default)
    assert default > 2 * kept, (kept, default)
