"""Where encrypted blobs live on disk, and how they get there without ever being half-visible.

Layout under the data dir: `vault/incoming/<random>.part` while an upload is being written,
`vault/blobs/<random>.jdv` once complete. A blob is moved into `blobs/` only after its last
byte is written and fsynced, by an atomic rename followed by an fsync of the directory; the
database row that makes it visible is committed after that. A crash at any point leaves either
a `.part` file or a blob no row points to; `clean_leftovers()` (run by `jiandu serve` before
serving) removes both. Every name is checked against one pattern before it touches a path.

Every file and folder here has its times set to the hour once a write is done
(`jiandu.core.filetimes`): the disk says in which hour a blob arrived, never the minute.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from jiandu.core.filetimes import make_dir, open_quietly, settle

BLOB_NAME = re.compile(r"\A[0-9a-f]{32}\.jdv\Z")
PART_NAME = re.compile(r"\A[0-9a-f]{32}\.part\Z")


class StorageError(Exception):
    """A blob name that does not match the allow-list, or a blob that is missing."""


def vault_dir() -> Path:
    return Path(settings.DATA_DIR) / "vault"


def incoming_dir() -> Path:
    return make_dir(vault_dir() / "incoming")


def blobs_dir() -> Path:
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


def settle_part(part: Path) -> None:
    """After a piece of a resumable upload is written (or read back): times to the hour."""
    if PART_NAME.match(part.name):
        settle(part)


def publish(part: Path) -> str:
    """Atomically move a finished `.part` file into `blobs/`; return the blob's name."""
    if not PART_NAME.match(part.name) or part.parent != incoming_dir():
        raise StorageError("Not an incoming file.")
    name = f"{part.stem}.jdv"
    os.rename(part, blobs_dir() / name)
    settle(blobs_dir() / name, blobs_dir(), incoming_dir())
    fsync_dir(blobs_dir())
    fsync_dir(incoming_dir())
    return name


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (the forensics room's previews use it too)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def blob_path(name: str) -> Path:
    if not BLOB_NAME.match(name):
        raise StorageError("Not a blob name.")
    return blobs_dir() / name


def open_blob(name: str) -> BinaryIO:
    try:
        return open_quietly(blob_path(name))  # no access time: a source reads its replies
    except FileNotFoundError as exc:
        raise StorageError("The encrypted file is missing from the vault.") from exc


def remove_blobs(names: Iterable[str]) -> None:
    for name in names:
        blob_path(name).unlink(missing_ok=True)
    settle(blobs_dir())


def discard(part: Path) -> None:
    if PART_NAME.match(part.name):
        part.unlink(missing_ok=True)
        settle(part.parent)


# A `.part` untouched this long is an abandoned upload (a resumable upload's key is in a
# session that lives far shorter; file times say the hour only, hence the margin).
PART_KEEP_SECONDS = 24 * 3600


def clean_stale_parts(max_age_seconds: int) -> int:
    """Remove `.part` files untouched for longer than `max_age_seconds` (abandoned resumable
    uploads); safe while the server runs, unlike `clean_leftovers`."""
    import time

    removed = 0
    cutoff = time.time() - max_age_seconds
    for path in incoming_dir().iterdir():
        if PART_NAME.match(path.name) and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    settle(incoming_dir())
    return removed


def clean_leftovers(known: set[str], keep_parts_seconds: int = 0) -> tuple[int, int]:
    """Remove `.part` files (those untouched for `keep_parts_seconds`, or all) and every blob
    no row refers to. Returns (parts, orphans).

    Only safe while nothing is uploading: `jiandu serve` runs it before the server starts,
    keeping young parts, since a resumable upload goes on after a restart (its state is in the
    source's session).
    """
    import time

    parts = orphans = 0
    cutoff = time.time() - keep_parts_seconds
    for path in incoming_dir().iterdir():
        if keep_parts_seconds and PART_NAME.match(path.name) and path.stat().st_mtime >= cutoff:
            continue
        path.unlink(missing_ok=True)
        parts += 1
    for path in blobs_dir().iterdir():
        if path.name not in known:
            path.unlink(missing_ok=True)
            orphans += 1
    settle(incoming_dir(), blobs_dir())
    return parts, orphans
