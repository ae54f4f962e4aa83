"""The tip line's limits, which a flood must not be able to turn against real sources.

Behind Tor every source is 127.0.0.1, so nothing here counts by address. Counts live in
jiandu.core.throttle (memory of each process by default; one Redis without persistence, shared
by every process, in the scaled mode), never in the database.

- Intake. Nothing counts everyone together: a count of stored submissions from all sessions
  is a switch any visitor can flip (issue 17: 65 junk first submissions in 11 s paused the tip
  line for the next six real sources). Others' load never turns a source away; what guards
  the server is elsewhere: the disk in bytes (jiandu.vault.uploads: the free-space floor and
  the staging quotas, for files), the key derivation (a first submission that finds every
  slot busy is stored at once and its codename derived later: jiandu.tipline.actions), and in
  front of it Tor's proof-of-work or the clearnet front's request limits
  (docs/operations.md). A flood that gets through is cleared in bulk by the newsroom. One
  limit stays, on a conversation's own pace: JIANDU_INTAKE_PER_SOURCE_HOUR (default 10) stored
  submissions an hour, counted per source, so only that conversation's own sending can reach
  it, never another's.
- Codename sign-in. Each attempt costs an Argon2id run (64 MiB). Per session, wrong codenames
  bring growing waits (none for the first three, then 2, 4, 8 ... up to 60 seconds): an attacker
  cannot touch another person's session, so cannot lock a real source out. Globally, at most
  JIANDU_CODENAME_SIGNIN_CONCURRENCY (default 1) derivations for sign-in run at once per process,
  so a flood of sign-ins leaves the other key-derivation slots to first submissions and is
  answered "busy, try again in a minute" (crypto.KdfBusy) rather than queued.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.http import HttpRequest

from jiandu.conf import setting_int
from jiandu.core import throttle
from jiandu.vault import crypto
from jiandu.vault.models import Source

SOURCE_SCOPE = "tipline.source"
FAILURE_SCOPE = "tipline.codename-failures"
WAIT_SCOPE = "tipline.codename-wait"
HOUR = 60 * 60
FREE_FAILURES = 3
MAX_WAIT_SECONDS = 60
SIGNIN_SLOT_WAIT_SECONDS = 1.0  # about ten derivations; a flood must not hold threads long


def per_source_hour() -> int:
    return setting_int("JIANDU_INTAKE_PER_SOURCE_HOUR", 10)


# --- Intake --------------------------------------------------------------------------------


def intake_refusal(source: Source | None) -> str | None:
    """Before reading a body: 'source_limit' when this conversation has sent its hourly
    number of submissions, else None. Nothing here depends on what other sessions send (a
    fresh session has no count at all). Counts nothing: only stored submissions count."""
    if source is not None and throttle.peek(SOURCE_SCOPE, str(source.pk)) >= per_source_hour():
        return "source_limit"
    return None


def count_stored(source: Source) -> None:
    """A submission was stored: it counts toward its own conversation's hourly limit."""
    throttle.count(SOURCE_SCOPE, str(source.pk), HOUR)


# --- Codename sign-in ----------------------------------------------------------------------


def _session_id(request: HttpRequest) -> str:
    # CSRF tokens live in the session, so a POST that reached a view has one.
    return request.session.session_key or ""


def wait_after(failures: int) -> int:
    """Seconds a session waits after this many wrong codenames in a row."""
    if failures <= FREE_FAILURES:
        return 0
    return min(2 ** (failures - FREE_FAILURES), MAX_WAIT_SECONDS)


def signin_wait_seconds(request: HttpRequest) -> int:
    """0 if this session may try a codename now; else about how long it must wait."""
    session = _session_id(request)
    if throttle.peek(WAIT_SCOPE, session) == 0:
        return 0
    return wait_after(throttle.peek(FAILURE_SCOPE, session))


def count_signin_failure(request: HttpRequest) -> None:
    """A codename that matched no conversation: the next try from this session waits longer."""
    session = _session_id(request)
    wait = wait_after(throttle.count(FAILURE_SCOPE, session, HOUR))
    if wait:
        throttle.count(WAIT_SCOPE, session, wait)


_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


@contextmanager
def signin_slot() -> Iterator[None]:
    """Hold one of the few sign-in derivation slots, or raise crypto.KdfBusy after a short
    wait (a person sees "busy, try again in a minute"; a flood does not pile up threads)."""
    size = max(1, setting_int("JIANDU_CODENAME_SIGNIN_CONCURRENCY", 1))
    with _slots_lock:
        slots = _slots.setdefault(size, threading.BoundedSemaphore(size))
    if not slots.acquire(timeout=SIGNIN_SLOT_WAIT_SECONDS):
        raise crypto.KdfBusy
    try:
        yield
    finally:
        slots.release()
