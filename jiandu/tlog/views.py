"""The transparency log on the web: static-style endpoints under /log/ (C2SP tlog-tiles,
tlog-witness) and the public verify page."""

import base64
import hashlib
import re
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiandu.conf import env_int
from jiandu.tlog import client, explain, keys, note, read, tlog, witness
from jiandu.tlog.models import WitnessedLog

SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
TEXT = "text/plain; charset=utf-8"
IMMUTABLE = "public, max-age=31536000, immutable"


def _text(body: str, max_age: int = 5, content_type: str = TEXT) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = f"public, max-age={max_age}"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_GET
def checkpoint(request: HttpRequest) -> HttpResponse:
    return _text(read.get_signed_checkpoint())


@require_GET
def cosigned_checkpoint(request: HttpRequest) -> HttpResponse:
    signed = read.get_latest_cosigned_checkpoint()
    if signed is None:
        raise Http404
    return _text(signed)


@require_GET
def key(request: HttpRequest) -> HttpResponse:
    return _text(keys.log_verifier().vkey + "\n", max_age=3600)


@require_GET
def consistency(request: HttpRequest, old: int, new: int) -> HttpResponse:
    """A consistency proof between two sizes (base64 hashes, one a line), for the verify
    page's script; the script checks it, so it needs no trust in this server."""
    if not 0 < old <= new <= read.get_size():
        raise Http404
    proof = read.get_consistency_proof(old, new)
    return _text("".join(base64.b64encode(h).decode() + "\n" for h in proof), max_age=3600)


@require_GET
def tile(request: HttpRequest, path: str) -> HttpResponse:
    try:
        level, index, width = tlog.parse_tile_path(path)
    except ValueError as exc:
        raise Http404 from exc
    data = read.get_tile(level, index, width)
    if data is None:
        raise Http404
    response = _text("", content_type="application/octet-stream")
    response.content = data
    response["Cache-Control"] = IMMUTABLE
    return response


@csrf_exempt  # no cookie, no session: the request is authenticated by the log's signature
@require_POST
def add_checkpoint(request: HttpRequest) -> HttpResponse:
    """Counted first (429), bounded before it is read (413), then answered by the witness."""
    wait = witness.retry_after(request)
    if wait is not None:
        response = _plain(429, "too many requests\n")
        response["Retry-After"] = str(wait)
        return response
    if _content_length(request) > witness.MAX_REQUEST:
        return _plain(413, "request too large\n")
    body = request.read(witness.MAX_REQUEST + 1)
    if len(body) > witness.MAX_REQUEST:
        return _plain(413, "request too large\n")
    reply = witness.do_add_checkpoint(body)
    return _plain(reply.status, reply.body, reply.content_type)


def _plain(status: int, body: str, content_type: str = TEXT) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response


