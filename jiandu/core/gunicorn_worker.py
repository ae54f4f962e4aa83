"""gunicorn's threaded worker with a read budget per request, so a slow client cannot hold a thread.

gunicorn's `gthread` worker gives each request a thread and reads the request (headers, then
the body, as the application asks for it) from a blocking socket with no deadline: a client
that sends its body a byte a second holds the thread as long as it likes, and a handful of
such clients stop a worker (issue 17). gunicorn's `timeout` does not help: in `gthread` it is
the worker's heartbeat, which the main loop keeps beating while its threads wait.

`PacedThreadWorker` gives every request a budget: `JIANDU_REQUEST_READ_SECONDS` (default 20)
to start with, plus one second for every `JIANDU_REQUEST_MIN_BYTES_PER_SECOND` bytes received
(default 4 KiB: a 16 MiB tus piece may take 69 minutes, slower than any Tor circuit a source
would keep). Each read waits at most what is left; past it the read fails as a dropped
connection (gunicorn's `NoMoreData`, an `OSError`, which Django turns into an unreadable body
and the views into a refusal), and the connection is closed after the answer. Nothing is
logged: the client of such a request may be a source.

The documented nginx front (docs/operations.md, "nginx and TLS") buffers bodies in memory
for every path that takes no file, so there only the upload paths ever reach this budget.

Reading bodies (issue 22 item 1): a Content-Length body is read by `LengthBody`, with one copy
instead of gunicorn's five, and each worker sets its malloc thresholds at start (`keep_heap`),
so an upload's MiB pieces reuse the same memory rather than fresh pages.

The fast lane (issue 22 item 4): a kept-alive connection whose next request is a plain
anonymous GET of a published page the WSGI application has stored (jiandu.public.pagecache:
`stored_answer`) is answered by the worker's main thread as soon as the socket is readable,
without leaving the poller, waking a thread or building a WSGI request: gthread's hand-over of
each request (poller, thread pool, back to the poller) costs several times what the stored
answer does. Anything else, or anything unexpected in the bytes, goes the usual way with the
bytes read so far given back to the parser. See `fast_request_path` for what counts as plain.
"""

from __future__ import annotations

import ctypes
import os
import re
import socket
import time
from collections.abc import Callable
from typing import Any

import gunicorn.http.wsgi
from gunicorn import util
from gunicorn.http.body import Body, LengthReader
from gunicorn.http.errors import NoMoreData
from gunicorn.http.unreader import SocketUnreader
from gunicorn.workers import gthread

# A plain request: GET, a path of letters, digits and / _ . - only (no query, no escapes: the
# path is what PATH_INFO would be), HTTP/1.1, then header lines without folding or controls.
REQUEST_LINE = re.compile(rb"GET (/[A-Za-z0-9/_.\-]{0,500}) HTTP/1\.1\r\n")
HEADER_LINE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z\-]{1,64}:[\t\x20-\x7e]{0,4096}\r\n")
# Headers that change what the answer would be, or how the connection goes on: any of them,
# and the request goes the usual way.
NOT_PLAIN = frozenset(
    (b"cookie", b"content-length", b"transfer-encoding", b"connection", b"expect", b"upgrade",
     b"authorization", b"range", b"if-range", b"http2-settings", b"te", b"trailer")
)  # fmt: skip
MOST_HEADERS = 64
ANSWERS_BYTES = 16 * 1024 * 1024  # the answers built from the store, kept at most
SEND_SECONDS = 60  # a reader that does not take the rest of a fast answer in this long is cut off


def fast_request_path(data: bytes) -> str | None:
    """The path of `data` when it is exactly one plain request (see REQUEST_LINE, NOT_PLAIN):
    nothing before or after it, every header line well formed; None for anything else."""
    if len(data) > 16384 or not data.endswith(b"\r\n\r\n"):
        return None
    line = REQUEST_LINE.match(data)
    if line is None:
        return None
    position = line.end()
    for _ in range(MOST_HEADERS + 1):
        if data.startswith(b"\r\n", position):
            return line.group(1).decode() if position + 2 == len(data) else None
        header = HEADER_LINE.match(data, position)
        if header is None:
            return None
        name = data[position : data.index(b":", position)].lower()
        if name in NOT_PLAIN:
            return None
        position = header.end()
    return None


