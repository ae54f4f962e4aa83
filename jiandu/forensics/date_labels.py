"""The dates a file carries, under labels a member reads (issue 18, item 10).

The worker names each date by where it was read (`exif_modified`, `container_creation_time`,
`stream_0_creation`): stable keys, kept in the stored report and shown raw only in the
report's "Every tag read" details. Findings and the report both say them through here.
"""

from __future__ import annotations

import re

from django.utils.functional import Promise
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

# Dates the worker reads (metadata_worker: EXIF, XMP, IPTC, container, streams, PDF, Office).
DATE_LABELS: dict[str, Promise] = {
    "exif_original": _("Taken (EXIF)"),
    "exif_digitized": _("Digitised (EXIF)"),
    "exif_modified": _("Last changed (EXIF)"),
    "xmp_created": _("Created (XMP)"),
    "xmp_date_created": _("Content created (XMP)"),
    "xmp_modified": _("Last changed (XMP)"),
    "xmp_metadata_date": _("Metadata last changed (XMP)"),
    "iptc_date_created": _("Content created (IPTC)"),
    "container_creation_time": _("Created (video container)"),
    "container_creationdate": _("Created (video container)"),
    "container_date": _("Date (video container)"),
    "pdf_creationdate": _("Created (PDF)"),
    "pdf_moddate": _("Last changed (PDF)"),
    "office_created": _("Created (document)"),
    "office_modified": _("Last changed (document)"),
}
STREAM_DATE = re.compile(r"stream_(\d+)_creation")


def date_label(name: str) -> str:
    """A date's label in the active language; a key the worker adds later reads as a date of
    its part of the file (container or stream) rather than as the raw key."""
    if name in DATE_LABELS:
        return str(DATE_LABELS[name])
    if match := STREAM_DATE.fullmatch(name):
        return gettext_now("Created (stream %(n)s)") % {"n": match.group(1)}
    if name.startswith("container_"):
        return gettext_now("Date (video container)")
    return gettext_now("Another date in the file")
