"""What the vault keeps in a session (encrypted by jiandu.vault.sessions): a member's unwrapped
private key, a recovery key waiting to be shown once, a flag that the key needs restoring; for a
source, its id and its codename-derived reply key."""

from __future__ import annotations

import base64

from django.http import HttpRequest

from jiandu.vault import resumable
from jiandu.vault.actions import Unlocked

MEMBER_KEY = "vault_member_key"
NEW_RECOVERY = "vault_new_recovery_key"
NEEDS_RECOVERY = "vault_needs_recovery"
SOURCE_ID = "tipline_source"
REPLY_KEY = "tipline_reply_key"


def unlock(request: HttpRequest, outcome: Unlocked) -> None:
    session = request.session
    for name in (MEMBER_KEY, NEW_RECOVERY, NEEDS_RECOVERY):
        session.pop(name, None)
    if outcome.private_key is not None:
        session[MEMBER_KEY] = base64.b64encode(outcome.private_key).decode()
    if outcome.new_recovery_key:
        session[NEW_RECOVERY] = outcome.new_recovery_key
    if outcome.needs_recovery:
        session[NEEDS_RECOVERY] = True


def member_private_key(request: HttpRequest) -> bytes | None:
    value = request.session.get(MEMBER_KEY)
    return base64.b64decode(value) if value else None


def sign_in_source(request: HttpRequest, source_id: int, reply_private_key: bytes) -> None:
    """The source's id and reply key in a fresh session key. With the reply key, unfinished
    uploads are tied to the source, and those a closed browser left are taken back
    (jiandu.vault.resumable.link_source_uploads; issue 19, item 2)."""
    request.session.cycle_key()
    request.session[SOURCE_ID] = source_id
    request.session[REPLY_KEY] = base64.b64encode(reply_private_key).decode()
    resumable.link_source_uploads(request.session)


def source_reply_key(request: HttpRequest) -> bytes | None:
    value = request.session.get(REPLY_KEY)
    return base64.b64decode(value) if value else None