def _env_number(name: str, default: float) -> float:
    value = float(os.environ.get(name, "") or default)
    if value <= 0:
        raise ValueError(f"{name} must be positive")
    return value


# glibc's malloc settings (mallopt's parameter numbers) for a worker; see keep_heap.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024
TRIM_THRESHOLD_BYTES = 8 * 1024 * 1024
ARENAS = 2


def keep_heap() -> None:
    """Let a worker's heaps keep the memory an upload's pieces pass through (issue 22).

    An upload is read in MiB pieces that one thread allocates and others free. By default
    glibc hands a heap's free top back to the kernel whenever it passes twice the largest
    block freed so far, so piece after piece lands in pages the kernel must map afresh: about
    130,000 page faults a GiB in the worker, half of them the socket's `recv` filling new
    pages, which on a virtual machine with cold memory cost more than the copy. Fixed
    thresholds keep up to TRIM_THRESHOLD_BYTES free per heap instead, and ARENAS heaps at
    most (one per thread would keep that much for each: the peak rose by 30 to 50 MB); the
    views still hand everything back after an upload (jiandu.vault.uploads.release_memory),
    so the worker's peak is unchanged. Not glibc (musl, another OS): nothing to do."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    mallopt(M_ARENA_MAX, ARENAS)


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


class LengthBody(Body):
    """gunicorn's request body for a Content-Length body, read with one copy (issue 22).

    gunicorn's own `read(size)` passes every byte through two BytesIO buffers and slices them
    (five copies, all holding the GIL): 1.4 to 1.6 s of CPU per GiB against 0.15 s for plain
    `recv` calls on the same socket, measured here. A large upload is read in MiB pieces while
    other threads hash and encrypt, so that was the slowest part of its request thread and kept
    the others waiting for the GIL. This `read(size)` gives what the parser already buffered,
    then the socket's bytes as `recv` returns them (through PacedUnreader, so the read budget
    holds), joined only when one `recv` did not bring all of them. It never reads past the
    body: what a `recv` brings beyond it (a pipelined request) goes back to the unreader, as
    gunicorn does. Everything else (`readline`, chunked and unbounded bodies, anything left in
    the Body's own buffer) goes gunicorn's way."""

    def read(self, size: int | None = None) -> bytes:
        reader = self.reader
        if (
            type(reader) is not LengthReader
            or self.buf.tell()
            or not isinstance(reader.unreader, SocketUnreader)
        ):
            return super().read(size)
        wanted = min(self.getsize(size), reader.length)
        if wanted <= 0:
            return b""
        unreader = reader.unreader
        parts: list[bytes] = []
        have = 0
        while have < wanted:
            chunk = unreader.take_buffered()
            if not chunk:
                try:
                    chunk = unreader.chunk(wanted - have)
                except Exception:
                    self.failed = True
                    raise
                if not chunk:
                    break  # the client closed: a short body, as gunicorn's reader gives it
            if len(chunk) > wanted - have:
                unreader.unread(chunk[wanted - have :])
                chunk = chunk[: wanted - have]
            parts.append(chunk)
            have += len(chunk)
        reader.length -= have
        return parts[0] if len(parts) == 1 else b"".join(parts)


class PacedConn(gthread.TConn):
    """A connection whose parser reads through `PacedUnreader`; `unsent` is the rest of a fast
    answer the socket did not take at once, which a thread sends."""

    budget: ReadBudget
    unsent: bytes = b""

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

    def init_process(self) -> None:
        keep_heap()
        super().init_process()

    def handle(self, conn: gthread.TConn) -> object:
        if type(conn) is gthread.TConn:
            conn.__class__ = PacedConn
        if conn.unsent:
            return self._send_rest(conn)
        conn.budget = ReadBudget(self.read_seconds, self.min_bytes_per_second)
        return super().handle(conn)

    # --- the fast lane --------------------------------------------------------------------

    _stored_answer: Callable[[str], Any] | None = None
    _answers: dict[str, tuple[object, bytes, bytes]]  # path -> (stored entry, status, rest)
    _answers_bytes = 0
    _date: tuple[int, bytes] = (0, b"")

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self._stored_answer = getattr(self.wsgi, "stored_answer", None)
        self._answers = {}

    def on_client_socket_readable(self, conn: PacedConn, client: socket.socket) -> None:
        if (
            self._stored_answer is None
            or not self.alive
            or self.nr + 1 >= self.max_requests  # the last answer closes: the usual way
            or not self._answer_fast(conn)
        ):
            super().on_client_socket_readable(conn, client)

    def _answer_fast(self, conn: PacedConn) -> bool:
        """Answer the request waiting on `conn` here if it is plain and stored; False (with
        whatever was read given back to the parser) to let a thread handle it."""
        unreader = getattr(conn.parser, "unreader", None)
        if unreader is None or unreader.buf.getvalue():
            return False
        try:
            data = conn.sock.recv(16385)
        except (BlockingIOError, InterruptedError):
            return True  # nothing after all: the poller wakes us again
        except OSError:
            return False  # the thread meets the same error and closes
        path = fast_request_path(data) if data else None
        answer = self._answer_bytes(path) if path is not None else None
        if answer is None:
            if data:
                unreader.unread(data)
            return False
        self.nr += 1
        try:
            sent = conn.sock.send(answer)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            sent = len(answer)  # the reader is gone: the poller sees it and a thread closes
        self.keepalived_conns.remove(conn)  # kept alive anew, at the end of the queue
        conn.set_timeout()
        self.keepalived_conns.append(conn)
        if sent < len(answer):
            conn.unsent = answer[sent:]
            return False  # off the poller, to a thread that sends the rest (handle)
        return True

    def _answer_bytes(self, path: str) -> bytes | None:
        """The whole HTTP answer for `path` from the application's store, or None."""
        entry = self._stored_answer(path) if self._stored_answer is not None else None
        if entry is None:
            return None
        kept = self._answers.get(path)
        if kept is None or kept[0] is not entry:
            status, headers, body, _is_page = entry
            names = {name.lower() for name, _ in headers}
            lines = [f"{name}: {value}\r\n" for name, value in headers]
            if "content-length" not in names:
                lines.append(f"Content-Length: {len(body)}\r\n")
            rest = ("".join(lines) + "\r\n").encode("latin-1") + body
            kept = (entry, f"HTTP/1.1 {status}\r\n".encode("latin-1"), rest)
            self._answers_bytes += len(rest)
            if self._answers_bytes > ANSWERS_BYTES:  # bounded, whatever the site's size
                self._answers.clear()
                self._answers_bytes = len(rest)
            self._answers[path] = kept
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, util.http_date(now).encode("latin-1"))
        server = gunicorn.http.wsgi.SERVER.encode("latin-1")
        return b"".join(
            (kept[1], b"Server: ", server, b"\r\nDate: ", self._date[1],
             b"\r\nConnection: keep-alive\r\n", kept[2])
        )  # fmt: skip

    def _send_rest(self, conn: PacedConn) -> bool:
        """In a thread: the rest of a fast answer, then back to the poller (or closed when this
        worker stops)."""
        rest, conn.unsent = conn.unsent, b""
        try:
            conn.sock.settimeout(SEND_SECONDS)
            conn.sock.sendall(rest)
        except OSError:
            return False
        finally:
            conn.sock.settimeout(None)
        return self.alive

    def handle_request(self, req: object, conn: PacedConn) -> bool:
        body = getattr(req, "body", None)
        if type(body) is Body:
            body.__class__ = LengthBody  # it reads a LengthReader's bytes itself, others as before
        keepalive = super().handle_request(req, conn)
        # A request cut off mid-body leaves the rest of it on the socket: close, never reuse.
        return keepalive and not conn.budget.expired
