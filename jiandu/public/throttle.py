"""Comment throttling that never stores a reader's address in the clear.

Counted with the project's keyed-hash client counter (jiandu.core.throttle): at most
JIANDU_COMMENT_LIMIT comments per client address hash and hour. The address itself is never
written anywhere; the hash is useless without the server's secret and expires with the window.
"""

from django.conf import settings
from django.http import HttpRequest

from jiandu.core import throttle

SCOPE = "comment"
WINDOW_SECONDS = 60 * 60


def comment_allowed(request: HttpRequest) -> bool:
    """Count this attempt; False once the address has made too many within the window."""
    return throttle.count_attempt(SCOPE, request, WINDOW_SECONDS) <= settings.JIANDU_COMMENT_LIMIT
