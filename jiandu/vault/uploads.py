"""Receiving files: encrypted chunk by chunk as they arrive, never plaintext on disk.

`EncryptingUploadHandler` replaces Django's upload handlers for the tip line's upload views.
Each file gets a random item key and is written through `crypto.StreamEncryptor` into
`vault/incoming/*.part`, with its SHA-256 and size computed on the way; the plaintext exists
only one network chunk at a time, in memory. Files the limits refuse are skipped (the rest of
the submission is kept) and reported in `handler.problems`; the whole request is always read,
so the browser gets a readable page rather than a connection reset.

`check_request` runs before the body is read: a body larger than any allowed submission, or
files that would go below the free-space floor or past the staging quotas
(jiandu.vault.staging), give a refusal, and `drain` reads and discards the body so the refusal
page reaches the browser. The floor applies to file bytes only: a text-only tip is taken below
it. (Rates are the tip line's business: jiandu.tipline.throttle, which counts
only what was stored.)

File names are whatever the sender's disk or an adversary chose: any length, any characters.
`clean_name` keeps a printable, shortened form (the extension kept), never refuses one.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import queue
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest

from jiandu.vault import conf, crypto, staging, storage
from jiandu.vault.actions import PreparedItem
from jiandu.vault.direct_io import DirectAppender
from jiandu.vault.models import Item

# Check free disk space again after every this many bytes of a file.
DISK_CHECK_BYTES = 64 * 1024 * 1024
MAX_NAME_LENGTH = 200
MAX_EXTENSION_LENGTH = 16


@dataclass
class Problem:
    """A file that was not kept, and why ('empty', 'too_big', 'too_many', 'disk_full')."""

    code: str
    name: str


@dataclass
class SealedUpload:
    """What a finished file becomes in request.FILES: ciphertext on disk, key in memory."""

    name: str
    size: int
    sha256: str
    content_type: str
    item_key: bytes
    part: Path
    closed: bool = field(default=False)

    def close(self) -> None:
        self.closed = True

    def prepared(self) -> PreparedItem:
        meta = {
            "name": self.name,
            "size": self.size,
            "sha256": self.sha256,
            "content_type": self.content_type,
        }
        return PreparedItem(
            kind=Item.Kind.FILE,
            item_key=self.item_key,
            meta=meta,
            part=self.part,
            receipt={"name": self.name, "size": self.size, "sha256": self.sha256},
        )


class BackgroundEncryptor:
    """Hashes in one helper thread and encrypts and writes in another, while the request thread
    reads and parses the next piece of the body: hashlib and libsodium release the GIL, so the
    three overlap (issue 22: one helper thread doing both was the slowest step of an upload).
    Each queue holds at most QUEUE_PIECES pieces (1 MiB each), so memory stays bounded.

    `digest` is the hash the pieces go into, the encryptor's own `sha256` for a plain upload
    (the encryptor made with hashing=False, or every byte would be hashed twice); None hashes
    nothing (a resumable upload whose running digest this process does not hold). The
    encryptor writes to a jiandu.vault.direct_io.DirectAppender, past the page cache."""

    QUEUE_PIECES = 3

    def __init__(
        self,
        encryptor: crypto.StreamEncryptor,
        digest: hashlib._Hash | None,
    ) -> None:
        self.encryptor = encryptor
        self.digest = digest
        self._error: BaseException | None = None
        self._queues: list[queue.Queue[bytes | None]] = []
        self._threads: list[threading.Thread] = []
        self._start("vault-encrypt", self.encryptor.write)
        if self.digest is not None:
            self._start("vault-hash", self.digest.update)

    def _start(self, name: str, consume: Any) -> None:
        pieces: queue.Queue[bytes | None] = queue.Queue(maxsize=self.QUEUE_PIECES)
        thread = threading.Thread(target=self._run, args=(pieces, consume), name=name, daemon=True)
        self._queues.append(pieces)
        self._threads.append(thread)
        thread.start()

    def _run(self, pieces: queue.Queue[bytes | None], consume: Any) -> None:
        while (piece := pieces.get()) is not None:
            if self._error is None:
                try:
                    consume(piece)
                except BaseException as exc:  # reported to the request thread
                    self._error = exc

    def write(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        for pieces in self._queues:
            pieces.put(data)

    def stop(self) -> None:
        """Wait until every queued piece is hashed and written (or dropped after an error)."""
        for pieces, thread in zip(self._queues, self._threads, strict=True):
            if thread.is_alive():
                pieces.put(None)
        for thread in self._threads:
            thread.join()

    def drain(self) -> None:
        """Everything written so far is encrypted and hashed (the stream goes on)."""
        self.stop()
        if self._error is not None:
            raise self._error

    def finish(self) -> None:
        self.drain()
        self.encryptor.finish()


def clean_name(name: str) -> str:
    """A file name fit to store (encrypted) and show: printable, no path, bounded length.

    Control and format characters go (a right-to-left override could make "exe.txt" read as
    "txt.exe"; zero-width characters hide differences), other spaces become plain ones. A name
    longer than MAX_NAME_LENGTH is shortened in the middle, keeping its extension, so the
    journalist still sees what kind of file it is. Django already cut it to its last path
    component."""
    name = unicodedata.normalize("NFC", name)
    name = "".join(
        ch if ch.isprintable() else " " if ch.isspace() else "" for ch in name if ch not in "/\\"
    )
    name = " ".join(name.split()).lstrip(".") or "file"
    if len(name) <= MAX_NAME_LENGTH:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and stem and 0 < len(extension) <= MAX_EXTENSION_LENGTH and extension.isalnum():
        return stem[: MAX_NAME_LENGTH - len(extension) - 2] + "…." + extension
    return name[: MAX_NAME_LENGTH - 1] + "…"


class EncryptingUploadHandler(FileUploadHandler):
    chunk_size = 1024 * 1024  # what Django hands over at a time; encrypted in 64 KiB chunks

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.max_file = conf.max_file_bytes()
        self.max_files = conf.max_files_per_submission()
        self.min_free = conf.min_free_bytes()
        self.problems: list[Problem] = []
        self.parts: list[Path] = []
        self.accepted = 0
        self._part: Path | None = None
        self._handle: BinaryIO | None = None
        self._out: DirectAppender | None = None
        self._encryptor: BackgroundEncryptor | None = None
        self._key = b""
        self._next_disk_check = 0

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        self.file_name = clean_name(file_name)
        if self.accepted >= self.max_files:
            self.problems.append(Problem("too_many", self.file_name))
            raise SkipFile
        if storage.free_bytes() - (self.content_length or 0) < self.min_free:
            self.problems.append(Problem("disk_full", self.file_name))
            raise SkipFile
        self._key = crypto.random_key()
        self._part, self._handle = storage.open_incoming()
        self.parts.append(self._part)
        self._out = DirectAppender(self._part, self._handle, 0)
        stream = crypto.StreamEncryptor(self._key, self._out, hashing=False)
        self._encryptor = BackgroundEncryptor(stream, stream.sha256)
        self._next_disk_check = DISK_CHECK_BYTES

    def _drop_current(self) -> None:
        """Stop the helper thread, close and delete the current `.part`."""
        if self._encryptor is not None:
            with contextlib.suppress(Exception):
                self._encryptor.stop()
        if self._out is not None:
            self._out.abandon()
        if self._handle is not None:
            self._handle.close()
        if self._part is not None:
            storage.discard(self._part)
        self._handle = self._encryptor = self._part = self._out = None

    def _abandon(self, code: str) -> None:
        self.problems.append(Problem(code, self.file_name or ""))
        self._drop_current()
        raise SkipFile

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self._encryptor is None:
            raise SkipFile
        if start + len(raw_data) > self.max_file:
            self._abandon("too_big")
        if start + len(raw_data) >= self._next_disk_check:
            self._next_disk_check += DISK_CHECK_BYTES
            if storage.free_bytes() < self.min_free:
                self._abandon("disk_full")
        self._encryptor.write(raw_data)
        return None

    # request.FILES gets a SealedUpload, not Django's UploadedFile: no plaintext file exists.
    def file_complete(self, file_size: int) -> SealedUpload | None:  # type: ignore[override]
        if self._encryptor is None or self._handle is None or self._part is None:
            return None
        encryptor, handle, part, out = self._encryptor, self._handle, self._part, self._out
        self._handle = self._encryptor = self._part = self._out = None
        try:
            encryptor.finish()
            if out is not None:
                out.close()
            storage.seal_incoming(handle)
        except BaseException:
            if out is not None:
                out.abandon()
            handle.close()
            storage.discard(part)
            raise
        stream = encryptor.encryptor
        if stream.plaintext_size == 0:
            storage.discard(part)
            self.problems.append(Problem("empty", self.file_name or ""))
            return None
        self.accepted += 1
        return SealedUpload(
            name=self.file_name or "",
            size=stream.plaintext_size,
            sha256=stream.sha256.hexdigest(),
            content_type=(self.content_type or "application/octet-stream")[:100],
            item_key=self._key,
            part=part,
        )

    def upload_interrupted(self) -> None:
        """Django's signal that the last file did not finish: drop its `.part` only."""
        self._drop_current()

    def discard_unpublished(self) -> None:
        """Remove every `.part` this request made that was not published (moved into place)."""
        self._drop_current()
        for part in self.parts:
            storage.discard(part)


