"""Confirming it is still the member before a new second factor is made (issue 17, item 10).

A session cookie stolen from a signed-in browser lasts hours; a recovery code or a passkey
lasts until it is removed. Regenerating the codes or adding a passkey with the cookie alone
turned a stolen session into a lasting second factor (with a phished or reused password, a
way back in for good). So both first ask for the password or a fresh code (TOTP or recovery)
once more: the confirmation is kept in the session, for this member, for FRESH_SECONDS. Each
confirmation is an account-audit row (AccountEvent "identity confirmed", written by
actions.do_confirm_identity), and the member is told at their next sign-in of every
second-factor change since the last one (`changes_since`), so a change they did not make is
seen. The session is encrypted under the browser's cookie (jiandu.vault.sessions).
"""

from __future__ import annotations

import time
from datetime import datetime

from django.http import HttpRequest

from jiandu.accounts.models import AccountEvent, User

SESSION_KEY = "accounts_reauth"
FRESH_SECONDS = 5 * 60
# How a member confirmed (the account history's detail says it): names, not secrets.
PASSWORD = "password"  # noqa: S105
CODE = "code"
# What the member is told about at the next sign-in.
NOTIFIED_KINDS = (
    AccountEvent.Kind.RECOVERY_CODES,
    AccountEvent.Kind.PASSKEY_ADDED,
    AccountEvent.Kind.PASSKEY_REMOVED,
)


def mark(request: HttpRequest, user: User, how: str, now: float | None = None) -> None:
    """This session has just confirmed `user` with `how` (PASSWORD or CODE)."""
    request.session[SESSION_KEY] = {
        "user": user.pk,
        "at": time.time() if now is None else now,
        "how": how,
    }


def confirmed_with(request: HttpRequest, user: User, now: float | None = None) -> str | None:
    """How this session confirmed `user` within FRESH_SECONDS, or None (never, another
    member, or too long ago)."""
    state = request.session.get(SESSION_KEY)
    if not isinstance(state, dict) or state.get("user") != user.pk:
        return None
    now = time.time() if now is None else now
    try:
        age = now - float(state.get("at", 0))
    except (TypeError, ValueError):
        return None
    if not 0 <= age <= FRESH_SECONDS:
        return None
    return str(state.get("how") or PASSWORD)


def changes_since(user: User, when: datetime | None) -> list[AccountEvent]:
    """The second-factor changes to `user`'s account after `when` (the previous sign-in);
    none for a first sign-in."""
    if when is None:
        return []
    return list(
        AccountEvent.objects.filter(member=user, kind__in=NOTIFIED_KINDS, at__gt=when).order_by(
            "id"
        )
    )
