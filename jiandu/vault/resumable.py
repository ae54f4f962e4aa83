"""Resumable uploads: the state behind the tip line's tus 1.0 server (jiandu.tipline.tus).

A file is sent in pieces: `create` opens a `.part` and a stream; each `append` carries the
offset it starts at and is encrypted as it arrives, exactly like the plain path; a dropped
connection costs only the piece in flight, and the client asks where to go on. The item key
lives in the session, which is encrypted by the browser's cookie (jiandu.vault.sessions). The
progress (offset, ciphertext length, done) and the stream's state (its key inside, and the
unpushed remainder under 64 KiB) live in the upload's `StagedUpload` row, the state encrypted
under a key derived from the item key: nothing on disk or in the database opens the `.part`.
The row records the ciphertext length that matches the saved state; anything a broken request
(or a server killed mid-piece) wrote after it is cut off before the next piece. So a server
restart loses nothing that was acknowledged: the row and the `.part` both survive it
(`jiandu serve` keeps young parts: storage.PART_KEEP_SECONDS).

One piece at a time: a PATCH takes an exclusive lock on the `.part` (flock, so across worker
processes too) without waiting, reads the row again under it and checks the offset again.
Two PATCHes at once (the session's state used to be read before either had written) can no
longer both pass the check and interleave their bytes: the second is answered 409 with the
offset as it stands. The state is in the row rather than the session because the session is
saved whole at the end of every request, so the loser's stale copy would undo the winner's.

What uploads may hold on disk (issue 17): `create` reserves the declared length against the
session's quota (conf.staging_session_bytes, 413) and everyone's together
(conf.staging_total_bytes, 507), counted over the rows under one lock so two creations at once
cannot both take the last room. The reservation is released when the submission takes the
upload, when it is removed, and by the hourly job (`remove_idle_uploads`) once no piece came
for conf.staging_idle_hours whole hours: the session holding its key has ended by then.

A piece may carry a checksum (tus's checksum extension): the digest is computed on the bytes as
they are encrypted, and on a mismatch the piece is undone (the saved state is not advanced, the
file is cut back), so nothing of it counts.

When the last byte is in, the stream is finished in the same request: the final chunk written,
fsynced, and the SHA-256 computed by decrypting the `.part` once (a hash's midstate cannot be
saved between requests). The submission form then names the finished uploads; `take` hands
them over as PreparedItems.

An anonymous visitor's upload lives as long as the session that holds its key:
`expires_seconds()` after its last piece (the source's idle limit). Its `.part` without a
session opens nothing; the hourly job removes it with its row after conf.staging_idle_hours, and
any `.part` no row names (a plain upload cut off by a crash) after storage.PART_KEEP_SECONDS.

Uploads that survive a closed browser (issue 19, item 2). Once the session holds a source's
codename-derived reply key (signed in, or its first submission's codename derived), each of its
unfinished uploads is tied to the source rather than to the session: the row's `owner` becomes a
hash keyed by the source's resume key (jiandu.vault.staging.source_resume_key) and
`sealed_resume` holds the upload's id, name, type, version and item key sealed under it. When
the source signs in again with its codename, `link_source_uploads` finds the rows by that hash,
opens them and puts them back in the new session under their old ids: the page lists them, and
the same file chosen again continues from the row's offset (the encryptor's state was always
the row's). Nothing about the file is kept in the browser. Before a resumed upload takes bytes
in a new session, the client proves it holds the same file: the SHA-256 of its first
`head_length` bytes (recorded, under the item key, from the first piece) in
`Upload-Head-Checksum`; otherwise a different file of the same name and size would be stitched
onto the old one's beginning. Such an upload waits conf.staging_idle_hours whole hours after
the hour of its last piece (`expires_seconds(linked=True)`); signing out removes it, as before.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from jiandu.conf import hour_now
from jiandu.vault import conf, crypto, staging, storage
from jiandu.vault.actions import PreparedItem
from jiandu.vault.direct_io import DirectAppender
from jiandu.vault.models import Item, StagedUpload
from jiandu.vault.uploads import BackgroundEncryptor, clean_name

SESSION_KEY = "vault_resumable"
READ_PIECE = 1024 * 1024
STATE_PURPOSE = b"jd:staged-state"
RECORD_PURPOSE = b"jd:resume-record"
# How much of a file's beginning proves, on resuming in a new session, that it is the same file.
HEAD_BYTES = 64 * 1024


class RunningDigests:
    """The SHA-256 of each upload whose pieces this process took, as far as they go (issue 22).

    A hash's midstate cannot be saved between requests, so the last piece used to decrypt the
    whole `.part` once to hash it: a second pass over every byte. A tus client sends its
    pieces one after the other on one kept-alive connection, which gunicorn keeps in one
    worker process, so that process can carry the digest from piece to piece in memory: keyed
    by the `.part`'s name, with the offset it has reached. A piece that starts where the
    digest stops continues it (on a copy, kept only once the piece is saved); any other (a
    piece another process took, a server restarted meanwhile) finds none, and the upload is
    hashed by decrypting it at the end, as before. Nothing of it is on disk; at most
    MAX_UPLOADS are held (the oldest forgotten first), each a few hundred bytes."""

    MAX_UPLOADS = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._digests: OrderedDict[str, tuple[int, Any]] = OrderedDict()

    def at(self, part: str, offset: int) -> Any | None:
        """A copy of the digest of the upload's first `offset` bytes, or None."""
        if offset == 0:
            return hashlib.sha256()
        with self._lock:
            held = self._digests.get(part)
            if held is None or held[0] != offset:
                return None
            return held[1].copy()

    def keep(self, part: str, offset: int, digest: Any) -> None:
        with self._lock:
            self._digests.pop(part, None)
            self._digests[part] = (offset, digest)
            while len(self._digests) > self.MAX_UPLOADS:
                self._digests.popitem(last=False)

    def forget(self, part: str) -> None:
        with self._lock:
            self._digests.pop(part, None)


