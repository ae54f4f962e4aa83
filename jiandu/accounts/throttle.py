"""Sign-in throttling that never locks a member out and never stores a client address.

Issue #8 item 3: a per-address limit locked every member out, because behind an onion service
every visitor is 127.0.0.1; a per-account lockout does the same to one member. So no limit
here ever refuses the right password with the right second factor. Three measures instead:

- Per session (the browser's own, kept in the encrypted session): after SESSION_FREE_FAILURES
  failures, each further try must wait a growing delay ("wait N seconds"), up to
  SESSION_MAX_WAIT. Only the session that failed waits; a member in another browser never does.
- Per account (failed_logins, counted with an atomic F() update in actions): past
  JIANDU_LOGIN_MAX_FAILURES failures since the last success the account is *guarded*: the
  password and the second factor are judged together, after both were given, with one message
  for every wrong combination (views, "guarded sign-in"), so a password guess alone reveals
  nothing and guessing needs both at once. Each failing guarded attempt is answered at once
  with "wait N s" (429, Retry-After), and the session may not try again for N seconds, N
  growing with the account's failures (up to JIANDU_LOGIN_MAX_DELAY_SECONDS); a right
  combination is never held. The pause used to be a sleep in the request thread: fifteen
  parallel failures held fifteen of the server's threads (issue 17, item 6). No request
  thread ever sleeps here; a script that throws its session away skips the pause, as it
  skipped the sleep by opening more connections, and meets the bounded hashing pool
  (jiandu.core.hashing) and the need for both factors at once instead. A pause per account
  cannot be kept without refusing the right combination, which would be the lockout this
  module exists to avoid.
- Per address (counted by jiandu.core.throttle under a keyed hash): past
  JIANDU_LOGIN_CLIENT_LIMIT failures within JIANDU_LOGIN_LOCKOUT_SECONDS every sign-in from
  that address is guarded, which stops password spraying across accounts without stopping
  anyone who has both factors.
"""

import time

from django.conf import settings
from django.http import HttpRequest

from jiandu.accounts.models import User
from jiandu.core import throttle

SCOPE = "login"
SESSION_KEY = "accounts_throttle"
SESSION_FREE_FAILURES = 2
SESSION_MAX_WAIT = 300


def _max_failures() -> int:
    return settings.JIANDU_LOGIN_MAX_FAILURES


def session_wait(request: HttpRequest, now: float | None = None) -> int:
    """Seconds this session must still wait before its next try (0: may try now)."""
    state = request.session.get(SESSION_KEY) or {}
    not_before = float(state.get("not_before", 0))
    now = time.time() if now is None else now
    return max(0, int(not_before - now + 0.999))


def session_delay(failures: int) -> int:
    """The wait after the session's `failures`-th failure: 0, 0, 2, 4, 8, ... 300 s."""
    if failures <= SESSION_FREE_FAILURES:
        return 0
    return min(2 ** (failures - SESSION_FREE_FAILURES), SESSION_MAX_WAIT)


def count_session_failure(request: HttpRequest, now: float | None = None) -> None:
    state = request.session.get(SESSION_KEY) or {}
    failures = int(state.get("failures", 0)) + 1
    now = time.time() if now is None else now
    request.session[SESSION_KEY] = {
        "failures": failures,
        "not_before": max(float(state.get("not_before", 0)), now + session_delay(failures)),
    }


def hold_session(request: HttpRequest, seconds: float, now: float | None = None) -> int:
    """Make this session wait at least `seconds` before its next try, without holding the
    request: the next attempt is refused unheard until then. The session's wait now."""
    state = request.session.get(SESSION_KEY) or {}
    now = time.time() if now is None else now
    request.session[SESSION_KEY] = {
        "failures": int(state.get("failures", 0)),
        "not_before": max(float(state.get("not_before", 0)), now + seconds),
    }
    return session_wait(request, now)


def clear_session(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def address_is_suspect(request: HttpRequest) -> bool:
    return throttle.attempts(SCOPE, request) >= settings.JIANDU_LOGIN_CLIENT_LIMIT


def count_address_failure(request: HttpRequest) -> None:
    throttle.count_attempt(SCOPE, request, settings.JIANDU_LOGIN_LOCKOUT_SECONDS)


def account_is_guarded(user: User | None) -> bool:
    return user is not None and user.failed_logins >= _max_failures()


def is_guarded(user: User | None, request: HttpRequest) -> bool:
    """Whether this sign-in must give both factors before either is judged."""
    return account_is_guarded(user) or address_is_suspect(request)


def failure_delay(failed_logins: int) -> float:
    """The wait after a failing guarded attempt: 1, 2, 4, ... seconds, capped."""
    over = failed_logins - _max_failures()
    if over < 0:
        return 0.0
    cap = float(getattr(settings, "JIANDU_LOGIN_MAX_DELAY_SECONDS", 4))
    return min(float(2 ** min(over, 16)), cap)


def hold_after_guarded_failure(request: HttpRequest, failed_logins: int) -> int:
    """The session's wait after a failing guarded attempt (never after a right combination):
    at least one second, so a name that does not exist (no failures of its own) is answered
    like a guarded account's first failure. Returns the seconds to tell."""
    return hold_session(request, max(1.0, failure_delay(failed_logins)))


def hold_after_failure(request: HttpRequest, failed_logins: int) -> int:
    """The session's wait after an unguarded failure (0 while the account is under its
    limit); the failure that guards the account starts the guarded waits."""
    return hold_session(request, failure_delay(failed_logins))
