"""gunicorn's threaded worker with a read budget per request, so a slow client cannot hold a thread.

gunicorn's `gthread` worker gives each request a thread and reads the request (headers, then
the body, as the application asks for it) from a blocking socket with no deadline: a client
that sends its body a byte a second holds the thread as long as it likes, and a handful of
such clients stop a worker (issue 17). gunicorn's `timeout` does not help: in `gthread` it is
the worker's heartbeat, which the main loop keeps beating while its threads wait.

`PacedThreadWorker` gives every request a budget: `JIANDU_REQUEST_READ_SECONDS` (default 20)
to start with, plus one second for every `JIANDU_REQUEST_MIN_BYTES_PER_SECOND` bytes received
(default 4 KiB: a 5 MiB tus piece may take 21 minutes, slower than any Tor circuit a source
would keep). Each read waits at most what is left; past it the read fails as a dropped
connection (gunicorn's `NoMoreData`, an `OSError`, which Django turns into an unreadable body
and the views into a refusal), and the connection is closed after the answer. Nothing is
logged: the client of such a request may be a source.

The documented nginx front (docs/operations.md, "nginx and TLS") buffers bodies in memory
for every path that takes no file, so there only the upload paths ever reach this budget.
"""

from __future__ import annotations

import os
import time

from gunicorn.http.errors import NoMoreData
from gunicorn.http.unreader import SocketUnreader
from gunicorn.workers import gthread


def _env_number(name: str, default: float) -> float:
    value = float(os.environ.get(name, "") or default)
    if value <= 0:
        raise ValueError(f"{name} must be positive")
    return value


class SlowClient(NoMoreData):
    """The client used up its read budget: handled as a connection it dropped."""


class ReadBudget:
    """What one request may still spend on reading: a start, topped up per byte received."""

    def __init__(self, seconds: float, bytes_per_second: float) -> None:
        self.seconds = seconds
        self.bytes_per_second = bytes_per_second
        self.deadline: float | None = None  # set at the first read: waiting for one is free
        self.expired = False

    def remaining(self) -> float:
        if self.deadline is None:
            self.deadline = time.monotonic() + self.seconds
        return self.deadline - time.monotonic()

    def received(self, count: int) -> None:
        if self.deadline is not None:
            self.deadline += count / self.bytes_per_second

    def expire(self) -> SlowClient:
        self.expired = True
        return SlowClient(b"")


class PacedUnreader(SocketUnreader):
    """gunicorn's socket reader, each `recv` bounded by the request's budget."""

    conn: PacedConn

    def chunk(self, size_hint: int | None = None) -> bytes:
        budget = self.conn.budget
        remaining = budget.remaining()
        if remaining <= 0:
            raise budget.expire()
        self.sock.settimeout(remaining)
        try:
            data = super().chunk(size_hint)
        except TimeoutError:
            raise budget.expire() from None
        finally:
            self.sock.settimeout(None)
        budget.received(len(data))
        return data


class PacedConn(gthread.TConn):
    """A connection whose parser reads through `PacedUnreader`."""

    budget: ReadBudget

    def init(self) -> None:
        super().init()
        unreader = getattr(self.parser, "unreader", None)
        if unreader is not None and type(unreader) is SocketUnreader:
            unreader.__class__ = PacedUnreader
            unreader.conn = self


class PacedThreadWorker(gthread.ThreadWorker):
    """`gthread` with a read budget per request (`worker_class` in jiandu.core.gunicorn_conf)."""

    read_seconds = _env_number("JIANDU_REQUEST_READ_SECONDS", 20)
    min_bytes_per_second = _env_number("JIANDU_REQUEST_MIN_BYTES_PER_SECOND", 4096)

    def handle(self, conn: gthread.TConn) -> object:
        if type(conn) is gthread.TConn:
            conn.__class__ = PacedConn
        conn.budget = ReadBudget(self.read_seconds, self.min_bytes_per_second)
        return super().handle(conn)

    def handle_request(self, req: object, conn: PacedConn) -> bool:
        keepalive = super().handle_request(req, conn)
        # A request cut off mid-body leaves the rest of it on the socket: close, never reuse.
        return keepalive and not conn.budget.expired
