"""Public keys in the database, bound to this server by a MAC keyed from outside the database.

The server seals secrets to public keys it reads from its own database: a new source's private
key to every reader's `MemberKey.public_key`, an item key to a worker's `WorkerKey.public_key`,
new items to a `Source.public_key` and replies to its `reply_public_key`. Someone who can write
only to the database (a leaked backup restored with changes, an SQL injection, a rogue DBA)
could put a key of their own there and be sent what follows. So every such row carries
`key_mac` = HMAC-SHA256(K, purpose | the row's identity | the public key(s)), where K is
derived from the server's secret key (`SECRET_KEY`, the `secret_key` file in the data dir or
JIANDU_SECRET_KEY), never stored in the database, like the custody chain's key
(jiandu/ledger/chain.py). A row whose MAC does not match is never sealed to: the caller refuses
and logs `vault.key_binding_mismatch` with the table and row id (no content, no key).

Rows made before this existed get their MAC from migration vault 0003 (trust on first use:
whatever the database held at the upgrade is taken as genuine).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any, Protocol

from django.conf import settings

logger = logging.getLogger("jiandu.vault.binding")

MISMATCH = "vault.key_binding_mismatch"


class _Bound(Protocol):
    pk: Any
    key_mac: str


class MemberKeyRow(_Bound, Protocol):
    user_id: int
    public_key: bytes


class WorkerKeyRow(_Bound, Protocol):
    public_key: bytes


class SourceRow(_Bound, Protocol):
    lookup: str
    public_key: bytes
    reply_public_key: bytes


class KeyBindingError(Exception):
    """A public key in the database does not carry this server's MAC: it was not written by
    this server (or the server's secret key changed). Code for logs: MISMATCH."""

    def __init__(self, table: str, row_id: object) -> None:
        super().__init__(f"{MISMATCH} {table} {row_id}")
        self.table = table
        self.row_id = row_id


def _key(secret_key: str | None = None) -> bytes:
    secret = settings.SECRET_KEY if secret_key is None else secret_key
    return hashlib.sha256(b"jiandu.vault.key-binding\x00" + secret.encode()).digest()


def _mac(purpose: bytes, *parts: bytes, secret_key: str | None = None) -> str:
    message = purpose + b"\x00" + b"".join(len(p).to_bytes(4, "big") + p for p in parts)
    return hmac.new(_key(secret_key), message, hashlib.sha256).hexdigest()


def member_key_mac(user_id: int, public_key: bytes, *, secret_key: str | None = None) -> str:
    """Binds a member's public key to that member (so two rows' keys cannot be swapped)."""
    return _mac(b"member-key", str(user_id).encode(), bytes(public_key), secret_key=secret_key)


def worker_key_mac(public_key: bytes, *, secret_key: str | None = None) -> str:
    return _mac(b"worker-key", bytes(public_key), secret_key=secret_key)


def source_key_mac(
    lookup: str, public_key: bytes, reply_public_key: bytes, *, secret_key: str | None = None
) -> str:
    """Binds a source's two public keys to its lookup (which its codename derives)."""
    return _mac(
        b"source-keys",
        lookup.encode(),
        bytes(public_key),
        bytes(reply_public_key),
        secret_key=secret_key,
    )


def _check(expected: str, stored: str, table: str, row_id: object) -> None:
    if not stored or not hmac.compare_digest(expected, stored):
        logger.error("%s table=%s id=%s", MISMATCH, table, row_id)
        raise KeyBindingError(table, row_id)


def check_member_key(key: MemberKeyRow) -> None:
    """Raise KeyBindingError (and log it) unless this MemberKey row is as the server wrote it."""
    _check(member_key_mac(key.user_id, key.public_key), key.key_mac, "vault_memberkey", key.pk)


def check_worker_key(key: WorkerKeyRow) -> None:
    _check(worker_key_mac(key.public_key), key.key_mac, "forensics_workerkey", key.pk)


def check_source_keys(source: SourceRow) -> None:
    _check(
        source_key_mac(source.lookup, source.public_key, source.reply_public_key),
        source.key_mac,
        "vault_source",
        source.pk,
    )