RUNNING = RunningDigests()


# Piece checksums a client may send (tus checksum extension): SHA-256, and SHA-1 because the
# reference Python client (tuspy) sends it unchanged.
CHECKSUMS: dict[str, Callable[[], Any]] = {"sha256": hashlib.sha256, "sha1": hashlib.sha1}


class Readable(Protocol):
    """A request body (Django's HttpRequest reads like a file)."""

    def read(self, size: int = -1, /) -> bytes: ...


class ResumableError(Exception):
    """code: 'too_big', 'too_many', 'disk_full', 'unknown', 'offset', 'broken', 'done',
    'empty', 'checksum' (the piece's digest did not match; nothing of it was kept),
    'session_quota' (this session holds too much already), 'staging_full' (everyone's uploads
    together hold the staging quota), 'not_same' (an upload resumed in a new session, and the
    file's beginning is not the one it started with, or was not shown)."""

    def __init__(self, code: str, offset: int = 0) -> None:
        super().__init__(code)
        self.code = code
        self.offset = offset


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _uploads(session: SessionBase) -> dict[str, dict[str, Any]]:
    return session.setdefault(SESSION_KEY, {})


def _box(item_key: bytes) -> SecretBox:
    return SecretBox(crypto.subkey(item_key, STATE_PURPOSE))


def _seal_state(
    item_key: bytes,
    state: bytes,
    pending: bytes,
    sha256: str = "",
    head: dict[str, Any] | None = None,
) -> bytes:
    """The stream's state (and, once known, the SHA-256 of the file's first bytes: `head`,
    {"length", "sha256"}), sealed under a key derived from the item key."""
    plain: dict[str, Any] = {"state": _b64(state), "pending": _b64(pending), "sha256": sha256}
    if head:
        plain["head"] = head
    return bytes(_box(item_key).encrypt(json.dumps(plain).encode()))


