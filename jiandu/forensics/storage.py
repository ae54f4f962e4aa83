"""Encrypted preview blobs, kept by the project's blob store (`jiandu.core.blobstore`).

The kind `PREVIEWS`: names `<random>.jdp`, under `previews/` (a folder in the data dir with the
local backend: `.part` while written, then fsynced, renamed and the folder fsynced, times to
the hour; a key prefix with the S3 backend: a multipart upload completed whole). Every name
is checked against the kind's pattern before it becomes a path or a key, and the store refuses
any blob that does not start with the vault's stream header: a preview leaves the worker only
encrypted. The content is a vault stream (docs/crypto.md) under the preview's own random key.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from jiandu.core.blobstore import BlobError, BlobKind, BlobMissing, BlobStore, get_store
from jiandu.vault import crypto

PREVIEWS = BlobKind(folder="previews", suffix=".jdp", magic=crypto.MAGIC)
BLOB_NAME = PREVIEWS.pattern


class PreviewStorageError(Exception):
    """A name outside the allow-list, or a preview blob that is missing."""


def store() -> BlobStore:
    return get_store(PREVIEWS)


def previews_dir() -> Path:
    """Where the local backend keeps previews (tests look there)."""
    return Path(settings.DATA_DIR) / PREVIEWS.folder


def write_blob(key: bytes, parts: Iterable[bytes]) -> str:
    """Encrypt the parts one after another into a new blob; return its name."""
    with store().writer() as writer:
        encryptor = crypto.StreamEncryptor(key, writer)  # type: ignore[arg-type]
        for data in parts:
            encryptor.write(data)
        encryptor.finish()
        return writer.commit()


def open_blob(name: str) -> BinaryIO:
    try:
        return store().open(name)
    except BlobMissing as exc:
        raise PreviewStorageError("The encrypted preview is missing.") from exc
    except BlobError as exc:
        raise PreviewStorageError("Not a preview blob name.") from exc


def remove_blobs(names: Iterable[str | None]) -> None:
    try:
        store().delete([name for name in names if name])
    except BlobError as exc:
        raise PreviewStorageError("Not a preview blob name.") from exc


def clean_leftovers(known: set[str]) -> int:
    """Remove unfinished writes and blobs no row refers to (before the server starts)."""
    previews = store()
    removed = previews.clean_unfinished()
    orphans = [name for name in previews.names() if name not in known]
    previews.delete(orphans)
    return removed + len(orphans)
