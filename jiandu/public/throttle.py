"""Comment throttling that never writes a reader's address, or a hash of it, anywhere.

Counted with the project's client counter (jiandu.core.throttle): at most JIANDU_COMMENT_LIMIT
comment attempts an hour per session and, where the address tells readers apart, per client
address. Behind Tor (or a local proxy) every reader arrives from 127.0.0.1: counting that
address would let five posts an hour close the comments for everyone, so there only the
session counts. Counts are kept in memory under a keyed hash whose key is random, lives only
in memory and rotates, so not even a copy of the server's disk links a count to an address.
"""

from django.conf import settings
from django.http import HttpRequest

from jiandu.core import throttle

SCOPE = "comment"
WINDOW_SECONDS = 60 * 60


def comment_allowed(request: HttpRequest) -> bool:
    """Count this attempt; False once the session, or an address of its own, has made too many
    within the window."""
    session = request.session.session_key or ""
    counts = [throttle.count(f"{SCOPE}.session", session, WINDOW_SECONDS)]
    if not throttle.address_is_shared(request):
        counts.append(throttle.count_attempt(SCOPE, request, WINDOW_SECONDS))
    return max(counts) <= settings.JIANDU_COMMENT_LIMIT
