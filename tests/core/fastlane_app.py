"""A WSGI application with a store, as jiandu.public.pagecache's is, for test_fast_lane: it
answers every request itself, and `stored_answer` offers its answer for /cases/<name>/ paths
once the application has answered that path once. Each answer says which way it came."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

BIG = int(os.environ.get("FASTLANE_BIG_BYTES", "8000000"))


class App:
    def __init__(self) -> None:
        self.stored: dict[str, tuple[str, list[tuple[str, str]], bytes, bool]] = {}

    def _answer(self, path: str) -> tuple[str, list[tuple[str, str]], bytes]:
        size = BIG if "big" in path else 64
        body = (f"page {path} ".encode() * (size // 8 + 1))[:size]
        headers = [("Content-Type", "text/html"), ("Content-Length", str(len(body))),
                   ("X-Frame-Options", "DENY")]  # fmt: skip
        return "200 OK", headers, body

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        status, headers, body = self._answer(path)
        if path.startswith("/cases/") and not environ.get("QUERY_STRING"):
            self.stored[path] = (status, headers, body, True)
        start_response(status, [*headers, ("X-Way", "wsgi")])
        return [body]

    def stored_answer(self, path: str) -> tuple[str, list[tuple[str, str]], bytes, bool] | None:
        entry = self.stored.get(path)
        if entry is None:
            return None
        status, headers, body, is_page = entry
        return status, [*headers, ("X-Way", "fast")], body, is_page


application = App()
