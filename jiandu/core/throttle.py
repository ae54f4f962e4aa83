"""Counting a client's attempts without ever storing its address.

Attempts are counted in the cache under HMAC-SHA256(server secret, scope, address), truncated
to 128 bits, and expire with their window. The address is read only here, only to be hashed;
the hash is useless to whoever copies the cache without the server's secret. Rooms use it for
sign-in and comment throttles.
"""

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac


def client_key(scope: str, request: HttpRequest) -> str:
    # The one place the project reads a client address: see docs/threat-model.md.
    address = request.META.get("REMOTE_ADDR", "")
    digest = salted_hmac(f"jiandu.throttle.{scope}", address, algorithm="sha256").hexdigest()
    return f"throttle:{scope}:{digest[:32]}"


def attempts(scope: str, request: HttpRequest) -> int:
    return cache.get(client_key(scope, request), 0)


def count_attempt(scope: str, request: HttpRequest, window_seconds: int) -> int:
    """Count one attempt in the current window; the number so far, this one included."""
    key = client_key(scope, request)
    if cache.add(key, 1, timeout=window_seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_seconds)
        return 1
