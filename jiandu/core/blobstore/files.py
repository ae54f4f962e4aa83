"""Django's file storage API over the blob store, so `FileField`s (published evidence) go through
the same door as the vault: `STORAGES["default"]` is `BlobFileStorage`.

A Django name `<folder>/<file>` is the blob `<file>` of the kind whose folder is
`files/<folder>`: with the local backend the file `DATA_DIR/files/<folder>/<file>` (where
Django's FileSystemStorage kept it, so nothing moves), with the S3 backend the object
`<prefix>files/<folder>/<file>`. These are public files the newsroom chose to publish (named by
their hash), so no header is required; names are held to a plain allow-list (letters, digits,
`_`, `-`, one extension), folders to the blob store's (lower-case, no `..`).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible

from jiandu.core.blobstore import BlobError, BlobKind, BlobMissing, BlobStore, get_store
from jiandu.core.blobstore.interfaces import SAFE_NAME

ROOT = "files"


@deconstructible(path="jiandu.core.blobstore.files.BlobFileStorage")
class BlobFileStorage(Storage):
    """Files of `FileField`s as blobs. `location` is accepted only as the data dir's `files`
    folder (what FileSystemStorage was given), so a setting that expects files elsewhere fails
    loudly instead of being ignored."""

    def __init__(self, location: str | None = None) -> None:
        if location is not None and Path(location).resolve() != self._root().resolve():
            raise ImproperlyConfigured(
                f"BlobFileStorage keeps files under JIANDU_DATA_DIR/{ROOT}, not {location}."
            )

    @staticmethod
    def _root() -> Path:
        return Path(settings.DATA_DIR) / ROOT

    def _split(self, name: str) -> tuple[BlobStore, str]:
        folder, _, base = str(name).replace("\\", "/").rpartition("/")
        try:
            kind = BlobKind(folder=f"{ROOT}/{folder}" if folder else ROOT, names=SAFE_NAME.pattern)
            return get_store(kind), kind.check(base)
        except (ValueError, BlobError) as exc:
            raise SuspiciousFileOperation(f"Not a storable file name: {name!r}") from exc

    def _open(self, name: str, mode: str = "rb") -> File:
        if mode != "rb":
            raise ValueError("Stored files are read-only; open them with mode 'rb'.")
        store, base = self._split(name)
        try:
            return File(store.open(base), name)
        except BlobMissing as exc:
            raise FileNotFoundError(name) from exc

    def _save(self, name: str, content: IO[Any]) -> str:
        store, base = self._split(name)
        chunks = (
            content.chunks()
            if hasattr(content, "chunks")
            else iter(lambda: content.read(65536), b"")
        )
        with store.writer(base) as writer:
            for chunk in chunks:
                writer.write(chunk if isinstance(chunk, bytes) else chunk.encode())
            writer.commit()
        return name

    def exists(self, name: str) -> bool:
        store, base = self._split(name)
        return store.exists(base)

    def delete(self, name: str) -> None:
        store, base = self._split(name)
        store.delete([base])

    def size(self, name: str) -> int:
        store, base = self._split(name)
        try:
            return store.size(base)
        except BlobMissing as exc:
            raise FileNotFoundError(name) from exc

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        """The files of one folder (no sub-folders: each folder is its own kind)."""
        store, _ = self._split(f"{path.rstrip('/')}/x" if path else "x")
        return [], sorted(store.names())

    def url(self, name: str | None) -> str:
        raise NotImplementedError("Files are served by the rooms' views, never by URL.")
