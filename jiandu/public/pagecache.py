"""The fast path for anonymous readers of published pages.

`FastPublicPages` wraps the WSGI application (jiandu/wsgi.py). For a GET or HEAD of a public
page under /cases/ with no query string and no session cookie, it answers from a per-process
copy of the complete response (status, every header the middleware added, body), before
Django builds a request or runs any middleware. Anything else, and every miss, goes to Django
as usual; a miss whose response is public, cookieless and 200 is stored.

Invalidation: publishing a revision or moderating a comment bumps a generation number kept in
a file in the data directory (so every worker process sees it); each process checks the file
at most every CHECK_SECONDS and drops its copies when it has changed. A reader may therefore
see a page up to CHECK_SECONDS old after a publication.

View counts: every public HTML page served (hit or miss) adds one to the cases room's counter
(jiandu.cases.viewcounts: per page and day, buffered, nothing about the reader).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.conf import settings

from jiandu.cases.viewcounts import count_view

CHECK_SECONDS = 0.5
MAX_ENTRIES = 2000
# What the store holds at most, whatever the number of pages: a web process's memory stays the
# same as the site grows (issue 22: a web worker under 150 MB whatever the size).
MAX_BYTES = 16 * 1024 * 1024
MAX_BODY = 2 * 1024 * 1024
PUBLIC_PATH = re.compile(r"^(?:/(?:en|zh-hant))?(/cases/.*)$")
NEVER_CACHED = re.compile(r"/comment/$")


def _generation_file() -> Path:
    return Path(settings.DATA_DIR) / "public-generation"


def bump_generation() -> None:
    """Tell every process that published pages changed (atomic rename of a small file)."""
    target = _generation_file()
    temp = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    temp.write_text(str(time.time_ns()))
    temp.replace(target)


def read_generation() -> str:
    try:
        return _generation_file().read_text()
    except FileNotFoundError:
        return ""


# --- The fast path --------------------------------------------------------------------------


class _Store:
    """A bounded per-process map from path to a complete response, valid for one generation."""

    def __init__(self) -> None:
        self.entries: OrderedDict[str, tuple[str, list[tuple[str, str]], bytes, bool]] = (
            OrderedDict()
        )
        self.generation = read_generation()
        self.checked = time.monotonic()
        self.lock = threading.Lock()
        self.bytes = 0

    def refresh(self) -> None:
        now = time.monotonic()
        if now - self.checked < CHECK_SECONDS:
            return
        self.checked = now
        generation = read_generation()
        if generation != self.generation:
            with self.lock:
                self.entries.clear()
                self.bytes = 0
                self.generation = generation

    def get(self, key: str) -> tuple[str, list[tuple[str, str]], bytes, bool] | None:
        self.refresh()
        return self.entries.get(key)

    def put(self, key: str, value: tuple[str, list[tuple[str, str]], bytes, bool]) -> None:
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.bytes -= len(old[2])
            self.entries[key] = value
            self.bytes += len(value[2])
            while len(self.entries) > MAX_ENTRIES or self.bytes > MAX_BYTES:
                self.bytes -= len(self.entries.popitem(last=False)[1][2])


StartResponse = Callable[..., Any]


class FastPublicPages:
    def __init__(self, app: Callable[[dict, StartResponse], Iterable[bytes]]) -> None:
        self.app = app
        self.store = _Store()
        self.cookie = settings.SESSION_COOKIE_NAME
        self.flush_seconds = settings.JIANDU_VIEWCOUNT_FLUSH_SECONDS

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        match = PUBLIC_PATH.match(environ.get("PATH_INFO", ""))
        if match is None:
            return self.app(environ, start_response)
        page = match.group(1)  # the path without its language prefix, for the counter
        method = environ.get("REQUEST_METHOD", "GET")
        key = environ["PATH_INFO"]
        cacheable = (
            method in ("GET", "HEAD")
            and not environ.get("QUERY_STRING")
            and self.cookie not in environ.get("HTTP_COOKIE", "")
            and not NEVER_CACHED.search(key)
        )
        if cacheable:
            entry = self.store.get(key)
            if entry is not None:
                status, headers, body, is_page = entry
                if is_page and method == "GET":
                    count_view(page, self.flush_seconds)
                start_response(status, headers)
                return [b""] if method == "HEAD" else [body]

        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, headers
            return (
                start_response(status, headers, exc_info)
                if exc_info
                else start_response(status, headers)
            )

        result = self.app(environ, capture)
        status = seen.get("status", "")
        headers = seen.get("headers", [])
        names = {name.lower(): value for name, value in headers}
        is_page = status.startswith("200") and names.get("content-type", "").startswith("text/html")
        if is_page and method == "GET":
            count_view(page, self.flush_seconds)
        if not (
            cacheable
            and method == "GET"
            and status.startswith("200")
            and "set-cookie" not in names
            and "public" in names.get("cache-control", "")
            and not hasattr(result, "streaming_content")
            and not getattr(result, "streaming", False)
        ):
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if len(body) <= MAX_BODY:
            self.store.put(key, (status, list(headers), body, is_page))
        return [body]

    def stored_answer(self, path: str) -> tuple[str, list[tuple[str, str]], bytes, bool] | None:
        """The stored answer to an anonymous GET of `path` (no query string, no cookie: the
        caller has checked), its view counted as `__call__` counts it; None where `__call__`
        would go to Django. For the web worker's fast lane (jiandu.core.gunicorn_worker), which
        answers such requests before building a WSGI request at all. The same tuple comes back
        while the answer is unchanged, so the caller may keep what it builds from it."""
        match = PUBLIC_PATH.match(path)
        if match is None or NEVER_CACHED.search(path):
            return None
        entry = self.store.get(path)
        if entry is not None and entry[3]:
            count_view(match.group(1), self.flush_seconds)
        return entry


def wrap(application: Callable[[dict, StartResponse], Iterable[bytes]]) -> Callable[..., Any]:
    """The WSGI application with the fast path in front (used by jiandu/wsgi.py)."""
    if not settings.JIANDU_PUBLIC_PAGE_CACHE:
        return application
    return FastPublicPages(application)
