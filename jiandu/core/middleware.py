"""Security headers Django does not set itself, and the one gate for unreadable input.

Django's own middleware covers CSP (ContentSecurityPolicyMiddleware), Referrer-Policy,
X-Content-Type-Options and Cross-Origin-Opener-Policy (SecurityMiddleware) and X-Frame-Options;
this adds Permissions-Policy and Cross-Origin-Resource-Policy, and keeps caches from storing
anything a signed-in person or a source sees. `RejectBadBytesMiddleware` answers 400 to a NUL
byte or invalid UTF-8 anywhere a client writes text (path, query string, form fields), so no
view, form or database ever sees one.
"""

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware import csrf
from django.utils.cache import add_never_cache_headers
from django.utils.datastructures import MultiValueDict
from django.utils.decorators import decorator_from_middleware


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
        return super()._origin_verified(request)  # type: ignore[misc]  # Django's private hook


# The project's CSRF check as a view decorator, for views that are `csrf_exempt` outside so that
# they can choose their upload handlers before the body is read (Django's own `csrf_protect`
# would refuse the `Origin: null` our no-referrer pages send).
csrf_protect = decorator_from_middleware(CsrfViewMiddleware)


def unreadable(raw: bytes) -> bool:
    """Whether text a client sent holds a NUL or is not UTF-8 (a lone surrogate is not UTF-8).

    A NUL ends a C string: SQLite's full-text parser calls the rest of the query an
    "unterminated string" and PostgreSQL refuses it in any text value, so either would answer
    500. Invalid UTF-8 would reach the application only as replacement characters, so refusing
    it costs a real client nothing.
    """
    if b"\x00" in raw:
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _wsgi_bytes(text: str) -> bytes | None:
    """The raw bytes behind a WSGI string (PEP 3333 hands them over as Latin-1 text)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return None


def unreadable_urlencoded(raw: bytes | None) -> bool:
    """`unreadable` for a query string or a form body, after percent- and plus-decoding."""
    return raw is None or unreadable(unquote_to_bytes(raw.replace(b"+", b" ")))


def _fields_hold_nul(post: QueryDict, files: MultiValueDict) -> bool:
    """A NUL in a multipart field's name or value, or in a file's name. (Invalid UTF-8 there
    arrives as U+FFFD, harmless, and a source's message may hold that character on purpose.)"""
    texts = [*post.keys(), *(v for _k, values in post.lists() for v in values)]
    texts += [*files.keys(), *(f.name or "" for _k, fs in files.lists() for f in fs)]
    return any("\x00" in t for t in texts)


class RejectBadBytesMiddleware:
    """Answer 400 to a NUL byte or invalid UTF-8 in the path, the query string or a form field.

    It runs last (so its 400 page gets every header), and nothing before it reads the query or
    the body. Path and query string are checked before any view runs. The body is checked when
    it is first parsed (by the CSRF check or the view), not here: a view may still have to swap in
    its own upload handler (the tip line encrypts uploads as they stream in), and reading the
    body first would hold a whole upload in memory. A refused body leaves `POST` and `FILES`
    empty, so nothing that catches the error can read the fields anyway.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = _wsgi_bytes(request.META.get("PATH_INFO", ""))
        query = _wsgi_bytes(request.META.get("QUERY_STRING", ""))
        if path is None or unreadable(path) or unreadable_urlencoded(query):
            raise BadRequest("Unreadable characters in the address.")
        if request.method == "POST":
            self._check_body_when_parsed(request)
        return self.get_response(request)

    @staticmethod
    def _check_body_when_parsed(request: HttpRequest) -> None:
        load = request._load_post_and_files

        def load_and_check() -> None:
            load()
            if request.content_type == "application/x-www-form-urlencoded":
                refused = unreadable_urlencoded(getattr(request, "_body", b""))
            else:
                # The parsed fields, Django's private attributes (not in django-stubs).
                refused = _fields_hold_nul(request._post, request._files)  # type: ignore[attr-defined]
            if refused:
                request.close()  # the uploaded files, if any
                request._mark_post_parse_error()  # type: ignore[attr-defined]  # Django's own, private
                raise BadRequest("Unreadable characters in a form field.")

        request._load_post_and_files = load_and_check  # type: ignore[method-assign]
