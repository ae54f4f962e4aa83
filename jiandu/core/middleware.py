"""Security headers Django does not set itself.

Django's own middleware covers CSP (ContentSecurityPolicyMiddleware), Referrer-Policy,
X-Content-Type-Options and Cross-Origin-Opener-Policy (SecurityMiddleware) and X-Frame-Options;
this adds Permissions-Policy and Cross-Origin-Resource-Policy, and keeps caches from storing
anything a signed-in person or a source sees.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware import csrf
from django.utils.cache import add_never_cache_headers


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.JIANDU_PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.headers.setdefault("X-Robots-Tag", "noarchive")
        # A session means a newsroom member or a source: nothing they see may be cached.
        if settings.SESSION_COOKIE_NAME in request.COOKIES or settings.SESSION_COOKIE_NAME in (
            response.cookies
        ):
            add_never_cache_headers(response)
            response.headers["Cache-Control"] = "no-store, no-cache, must-revalidate, private"
            if "ETag" in response.headers:
                del response.headers["ETag"]
        return response


class CsrfViewMiddleware(csrf.CsrfViewMiddleware):
    """Django's CSRF protection, accepting `Origin: null` as "no origin given".

    With `Referrer-Policy: no-referrer` (which the tip line needs) browsers send `Origin: null`
    on the site's own form posts, and Django's origin check would refuse every one. A null
    origin says nothing either way, so the decision falls to the CSRF token, which is kept in
    the session (CSRF_USE_SESSIONS) behind a SameSite=Strict cookie.
    """

    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null":
            return True
        return super()._origin_verified(request)