def _open_state(item_key: bytes, sealed: bytes) -> dict[str, Any]:
    return json.loads(_box(item_key).decrypt(bytes(sealed)))


def expires_seconds(linked: bool = False) -> int:
    """How long an upload waits for its next piece: an anonymous session's as long as the
    session holding its key; one tied to a source (`linked`) until the hourly job's idle limit
    (at least conf.staging_idle_hours whole hours)."""
    if linked:
        return conf.staging_idle_hours() * 3600
    return conf.source_idle_seconds()


def _record_box(resume_key: bytes) -> SecretBox:
    return SecretBox(crypto.subkey(resume_key, RECORD_PURPOSE))


def _seal_record(resume_key: bytes, upload_id: str, upload: dict[str, Any]) -> bytes:
    """What a later session of the same source needs to continue the upload."""
    fields = ("part", "name", "type", "length", "key", "version")
    plain = {"id": upload_id} | {k: upload[k] for k in fields if k in upload}
    return bytes(_record_box(resume_key).encrypt(json.dumps(plain).encode()))


def is_linked(session: SessionBase) -> bool:
    """Whether this session's uploads are tied to a source (survive a closed browser)."""
    return staging.source_resume_key(session) is not None


def clean_type(content_type: str) -> str:
    """A declared media type fit to store: printable ASCII, no spaces, at most 100 characters
    (it is the sender's claim, never trusted: the sandbox checks what a file really is)."""
    kept = "".join(ch for ch in content_type if "!" <= ch <= "~")[:100]
    return kept or "application/octet-stream"


def create(session: SessionBase, name: str, length: int, content_type: str = "") -> str:
    """Open a new upload of `length` bytes and reserve them against the quotas."""
    uploads = _uploads(session)
    if length > conf.max_file_bytes():
        raise ResumableError("too_big")
    if length <= 0:
        raise ResumableError("empty")
    if len(uploads) >= conf.max_files_per_submission():
        raise ResumableError("too_many")
    if storage.free_bytes() - length < conf.min_free_bytes():
        raise ResumableError("disk_full")
    owner = staging.owner(session)
    resume_key = staging.source_resume_key(session)
    item_key = crypto.random_key()
    upload_id = secrets.token_hex(16)
    with staging.lock():
        refusal = staging.quota_refusal(owner, length)
        if refusal is not None:
            raise ResumableError(refusal)
        part, handle = storage.open_incoming()
        with handle:
            encryptor = crypto.StreamEncryptor(item_key, handle)
            state, pending = encryptor.snapshot()
            handle.flush()
            os.fsync(handle.fileno())
            written = handle.tell()
        storage.settle_part(part)  # file times say the hour only (jiandu.core.filetimes)
        entry = {
            "part": part.name,
            "name": clean_name(name),
            "type": clean_type(content_type),
            "length": length,
            "key": _b64(item_key),
            "version": encryptor.version,
        }
        hour = hour_now()
        with transaction.atomic():
            StagedUpload.objects.create(
                part=part.name,
                owner=owner,
                length=length,
                written=written,
                sealed_state=_seal_state(item_key, state, pending),
                sealed_resume=_seal_record(resume_key, upload_id, entry) if resume_key else b"",
                created_hour=hour,
                touched_hour=hour,
            )
    uploads[upload_id] = entry
    session.modified = True
    return upload_id


def _row(upload: dict[str, Any]) -> StagedUpload | None:
    return StagedUpload.objects.filter(part=upload.get("part", "")).first()


def _view(upload: dict[str, Any], row: StagedUpload) -> dict[str, Any]:
    """The session's entry with the row's progress: what the tus server reads (and, once
    finished, the file's SHA-256, which only the item key opens)."""
    view = upload | {"offset": row.offset, "written": row.written, "done": row.done}
    if row.done:
        view["sha256"] = _open_state(base64.b64decode(upload["key"]), row.sealed_state)["sha256"]
    return view


