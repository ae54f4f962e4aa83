"""What uploads on their way in may hold on this machine's disk (issue 17, item 4).

A resumable upload reserves its declared length when it is created (jiandu.vault.resumable,
one `StagedUpload` row each); a plain upload's body is counted while it is read
(jiandu.vault.uploads.check_request). Two quotas: one session's (conf.staging_session_bytes,
answered 413: this source sends too much at once) and everyone's together
(conf.staging_total_bytes, answered 507: the tip line holds too much for anyone right now).
Before them, an anonymous visitor could open uploads from fresh sessions until the free-space
floor, which then turned every source away for a day; now a flood is capped in bytes, and the
hourly job frees what goes idle.

The check and the reservation happen under one lock (a file lock in the vault folder, so
across worker processes), so two creations at once cannot both take the last room.

Rows are tied together per session by `owner`: a hash of a random token kept in the (cookie
encrypted) session, which leads to no session row and no source. Once the session holds a
source's codename-derived reply key, `owner` is a keyed hash under a key derived from that
(`source_resume_key`): the same for every session of that source, so that a session signed in
again after a closed browser finds its unfinished uploads (jiandu.vault.resumable), and the
quota counts what the source holds across its sessions. Without the codename (an Argon2id
derivation with the server's pepper) the hash leads to no source. The admins' page sees only
totals (`get_staging_use`).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import nacl.hash
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Count, Min, Sum

from jiandu.core.filetimes import settle
from jiandu.vault import conf, crypto, storage
from jiandu.vault.models import StagedUpload

OWNER_KEY = "vault_staging_owner"
LOCK_NAME = "staging.lock"
# Where the session keeps a signed-in source's codename-derived reply key
# (jiandu.vault.session_keys.REPLY_KEY; named here, as that module imports the vault's actions).
REPLY_KEY = "tipline_reply_key"
RESUME_PURPOSE = b"jd:resume-upload"
OWNER_PURPOSE = b"jd:resume-owner"


def source_resume_key(session: SessionBase) -> bytes | None:
    """The key that finds and opens this source's unfinished uploads from any of its sessions:
    derived from the reply key the codename gives (so only someone holding the codename, or a
    session signed in with it, has it). None for a session without a source, or a pending
    source whose codename is not derived yet."""
    value = session.get(REPLY_KEY)
    if not isinstance(value, str) or not value:
        return None
    return crypto.subkey(base64.b64decode(value), RESUME_PURPOSE)


def owner(session: SessionBase) -> str:
    """What ties this session's rows together: for a source with its reply key, a hash keyed
    by its resume key (the same in its next session); otherwise a hash of a random token kept
    in the session (not of the session's key, so the rows lead to no session row)."""
    resume_key = source_resume_key(session)
    if resume_key is not None:
        return nacl.hash.blake2b(
            b"", key=crypto.subkey(resume_key, OWNER_PURPOSE), digest_size=32
        ).decode()
    token = session.get(OWNER_KEY)
    if not isinstance(token, str):
        token = session[OWNER_KEY] = secrets.token_hex(16)
    return nacl.hash.blake2b(token.encode(), digest_size=32, person=b"jd:staging-owner").decode()


@contextlib.contextmanager
def lock() -> Iterator[None]:
    """One reservation at a time on this machine (its disk holds the parts), so the quotas are
    checked and the row written before another creation counts."""
    path = storage.vault_dir() / LOCK_NAME
    storage.incoming_dir()  # makes the vault folder too
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
        settle(path, path.parent)


def staged_bytes(owner_hash: str | None = None) -> int:
    """Bytes reserved by resumable uploads: of one owner, or of everyone."""
    rows = StagedUpload.objects.all()
    if owner_hash is not None:
        rows = rows.filter(owner=owner_hash)
    return int(rows.aggregate(total=Sum("length"))["total"] or 0)


def session_staged_bytes(session: SessionBase) -> int:
    """Bytes this session's resumable uploads hold (0 for a session that never opened one)."""
    if source_resume_key(session) is None and not isinstance(session.get(OWNER_KEY), str):
        return 0
    return staged_bytes(owner(session))


def quota_refusal(owner_hash: str | None, length: int) -> str | None:
    """'session_quota' or 'staging_full' if `length` more bytes would pass this owner's quota
    (or, for a plain upload without an owner, the session quota alone) or everyone's; None if
    they fit. Call under `lock()` when a reservation follows."""
    mine = staged_bytes(owner_hash) if owner_hash is not None else 0
    if mine + length > conf.staging_session_bytes():
        return "session_quota"
    if staged_bytes() + length > conf.staging_total_bytes():
        return "staging_full"
    return None


@dataclass(frozen=True)
class StagingUse:
    """What resumable uploads hold on the disk now, for the admins' page: totals only."""

    bytes: int
    uploads: int
    quota: int
    session_quota: int
    oldest_hour: datetime | None

    @property
    def gib(self) -> float:
        return self.bytes / 1024**3

    @property
    def quota_gib(self) -> float:
        return self.quota / 1024**3

    @property
    def session_quota_gib(self) -> float:
        return self.session_quota / 1024**3

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.bytes / self.quota)) if self.quota > 0 else 100


def get_staging_use() -> StagingUse:
    """Totals over every staged upload: nothing that names one upload or its session."""
    totals = StagedUpload.objects.aggregate(
        total=Sum("length"), oldest=Min("created_hour"), count=Count("pk")
    )
    return StagingUse(
        bytes=int(totals["total"] or 0),
        uploads=int(totals["count"] or 0),
        quota=conf.staging_total_bytes(),
        session_quota=conf.staging_session_bytes(),
        oldest_hour=totals["oldest"],
    )
