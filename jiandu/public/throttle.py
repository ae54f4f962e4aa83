"""Comment throttling that never stores a reader's address in the clear.

The same pattern as the newsroom's login throttle (jiandu.accounts.throttle): attempts are
counted in the cache under a keyed hash of the address (HMAC with the server's secret), for
an hour. The address itself is never written anywhere; the hash is useless without the key
and expires with the window.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

WINDOW_SECONDS = 60 * 60


def _key(request: HttpRequest) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    digest = salted_hmac("jiandu.comment-throttle", address, algorithm="sha256").hexdigest()
    return "comment-client:" + digest[:32]


def comment_allowed(request: HttpRequest) -> bool:
    """Count this attempt; False once the address has made too many within the window."""
    key = _key(request)
    if cache.add(key, 1, timeout=WINDOW_SECONDS):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS)
        return True
    return count <= settings.JIANDU_COMMENT_LIMIT
