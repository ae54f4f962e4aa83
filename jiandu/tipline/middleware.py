"""The onion service on the web side (the address comes from `jiandu onion`, see onion.py).

- Every answer carries `Onion-Location: http://<address><path>` once the address is known, so
  Tor Browser offers the onion site to a visitor of the clearnet site (it ignores the header on
  an onion site, so it is sent alike everywhere: a cached public page reads the same on both).
- With JIANDU_TIPLINE_ONION_ONLY=true, the tip line (every view of the `tipline` namespace,
  the tus server included) answers on the clearnet host only with a page that says how to get
  to the onion address; nothing the clearnet request sent is read or stored. The newsroom and
  the public site stay where they are.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import BadHeaderError, HttpRequest, HttpResponse
from django.shortcuts import render


def on_onion(request: HttpRequest) -> bool:
    try:
        host = request.get_host().rsplit(":", 1)[0].lower()
    except DisallowedHost:
        return False
    return host.endswith(".onion")


class OnionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        address = getattr(settings, "ONION_ADDRESS", "")
        if address:
            with contextlib.suppress(BadHeaderError):  # a path no header may carry: say nothing
                response["Onion-Location"] = f"http://{address}{request.get_full_path()}"
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if (
            not getattr(settings, "TIPLINE_ONION_ONLY", False)
            or match is None
            or "tipline" not in match.namespaces
            or on_onion(request)
        ):
            return None
        status = 200 if request.method in {"GET", "HEAD"} else 403
        response = render(
            request,
            "tipline/onion_only.html",
            {"address": getattr(settings, "ONION_ADDRESS", "")},
            status=status,
        )
        if "/upload/" in request.path:
            response["Tus-Resumable"] = "1.0.0"
        return response
