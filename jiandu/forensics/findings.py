"""Consistency findings, one line each, from a file's metadata report.

A pure function of the stored report (and, when the member can open it, the questionnaire's
"when"): computed when the report is shown, so a better rule applies to old reports too, and
the questionnaire never reaches the worker. Severities: `RED` (something in the file could
identify the source: shown as a red warning to the newsroom), `WARNING` (a sign of editing,
re-encoding or an inconsistency), `INFO` (worth knowing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from jiandu.forensics.date_labels import date_label
from jiandu.forensics.metadata import FileReport

RED, WARNING, INFO = "red", "warning", "info"
# Dates that say when the content was made (a modification date may rightly be later).
CAPTURE_DATES = (
    "exif_original",
    "exif_digitized",
    "xmp_created",
    "xmp_date_created",
    "container_creation_time",
    "container_creationdate",
    "pdf_creationdate",
    "office_created",
)
# Tools that edit or re-encode; their name in a software tag is a sign, not a proof.
EDITORS = re.compile(
    r"photoshop|lightroom|gimp|snapseed|picsart|pixelmator|affinity|canva|facetune|meitu|"
    r"premiere|after effects|final cut|davinci|capcut|inshot|imovie|handbrake|kdenlive|"
    r"shotcut|lavf|lavc|ffmpeg|libav|vsco|paint\.net|illustrator|inkscape|acrobat",
    re.IGNORECASE,
)
CAMERA_RATES = (
    10.0, 12.0, 15.0, 23.976, 24.0, 25.0, 29.97, 30.0, 48.0, 50.0, 59.94, 60.0, 90.0, 100.0,
    119.88, 120.0, 240.0,
)  # fmt: skip
# Cameras save JPEGs at quality 90 or more; messaging apps and editors re-save lower. (Error
# level analysis is shown as a number in the report, not as a finding: on our generated tests
# it did not separate a spliced picture from an untouched one reliably enough to accuse.)
RESAVED_QUALITY = 85
# Oscillation of the DCT histograms (metadata_worker.double_compression), measured on generated
# textured pictures: 0.06–0.40 saved once (quality 80–95), 0.49–1.57 saved at 60 or 72 and then
# at 80–95. Natural photographs may differ: the finding says "probably".
DOUBLE_JPEG_THRESHOLD = 0.45
EXPANSION_THRESHOLD = 100.0
DATE_TOLERANCE = timedelta(hours=26)  # time zones and naive clocks, at most
WHEN_TOLERANCE = timedelta(days=2)


def reading(name: str, value: object) -> str:
    """One plain line under a figure of the report, from the thresholds the findings use: what
    the number means for this file, so that a member need not know the scale. Empty for a
    fact that is not a figure."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return ""
    if name == "double_jpeg":
        if value >= DOUBLE_JPEG_THRESHOLD:
            return _(
                "At or above %(limit)s: probably saved twice, the first time at a lower quality."
            ) % {"limit": DOUBLE_JPEG_THRESHOLD}
        return _("Below %(limit)s: what a single save gives.") % {"limit": DOUBLE_JPEG_THRESHOLD}
    if name == "jpeg_quality" and value > 0:
        if value < RESAVED_QUALITY:
            return _("Below %(limit)s, lower than cameras save: probably compressed again.") % {
                "limit": RESAVED_QUALITY
            }
        return _("%(limit)s or more: as cameras save.") % {"limit": RESAVED_QUALITY}
    if name == "ela":
        # No threshold: on the generated tests it did not separate edited pictures from
        # untouched ones (see RESAVED_QUALITY's note), so the reading says where to look.
        return _(
            "The region that changes most when saved again changes %(times)s times as much as "
            "a typical one (about 1 for an even picture): a place to look, not a proof of editing."
        ) % {"times": value}
    if name == "expansion":
        if value >= EXPANSION_THRESHOLD:
            return _("%(limit)s or more: a possible zip bomb; it was not unpacked.") % {
                "limit": int(EXPANSION_THRESHOLD)
            }
        return _("Below %(limit)s: ordinary for an archive.") % {"limit": int(EXPANSION_THRESHOLD)}
    if name == "revisions" and value > 1:
        return _("Saved more than once: changes were added after it was made.")
    return ""


