"""Publishing evidence: only a derivative, never an original, and never its metadata.

The case desk's half of a publication (the whole walk is `redaction.actions.do_publish_evidence`,
docs/architecture.md, "How a publication flows"). The redaction studio checks that a `Derivative`
is one of its finished render records, then calls `prepare_evidence` here, outside any
transaction, then signs the Content Credentials, then calls `do_attach_evidence` inside its one
`transaction.atomic()`. The image is decoded and re-encoded from its pixels here, which drops
EXIF, XMP, IPTC, ICC profiles, comments and any trailing bytes a camera, an editing tool or a
leaker's copy may have left, and the SHA-256 published beside it is that of the published
bytes, the file every reader can download and check.

Untrusted input: the file is parsed by Pillow in `evidence_worker.py`, inside the sandbox
(bubblewrap, seccomp, CPU, memory, time limits; no network), with a pixel limit against
decompression bombs; only JPEG, PNG and WebP are accepted, and nothing of the upload's name is
kept. The sandbox's answer is untrusted too (a decoder exploit writes what it likes): the
extension and content type must be one of `OUTPUT_TYPES` and the bytes must be whole files of
that type (signature and end marker checked here, nothing decoded). The bytes come from the
studio's render record in memory (at most `MAX_BYTES`), never from an upload form or a temporary
file, and the sandbox runs before the publishing transaction, so the database is not locked while
it works.
"""

import hashlib
import io
import os
import sys
import sysconfig
from dataclasses import dataclass, field
from typing import cast

import PIL
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from jiandu.accounts.models import User
from jiandu.cases.actions import WorkflowError, record_edit
from jiandu.cases.models import Case, PublishedEvidence, VerificationStatus
from jiandu.cases.verification import verification_status_of
from jiandu.forensics.actions import do_request_published_fingerprint
from jiandu.sandbox.inside.answer import ExitCode, read_answer
from jiandu.sandbox.runner import Failure, Limits, MemoryFile, run_sandboxed

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
WORKER = os.path.join(os.path.dirname(__file__), "evidence_worker.py")
LIMITS = Limits(
    cpu_seconds=20,
    wall_seconds=60,
    memory_bytes=1024 * 1024 * 1024,
    input_bytes=MAX_BYTES,
    output_bytes=64 * 1024 * 1024,
    max_tasks=8,
)


# What the sandbox may answer: extension -> (content type, first bytes, last bytes).
OUTPUT_TYPES = {
    "jpg": ("image/jpeg", b"\xff\xd8\xff", b"\xff\xd9"),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"),
}
HEADER_MAX = 256


class EvidenceError(WorkflowError):
    """The file cannot be published (not an image we accept, too large, damaged)."""


@dataclass(frozen=True)
class Derivative:
    """A finished render of the redaction studio, opened for publication.

    `reference` names the render record ("render:12"), `original` the vault item it was made
    from ("item:40", empty for a newsroom-made original such as the demo's frame), `data` the
    derivative's bytes, `treatment_*` what was done to the original, in each language.
    """

    reference: str
    original: str
    data: bytes = field(repr=False)
    treatment_zh: str = ""
    treatment_en: str = ""
    # For a video, what the studio's sandboxed worker reported (not decoded here).
    content_type: str = ""
    width: int = 0
    height: int = 0
    # For the Content Credentials: the original's SHA-256 and the facts of the treatment.
    provenance: dict = field(default_factory=dict, repr=False, compare=False)


def _checked_output(stdout: bytes) -> tuple[bytes, str, str, int, int]:
    """The sandbox's answer, accepted only if it is what evidence_worker.py may write."""
    refused = EvidenceError(_("The file is not an image we can read."))
    try:
        header, body = read_answer(stdout, HEADER_MAX)
        extension, content_type = header["extension"], header["content_type"]
        width, height = header["width"], header["height"]
    except (ValueError, TypeError, KeyError) as exc:
        raise refused from exc
    if not isinstance(extension, str) or extension not in OUTPUT_TYPES:
        raise refused
    expected_type, head, tail = OUTPUT_TYPES[extension]
    if content_type != expected_type or not body.startswith(head) or not body.endswith(tail):
        raise refused
    if not all(type(n) is int and 0 < n <= MAX_PIXELS for n in (width, height)):
        raise refused
    if width * height > MAX_PIXELS:
        raise refused
    # A PNG's own header must agree (read at fixed offsets, nothing decoded).
    png_size = (int.from_bytes(body[16:20], "big"), int.from_bytes(body[20:24], "big"))
    if extension == "png" and (body[12:16] != b"IHDR" or png_size != (width, height)):
        raise refused
    return body, extension, expected_type, width, height


