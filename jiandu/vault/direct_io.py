"""Writing an upload's ciphertext past the page cache (O_DIRECT), where the file system allows.

An upload is written once and read back much later (by the worker, the journalist), so caching
its pages helps nobody, and producing them is the slowest part of a write on a machine whose
free memory is cold: a virtual machine pays for the first touch of each page the guest hands
to the page cache (here 290 MB/s and 3.4 s of CPU per GiB into cold pages, 1.6 to 4 GB/s into
recycled ones, 1.6 GB/s with O_DIRECT; docs/operations.md, "Where an upload's time goes").
The cached copy also has to be written back before the fsync that acknowledges the upload
can return, and it pushes the pages other work needs out of memory.

`DirectAppender` appends to a file from a given offset: bytes are gathered in a page-aligned
buffer and written in whole blocks through a second, O_DIRECT descriptor on the same file; the
last partial block is written through the ordinary descriptor when the appender is closed, so
the file is exactly as long as what was written and the caller's fsync covers it. The next
appender (the next tus piece) reads that partial block back and goes on from it; Linux keeps
the two kinds of write coherent (a direct write first writes back and drops the cached pages it
overlaps). Where O_DIRECT is refused (tmpfs on older kernels, some network file systems) or a
direct write fails for its alignment, the appender writes through the ordinary descriptor
instead, exactly as before, asking the kernel to start writing back every WRITEBACK_BYTES.

Nothing here changes what is on disk: the same bytes, in the same file, fsynced by the caller
before anything is acknowledged (tests/vault/test_direct_io.py compares them byte for byte).
"""

from __future__ import annotations

import errno
import io
import mmap
import os
import queue
import threading
from pathlib import Path
from typing import BinaryIO

from jiandu.vault import storage

# Offsets, lengths and buffer addresses of direct writes are multiples of this: the largest
# logical block size of common disks (512 and 4096), and the page size (mmap aligns to it).
BLOCK = 4096
# How much is gathered before a direct write (large writes keep the disk busy with few calls),
# and how many such buffers an appender may hold (one being filled, the others being written).
BUFFER_BYTES = 1024 * 1024
BUFFERS = 3
# Buffers kept between appenders (each tus piece has its own): mapping fresh ones for every
# piece cost 768 page faults a piece. At most this many are kept, 1 MiB each.
SPARE_BUFFERS = 8

_spare_lock = threading.Lock()
_spare_buffers: list[mmap.mmap] = []


def _take_buffer() -> mmap.mmap:
    with _spare_lock:
        if _spare_buffers:
            return _spare_buffers.pop()
    return mmap.mmap(-1, BUFFER_BYTES)


def _give_back(buffer: mmap.mmap) -> None:
    with _spare_lock:
        if len(_spare_buffers) < SPARE_BUFFERS:
            _spare_buffers.append(buffer)
            return
    buffer.close()


