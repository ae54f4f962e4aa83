"""Login throttling that never stores a client address in the clear.

Two limits apply. Per account: after JIANDU_LOGIN_MAX_FAILURES wrong passwords or codes the
account locks for JIANDU_LOGIN_LOCKOUT_SECONDS (kept on the User row, see actions). Per client:
more than JIANDU_LOGIN_CLIENT_LIMIT attempts within the lockout window are refused, counted by
jiandu.core.throttle under a keyed hash of the address.
"""

from django.conf import settings
from django.http import HttpRequest

from jiandu.core import throttle

SCOPE = "login"


def client_is_throttled(request: HttpRequest) -> bool:
    return throttle.attempts(SCOPE, request) >= settings.JIANDU_LOGIN_CLIENT_LIMIT


def count_client_attempt(request: HttpRequest) -> None:
    throttle.count_attempt(SCOPE, request, settings.JIANDU_LOGIN_LOCKOUT_SECONDS)
