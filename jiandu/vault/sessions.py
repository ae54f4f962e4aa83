"""A session engine whose database rows are useless without the browser's cookie.

Django's database sessions store the cookie value itself as the row's key and the data signed,
in the clear. Here the row's key is a hash of the cookie value, and the data is encrypted under
a key derived from the cookie value: the server keeps neither. So the unwrapped private keys the
vault puts in a member's or source's session (docs/crypto.md) are readable only while the
browser presents its cookie; a copy of the database, or of the server's disk, opens nothing.

SESSION_ENGINE = "jiandu.vault.sessions".
"""

from __future__ import annotations

import nacl.exceptions
import nacl.hash
from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone
from nacl.secret import SecretBox

from jiandu.vault.crypto import subkey


def storage_key(cookie_value: str) -> str:
    """The row's primary key: BLAKE2b-160 of the cookie value (40 hex characters)."""
    return nacl.hash.blake2b(
        cookie_value.encode(), digest_size=20, person=b"jd:session-id".ljust(16, b"\0")
    ).decode()


def _box(cookie_value: str) -> SecretBox:
    return SecretBox(subkey(cookie_value.encode(), b"jd:session-data"))


class SessionStore(db.SessionStore):
    """Django's database session store, keyed and encrypted by the cookie value."""

    def _get_session_from_db(self):  # type: ignore[no-untyped-def]
        try:
            return self.model.objects.get(
                session_key=storage_key(self.session_key or ""),
                expire_date__gt=timezone.now(),
            )
        except (self.model.DoesNotExist, SuspiciousOperation):
            self._session_key = None
            return None

    def exists(self, session_key: str) -> bool:
        return self.model.objects.filter(session_key=storage_key(session_key)).exists()

    def create_model_instance(self, data):  # type: ignore[no-untyped-def]
        cookie_value = self._get_or_create_session_key()
        return self.model(
            session_key=storage_key(cookie_value),
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
        )

    def encode(self, session_dict: dict) -> str:
        plain = self.serializer().dumps(session_dict)
        sealed = _box(self._get_or_create_session_key()).encrypt(plain)
        return sealed.hex()

    def decode(self, session_data: str) -> dict:
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

    def get_expire_at_browser_close(self, expiry=None):  # type: ignore[no-untyped-def]
        """Cookies always end with the browser, even when a session has its own idle limit
        (sources: 120 minutes, set with `set_expiry`): the limit is enforced by the row's
        expiry date on the server, never by a cookie lingering on the source's disk."""
        from django.conf import settings

        return settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