class DirectAppender(io.RawIOBase):
    """A writable stream appending to `handle`'s file at `offset` (see the module's docstring).

    Full buffers are written by a thread of the appender's own, so the encrypting thread that
    fills them never waits for the disk; at most BUFFERS buffers exist. `handle` must be
    flushed and stay open until `close()`, which waits for the writes, writes the last partial
    block through `handle` and leaves its position at the new end. The caller fsyncs `handle`.
    A failed write is raised by the next `write()` or by `close()`."""

    def __init__(self, path: Path, handle: BinaryIO, offset: int) -> None:
        super().__init__()
        self._handle = handle
        self._fd = handle.fileno()
        self._base = offset - offset % BLOCK  # where the current buffer's first byte goes
        self._direct = _open_direct(path)
        self._error: BaseException | None = None
        self._unflushed = 0
        self._spare: queue.SimpleQueue[mmap.mmap] = queue.SimpleQueue()
        self._made = 1
        self._todo: queue.SimpleQueue[tuple[mmap.mmap, int, int] | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._buffer = _take_buffer()
        self._used = 0
        handle.flush()
        head = offset - self._base
        if head:  # the partial block the last appender left: the buffer starts with it
            got = os.pread(self._fd, head, self._base)
            if len(got) != head:
                self.abandon()
                raise OSError("The file is shorter than its recorded length.")
            self._buffer[:head] = got
            self._used = head

    @property
    def direct(self) -> bool:
        """Whether writes go past the page cache (False: through the ordinary descriptor)."""
        return self._direct is not None

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._base + self._used

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if self._error is not None:
            raise self._error
        source = memoryview(data).cast("B")
        total = len(source)
        while source:
            take = min(len(source), BUFFER_BYTES - self._used)
            self._buffer[self._used : self._used + take] = source[:take]
            self._used += take
            source = source[take:]
            if self._used == BUFFER_BYTES:
                self._hand_over()
        return total

    def _hand_over(self) -> None:
        """Give the buffer's whole blocks to the writing thread; go on in another buffer that
        starts with the partial block."""
        whole = self._used - self._used % BLOCK
        if not whole:
            return
        full, rest = self._buffer, self._used - whole
        self._buffer = self._next_buffer()
        self._buffer[:rest] = full[whole : self._used]
        self._todo.put((full, whole, self._base))
        self._base += whole
        self._used = rest
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_all, name="vault-write", daemon=True)
            self._writer.start()

    def _next_buffer(self) -> mmap.mmap:
        if self._made < BUFFERS:
            self._made += 1
            return _take_buffer()
        return self._spare.get()  # waits for the writing thread: the disk is the slower

    def _write_all(self) -> None:
        while (job := self._todo.get()) is not None:
            buffer, length, offset = job
            if self._error is None:
                try:
                    with memoryview(buffer) as view:
                        self._write_at(view[:length], offset)
                except BaseException as exc:  # raised in the caller's thread
                    self._error = exc
            self._spare.put(buffer)

    def _write_at(self, data: memoryview, offset: int) -> None:
        if self._direct is not None:
            try:
                _write_fully(self._direct, data, offset)
                return
            except OSError as exc:
                if exc.errno != errno.EINVAL:  # EINVAL: this file system wants other alignment
                    raise
                self._close_direct()
        _write_fully(self._fd, data, offset)
        self._unflushed += len(data)
        if self._unflushed >= storage.WRITEBACK_BYTES:
            self._unflushed = 0
            storage.start_writeback(self._handle)

    def _wait(self) -> None:
        if self._writer is not None:
            self._todo.put(None)
            self._writer.join()
            self._writer = None

    def close(self) -> None:
        """Wait for the writes, then write what is left (the last partial block) through the
        ordinary descriptor."""
        if self.closed:
            return
        try:
            self._hand_over()
            self._wait()
            if self._error is not None:
                raise self._error
            if self._used:
                with memoryview(self._buffer) as view:
                    _write_fully(self._fd, view[: self._used], self._base)
            self._handle.seek(self.tell())
        finally:
            self._release()

    def abandon(self) -> None:
        """Close without writing what is buffered (the caller removes or cuts back the file)."""
        if self.closed:
            return
        self._error = self._error or OSError("abandoned")
        self._wait()
        self._release()

    def _release(self) -> None:
        self._close_direct()
        _give_back(self._buffer)
        while not self._spare.empty():
            _give_back(self._spare.get())
        super().close()

    def _close_direct(self) -> None:
        if self._direct is not None:
            os.close(self._direct)
            self._direct = None


def _open_direct(path: Path) -> int | None:
    flag = getattr(os, "O_DIRECT", 0)
    if not flag:
        return None
    try:
        return os.open(path, os.O_WRONLY | flag | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None


def _write_fully(fd: int, data: memoryview, offset: int) -> None:
    while data:
        written = os.pwrite(fd, data, offset)
        if written <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        data = data[written:]
        offset += written
