"""A WSGI application with a store, as jiandu.public.pagecache's is, for test_fast_lane: it
answers every request itself, and `stored_answer` offers its answer for /cases/<name>/ paths
once the application has answered that path once. Each answer says which way it came."""

from __future__ import annotations

import hashlib
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
        if path == "/echo":  # the body's length and SHA-256, read in ?N-byte reads
            return self._echo(environ, start_response)
        status, headers, body = self._answer(path)
        if path.startswith("/cases/") and not environ.get("QUERY_STRING"):
            self.stored[path] = (status, headers, body, True)
        start_response(status, [*headers, ("X-Way", "wsgi")])
        return [body]

    def _echo(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        step = int(environ.get("QUERY_STRING") or 65536)
        digest, length, reads = hashlib.sha256(), 0, 0
        stream = environ["wsgi.input"]
        left = int(environ.get("CONTENT_LENGTH") or 0)
        while left > 0:
            data = stream.read(min(step, left))
            if not data:
                break
            reads += 1
            digest.update(data)
            length += len(data)
            left -= len(data)
        body = f"{length} {digest.hexdigest()} {type(stream).__name__}".encode()
        start_response(
            "200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
        )
        return [body]

    def stored_answer(self, path: str) -> tuple[str, list[tuple[str, str]], bytes, bool] | None:
        entry = self.stored.get(path)
        if entry is None:
            return None
        status, headers, body, is_page = entry
        return status, [*headers, ("X-Way", "fast")], body, is_page


application = App()
