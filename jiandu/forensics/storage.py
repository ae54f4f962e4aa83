"""Encrypted preview blobs on disk, in their own directory beside the vault's.

`previews/<random>.part` while written, `previews/<random>.jdp` once complete (fsynced, then
renamed, then the directory fsynced), the same discipline as the vault's blobs
(jiandu/vault/storage.py), and like them with file and folder times set to the hour. Every
name is checked against one pattern before it becomes a path.
The content is a vault stream (docs/crypto.md) under the preview's own random key.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from jiandu.core.filetimes import make_dir, open_quietly, settle
from jiandu.vault import crypto
from jiandu.vault.storage import fsync_dir

BLOB_NAME = re.compile(r"\A[0-9a-f]{32}\.jdp\Z")


class PreviewStorageError(Exception):
    """A name outside the allow-list, or a preview blob that is missing."""


def previews_dir() -> Path:
    return make_dir(Path(settings.DATA_DIR) / "previews")


def write_blob(key: bytes, parts: Iterable[bytes]) -> str:
    """Encrypt the parts one after another into a new blob; return its name."""
    token = secrets.token_hex(16)
    part = previews_dir() / f"{token}.part"
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            encryptor = crypto.StreamEncryptor(key, handle)
            for data in parts:
                encryptor.write(data)
            encryptor.finish()
            handle.flush()
            settle(handle.fileno())
            os.fsync(handle.fileno())
        name = f"{token}.jdp"
        os.rename(part, previews_dir() / name)
        settle(previews_dir())
        fsync_dir(previews_dir())
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return name


def blob_path(name: str) -> Path:
    if not BLOB_NAME.match(name):
        raise PreviewStorageError("Not a preview blob name.")
    return previews_dir() / name


def open_blob(name: str) -> BinaryIO:
    try:
        return open_quietly(blob_path(name))
    except FileNotFoundError as exc:
        raise PreviewStorageError("The encrypted preview is missing.") from exc


def remove_blobs(names: Iterable[str | None]) -> None:
    for name in names:
        if name:
            blob_path(name).unlink(missing_ok=True)
    settle(previews_dir())


def clean_leftovers(known: set[str]) -> int:
    """Remove unfinished writes and blobs no row refers to (before the server starts)."""
    removed = 0
    for path in previews_dir().iterdir():
        if path.name.endswith(".part") or path.name not in known:
            path.unlink(missing_ok=True)
            removed += 1
    settle(previews_dir())
    return removed
