"""Where encrypted blobs live, and how they get there without ever being half-visible.

An upload is written as ciphertext into `vault/incoming/<random>.part` on this machine's disk
(across one request, or several for a resumable upload). Once its last byte is written and
fsynced, `publish` hands it to the project's blob store (`jiandu.core.blobstore`, kind
`BLOBS`): with the local backend an atomic rename into `vault/blobs/<random>.jdv` and an fsync
of both folders; with the S3 backend a multipart upload completed whole, then the part is
removed. The database row that makes the blob visible is committed after that. A crash at any
point leaves a `.part` file, an unfinished upload or a blob no row points to;
`clean_leftovers()` (run by `jiandu serve` before serving) removes them. Every name is checked
against one pattern before it touches a path or a key, and the store refuses anything that
does not start with the vault's stream header.

Every file and folder here has its times set to the hour once a write is done
(`jiandu.core.filetimes`): the disk says in which hour a blob arrived, never the minute.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings

from jiandu.core.blobstore import BlobError, BlobKind, BlobMissing, BlobStore, get_store
from jiandu.core.blobstore.services import PART_NAME
from jiandu.core.filetimes import make_dir, settle
from jiandu.vault import crypto

BLOBS = BlobKind(folder="vault/blobs", suffix=".jdv", staging="vault/incoming", magic=crypto.MAGIC)
BLOB_NAME = BLOBS.pattern


class StorageError(Exception):
    """A blob name that does not match the allow-list, or a blob that is missing."""


def store() -> BlobStore:
    """The vault's blobs in the configured blob store (settings.JIANDU_BLOB_BACKEND)."""
    return get_store(BLOBS)


def vault_dir() -> Path:
    return Path(settings.DATA_DIR) / "vault"


def incoming_dir() -> Path:
    return make_dir(vault_dir() / "incoming")


def blobs_dir() -> Path:
    """Where the local backend keeps the blobs (tests look there)."""
    return make_dir(vault_dir() / "blobs")


def free_bytes() -> int:
    """Free space on the file system that holds the vault."""
    return shutil.disk_usage(vault_dir() if vault_dir().exists() else settings.DATA_DIR).free


def open_incoming() -> tuple[Path, BinaryIO]:
    """A new, exclusive `.part` file (mode 0600) for ciphertext being written."""
    path = incoming_dir() / f"{secrets.token_hex(16)}.part"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    settle(path, path.parent)
    return path, os.fdopen(fd, "wb")


def seal_incoming(handle: BinaryIO) -> None:
    """Flush a finished `.part` file, set its times to the hour, fsync and close it."""
    handle.flush()
    settle(handle.fileno())
    os.fsync(handle.fileno())
    handle.close()


# Start writing a file's pages to disk once this many bytes have been written since the last
# start (issue 22), so that the fsync at the end waits for the last few MiB, not the whole file.
WRITEBACK_BYTES = 4 * 1024 * 1024
_SYNC_FILE_RANGE_WRITE = 2


def _sync_file_range() -> Any:
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):  # not Linux: the final fsync does it all
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_start_writeback = _sync_file_range()


def start_writeback(handle: BinaryIO) -> None:
    """Ask the kernel to begin writing the file's dirty pages (ciphertext) to disk now, without
    waiting for it: Linux otherwise holds up to a tenth of the memory in dirty pages before
    writing any, and an upload's closing fsync then waits for the whole file. The writing
    overlaps the rest of the upload; the fsync that acknowledges it is unchanged."""
    handle.flush()
    if _start_writeback is not None:
        _start_writeback(handle.fileno(), 0, 0, _SYNC_FILE_RANGE_WRITE)


def settle_part(part: Path) -> None:
    """After a piece of a resumable upload is written (or read back): times to the hour."""
    if PART_NAME.match(part.name):
        settle(part)


def publish(part: Path) -> str:
    """Make a finished `.part` file a blob in the store, whole; return the blob's name."""
    if not PART_NAME.match(part.name) or part.parent != incoming_dir():
        raise StorageError("Not an incoming file.")
    try:
        return store().adopt(part)
    except BlobError as exc:
        raise StorageError("The file could not be stored.") from exc


def blob_path(name: str) -> Path:
    """Where the local backend keeps a blob (tests look there; the rooms use the store)."""
    if not BLOB_NAME.match(name):
        raise StorageError("Not a blob name.")
    return blobs_dir() / name


def blob_size(name: str) -> int:
    """A blob's length in bytes (its Padmé bucket, not the file's size)."""
    try:
        return store().size(name)
    except BlobMissing as exc:
        raise StorageError("The encrypted file is missing from the vault.") from exc
    except BlobError as exc:
        raise StorageError("Not a blob name.") from exc


def open_blob(name: str) -> BinaryIO:
    """The blob's ciphertext as a stream (locally read without an access time: a source reads
    its replies)."""
    try:
        return store().open(name)
    except BlobMissing as exc:
        raise StorageError("The encrypted file is missing from the vault.") from exc
    except BlobError as exc:
        raise StorageError("Not a blob name.") from exc


def remove_blobs(names: Iterable[str]) -> None:
    try:
        store().delete(list(names))
    except BlobError as exc:
        raise StorageError("Not a blob name.") from exc


def discard(part: Path) -> None:
    if PART_NAME.match(part.name):
        part.unlink(missing_ok=True)
        settle(part.parent)


# A `.part` untouched this long is an abandoned upload (a resumable upload's key is in a
# session that lives far shorter; file times say the hour only, hence the margin).
PART_KEEP_SECONDS = 24 * 3600


def clean_stale_parts(max_age_seconds: int) -> int:
    """Remove `.part` files (and unfinished uploads to the store) untouched for longer than
    `max_age_seconds` (abandoned resumable uploads); safe while the server runs, unlike
    `clean_leftovers`."""
    return store().clean_unfinished(max_age_seconds)


def clean_leftovers(known: set[str], keep_parts_seconds: int = 0) -> tuple[int, int]:
    """Remove `.part` files (those untouched for `keep_parts_seconds`, or all) and every blob
    no row refers to. Returns (parts, orphans).

    Only safe while nothing is uploading: `jiandu serve` runs it before the server starts,
    keeping young parts, since a resumable upload goes on after a restart (its state is in the
    source's session).
    """
    blobs = store()
    parts = blobs.clean_unfinished(keep_parts_seconds or None)
    orphans = [name for name in blobs.names() if name not in known]
    blobs.delete(orphans)
    return parts, len(orphans)
