"""Two gates on every signed-in member's request: a member signed in with a one-time password
may do nothing but choose their own, and no session outlives its absolute lifetime however
active it is (OWASP ASVS 3.3.2 at level 2: at most 12 hours; the idle limit is the session
engine's)."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# The hour (not the second: docs/threat-model.md, "Times") at which the session signed in.
SIGNED_IN_HOUR = "accounts_signed_in_hour"
DEFAULT_MAX_SESSION_HOURS = 12


def max_session_seconds() -> int:
    return int(getattr(settings, "JIANDU_MAX_SESSION_HOURS", DEFAULT_MAX_SESSION_HOURS)) * 3600


def _now() -> float:
    return time.time()


def _hour_now() -> int:
    return int(_now()) // 3600 * 3600


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            signed_in = request.session.get(SIGNED_IN_HOUR)
            # Counted from the start of the sign-in's hour, so a session ends between
            # max - 1 and max hours after the sign-in: never later.
            if isinstance(signed_in, int) and _now() - signed_in >= max_session_seconds():
                logout(request)
                return redirect_to_login(request.get_full_path())
            if user.must_change_password:
                allowed = {reverse("accounts:password_change"), reverse("accounts:logout")}
                if request.path_info not in allowed and not request.path_info.startswith(
                    "/static/"
                ):
                    return redirect("accounts:password_change")
        response = self.get_response(request)
        # The first answer to a signed-in session (the sign-in itself) stamps its hour.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and SIGNED_IN_HOUR not in request.session:
            request.session[SIGNED_IN_HOUR] = _hour_now()
        return response