@dataclass(frozen=True)
class Finding:
    severity: str
    code: str
    text: str


def _date(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=None)  # compare wall clocks: zones are within the tolerance


WHEN_PATTERNS = (
    re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})"),
    re.compile(r"(\d{1,2})\s*[/.]\s*(\d{1,2})\s*[/.]\s*(\d{4})"),  # D/M/Y
)


def parse_when(answer: str) -> date | None:
    """The first full date in the questionnaire's free-text "when", if any."""
    for index, pattern in enumerate(WHEN_PATTERNS):
        match = pattern.search(answer or "")
        if match:
            parts = [int(p) for p in match.groups()]
            year, month, day = parts if index == 0 else (parts[2], parts[1], parts[0])
            try:
                return date(year, month, day)
            except ValueError:
                continue
    return None


def find(report: FileReport, when: str = "", received: datetime | None = None) -> list[Finding]:
    """Every finding about one file, most serious first."""
    facts, found = report.facts, []
    detected = report.detected
    if detected.mismatch:
        found.append(
            Finding(
                WARNING,
                "type_mismatch",
                _("The name ends in .%(extension)s but the content is %(label)s.")
                % {"extension": detected.extension, "label": detected.label.upper()},
            )
        )
    if detected.also_zip:
        found.append(
            Finding(
                WARNING,
                "polyglot",
                _(
                    "The file is also a ZIP archive (a polyglot): different programs will "
                    "see different content."
                ),
            )
        )
    if detected.label == "unknown":
        found.append(Finding(INFO, "unknown_type", _("The content matches no known file type.")))
    gps = facts.get("gps")
    if isinstance(gps, list) and len(gps) == 2 and all(v is not None for v in gps):
        found.append(
            Finding(
                RED,
                "gps",
                _(
                    "GPS position in the file: %(latitude)s, %(longitude)s. It can show where "
                    "the source was; remove it before anything is shared."
                )
                % {"latitude": gps[0], "longitude": gps[1]},
            )
        )
    for name in ("serial", "lens_serial", "owner"):
        if facts.get(name):
            found.append(
                Finding(
                    RED,
                    "serial",
                    _(
                        "Device serial number or owner name in the file: %(value)s. It can "
                        "identify the source's device; remove it before anything is shared."
                    )
                    % {"value": facts[name]},
                )
            )
    found.extend(_date_findings(report, when, received))
    for name in ("software", "creator_tool", "encoder", "stream_encoder", "xmp_history_software"):
        value = str(facts.get(name) or "")
        if EDITORS.search(value):
            found.append(
                Finding(
                    WARNING,
                    "editor",
                    _("Made or re-saved by %(software)s (editing or re-encoding software).")
                    % {"software": value},
                )
            )
            break
    camera = facts.get("make") or facts.get("model")
    if detected.family in ("image", "video") and not report.problem and not camera:
        found.append(
            Finding(
                INFO,
                "no_camera",
                _(
                    "No camera make or model: the file was re-saved, sent through a "
                    "messaging app, or made by software."
                ),
            )
        )
    fps: Any = facts.get("fps")  # a number when `odd`
    odd = isinstance(fps, int | float) and fps > 0
    if odd and min(abs(fps - rate) for rate in CAMERA_RATES) > 0.05:
        found.append(
            Finding(
                WARNING,
                "odd_fps",
                _("Unusual frame rate (%(fps)s per second): possibly converted or generated.")
                % {"fps": fps},
            )
        )
    twice = facts.get("double_jpeg")
    if isinstance(twice, int | float) and twice >= DOUBLE_JPEG_THRESHOLD:
        found.append(
            Finding(
                WARNING,
                "double_jpeg",
                _(
                    "The JPEG was probably compressed twice, the first time at a lower quality "
                    "(score %(score)s): it was saved again after an earlier save, by an "
                    "editor or an app."
                )
                % {"score": twice},
            )
        )
    quality = facts.get("jpeg_quality")
    if isinstance(quality, int) and 0 < quality < RESAVED_QUALITY:
        found.append(
            Finding(
                WARNING,
                "recompressed",
                _(
                    "JPEG quality about %(quality)s, lower than cameras save: the picture was "
                    "probably compressed again (a messaging app, an editor, a screenshot tool)."
                )
                % {"quality": quality},
            )
        )
    revisions = facts.get("revisions")
    if isinstance(revisions, int) and revisions > 1:
        found.append(
            Finding(
                WARNING,
                "revisions",
                _("The PDF was saved %(count)s times (changes added after it was made).")
                % {"count": revisions},
            )
        )
    expansion = facts.get("expansion")
    if isinstance(expansion, int | float) and expansion >= EXPANSION_THRESHOLD:
        found.append(
            Finding(
                WARNING,
                "zip_bomb",
                _(
                    "The archive declares %(ratio)s times its own size (a possible zip bomb); "
                    "it was not unpacked."
                )
                % {"ratio": expansion},
            )
        )
    if facts.get("decode_stopped") or facts.get("page_tree_damaged"):
        found.append(
            Finding(WARNING, "damaged", _("The file is damaged or cut short; read what remains."))
        )
    if facts.get("author"):
        found.append(
            Finding(
                WARNING,
                "author",
                _("An author's name is in the file: %(name)s.") % {"name": facts["author"]},
            )
        )
    order = {RED: 0, WARNING: 1, INFO: 2}
    return sorted(found, key=lambda finding: order[finding.severity])


