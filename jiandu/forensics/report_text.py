"""The metadata report in plain language: which fact is shown under which words."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiandu.forensics.metadata import FileReport

FACT_LABELS: dict[str, Promise] = {
    "make": _("Camera make"),
    "model": _("Camera model"),
    "serial": _("Device serial number"),
    "lens": _("Lens"),
    "lens_serial": _("Lens serial number"),
    "owner": _("Owner name"),
    "software": _("Software"),
    "creator_tool": _("Made with"),
    "producer": _("PDF producer"),
    "author": _("Author"),
    "last_modified_by": _("Last modified by"),
    "revision": pgettext_lazy("document metadata", "Revision"),
    "revisions": _("Times saved"),
    "pages": pgettext_lazy("number of pages in a document", "Pages"),
    "gps": _("GPS position (latitude, longitude)"),
    "encoder": _("Encoder (container)"),
    "stream_encoder": _("Encoder (video stream)"),
    "container": _("Container"),
    "duration": _("Duration (seconds)"),
    "video_codec": _("Video codec"),
    "audio_codec": _("Audio codec"),
    "width": _("Width (pixels)"),
    "height": _("Height (pixels)"),
    "fps": _("Frame rate (per second)"),
    "rotation": _("Rotation (degrees)"),
    "sample_rate": _("Sample rate (Hz)"),
    "jpeg_quality": _("JPEG quality (estimated)"),
    "ela": _("Error level (largest region ÷ median)"),
    "double_jpeg": _("Double compression score (above 0.45: compressed twice)"),
    "members": _("Files in the archive"),
    "expansion": _("Declared size ÷ file size"),
}


def fact_rows(report: FileReport) -> list[tuple[str, str]]:
    """(label, value) for each known fact, in the order above; GPS as plain numbers."""
    rows = []
    for name, label in FACT_LABELS.items():
        value = report.facts.get(name)
        if value in (None, "", []):
            continue
        if name == "gps" and isinstance(value, list):
            value = ", ".join(str(part) for part in value)
        rows.append((str(label), str(value)))
    return rows
