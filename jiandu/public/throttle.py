"""Comment throttling that never writes a reader's address, or a hash of it, anywhere.

Counted with the project's client counter (jiandu.core.throttle): at most JIANDU_COMMENT_LIMIT
comments per client address and hour, kept in memory under a keyed hash whose key is random,
lives only in memory and rotates, so not even a copy of the server's disk links a count to an
address. Behind Tor every reader is 127.0.0.1 and this limit is shared by all of them.
"""

from django.conf import settings
from django.http import HttpRequest

from jiandu.core import throttle

SCOPE = "comment"
WINDOW_SECONDS = 60 * 60


def comment_allowed(request: HttpRequest) -> bool:
    """Count this attempt; False once the address has made too many within the window."""
    return throttle.count_attempt(SCOPE, request, WINDOW_SECONDS) <= settings.JIANDU_COMMENT_LIMIT
