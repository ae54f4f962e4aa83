"""The tip line's tus 1.0.0 server (https://tus.io/protocols/resumable-upload): core protocol
and the creation, termination, expiration and checksum extensions, over jiandu.vault.resumable.

    OPTIONS upload/              -> 204  Tus-Version, Tus-Extension, Tus-Max-Size, checksums
    POST    upload/              Upload-Length, Upload-Metadata (filename, filetype; base64)
                                 -> 201  Location: upload/<id>/, Upload-Expires
    HEAD    upload/<id>/         -> 200  Upload-Offset, Upload-Length, [Upload-Head-Length]
    PATCH   upload/<id>/         application/offset+octet-stream, Upload-Offset,
                                 [Upload-Checksum: sha256|sha1 <base64>],
                                 [Upload-Head-Checksum: sha256 <base64>] -> 204  Upload-Offset
                                 (409 wrong offset, 460 checksum mismatch, nothing of it kept;
                                 422 not the same file)
    DELETE  upload/<id>/         -> 204

Every answer carries `Tus-Resumable: 1.0.0`; a request without it (OPTIONS aside) gets 412.
An upload belongs to the session that made it (its key is in that session), so its URL is
useless to anyone else: another session gets 404. CSRF: the session's token travels as
`X-CSRFToken`; the check runs inside (the views are `csrf_exempt` outside) so that a refusal
still carries the tus header. Errors have a short text body in the page's language, which the
page's script shows. Stock clients (tus-js-client, tuspy) work unchanged, given the session
cookie and the token.

An upload begun once the session holds a source's codename-derived key is tied to the source
(jiandu.vault.resumable): after a closed browser and a sign-in with the codename, the same URL
works in the new session. There, before any byte is taken, the client shows it holds the same
file: `Upload-Head-Checksum: sha256 <base64>` over the file's first `Upload-Head-Length` bytes
(a HEAD says how many); without it, or with another digest, 422 and nothing is kept. This is
Jiandu's own header (tus has none for it); stock clients send it as an extra header.

Deliberately not offered: creation-with-upload, creation-defer-length, concatenation (parallel
pieces would race on the one session that holds the stream's state).
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import http_date
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from jiandu.core.middleware import CsrfViewMiddleware
from jiandu.tipline import messages_text, throttle
from jiandu.tipline.views import REFUSAL_STATUS, current_source
from jiandu.vault import actions as vault
from jiandu.vault import conf, resumable, uploads

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration,checksum"
PATCH_TYPE = "application/offset+octet-stream"
CHECKSUM_MISMATCH = 460  # the checksum extension's own status
MAX_METADATA_PAIRS = 32
MAX_NAME_CHARACTERS = 400

STATUS = {
    "too_big": 413,
    "session_quota": 413,
    "staging_full": 507,
    "too_many": 409,
    "disk_full": 507,
    "unknown": 404,
    "offset": 409,
    "done": 409,
    "empty": 400,
    "broken": 400,
    "checksum": CHECKSUM_MISMATCH,
    "not_same": 422,
}

_csrf = CsrfViewMiddleware(lambda request: HttpResponse())


def _text(status: int, message: str = "") -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _expires(request: HttpRequest) -> str:
    linked = resumable.is_linked(request.session)
    return http_date(time.time() + resumable.expires_seconds(linked))


def tus_endpoint(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Version check, CSRF check (inside), and the Tus-Resumable header on every answer."""

    @csrf_exempt
    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != TUS_VERSION:
            response = _text(412, messages_text.resumable_error("version"))
            response["Tus-Version"] = TUS_VERSION
        elif request.method in {"POST", "PATCH", "DELETE"} and (
            refused := _csrf.process_view(request, view, args, kwargs)
        ):
            response = refused
        else:
            response = view(request, *args, **kwargs)
        response["Tus-Resumable"] = TUS_VERSION
        return response

    return wrapped


def parse_metadata(header: str) -> dict[str, str]:
    """`key base64value,key2,...` (tus 1.0.0, Upload-Metadata). ValueError on anything else:
    a duplicate or empty key, a key with spaces or commas, a value that is not base64 or not
    UTF-8, or more than MAX_METADATA_PAIRS pairs."""
    result: dict[str, str] = {}
    pairs = [pair.strip() for pair in header.split(",") if pair.strip()]
    if len(pairs) > MAX_METADATA_PAIRS:
        raise ValueError("too many pairs")
    for pair in pairs:
        key, _space, value = pair.partition(" ")
        value = value.strip()
        if not key.isascii() or not key.isprintable() or key in result or " " in value:
            raise ValueError("bad key")
        try:
            result[key] = base64.b64decode(value, validate=True).decode() if value else ""
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ValueError("bad value") from exc
    return result


def parse_checksum(header: str) -> tuple[str, bytes]:
    """`Upload-Checksum: <algorithm> <base64 digest>`; ValueError if unknown or malformed."""
    algorithm, _space, encoded = header.strip().partition(" ")
    if algorithm not in resumable.CHECKSUMS:
        raise ValueError("unsupported algorithm")
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error as exc:
        raise ValueError("not base64") from exc
    if len(digest) != resumable.CHECKSUMS[algorithm]().digest_size:
        raise ValueError("wrong length")
    return algorithm, digest