def _date_findings(report: FileReport, when: str, received: datetime | None) -> list[Finding]:
    found = []
    captured = {
        name: parsed
        for name, value in report.dates.items()
        if (name in CAPTURE_DATES or name.startswith("stream_")) and (parsed := _date(value))
    }
    if len(captured) >= 2:
        earliest = min(captured, key=captured.__getitem__)
        latest = max(captured, key=captured.__getitem__)
        if captured[latest] - captured[earliest] > DATE_TOLERANCE:
            found.append(
                Finding(
                    WARNING,
                    "dates_disagree",
                    _("Dates in the file disagree: %(first)s says %(a)s, %(second)s says %(b)s.")
                    % {
                        "first": date_label(earliest),
                        "a": captured[earliest].isoformat(sep=" "),
                        "second": date_label(latest),
                        "b": captured[latest].isoformat(sep=" "),
                    },
                )
            )
    all_dates = {name: parsed for name, value in report.dates.items() if (parsed := _date(value))}
    if received is not None and all_dates:
        latest = max(all_dates, key=all_dates.__getitem__)
        if all_dates[latest] - received.replace(tzinfo=None) > DATE_TOLERANCE:
            found.append(
                Finding(
                    WARNING,
                    "future_date",
                    _("%(name)s (%(date)s) is later than the day the file was received.")
                    % {"name": date_label(latest), "date": all_dates[latest].isoformat(sep=" ")},
                )
            )
    said = parse_when(when)
    if said is not None and captured:
        first = min(captured, key=captured.__getitem__)
        made = captured[first]
        if abs(datetime(said.year, said.month, said.day) - made) > WHEN_TOLERANCE:  # noqa: DTZ001
            found.append(
                Finding(
                    WARNING,
                    "when_disagrees",
                    _(
                        "The file says it was made on %(made)s; the source said it happened "
                        "on %(said)s."
                    )
                    % {"made": made.date().isoformat(), "said": said.isoformat()},
                )
            )
    return found