def clean_image(data: bytes) -> tuple[bytes, str, str, int, int]:
    """(re-encoded bytes, extension, content type, width, height) from an uploaded image.

    The decoding happens in `evidence_worker.py` under the forensics sandbox (DEVELOPERS.md:
    no untrusted file is parsed in the web process). Raises EvidenceError for anything that is
    not a whole, reasonably sized JPEG/PNG/WebP.
    """
    if len(data) > MAX_BYTES:
        raise EvidenceError(_("The file is larger than 20 MB."))
    if not data:
        raise EvidenceError(_("The file is empty."))
    outcome = run_sandboxed(
        [sys.executable, "-I", WORKER, str(MAX_PIXELS), str(MAX_BYTES)],
        LIMITS,
        stdin=io.BytesIO(data),
        read_paths=[WORKER, os.path.join(sysconfig.get_paths()["stdlib"], "os.py"), PIL.__file__],
    )
    if outcome.ok:
        return _checked_output(outcome.stdout)
    if outcome.failure is Failure.SANDBOX_UNAVAILABLE:
        raise EvidenceError(
            _(
                "Could not be analysed: sandbox unavailable. Ask an administrator to install "
                "bubblewrap."
            )
        )
    if outcome.failure is Failure.FAILED and outcome.returncode == ExitCode.UNSUPPORTED:
        raise EvidenceError(_("Only JPEG, PNG and WebP images can be published."))
    if outcome.failure is Failure.FAILED and outcome.returncode == ExitCode.TOO_MANY_PIXELS:
        raise EvidenceError(_("The image has too many pixels."))
    if outcome.failure is Failure.FAILED and outcome.returncode == ExitCode.MEMORY:
        raise EvidenceError(_("The image needs too much memory to decode."))
    raise EvidenceError(_("The file is not an image we can read."))


# Videos come only from the studio's sandboxed encoder (checked there and by the render
# record); here their first bytes are checked and nothing is decoded.
VIDEO_TYPES = {"video/mp4": ("mp4", 4, b"ftyp"), "video/webm": ("webm", 0, b"\x1a\x45\xdf\xa3")}
MAX_VIDEO_BYTES = 1024 * 1024 * 1024


POSTER_LIMITS = Limits(
    cpu_seconds=30,
    wall_seconds=60,
    memory_bytes=1024 * 1024 * 1024,
    input_bytes=MAX_VIDEO_BYTES,
    output_bytes=MAX_BYTES,
    max_tasks=8,
)
FFMPEG = "/usr/bin/ffmpeg"


def video_poster(data: bytes) -> bytes:
    """A poster for a video derivative: a representative frame among its first seconds
    (ffmpeg's thumbnail filter, in the sandbox, from the already redacted render), then
    re-encoded from its pixels like any published image (`clean_image`): a JPEG with no
    metadata. Empty when no frame comes out (the video is published without a poster)."""
    with MemoryFile.from_chunks([data], MAX_VIDEO_BYTES) as memory:
        outcome = run_sandboxed(
            [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1",
             "-format_whitelist", "mov,matroska", "-i", "/proc/self/fd/0", "-map", "0:v:0",
             "-vf", "thumbnail=30", "-frames:v", "1", "-an", "-map_metadata", "-1",
             "-f", "image2pipe", "-c:v", "mjpeg", "-q:v", "3", "pipe:1"],
            POSTER_LIMITS,
            stdin=memory,
        )  # fmt: skip
    if not outcome.ok or not outcome.stdout.startswith(b"\xff\xd8\xff"):
        return b""
    try:
        still, extension, _type, _width, _height = clean_image(outcome.stdout)
    except EvidenceError:
        return b""
    return still if extension == "jpg" else b""


def _checked_video(derivative: Derivative) -> tuple[bytes, str, str, int, int]:
    extension, offset, magic = VIDEO_TYPES[derivative.content_type]
    data = derivative.data
    if data[offset : offset + len(magic)] != magic or len(data) > MAX_VIDEO_BYTES:
        raise EvidenceError(_("The file is not a video we can publish."))
    if not all(type(n) is int and 0 < n <= 8192 for n in (derivative.width, derivative.height)):
        raise EvidenceError(_("The file is not a video we can publish."))
    return data, extension, derivative.content_type, derivative.width, derivative.height


# PDFs come only from the studio's sandboxed worker, which draws each page as an image and
# writes a new file holding those images and nothing else (no text, script, form or link):
# here the whole-file markers are checked and nothing is parsed.
PDF_TYPE = "application/pdf"
MAX_PDF_BYTES = 512 * 1024 * 1024


