"""The check the studio makes before publishing (is this Derivative one of our renders?) and the
Content Credentials it signs, both called in order by `actions.do_publish_evidence`."""

from __future__ import annotations

import hashlib
import re

from jiandu.cases.evidence import Derivative
from jiandu.redaction.models import Render

REFERENCE = re.compile(r"render:([1-9][0-9]{0,17})")


def is_render_record(derivative: Derivative) -> bool:
    """True only for a finished render whose output is exactly these bytes and whose original
    is the one the derivative names (a forged reference or altered bytes are refused)."""
    match = REFERENCE.fullmatch(derivative.reference or "")
    if match is None or not derivative.data:
        return False
    render = Render.objects.filter(pk=int(match.group(1)), state=Render.State.DONE).first()
    if render is None or not render.output_sha256:
        return False
    original = f"item:{render.item_id}" if render.item_id else ""
    if derivative.original != original:
        return False
    return hashlib.sha256(derivative.data).hexdigest() == render.output_sha256


def add_credentials(derivative: Derivative, data: bytes, content_type: str) -> tuple[bytes, dict]:
    """The published bytes with Content Credentials (C2PA) signed by the newsroom, and what
    they say read back from those bytes (credentials.summary: the public page shows it). A
    format the C2PA library cannot sign is published without them, and the log says so (no
    content)."""
    import logging

    from jiandu.redaction import credentials

    try:
        signed = credentials.sign(
            data,
            content_type,
            str(derivative.provenance.get("original_sha256", "")),
            derivative.provenance,
        )
    except Exception as exc:  # the library's own errors: publish, say why not signed
        logging.getLogger(__name__).warning(
            "no content credentials on %s: %s", derivative.reference, type(exc).__name__
        )
        return data, {}
    return signed, credentials.summary(signed, content_type)