# What an upload's session entry held before its progress moved to its row.
LEGACY_FIELDS = ("offset", "written", "state", "pending", "done", "sha256")


def _entry(session: SessionBase, upload_id: str) -> dict[str, Any] | None:
    """This session's entry for the upload; one begun before the progress moved to a row (a
    server upgraded while it was sent) gets its row now, from the state in the entry."""
    upload = _uploads(session).get(upload_id)
    if upload is None or "state" not in upload:
        return upload
    if storage.PART_NAME.match(upload.get("part", "")):
        key = base64.b64decode(upload["key"])
        hour = hour_now()
        StagedUpload.objects.get_or_create(
            part=upload["part"],
            defaults={
                "owner": staging.owner(session),
                "length": upload["length"],
                "offset": upload["offset"],
                "written": upload["written"],
                "done": upload["done"],
                "sealed_state": _seal_state(
                    key,
                    base64.b64decode(upload["state"]),
                    base64.b64decode(upload["pending"]),
                    upload.get("sha256", ""),
                ),
                "created_hour": hour,
                "touched_hour": hour,
            },
        )
    for field in LEGACY_FIELDS:
        upload.pop(field, None)
    session.modified = True
    return upload


def get(session: SessionBase, upload_id: str) -> dict[str, Any]:
    upload = _entry(session, upload_id)
    row = _row(upload) if upload is not None else None
    if upload is None or row is None:
        raise ResumableError("unknown")
    return _view(upload, row)


def _part_path(upload: dict[str, Any]) -> Path:
    if not storage.PART_NAME.match(upload["part"]):
        raise ResumableError("unknown")
    return storage.incoming_dir() / upload["part"]


@contextlib.contextmanager
def _locked_part(upload: dict[str, Any]) -> Iterator[tuple[BinaryIO, StagedUpload]]:
    """The `.part` open for writing under an exclusive lock, and the row read again under it.
    Another request holding the lock means another piece is on its way: 409 at once, rather
    than a worker waiting for it."""
    try:
        handle = _part_path(upload).open("r+b")
    except FileNotFoundError as exc:
        raise ResumableError("unknown") from exc
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            row = _row(upload)
            raise ResumableError("offset", row.offset if row else 0) from exc
        row = _row(upload)
        if row is None:
            raise ResumableError("unknown")
        yield handle, row


def _save_progress(row: StagedUpload, **fields: Any) -> None:
    with transaction.atomic():
        if not StagedUpload.objects.filter(pk=row.pk).update(touched_hour=hour_now(), **fields):
            raise ResumableError("unknown")  # removed meanwhile (termination, the hourly job)


