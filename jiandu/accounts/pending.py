"""The half-finished sign-in, kept in the session between the password and the second factor.

Issue #8 item 1: the old flow kept only "user X passed the password" and let `/finish/` log in
anyone in that state. Here every step checks what this session has proven so far:

- `password_ok`: the password step judged the password right. In a guarded sign-in the step
  does not tell the browser; the second step judges both together.
- `second_factor`: set only by a confirmed enrolment (the first sign-in: the code proves the
  member holds the new secret). `finish` needs it; a code or passkey logs in directly.
- `auth_hash`: the member's session auth hash at the password step, so an admin's reset or a
  password change in the meantime ends the pending sign-in.
- `password`: kept only when `password_ok`, for the vault to unwrap the member key once both
  factors have passed (the sign-in flow, jiandu.accounts.flows). The session is encrypted
  under a key only the browser's cookie holds (jiandu.vault.sessions), so it never reaches
  disk in the clear, and it is dropped at the end of the sign-in, at a new password step, or
  when the state expires.
- `username`: the name as typed, so that a refused second step can show the sign-in page with
  it filled in again (also for a name that does not exist: the answer must not differ).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from django.contrib.sessions.backends.base import SessionBase

from jiandu.accounts.access import get_pending_user
from jiandu.accounts.models import User

KEY = "accounts_pending"
MAX_SECONDS = 5 * 60


@dataclass
class Pending:
    user_id: int | None
    started: float
    password_ok: bool
    guarded: bool
    auth_hash: str = ""
    second_factor: bool = False
    password: str = ""
    username: str = ""


def start(
    session: SessionBase,
    user: User | None,
    *,
    password_ok: bool,
    guarded: bool,
    password: str = "",
    username: str = "",
) -> Pending:
    """Begin (or restart) a sign-in. `user` may be None: a guarded sign-in for a name that
    does not exist goes on to the second step like any other, and fails there."""
    pending = Pending(
        user_id=user.pk if user is not None else None,
        started=time.time(),
        password_ok=password_ok and user is not None,
        guarded=guarded,
        auth_hash=user.get_session_auth_hash() if user is not None else "",
        password=password if password_ok and user is not None else "",
        username=username[:150],
    )
    session[KEY] = asdict(pending)
    return pending


def load(session: SessionBase, now: float | None = None) -> tuple[Pending, User | None] | None:
    """The pending sign-in and its member (None for a name that does not exist), or None when
    there is none, it expired, or the member's credentials changed since the password step."""
    raw = session.get(KEY)
    if not isinstance(raw, dict):
        return None
    try:
        pending = Pending(**raw)
    except TypeError:
        clear(session)
        return None
    now = time.time() if now is None else now
    if not (0 <= now - pending.started <= MAX_SECONDS):
        clear(session)
        return None
    user = get_pending_user(pending.user_id)
    if pending.user_id is not None and (
        user is None or user.get_session_auth_hash() != pending.auth_hash
    ):
        clear(session)
        return None
    return pending, user


def mark_second_factor(session: SessionBase) -> None:
    raw = session.get(KEY)
    if isinstance(raw, dict):
        session[KEY] = {**raw, "second_factor": True}


def clear(session: SessionBase) -> None:
    session.pop(KEY, None)