def _content_length(request: HttpRequest) -> int:
    """The declared body length; an unreadable one counts as too large (refused unread)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 1 << 62


@require_GET
def witness_key(request: HttpRequest) -> HttpResponse:
    return _text(keys.witness_verifier().vkey + "\n", max_age=3600)


@require_GET
def witnessed_checkpoint(request: HttpRequest, origin_hash: str) -> HttpResponse:
    for log in WitnessedLog.objects.all():
        if hashlib.sha256(log.origin.encode()).hexdigest() == origin_hash:
            return _text(log.checkpoint, max_age=60)
    raise Http404


UPLOAD_FORM_OVERHEAD = 16 * 1024  # multipart headers, the boundary and the sha256 field


def max_upload_bytes() -> int:
    """JIANDU_VERIFY_UPLOAD_MAX_BYTES (default 512 MiB): the largest file the server hashes.
    Larger files are hashed in the browser (JavaScript) or by the reader (sha256sum)."""
    value = getattr(settings, "JIANDU_VERIFY_UPLOAD_MAX_BYTES", None)
    return int(value) if value is not None else env_int("JIANDU_VERIFY_UPLOAD_MAX_BYTES", 512 << 20)


class HashingUploadHandler(FileUploadHandler):
    """Hashes one uploaded file as it arrives and keeps none of it (not in memory, not on
    disk): the verify page needs the SHA-256 only.

    One file and at most `max_bytes` of it: a request with more stops at the second file's
    first byte (`refusal` = "too_many") or at the byte past the bound ("too_large"), so one
    anonymous request costs at most one bounded hash."""

    def __init__(self, request: HttpRequest | None = None, max_bytes: int = 0) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.digest: str | None = None
        self.refusal: str | None = None
        self._files = 0
        self._hash = hashlib.sha256()
        self._seen = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._files += 1
        if self._files > 1:
            self.refusal, self.digest = "too_many", None
            raise StopUpload(connection_reset=False)
        self._hash, self._seen = hashlib.sha256(), 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self._seen += len(raw_data)
        if self._seen > self.max_bytes:
            self.refusal = "too_large"
            raise StopUpload(connection_reset=True)
        self._hash.update(raw_data)

    def file_complete(self, file_size: int) -> None:
        self.digest = self._hash.hexdigest()


def _hash_upload(request: HttpRequest) -> tuple[str, str | None]:
    """(the SHA-256 given or computed, a refusal or None) for a POSTed form; the body is
    refused unread when its declared length is past the bound."""
    limit = max_upload_bytes()
    if _content_length(request) > limit + UPLOAD_FORM_OVERHEAD:
        return "", "too_large"
    handler = HashingUploadHandler(request, max_bytes=limit)
    request.upload_handlers = [handler]
    typed = request.POST.get("sha256", "").strip()
    if handler.refusal:
        return "", handler.refusal
    return typed or (handler.digest or ""), None


REFUSAL_STATUS = {"too_large": 413, "too_many": 400}


@csrf_exempt  # a read: hashing a file the reader brings changes nothing on the server
@require_http_methods(["GET", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    """Answer for a SHA-256 (typed, or computed by the browser) or one uploaded file."""
    sha256 = request.GET.get("sha256", "").strip()
    refusal = None
    if request.method == "POST":
        sha256, refusal = _hash_upload(request)
    checkpoint = read.get_checkpoint()
    context: dict[str, object] = {
        "sha256": sha256,
        "log_key": keys.log_verifier().vkey,
        "checkpoint": checkpoint,
        "checkpoint_root": base64.b64encode(checkpoint.root).decode(),
        "refusal": refusal,
        "max_upload_bytes": max_upload_bytes(),
    }
    if sha256:
        if not SHA256.match(sha256):
            context["invalid"] = True
        else:
            try:
                context["answer"] = answer = read.get_answer(sha256)
                context["plain"] = explain.explain(answer)
            except client.VerifyError as exc:
                context["error"] = str(exc)
    status = REFUSAL_STATUS[refusal] if refusal else 200
    return render(request, "tlog/verify.html", context, status=status)


@require_GET
def checkpoint_about(request: HttpRequest) -> HttpResponse:
    """The signed checkpoint explained line by line, for people, in their language; the
    values are read from the same signed note /log/checkpoint serves (which stays a plain
    text note, byte for byte, for tools)."""
    signed = read.get_signed_checkpoint()
    parsed = note.parse(signed)
    log = keys.log_verifier()
    signatures = [
        {
            "line": sig.line.rstrip("\n"),
            "name": sig.name,
            "key_id": sig.key_id.hex(),
            "by_log": sig.name == log.name and sig.key_id == log.key_id,
        }
        for sig in parsed.signatures
    ]
    origin, size, root = parsed.text.split("\n")[:3]
    context = {
        "signed": signed,
        "origin": origin,
        "size": size,
        "root": root,
        "root_hex": base64.b64decode(root).hex(),
        "extensions": parsed.text.split("\n")[3:-1],
        "signatures": signatures,
        "log_key": log.vkey,
        "log_key_id": log.key_id.hex(),
    }
    return render(request, "tlog/checkpoint_about.html", context)
