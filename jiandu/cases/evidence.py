"""Publishing evidence: only a derivative, never an original, and never its metadata.

`do_publish_evidence` is the one door through which a file reaches the public site. Today an
editor uploads an image that is already redacted; the redaction studio will call the same
function with the derivative it produced. Either way the file is decoded and re-encoded from
its pixels here, which drops EXIF, XMP, IPTC, ICC profiles, comments and any trailing bytes a
camera, an editing tool or a leaker's copy may have left, and the SHA-256 published beside it
is that of the re-encoded bytes, the file every reader can download and check.

Untrusted input: the file is parsed by Pillow in `evidence_worker.py`, inside the forensics
sandbox (CPU, memory, time limits; no network), with a pixel limit against decompression
bombs; only JPEG, PNG and WebP are accepted, and nothing of the upload's name is kept.
"""

import hashlib
import io
import json
import os
import sys
import sysconfig
from typing import IO

import PIL
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from jiandu.accounts.models import User
from jiandu.cases.actions import WorkflowError, _touch
from jiandu.cases.models import Case, PublishedEvidence, VerificationStatus
from jiandu.forensics.sandbox import Failure, Limits, run_sandboxed

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


class EvidenceError(WorkflowError):
    """The file cannot be published (not an image we accept, too large, damaged)."""


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
        header_line, _newline, body = outcome.stdout.partition(b"\n")
        header = json.loads(header_line)
        return (
            body,
            header["extension"],
            header["content_type"],
            header["width"],
            header["height"],
        )
    if outcome.failure is Failure.FAILED and outcome.returncode in (7,):
        raise EvidenceError(_("Only JPEG, PNG and WebP images can be published."))
    if outcome.failure is Failure.FAILED and outcome.returncode == 4:
        raise EvidenceError(_("The image has too many pixels."))
    if outcome.failure is Failure.FAILED and outcome.returncode == 3:
        raise EvidenceError(_("The image needs too much memory to decode."))
    raise EvidenceError(_("The file is not an image we can read."))


@transaction.atomic
def do_publish_evidence(
    case: Case,
    actor: User,
    derivative_file: IO[bytes],
    verification_status: str,
    *,
    caption_zh: str = "",
    caption_en: str = "",
    verification_note: str = "",
    derived_from: str = "",
) -> PublishedEvidence:
    """Attach a derivative (already redacted) to `case` for publication.

    The file is cleaned and hashed here; it goes public with the case's next published
    revision, after a second editor's review like every other change. `derived_from` names the
    vault derivative it came from (empty for an editor's upload).
    """
    if not actor.has_perm("accounts.publish_cases"):
        raise PermissionDenied
    if verification_status not in VerificationStatus.values:
        raise EvidenceError(_("Unknown verification status."))
    data, extension, content_type, width, height = clean_image(derivative_file.read(MAX_BYTES + 1))
    digest = hashlib.sha256(data).hexdigest()
    if case.evidence.filter(sha256=digest).exists():
        raise EvidenceError(_("This file is already part of the case."))
    evidence = PublishedEvidence(
        case=case,
        sha256=digest,
        content_type=content_type,
        size=len(data),
        width=width,
        height=height,
        caption_zh=caption_zh,
        caption_en=caption_en,
        verification_status=verification_status,
        verification_note=verification_note,
        derived_from=derived_from,
        added_by=actor,
    )
    # Named by its hash: the public URL says which bytes it serves, and never changes.
    evidence.file.save(f"{digest}.{extension}", ContentFile(data), save=False)
    evidence.save()
    _touch(case, actor)
    return evidence
