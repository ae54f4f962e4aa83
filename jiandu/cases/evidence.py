"""Publishing evidence: only a derivative, never an original, and never its metadata.

`do_publish_evidence` is the one door through which a file reaches the public site. Today an
editor uploads an image that is already redacted; the redaction studio will call the same
function with the derivative it produced. Either way the file is decoded and re-encoded from
its pixels here, which drops EXIF, XMP, IPTC, ICC profiles, comments and any trailing bytes a
camera, an editing tool or a leaker's copy may have left, and the SHA-256 published beside it
is that of the re-encoded bytes, the file every reader can download and check.

Untrusted input: the file is parsed by Pillow with a pixel limit (decompression bombs), only
JPEG, PNG and WebP are accepted, and nothing of the upload's name is kept.
"""

import hashlib
import io
from typing import IO

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from jiandu.accounts.models import User
from jiandu.cases.actions import WorkflowError, _touch
from jiandu.cases.models import Case, PublishedEvidence, VerificationStatus

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp"}
OUTPUT = {  # what each accepted format is re-encoded to: (format, extension, content type)
    "JPEG": ("JPEG", "jpg", "image/jpeg"),
    "PNG": ("PNG", "png", "image/png"),
    "WEBP": ("PNG", "png", "image/png"),
}


class EvidenceError(WorkflowError):
    """The file cannot be published (not an image we accept, too large, damaged)."""


def clean_image(data: bytes) -> tuple[bytes, str, str, int, int]:
    """(re-encoded bytes, extension, content type, width, height) from an uploaded image.

    Raises EvidenceError for anything that is not a whole, reasonably sized JPEG/PNG/WebP.
    """
    if len(data) > MAX_BYTES:
        raise EvidenceError(_("The file is larger than 20 MB."))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            if fmt not in ACCEPTED_FORMATS:
                raise EvidenceError(_("Only JPEG, PNG and WebP images can be published."))
            if probe.width * probe.height > MAX_PIXELS:
                raise EvidenceError(_("The image has too many pixels."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            # Apply the orientation tag to the pixels before the tag goes with the metadata.
            image = ImageOps.exif_transpose(image)
            out_format, extension, content_type = OUTPUT[fmt]
            mode = "RGB" if out_format == "JPEG" else ("RGBA" if "A" in image.getbands() else "RGB")
            pixels = image.convert(mode)
            clean = Image.new(mode, pixels.size)  # a fresh image: no info dict, no profile
            clean.paste(pixels)
            buffer = io.BytesIO()
            if out_format == "JPEG":
                clean.save(buffer, "JPEG", quality=90, optimize=True)
            else:
                clean.save(buffer, "PNG", optimize=True)
            return buffer.getvalue(), extension, content_type, clean.width, clean.height
    except EvidenceError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as e:
        raise EvidenceError(_("The file is not an image we can read.")) from e


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