def append(
    session: SessionBase,
    upload_id: str,
    offset: int,
    body: Readable,
    size: int,
    checksum: tuple[str, bytes] | None = None,
    head_sha256: bytes | None = None,
) -> int:
    """Encrypt `size` bytes read from `body` at `offset`; return the new offset. On a short
    body, keep what was encrypted in whole chunks and report ResumableError('broken'); with a
    `checksum` (algorithm name, digest), keep nothing of a short or mismatching piece. The
    piece that brings the last byte finishes the stream (see `finish`). The offset is checked
    before and again under the `.part`'s lock. An upload found again in a new session
    (`link_source_uploads`) takes bytes only with `head_sha256`, the SHA-256 of the file's
    first `head_length` bytes, matching the one recorded from its first piece."""
    upload = get(session, upload_id)
    if upload["done"]:
        raise ResumableError("done", upload["offset"])
    if offset != upload["offset"]:
        raise ResumableError("offset", upload["offset"])
    if upload.get("resumed") and not upload.get("verified"):
        _check_head(session, upload_id, upload, head_sha256)
    if offset + size > upload["length"]:
        raise ResumableError("too_big", upload["offset"])
    if storage.free_bytes() - size < conf.min_free_bytes():
        raise ResumableError("disk_full", upload["offset"])
    key = base64.b64decode(upload["key"])
    digest = CHECKSUMS[checksum[0]]() if checksum is not None else None
    path = _part_path(upload)
    with _locked_part(upload) as (handle, row):
        if row.done:
            raise ResumableError("done", row.offset)
        if offset != row.offset:  # another piece got in first
            raise ResumableError("offset", row.offset)
        handle.truncate(row.written)  # cut whatever a broken request left after it
        handle.seek(row.written)
        out = DirectAppender(path, handle, row.written)
        encryptor = _resume(upload, row, key, out)
        head = _open_state(key, row.sealed_state).get("head")
        head_digest = hashlib.sha256() if offset == 0 else None
        # Hashed and encrypted in helper threads while this one reads the next piece.
        running = RUNNING.at(row.part, offset)
        pipeline = BackgroundEncryptor(encryptor, running)
        remaining, broken = size, False
        try:
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
                if head_digest is not None and size - remaining < HEAD_BYTES:
                    head_digest.update(piece[: HEAD_BYTES - (size - remaining)])
                pipeline.write(piece)
                remaining -= len(piece)
        finally:
            pipeline.stop()
            out.close()  # after an error too: the row is not advanced, so it is cut off again
        pipeline.drain()
        if head_digest is not None and size > remaining:  # what of the head came
            head = {"length": min(size - remaining, HEAD_BYTES), "sha256": head_digest.hexdigest()}
        if checksum is not None and (
            broken or digest is None or not hmac.compare_digest(digest.digest(), checksum[1])
        ):
            handle.truncate(row.written)  # undo the piece: the saved state stays
            storage.settle_part(path)
            raise ResumableError("broken" if broken else "checksum", row.offset)
        handle.flush()
        os.fsync(handle.fileno())
        state, pending = encryptor.snapshot()
        new_offset, written = encryptor.plaintext_size, handle.tell()
        _save_progress(
            row,
            offset=new_offset,
            written=written,
            sealed_state=_seal_state(key, state, pending, head=head),
        )
        storage.settle_part(path)
        if running is not None:
            RUNNING.keep(row.part, new_offset, running)
        if broken:
            raise ResumableError("broken", new_offset)
        if new_offset == upload["length"]:
            row.refresh_from_db()
            _finish_locked(upload, row, key, handle)
    return new_offset


def head_length(upload: dict[str, Any]) -> int:
    """How many of the file's first bytes a client hashes to resume this upload in a new
    session (0 while no piece has come: there is nothing to stitch onto)."""
    if upload["offset"] == 0:
        return 0
    head = _open_state(base64.b64decode(upload["key"]), _row_or_unknown(upload).sealed_state)
    return int((head.get("head") or {}).get("length", 0))


def _row_or_unknown(upload: dict[str, Any]) -> StagedUpload:
    row = _row(upload)
    if row is None:
        raise ResumableError("unknown")
    return row


def _check_head(
    session: SessionBase, upload_id: str, upload: dict[str, Any], head_sha256: bytes | None
) -> None:
    """A resumed upload goes on only with the same file: its first bytes' SHA-256 as recorded.
    Once shown, the session's entry says so (later pieces need not repeat it)."""
    row = _row_or_unknown(upload)
    head = _open_state(base64.b64decode(upload["key"]), row.sealed_state).get("head")
    if head and (
        head_sha256 is None or not hmac.compare_digest(bytes.fromhex(head["sha256"]), head_sha256)
    ):
        raise ResumableError("not_same", row.offset)
    _uploads(session)[upload_id]["verified"] = True
    session.modified = True