@dataclass
class Refusal:
    code: str  # 'too_large', 'disk_full', 'session_quota', 'staging_full'
    status: int


def text_allowance() -> int:
    """The most a body without files can be: Django's limit on the fields it keeps in memory
    (a larger text field is refused by Django itself, RequestDataTooBig)."""
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440)


def check_request(request: HttpRequest) -> Refusal | None:
    """Before reading the body: its size against what a submission may be, and the bytes it
    could put on the disk (those past the text allowance: only files are staged) against the
    free-space floor and the staging quotas. A text-only tip is never refused for the disk:
    the floor is there to keep room for exactly that. Files that arrive anyway below the floor
    are skipped one by one by the handler (Problem 'disk_full'), the text kept."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > conf.max_file_bytes() * conf.max_files_per_submission() + 10 * 1024 * 1024:
        return Refusal("too_large", 413)
    file_bytes = max(0, length - text_allowance())
    if file_bytes == 0:
        return None
    if storage.free_bytes() - file_bytes < conf.min_free_bytes():
        return Refusal("disk_full", 507)
    mine = staging.session_staged_bytes(request.session)
    if mine + file_bytes > conf.staging_session_bytes():
        return Refusal("session_quota", 413)
    if staging.staged_bytes() + file_bytes > conf.staging_total_bytes():
        return Refusal("staging_full", 507)
    return None


def release_memory() -> None:
    """Hand freed heap back to the system after an upload (glibc keeps it otherwise), so a
    worker's peak memory is the larger of an upload and a key derivation, not their sum."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def drain(request: HttpRequest) -> None:
    """Read and discard the request body, so the browser sees our answer, not a reset.
    Also after a parse error, which may leave the stream half read (or unreadable)."""
    with contextlib.suppress(Exception):
        while request.read(1024 * 1024):
            pass
