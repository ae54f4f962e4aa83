"""The metadata report in plain language: which fact is shown under which words.

The report's keys (`exif_modified`, `container_creation_time`, `double_jpeg`) are the worker's
names, stable across versions and kept in the stored report; a member reads labels in their
own language and a one-line reading of the figures, with the raw key one click away (the
"Every tag read" details) for whoever must cite it.
"""

from __future__ import annotations

import re

from django.utils.functional import Promise
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiandu.forensics.date_labels import date_label
from jiandu.forensics.findings import reading
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
    "double_jpeg": _("Double compression score"),
    "members": _("Files in the archive"),
    "expansion": _("Declared size ÷ file size"),
}


def date_rows(report: FileReport) -> list[tuple[str, str, str]]:
    """(label, raw key, value) for each date in the file, earliest first."""
    rows = [(date_label(name), name, str(value)) for name, value in report.dates.items()]
    return sorted(rows, key=lambda row: row[2])


def fact_rows(report: FileReport) -> list[tuple[str, str, str]]:
    """(label, value, reading) for each known fact, in the order above; GPS as plain numbers;
    the reading is one plain line for the figures (findings.reading), else empty."""
    rows = []
    for name, label in FACT_LABELS.items():
        value = report.facts.get(name)
        if value in (None, "", []):
            continue
        if name == "gps" and isinstance(value, list):
            value = ", ".join(str(part) for part in value)
        rows.append((str(label), str(value), reading(name, value)))
    return rows


RENDER_KINDS: dict[str, Promise] = {
    "image": pgettext_lazy("kind of render", "image"),
    "video": pgettext_lazy("kind of render", "video"),
    "pdf": pgettext_lazy("kind of render", "PDF"),
}
PUBLISHED_REFERENCE = re.compile(r"evidence:(\d+)")


def match_name(kind: str, name: str, render_id: int | None = None, render_kind: str = "") -> str:
    """What a match points at, in words: a source's file by its name, a studio render as
    "render 2 (video) of IMG_1.mp4", a publication ("evidence:12") as published evidence 12."""
    if render_id is not None:
        return gettext_now("render %(n)s (%(kind)s) of %(name)s") % {
            "n": render_id,
            "kind": RENDER_KINDS.get(render_kind, render_kind),
            "name": name,
        }
    if kind == "published" and (match := PUBLISHED_REFERENCE.fullmatch(name)):
        return gettext_now("published evidence no. %(n)s") % {"n": match.group(1)}
    return name
