"""A session engine whose database rows are useless without the browser's cookie.

Django's database sessions store the cookie value itself as the row's key and the data signed,
in the clear. Here the row's key is a hash of the cookie value, and the data is encrypted under
a key derived from the cookie value: the server keeps neither. So the unwrapped private keys the
vault puts in a member's or source's session (docs/crypto.md) are readable only while the
browser presents its cookie; a copy of the database, or of the server's disk, opens nothing.

Times: the row's `expire_date` is the one time left in the clear, and it says no more than an
hour: it is the end of the hour in which the longest idle window (members' and sources' alike)
would run out, so it tells neither the minute of the last request nor whether the session is a
source's or a member's. The real idle limit (120 minutes for a source, 30 for a member) is
enforced from the moment of the last request kept inside the encrypted data: exact there, since
only the browser that holds the cookie can read it, and that browser saw its own requests.

Saves (issue 22): every request saves its session (SESSION_SAVE_EVERY_REQUEST), which moves
the moment of the last request inside the data. A request that changed nothing in a session
saved less than RESAVE_SECONDS ago writes nothing: a tus upload sends a piece every few tens of
milliseconds, and a row write and a commit for each cost more than the piece's own bookkeeping.
The idle limit then runs from that earlier save, so a session ends at most RESAVE_SECONDS
sooner than its limit, never later. "Changed" is judged on the data itself, not on Django's
`modified` flag, so a change made inside a nested value is saved even if nobody flagged it.

SESSION_ENGINE = "jiandu.vault.sessions".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import nacl.exceptions
import nacl.hash
from django.conf import settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone
from nacl.secret import SecretBox

from jiandu.vault import conf
from jiandu.vault.crypto import subkey

# Kept inside the encrypted data: the Unix time of the last save and the idle limit in seconds.
SEEN = "_jd_seen"
IDLE = "_jd_idle"
# An unchanged session is saved again only once its last save is this old.
RESAVE_SECONDS = 60


def storage_key(cookie_value: str) -> str:
    """The row's primary key: BLAKE2b-160 of the cookie value (40 hex characters)."""
    return nacl.hash.blake2b(
        cookie_value.encode(), digest_size=20, person=b"jd:session-id".ljust(16, b"\0")
    ).decode()


def _box(cookie_value: str) -> SecretBox:
    return SecretBox(subkey(cookie_value.encode(), b"jd:session-data"))


def longest_idle_seconds() -> int:
    """The longest idle limit of any session (members' or sources'), so that every row's
    expiry is computed from the same window and looks alike."""
    return max(int(settings.SESSION_COOKIE_AGE), conf.source_idle_seconds())


def row_expiry(now: datetime, idle_seconds: int) -> datetime:
    """The row's expiry: now plus the longest idle window (or this session's, if longer),
    rounded up to the next full hour."""
    end = now + timedelta(seconds=max(idle_seconds, longest_idle_seconds()))
    hour = end.replace(minute=0, second=0, microsecond=0)
    return hour if hour == end else hour + timedelta(hours=1)


def is_fresh(data: dict[str, Any], now: float) -> bool:
    """Whether the session's own idle limit has not run out. Data without the two fields (a
    row written before they existed, or tampered with) is not fresh."""
    seen, idle = data.get(SEEN), data.get(IDLE)
    if not isinstance(seen, int | float) or not isinstance(idle, int):
        return False
    return now - seen <= idle


class SessionStore(db.SessionStore):
    """Django's database session store, keyed and encrypted by the cookie value."""

    def _get_session_from_db(self) -> AbstractBaseSession | None:
        try:
            return self.model.objects.get(
                session_key=storage_key(self.session_key or ""),
                expire_date__gt=timezone.now(),
            )
        except (self.model.DoesNotExist, SuspiciousOperation):
            self._session_key = None
            return None

    def load(self) -> dict[str, Any]:
        """The session's data, or {} (under a new key) once its idle limit has run out; the
        stale row is deleted at once rather than left until the hourly purge."""
        row = self._get_session_from_db()
        if row is None:
            return {}
        data = self._open(row.session_data)
        if not is_fresh(data, timezone.now().timestamp()):
            self.model.objects.filter(pk=row.pk).delete()
            self._session_key = None
            return {}
        loaded = _without_times(data)
        self._as_saved = (self.session_key, data[SEEN], self.serializer().dumps(loaded))
        return loaded

    def save(self, must_create: bool = False) -> None:
        """Django's save, unless nothing changed since a save under RESAVE_SECONDS ago."""
        if not must_create and self._saved_recently_as_is():
            return
        super().save(must_create)

    def _saved_recently_as_is(self) -> bool:
        saved = getattr(self, "_as_saved", None)
        data = getattr(self, "_session_cache", None)  # Django's, loaded or not
        if saved is None or data is None:
            return False
        key, seen, plain = saved
        if key != self.session_key or timezone.now().timestamp() - seen >= RESAVE_SECONDS:
            return False
        return self.serializer().dumps(data) == plain

    def exists(self, session_key: str) -> bool:
        return self.model.objects.filter(session_key=storage_key(session_key)).exists()

    def create_model_instance(self, data: dict[str, Any]) -> AbstractBaseSession:
        cookie_value = self._get_or_create_session_key()  # type: ignore[attr-defined] # Django's, not in django-stubs
        return self.model(
            session_key=storage_key(cookie_value),
            session_data=self.encode(data),
            expire_date=row_expiry(timezone.now(), self._idle_seconds(data)),
        )

    def _idle_seconds(self, session_dict: dict) -> int:
        """This session's idle limit: `set_expiry` (sources) or SESSION_COOKIE_AGE."""
        return int(self.get_expiry_age(expiry=session_dict.get("_session_expiry")))

    def encode(self, session_dict: dict) -> str:
        """Encrypt the data with the moment of this save and the idle limit inside."""
        stamped = {
            **_without_times(session_dict),
            SEEN: timezone.now().timestamp(),
            IDLE: self._idle_seconds(session_dict),
        }
        plain = self.serializer().dumps(stamped)
        cookie_value = self._get_or_create_session_key()  # type: ignore[attr-defined] # as above
        sealed = _box(cookie_value).encrypt(plain)
        return sealed.hex()

    def decode(self, session_data: str) -> dict:  # type: ignore[override] # Django gives the text column
        return _without_times(self._open(session_data))

    def _open(self, session_data: str) -> dict[str, Any]:
        try:
            plain = _box(self.session_key or "").decrypt(bytes.fromhex(session_data))
            return self.serializer().loads(plain)
        except (ValueError, nacl.exceptions.CryptoError):
            return {}

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self.model.objects.filter(session_key=storage_key(session_key)).delete()

    def get_expire_at_browser_close(self, expiry: object = None) -> bool:
        """Cookies always end with the browser, even when a session has its own idle limit
        (sources: 120 minutes, set with `set_expiry`): the limit is enforced on the server,
        from the encrypted data (see `load`), never by a cookie lingering on the source's disk."""
        return settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def _without_times(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in (SEEN, IDLE)}
