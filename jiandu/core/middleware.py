"""Security headers Django does not set itself.

Django's own middleware covers CSP (ContentSecurityPolicyMiddleware), Referrer-Policy,
X-Content-Type-Options and Cross-Origin-Opener-Policy (SecurityMiddleware) and X-Frame-Options;
this adds Permissions-Policy and Cross-Origin-Resource-Policy, and keeps caches from storing
anything a signed-in person or a source sees.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
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
