"""Resumable uploads: the state behind the tip line's tus 1.0 server (jiandu.tipline.tus).

A file is sent in pieces: `create` opens a `.part` and a stream; each `append` carries the
offset it starts at and is encrypted as it arrives, exactly like the plain path; a dropped
connection costs only the piece in flight, and the client asks where to go on. The stream's
state (its key inside), the item key and the unpushed remainder (under 64 KiB) live in the
session, which is encrypted by the browser's cookie (jiandu.vault.sessions): nothing on disk
opens the `.part`. The session row records the ciphertext length that matches the saved state;
anything a broken request (or a server killed mid-piece) wrote after it is cut off before the
next piece. So a server restart loses nothing that was acknowledged: the session row and the
`.part` both survive it (`jiandu serve` keeps young parts: storage.PART_KEEP_SECONDS).

A piece may carry a checksum (tus's checksum extension): the digest is computed on the bytes as
they are encrypted, and on a mismatch the piece is undone (the saved state is not advanced, the
file is cut back), so nothing of it counts.

When the last byte is in, the stream is finished in the same request: the final chunk written,
fsynced, and the SHA-256 computed by decrypting the `.part` once (a hash's midstate cannot be
saved between requests). The submission form then names the finished uploads; `take` hands
them over as PreparedItems.

An upload lives as long as the session that holds its key: `expires_seconds()` after its last
piece (the source's idle limit). Its `.part` without a session opens nothing; the hourly job
removes parts untouched for storage.PART_KEEP_SECONDS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from django.contrib.sessions.backends.base import SessionBase

from jiandu.vault import conf, crypto, storage
from jiandu.vault.actions import PreparedItem
from jiandu.vault.models import Item
from jiandu.vault.uploads import clean_name

SESSION_KEY = "vault_resumable"
READ_PIECE = 1024 * 1024


# Piece checksums a client may send (tus checksum extension): SHA-256, and SHA-1 because the
# reference Python client (tuspy) sends it unchanged.
CHECKSUMS: dict[str, Callable[[], Any]] = {"sha256": hashlib.sha256, "sha1": hashlib.sha1}


class Readable(Protocol):
    """A request body (Django's HttpRequest reads like a file)."""

    def read(self, size: int = -1, /) -> bytes: ...


class ResumableError(Exception):
    """code: 'too_big', 'too_many', 'disk_full', 'unknown', 'offset', 'broken', 'done',
    'empty', 'checksum' (the piece's digest did not match; nothing of it was kept)."""

    def __init__(self, code: str, offset: int = 0) -> None:
        super().__init__(code)
        self.code = code
        self.offset = offset


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _uploads(session: SessionBase) -> dict[str, dict[str, Any]]:
    return session.setdefault(SESSION_KEY, {})


def expires_seconds() -> int:
    """How long an upload waits for its next piece: as long as the session holding its key."""
    return conf.source_idle_seconds()


def clean_type(content_type: str) -> str:
    """A declared media type fit to store: printable ASCII, no spaces, at most 100 characters
    (it is the sender's claim, never trusted: the sandbox checks what a file really is)."""
    kept = "".join(ch for ch in content_type if "!" <= ch <= "~")[:100]
    return kept or "application/octet-stream"


def create(session: SessionBase, name: str, length: int, content_type: str = "") -> str:
    uploads = _uploads(session)
    if length > conf.max_file_bytes():
        raise ResumableError("too_big")
    if length <= 0:
        raise ResumableError("empty")
    if len(uploads) >= conf.max_files_per_submission():
        raise ResumableError("too_many")
    if storage.free_bytes() - length < conf.min_free_bytes():
        raise ResumableError("disk_full")
    item_key = crypto.random_key()
    part, handle = storage.open_incoming()
    with handle:
        encryptor = crypto.StreamEncryptor(item_key, handle)
        state, pending = encryptor.snapshot()
        handle.flush()
        os.fsync(handle.fileno())
        written = handle.tell()
    storage.settle_part(part)  # file times say the hour only (jiandu.vault.filetimes)
    upload_id = secrets.token_hex(16)
    uploads[upload_id] = {
        "part": part.name,
        "name": clean_name(name),
        "type": clean_type(content_type),
        "length": length,
        "offset": 0,
        "written": written,
        "key": _b64(item_key),
        "state": _b64(state),
        "pending": _b64(pending),
        "version": encryptor.version,
        "done": False,
    }
    session.modified = True
    return upload_id


def get(session: SessionBase, upload_id: str) -> dict[str, Any]:
    upload = _uploads(session).get(upload_id)
    if upload is None:
        raise ResumableError("unknown")
    return upload


def _part_path(upload: dict[str, Any]) -> Path:
    if not storage.PART_NAME.match(upload["part"]):
        raise ResumableError("unknown")
    return storage.incoming_dir() / upload["part"]


def append(
    session: SessionBase,
    upload_id: str,
    offset: int,
    body: Readable,
    size: int,
    checksum: tuple[str, bytes] | None = None,
) -> int:
    """Encrypt `size` bytes read from `body` at `offset`; return the new offset. On a short
    body, keep what was encrypted in whole chunks and report ResumableError('broken'); with a
    `checksum` (algorithm name, digest), keep nothing of a short or mismatching piece. The
    piece that brings the last byte finishes the stream (see `finish`)."""
    upload = get(session, upload_id)
    if upload["done"]:
        raise ResumableError("done", upload["offset"])
    if offset != upload["offset"]:
        raise ResumableError("offset", upload["offset"])
    if offset + size > upload["length"]:
        raise ResumableError("too_big", upload["offset"])
    if storage.free_bytes() - size < conf.min_free_bytes():
        raise ResumableError("disk_full", upload["offset"])
    digest = CHECKSUMS[checksum[0]]() if checksum is not None else None
    path = _part_path(upload)
    with path.open("r+b") as handle:
        handle.truncate(upload["written"])  # cut whatever a broken request left after it
        handle.seek(upload["written"])
        encryptor = _resume(upload, handle)
        remaining, broken = size, False
        while remaining > 0:
            try:
                piece = body.read(min(READ_PIECE, remaining))
            except OSError:  # the connection dropped mid-piece
                piece = b""
            if not piece:
                broken = True
                break
            if digest is not None:
                digest.update(piece)
            encryptor.write(piece)
            remaining -= len(piece)
        if checksum is not None and (
            broken or digest is None or not hmac.compare_digest(digest.digest(), checksum[1])
        ):
            handle.truncate(upload["written"])  # undo the piece: the saved state stays
            storage.settle_part(path)
            raise ResumableError("broken" if broken else "checksum", upload["offset"])
        handle.flush()
        os.fsync(handle.fileno())
        state, pending = encryptor.snapshot()
        upload.update(
            offset=encryptor.plaintext_size,
            written=handle.tell(),
            state=_b64(state),
            pending=_b64(pending),
        )
    storage.settle_part(path)
    session.modified = True
    if broken:
        raise ResumableError("broken", upload["offset"])
    if upload["offset"] == upload["length"]:
        finish(session, upload_id)
    return upload["offset"]


def _resume(upload: dict[str, Any], handle: Any) -> crypto.StreamEncryptor:
    return crypto.StreamEncryptor.resume(
        handle,
        base64.b64decode(upload["state"]),
        base64.b64decode(upload["pending"]),
        upload["offset"],
        version=upload.get("version", 1),  # uploads begun before padding: version 1
    )


def finish(session: SessionBase, upload_id: str) -> dict[str, Any]:
    """Close the stream once every byte is in; record size and SHA-256 (decrypting once)."""
    upload = get(session, upload_id)
    if upload["done"]:
        return upload
    if upload["offset"] != upload["length"]:
        raise ResumableError("offset", upload["offset"])
    path = _part_path(upload)
    with path.open("r+b") as handle:
        handle.truncate(upload["written"])
        handle.seek(upload["written"])
        encryptor = _resume(upload, handle)
        encryptor.finish()
        handle.flush()
        os.fsync(handle.fileno())
    key = base64.b64decode(upload["key"])
    with path.open("rb") as handle:
        sha256, size = crypto.sha256_of(key, handle)
    storage.settle_part(path)
    if size != upload["length"]:
        raise ResumableError("broken", upload["offset"])
    upload.update(done=True, sha256=sha256, state="", pending="")
    session.modified = True
    return upload


def take(session: SessionBase, upload_ids: list[str]) -> list[PreparedItem]:
    """Finished uploads named by the submission form, removed from the session."""
    uploads = _uploads(session)
    prepared = []
    for upload_id in upload_ids:
        upload = uploads.get(upload_id)
        if upload is None or not upload["done"]:
            continue
        del uploads[upload_id]
        meta = {
            "name": upload["name"],
            "size": upload["length"],
            "sha256": upload["sha256"],
            "content_type": upload.get("type", "application/octet-stream"),
        }
        prepared.append(
            PreparedItem(
                kind=Item.Kind.FILE,
                item_key=base64.b64decode(upload["key"]),
                meta=meta,
                part=_part_path(upload),
                receipt={k: meta[k] for k in ("name", "size", "sha256")},
            )
        )
    session.modified = True
    return prepared


def remove(session: SessionBase, upload_id: str) -> None:
    """tus termination: drop one upload (finished or not) and its `.part`."""
    upload = get(session, upload_id)
    storage.discard(_part_path(upload))
    del _uploads(session)[upload_id]
    session.modified = True


def held(session: SessionBase) -> list[dict[str, Any]]:
    """This session's uploads not yet handed to a submission (id, name, length, offset, done),
    for the page to resume after a reload: the state is the server's, not the browser's."""
    return [
        {k: upload[k] for k in ("name", "length", "offset", "done")} | {"id": upload_id}
        for upload_id, upload in _uploads(session).items()
    ]


def discard_all(session: SessionBase) -> None:
    """Drop every unfinished upload of this session (sign-out)."""
    for upload in _uploads(session).values():
        storage.discard(storage.incoming_dir() / upload["part"])
    session.pop(SESSION_KEY, None)