def link_source_uploads(session: SessionBase) -> int:
    """Tie this session's unfinished uploads to its source, and take back the source's
    uploads a closed browser left behind. Called when the session gets the source's reply
    key (a first submission, a pending codename derived, a sign-in with the codename); does
    nothing without it. Returns how many uploads were taken back.

    Each of the source's rows (found by the keyed `owner` hash) whose sealed record opens is
    put in this session under its old id, marked `resumed` (see `_check_head`); each of this
    session's own rows gets the source's `owner` and a sealed record."""
    resume_key = staging.source_resume_key(session)
    if resume_key is None:
        return 0
    owner = staging.owner(session)
    uploads = _uploads(session)
    for upload_id, upload in list(uploads.items()):
        if storage.PART_NAME.match(upload.get("part", "")):
            StagedUpload.objects.filter(part=upload["part"]).update(
                owner=owner, sealed_resume=_seal_record(resume_key, upload_id, upload)
            )
    taken_back = 0
    known = {upload.get("part") for upload in uploads.values()}
    for row in StagedUpload.objects.filter(owner=owner).exclude(sealed_resume=b""):
        if row.part in known:
            continue
        try:
            record = json.loads(_record_box(resume_key).decrypt(bytes(row.sealed_resume)))
        except (CryptoError, ValueError):
            continue  # not sealed under this key: someone else's row with a colliding hash
        if record.get("part") != row.part:
            continue
        upload_id = record.pop("id")
        uploads[upload_id] = record | {"resumed": True}
        taken_back += 1
    session.modified = True
    return taken_back


def _resume(
    upload: dict[str, Any], row: StagedUpload, key: bytes, handle: Any
) -> crypto.StreamEncryptor:
    saved = _open_state(key, row.sealed_state)
    return crypto.StreamEncryptor.resume(
        handle,
        base64.b64decode(saved["state"]),
        base64.b64decode(saved["pending"]),
        row.offset,
        version=upload.get("version", 1),  # uploads begun before padding: version 1
        # The file's SHA-256 is the running digest (hashed in its own thread, RunningDigests)
        # or, failing that, a decrypting pass at the end: the encryptor's own would be a
        # second SHA-256 of every byte on the encrypting thread, the upload's slowest.
        hashing=False,
    )


def _finish_locked(upload: dict[str, Any], row: StagedUpload, key: bytes, handle: BinaryIO) -> None:
    """Push the last chunks, fsync, and record the SHA-256: the running digest if this process
    took every piece (RunningDigests), else by decrypting the `.part` once. Either way the
    file must be exactly as long as its format says for `row.length` bytes."""
    path = _part_path(upload)
    handle.truncate(row.written)
    handle.seek(row.written)
    out = DirectAppender(path, handle, row.written)
    try:
        encryptor = _resume(upload, row, key, out)
        encryptor.finish()  # the last data, the padding, the length
    finally:
        out.close()
    handle.flush()
    os.fsync(handle.fileno())
    running = RUNNING.at(row.part, row.offset) if row.offset else None
    RUNNING.forget(row.part)
    if running is not None:
        sha256, size = running.hexdigest(), row.offset
    else:
        handle.seek(0)
        sha256, size = crypto.sha256_of(key, handle)
    handle.seek(0, os.SEEK_END)
    storage.settle_part(path)
    if size != row.length or handle.tell() != _stream_size(row.length, encryptor.version):
        raise ResumableError("broken", row.offset)
    _save_progress(
        row, done=True, written=handle.tell(), sealed_state=_seal_state(key, b"", b"", sha256)
    )  # the head is not needed any more: a finished upload takes no bytes


def _stream_size(length: int, version: int) -> int:
    """Bytes on disk of a finished stream of `length` bytes (docs/crypto.md, "Vault stream")."""
    if version == 1:
        chunks = length // crypto.CHUNK_SIZE + 1  # the last, FINAL, may be empty
        return (
            len(crypto.FILE_HEADER) + crypto.STREAM_HEADER_BYTES + length + chunks * crypto.ABYTES
        )
    return crypto.ciphertext_size(length)


