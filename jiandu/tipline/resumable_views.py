"""The resumable-upload endpoints the tip line's JavaScript uses (jiandu.vault.resumable).

    POST  uploads/               Upload-Length, Upload-Name (URL-encoded)  -> {"id", "offset"}
    HEAD  uploads/<id>/                                                    -> Upload-Offset
    PATCH uploads/<id>/          Upload-Offset, body = the next bytes      -> Upload-Offset
    POST  uploads/<id>/finish/                                             -> {"size", "sha256"}

CSRF: the token goes in the X-CSRFToken header (the project's CSRF middleware checks it). Every
error is JSON with a message in the page's language, and the current offset where it helps.
"""

from __future__ import annotations

from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from jiandu.tipline import messages_text, throttle
from jiandu.tipline.views import REFUSAL_STATUS, current_source
from jiandu.vault import actions as vault
from jiandu.vault import conf, resumable, uploads

STATUS = {"too_big": 413, "too_many": 409, "disk_full": 507, "unknown": 404, "offset": 409}


def _error(exc: resumable.ResumableError, name: str = "") -> JsonResponse:
    response = JsonResponse(
        {"error": messages_text.resumable_error(exc.code, name), "offset": exc.offset},
        status=STATUS.get(exc.code, 400),
    )
    response["Upload-Offset"] = str(exc.offset)
    return response


def _int_header(request: HttpRequest, name: str) -> int | None:
    try:
        return int(request.headers.get(name, ""))
    except ValueError:
        return None


@never_cache
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    length = _int_header(request, "Upload-Length")
    name = unquote(request.headers.get("Upload-Name", ""))
    if len(name) > 400:  # keep the end too: the extension says what kind of file it is
        name = name[:360] + name[-40:]
    if length is None:
        return JsonResponse({"error": messages_text.refusal("broken")}, status=400)
    if not vault.readers_are_ready():
        return JsonResponse({"error": messages_text.refusal("closed")}, status=403)
    refusal = uploads.check_request(request)
    if refusal is not None:
        return JsonResponse({"error": messages_text.refusal(refusal.code)}, status=refusal.status)
    limit = throttle.intake_refusal(current_source(request))
    if limit is not None:  # checked, not counted: only a stored submission counts
        return JsonResponse({"error": messages_text.refusal(limit)}, status=REFUSAL_STATUS[limit])
    try:
        upload_id = resumable.create(request.session, name, length)
    except resumable.ResumableError as exc:
        return _error(exc, name)
    request.session.set_expiry(conf.source_idle_seconds())
    return JsonResponse({"id": upload_id, "offset": 0}, status=201)


@never_cache
@require_http_methods(["HEAD", "PATCH"])
def piece(request: HttpRequest, upload_id: str) -> HttpResponse:
    try:
        upload = resumable.get(request.session, upload_id)
        if request.method == "HEAD":
            response = HttpResponse(status=200)
            response["Upload-Offset"] = str(upload["offset"])
            return response
        offset = _int_header(request, "Upload-Offset")
        size = _int_header(request, "Content-Length") or 0
        if offset is None:
            raise resumable.ResumableError("offset", upload["offset"])
        new_offset = resumable.append(request.session, upload_id, offset, request, size)
    except resumable.ResumableError as exc:
        return _error(exc)
    response = HttpResponse(status=204)
    response["Upload-Offset"] = str(new_offset)
    return response


@never_cache
@require_POST
def finish(request: HttpRequest, upload_id: str) -> HttpResponse:
    try:
        upload = resumable.finish(request.session, upload_id)
    except resumable.ResumableError as exc:
        return _error(exc)
    return JsonResponse({"size": upload["length"], "sha256": upload["sha256"]})