def _count(value: str | None) -> int | None:
    """A non-negative decimal integer header, or None."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


def _error(exc: resumable.ResumableError, name: str = "") -> HttpResponse:
    response = _text(STATUS.get(exc.code, 400), messages_text.resumable_error(exc.code, name))
    response["Upload-Offset"] = str(exc.offset)
    return response


def _short_name(name: str) -> str:
    """Keep the end too: the extension says what kind of file it is."""
    if len(name) > MAX_NAME_CHARACTERS:
        return name[:360] + name[-40:]
    return name


@tus_endpoint
def collection(request: HttpRequest) -> HttpResponse:
    """OPTIONS (what this server offers) and POST (creation)."""
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        response["Tus-Version"] = TUS_VERSION
        response["Tus-Extension"] = EXTENSIONS
        response["Tus-Max-Size"] = str(conf.max_file_bytes())
        response["Tus-Checksum-Algorithm"] = ",".join(resumable.CHECKSUMS)
        return response
    if request.method != "POST":
        response = _text(405)
        response["Allow"] = "OPTIONS, POST"
        return response
    length = _count(request.headers.get("Upload-Length"))
    try:
        metadata = parse_metadata(request.headers.get("Upload-Metadata", ""))
    except ValueError:
        return _text(400, messages_text.refusal("broken"))
    if length is None:  # creation-defer-length is not offered
        return _text(400, messages_text.refusal("broken"))
    name = _short_name(metadata.get("filename") or metadata.get("name") or "")
    if not vault.readers_are_ready():
        return _text(403, messages_text.refusal("closed"))
    refusal = uploads.check_request(request)
    if refusal is not None:
        return _text(refusal.status, messages_text.refusal(refusal.code))
    limit = throttle.intake_refusal(current_source(request))
    if limit is not None:  # checked, not counted: only a stored submission counts
        return _text(REFUSAL_STATUS[limit], messages_text.refusal(limit))
    try:
        upload_id = resumable.create(
            request.session, name, length, metadata.get("filetype") or metadata.get("type", "")
        )
    except resumable.ResumableError as exc:
        return _error(exc, uploads.clean_name(name))
    request.session.set_expiry(conf.source_idle_seconds())
    response = _text(201)
    response["Location"] = reverse("tipline:upload_piece", args=[upload_id])
    response["Upload-Expires"] = _expires(request)
    return response


@tus_endpoint
def resource(request: HttpRequest, upload_id: str) -> HttpResponse:
    """HEAD (where to go on), PATCH (the next bytes), DELETE (termination)."""
    try:
        upload = resumable.get(request.session, upload_id)
        if request.method == "HEAD":
            response = HttpResponse(status=200)
            response["Upload-Offset"] = str(upload["offset"])
            response["Upload-Length"] = str(upload["length"])
            if not upload["done"]:
                response["Upload-Expires"] = _expires(request)
                if head := resumable.head_length(upload):
                    response["Upload-Head-Length"] = str(head)
            return response
        if request.method == "DELETE":
            resumable.remove(request.session, upload_id)
            return HttpResponse(status=204)
        if request.method != "PATCH":
            response = _text(405)
            response["Allow"] = "HEAD, PATCH, DELETE"
            return response
        return _patch(request, upload_id, upload)
    except resumable.ResumableError as exc:
        return _error(exc)


def _patch(request: HttpRequest, upload_id: str, upload: dict[str, Any]) -> HttpResponse:
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type != PATCH_TYPE:
        return _text(415, messages_text.refusal("broken"))
    offset = _count(request.headers.get("Upload-Offset"))
    size = _count(request.META.get("CONTENT_LENGTH") or None)
    if offset is None:
        return _text(400, messages_text.refusal("broken"))
    if size is None:
        return _text(411, messages_text.refusal("broken"))
    checksum = None
    if "Upload-Checksum" in request.headers:
        try:
            checksum = parse_checksum(request.headers["Upload-Checksum"])
        except ValueError:
            return _text(400, messages_text.refusal("broken"))
    head = None
    if "Upload-Head-Checksum" in request.headers:
        try:
            algorithm, head = parse_checksum(request.headers["Upload-Head-Checksum"])
        except ValueError:
            return _text(400, messages_text.refusal("broken"))
        if algorithm != "sha256":
            return _text(400, messages_text.refusal("broken"))
    if upload["done"] and offset == upload["length"] and size == 0:
        new_offset = offset  # a client checking in after the last piece
    else:
        new_offset = resumable.append(
            request.session, upload_id, offset, request, size, checksum=checksum, head_sha256=head
        )
    request.session.set_expiry(conf.source_idle_seconds())
    response = HttpResponse(status=204)
    response["Upload-Offset"] = str(new_offset)
    if new_offset < upload["length"]:
        response["Upload-Expires"] = _expires(request)
    return response