def finish(session: SessionBase, upload_id: str) -> dict[str, Any]:
    """Close the stream once every byte is in; record size and SHA-256 (decrypting once)."""
    upload = get(session, upload_id)
    with _locked_part(upload) as (handle, row):
        if not row.done:
            if row.offset != row.length:
                raise ResumableError("offset", row.offset)
            _finish_locked(upload, row, base64.b64decode(upload["key"]), handle)
    return get(session, upload_id)


def take(session: SessionBase, upload_ids: list[str]) -> list[PreparedItem]:
    """Finished uploads named by the submission form, removed from the session; their
    reservations are released (the bytes are the submission's now)."""
    uploads = _uploads(session)
    prepared = []
    for upload_id in upload_ids:
        upload = _entry(session, upload_id)
        row = _row(upload) if upload is not None else None
        if upload is None or row is None or not row.done:
            continue
        key = base64.b64decode(upload["key"])
        sha256 = _open_state(key, row.sealed_state)["sha256"]
        del uploads[upload_id]
        StagedUpload.objects.filter(pk=row.pk).delete()
        meta = {
            "name": upload["name"],
            "size": upload["length"],
            "sha256": sha256,
            "content_type": upload.get("type", "application/octet-stream"),
        }
        prepared.append(
            PreparedItem(
                kind=Item.Kind.FILE,
                item_key=key,
                meta=meta,
                part=_part_path(upload),
                receipt={k: meta[k] for k in ("name", "size", "sha256")},
            )
        )
    session.modified = True
    return prepared


def remove(session: SessionBase, upload_id: str) -> None:
    """tus termination: drop one upload (finished or not), its `.part` and its reservation."""
    upload = _uploads(session).get(upload_id)
    if upload is None:
        raise ResumableError("unknown")
    _discard(upload["part"])
    del _uploads(session)[upload_id]
    session.modified = True


def _discard(part: str) -> None:
    StagedUpload.objects.filter(part=part).delete()
    RUNNING.forget(part)
    if storage.PART_NAME.match(part):
        storage.discard(storage.incoming_dir() / part)


def held(session: SessionBase) -> list[dict[str, Any]]:
    """This session's uploads not yet handed to a submission (id, name, length, offset, done),
    for the page to resume after a reload: the state is the server's, not the browser's."""
    entries = [_entry(session, upload_id) for upload_id in list(_uploads(session))]
    rows = {
        row.part: row
        for row in StagedUpload.objects.filter(
            part__in=[upload.get("part", "") for upload in entries if upload is not None]
        )
    }
    return [
        {k: view[k] for k in ("name", "length", "offset", "done")}
        | {
            "id": upload_id,
            "resumed": bool(upload.get("resumed")),
            "head_length": 0 if view["done"] else head_length(view),
        }
        for upload_id, upload in _uploads(session).items()
        if (row := rows.get(upload.get("part", ""))) is not None
        for view in [_view(upload, row)]
    ]


def discard_all(session: SessionBase) -> None:
    """Drop every upload of this session not yet submitted (sign-out)."""
    for upload in _uploads(session).values():
        _discard(upload.get("part", ""))
    session.pop(SESSION_KEY, None)


def remove_idle_uploads(now_hour: datetime | None = None) -> int:
    """The hourly job's part: remove uploads (row and `.part`) with no piece for
    conf.staging_idle_hours whole hours. Times are hours, so an upload whose last piece came
    at 10:59 counts from 10:00; with the default (the source's idle limit rounded up) its
    session has ended before it goes. Returns how many were removed."""
    cutoff = (now_hour or hour_now()) - timedelta(hours=conf.staging_idle_hours())
    idle = list(StagedUpload.objects.filter(touched_hour__lt=cutoff).values_list("part", flat=True))
    for part in idle:
        _discard(part)
    return len(idle)