def _checked_pdf(derivative: Derivative) -> tuple[bytes, str, str, int, int]:
    """The PDF render's bytes, if they are a whole PDF file (its signature first and its
    end-of-file marker last) of a sane size, with the first page's size in pixels."""
    data = derivative.data
    refused = EvidenceError(_("The file is not a PDF we can publish."))
    if not data.startswith(b"%PDF-") or len(data) > MAX_PDF_BYTES:
        raise refused
    if not data.rstrip(b"\r\n").endswith(b"%%EOF"):
        raise refused
    if not all(type(n) is int and 0 < n <= 20000 for n in (derivative.width, derivative.height)):
        raise refused
    return data, "pdf", PDF_TYPE, derivative.width, derivative.height


@dataclass(frozen=True)
class Prepared:
    """A derivative's bytes as they will be published (cleaned, or checked), with their type."""

    data: bytes = field(repr=False)
    extension: str
    content_type: str
    width: int
    height: int


def checked_status(derived_from: str, chosen: str) -> str:
    """The status the evidence will show (`verification.verification_status_of`), refused
    with EvidenceError if it is not one of `VerificationStatus`."""
    status = verification_status_of(derived_from, chosen)
    if status not in VerificationStatus.values:
        raise EvidenceError(_("Unknown verification status."))
    return status


def prepare_evidence(derivative: Derivative) -> Prepared:
    """The derivative's bytes made ready for the public site: an image re-encoded from its
    pixels in the sandbox (`clean_image`), a video or PDF of the studio checked by its markers.

    Call it outside any transaction: the sandbox may work for up to a minute, and SQLite holds
    its one write lock for a whole transaction, so every other writer would wait for the
    decoder. Raises EvidenceError for what cannot be published.
    """
    if derivative.content_type in VIDEO_TYPES:
        return Prepared(*_checked_video(derivative))
    if derivative.content_type == PDF_TYPE:
        return Prepared(*_checked_pdf(derivative))
    return Prepared(*clean_image(derivative.data))


def do_attach_evidence(
    case: Case,
    actor: User,
    derivative: Derivative,
    prepared: Prepared,
    verification_status: str,
    *,
    caption_zh: str = "",
    caption_en: str = "",
    verification_note: str = "",
    credentials: dict | None = None,
    poster: bytes = b"",
) -> PublishedEvidence:
    """Attach prepared bytes to `case` (public with its next reviewed revision), named by
    their hash, with the edit recorded so the change joins what a second editor reviews.

    Only the redaction room's `do_publish_evidence` calls it, inside its transaction, after
    checking the render record and preparing the bytes: this function trusts `prepared` and
    does nothing slow. `derived_from` becomes the original's reference, so the derivative
    shows the status its verification checklist derives (`verification_status_of`).
    """
    if not actor.has_perm("accounts.publish_cases"):
        raise PermissionDenied
    status = checked_status(derivative.original, verification_status)
    digest = hashlib.sha256(prepared.data).hexdigest()
    with transaction.atomic():
        return _save_evidence(
            case,
            actor,
            prepared.data,
            digest,
            prepared.extension,
            prepared.content_type,
            (prepared.width, prepared.height),
            verification_status=status,
            caption_zh=caption_zh,
            caption_en=caption_en,
            verification_note=verification_note,
            derived_from=derivative.original,
            render=derivative.reference,
            treatment_zh=derivative.treatment_zh[:300],
            treatment_en=derivative.treatment_en[:300],
            credentials=credentials or {},
            poster=poster,
        )


def _save_evidence(
    case: Case,
    actor: User,
    data: bytes,
    digest: str,
    extension: str,
    content_type: str,
    size: tuple[int, int],
    *,
    poster: bytes = b"",
    **fields: object,
) -> PublishedEvidence:
    """The short transaction of `do_attach_evidence`: check, store, record the edit."""
    width, height = size
    # Signed copies of one render differ byte for byte: the render itself is the same file.
    render = fields.get("render", "")
    if case.evidence.filter(sha256=digest).exists() or (
        render and case.evidence.filter(render=render).exists()
    ):
        raise EvidenceError(_("This file is already part of the case."))
    evidence = PublishedEvidence(
        case=case,
        sha256=digest,
        content_type=content_type,
        size=len(data),
        width=width,
        height=height,
        added_by=actor,
        **fields,
    )
    # Named by its hash: the public URL says which bytes it serves, and never changes.
    evidence.file.save(f"{digest}.{extension}", ContentFile(data), save=False)
    if poster:
        evidence.poster_sha256 = hashlib.sha256(poster).hexdigest()
        evidence.poster.save(f"{evidence.poster_sha256}.jpg", ContentFile(poster), save=False)
    evidence.save()
    # "Have we published this before?": its fingerprints join the matching index.
    do_request_published_fingerprint(f"evidence:{evidence.pk}", cast(str, evidence.file.name))
    # The addition joins what the publisher reviews; a standing request for review stays.
    record_edit(case, actor, withdraw_review=False)
    return evidence
