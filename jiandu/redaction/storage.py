"""Encrypted derivatives, kept by the project's blob store (`jiandu.core.blobstore`).

The kind `RENDERS`: names `<random>.jdr` under `renders/`; the store refuses any blob that does
not start with the vault's stream header, so a derivative is only ever written encrypted (under
its render's own key, sealed to the source's public key) until an editor publishes it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from jiandu.core.blobstore import BlobError, BlobKind, BlobStore, get_store
from jiandu.vault import crypto

RENDERS = BlobKind(folder="renders", suffix=".jdr", magic=crypto.MAGIC)


def store() -> BlobStore:
    return get_store(RENDERS)


def write_blob(key: bytes, data: bytes) -> str:
    with store().writer() as writer:
        encryptor = crypto.StreamEncryptor(key, writer)  # type: ignore[arg-type]
        encryptor.write(data)
        encryptor.finish()
        return writer.commit()


def read_blob(key: bytes, name: str) -> Iterator[bytes]:
    with store().open(name) as handle:
        yield from crypto.decrypt_stream(key, handle)


def remove_blobs(names: Iterable[str | None]) -> None:
    with contextlib.suppress(BlobError):
        store().delete([name for name in names if name])
