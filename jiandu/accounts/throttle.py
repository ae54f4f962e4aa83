"""Login throttling that never stores a client address in the clear.

Two limits apply. Per account: after JIANDU_LOGIN_MAX_FAILURES wrong passwords or codes the
account locks for JIANDU_LOGIN_LOCKOUT_SECONDS (kept on the User row). Per client: more than
JIANDU_LOGIN_CLIENT_LIMIT attempts within the lockout window are refused, counted in the cache
under a keyed hash of the address; the address itself is never written anywhere, and the key
(the server's secret) makes the hash useless to whoever copies the cache without it.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac


def client_key(request: HttpRequest) -> str:
    # The address is read only to be hashed here; see docs/threat-model.md.
    address = request.META.get("REMOTE_ADDR", "")
    return (
        "login-client:"
        + salted_hmac("jiandu.login-throttle", address, algorithm="sha256").hexdigest()[:32]
    )


def client_is_throttled(request: HttpRequest) -> bool:
    return cache.get(client_key(request), 0) >= settings.JIANDU_LOGIN_CLIENT_LIMIT


def count_client_attempt(request: HttpRequest) -> None:
    key = client_key(request)
    if cache.add(key, 1, timeout=settings.JIANDU_LOGIN_LOCKOUT_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=settings.JIANDU_LOGIN_LOCKOUT_SECONDS)
