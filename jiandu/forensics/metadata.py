"""The metadata report of one file: type by content, then `metadata_worker.py` in the sandbox.

`analyse_file` reads the plaintext into an in-memory file (never to disk), hashes it (SHA-256),
types it by its signature (`detect.py`), and, for a family we have a reader for, runs the worker
under the sandbox's limits. It never raises for anything in the file: a file that cannot be
read comes back with a `Problem` code (the same stable codes as previews, shown as "Could not be
analysed: why"), its type and hash still known.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO

from jiandu.forensics import conf, detect
from jiandu.forensics.previews import Problem, problem_of
from jiandu.sandbox.inside.answer import ExitCode, read_answer
from jiandu.sandbox.runner import Failure, InputTooLarge, Limits, MemoryFile, run_sandboxed

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
WORKER = os.path.join(os.path.dirname(__file__), "metadata_worker.py")
# Most seconds of a video fingerprinted (and of audio drawn): four hours.
MAX_SECONDS = 4 * 3600
LIMITS: dict[detect.Family, Limits] = {
    detect.Family.IMAGE: Limits(cpu_seconds=30, wall_seconds=60, memory_bytes=1536 * MIB),
    detect.Family.VIDEO: Limits(
        cpu_seconds=600, wall_seconds=900, memory_bytes=2048 * MIB, max_tasks=32
    ),
    detect.Family.AUDIO: Limits(cpu_seconds=300, wall_seconds=600, memory_bytes=1536 * MIB),
    detect.Family.PDF: Limits(cpu_seconds=30, wall_seconds=60, memory_bytes=1024 * MIB),
    detect.Family.ARCHIVE: Limits(cpu_seconds=20, wall_seconds=40, memory_bytes=1024 * MIB),
}
# metadata_worker.py's exit codes (jiandu/sandbox/inside/answer.py; an IntEnum, found by int).
WORKER_CODES: dict[int, Problem] = {
    ExitCode.BROKEN: Problem.UNSUPPORTED,
    ExitCode.MEMORY: Problem.TOO_MUCH_MEMORY,
    ExitCode.TOO_MANY_PIXELS: Problem.TOO_MANY_PIXELS,
    ExitCode.EMPTY: Problem.EMPTY,
}


@dataclass
class FileReport:
    """What one file says about itself. Plain data (JSON-able via `as_dict`), stored encrypted."""

    sha256: str
    size: int
    detected: detect.Detected
    facts: dict[str, Any] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)
    fields: list[list[str]] = field(default_factory=list)
    pdq: list[Any] | None = None  # [hex, quality] for an image
    frames: list[list[Any]] = field(default_factory=list)  # [second, hex, quality]
    sheet: str = ""  # base64 WebP contact sheet
    sheet_times: list[float] = field(default_factory=list)  # the sheet's frames, in seconds
    waveform: str = ""  # base64 PNG
    problem: Problem | None = None
    # The text read by OCR (ocr.py), one string per page, and the models that read each page.
    text: list[str] = field(default_factory=list)
    text_languages: list[str] = field(default_factory=list)
    # Turned/flipped/trimmed/cropped PDQ hashes and ORB keypoints, as the sandbox gave them;
    # checked and kept in the fingerprint only (forensics/robust.py), not in the stored report.
    robust: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "sha256": self.sha256,
            "size": self.size,
            "detected": {
                "label": self.detected.label,
                "family": str(self.detected.family),
                "extension": self.detected.extension,
                "mismatch": self.detected.mismatch,
                "also_zip": self.detected.also_zip,
            },
            "facts": self.facts,
            "dates": self.dates,
            "fields": self.fields,
            "pdq": self.pdq,
            "frames": self.frames,
            "problem": str(self.problem) if self.problem else "",
            "text": self.text,
            "text_languages": self.text_languages,
        }

    @classmethod
    def from_dict(cls, data: dict) -> FileReport:
        found = data["detected"]
        return cls(
            sha256=data["sha256"],
            size=int(data["size"]),
            detected=detect.Detected(
                label=found["label"],
                family=detect.Family(found["family"]),
                extension=found["extension"],
                mismatch=bool(found["mismatch"]),
                also_zip=bool(found["also_zip"]),
            ),
            facts=dict(data.get("facts") or {}),
            dates=dict(data.get("dates") or {}),
            fields=list(data.get("fields") or []),
            pdq=data.get("pdq"),
            frames=list(data.get("frames") or []),
            problem=Problem(data["problem"]) if data.get("problem") else None,
            text=[str(page) for page in data.get("text") or []],
            text_languages=[str(lang) for lang in data.get("text_languages") or []],
        )


SHEET_MAX = 64  # more times than any sheet holds are the sandbox's invention

BASE64 = re.compile(r"\A[A-Za-z0-9+/]*={0,2}\Z")


def _base64_only(value: object) -> str:
    text = str(value or "")
    return text if BASE64.match(text) else ""


def analyse_file(plaintext: BinaryIO, name: str, text: bool = False) -> FileReport:
    """Type, hash and read one decrypted file (see the module docstring); with `text`, a
    picture's or an image-only PDF's text too (OCR: seconds a page, so the background analysis
    asks for it, a lookup does not). Never raises for anything the file does; an input over
    the limit is hashed but not read."""
    digest = hashlib.sha256()
    max_bytes = conf.preview_max_bytes()
    memory = MemoryFile()
    try:
        total = 0
        while chunk := plaintext.read(1 << 16):
            total += len(chunk)
            digest.update(chunk)
            if total <= max_bytes:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(memory.fd, view) :]
        memory.seal()
        head = os.pread(memory.fd, detect.HEAD_BYTES, 0)
        tail = os.pread(memory.fd, detect.TAIL_BYTES, max(0, memory.size() - detect.TAIL_BYTES))
        report = FileReport(
            sha256=digest.hexdigest(), size=total, detected=detect.detect(head, tail, name)
        )
        if total == 0:
            report.problem = Problem.EMPTY
        elif total > max_bytes:
            report.problem = Problem.TOO_LARGE
        else:
            _read(report, memory)
            if text:
                _read_text(report, memory)
        return report
    finally:
        memory.close()


def _read_text(report: FileReport, memory: MemoryFile) -> None:
    """A picture's or an image-only PDF's text, by OCR in the sandbox (ocr.py); none when the
    file could not be read (the report already says why) or has no text to read."""
    kind = {detect.Family.IMAGE: "image", detect.Family.PDF: "pdf"}.get(report.detected.family)
    if kind is None or report.problem is not None:
        return
    from jiandu.forensics import ocr

    found = ocr.read_text(memory, kind)
    if any(page.strip() for page in found.pages):
        report.text, report.text_languages = found.pages, found.languages


def _read(report: FileReport, memory: MemoryFile) -> None:
    family = report.detected.family
    if family not in LIMITS:
        report.problem = Problem.UNSUPPORTED
        return
    import PIL

    limits = LIMITS[family]
    argv = [
        sys.executable,
        "-I",
        WORKER,
        str(family),
        str(conf.preview_max_pixels()),
        str(MAX_SECONDS),
    ]
    try:
        outcome = run_sandboxed(
            argv,
            replace(limits, input_bytes=memory.size()),
            stdin=memory,
            read_paths=[WORKER, PIL.__file__],
        )
    except InputTooLarge:
        report.problem = Problem.TOO_LARGE
        return
    if not outcome.ok:
        if outcome.failure is Failure.FAILED and outcome.returncode in WORKER_CODES:
            report.problem = WORKER_CODES[outcome.returncode]
        else:
            report.problem = problem_of(outcome)
        return
    try:
        data, _rest = read_answer(outcome.stdout, len(outcome.stdout))
        report.facts = dict(data.get("facts") or {})
        report.dates = {str(k): str(v) for k, v in (data.get("dates") or {}).items()}
        report.fields = [[str(part) for part in row][:3] for row in data.get("fields") or []]
        report.pdq = data.get("pdq")
        report.frames = list(data.get("frames") or [])
        # Shown as data: URIs; the sandbox's output is untrusted, so only plain base64 passes.
        report.sheet = _base64_only(data.get("sheet"))
        report.sheet_times = [float(t) for t in (data.get("sheet_times") or [])[:SHEET_MAX]]
        report.waveform = _base64_only(data.get("waveform"))
        robust = data.get("robust")
        report.robust = robust if isinstance(robust, dict) else {}
    except (ValueError, TypeError, AttributeError):
        logger.error("metadata worker gave malformed output")  # no content
        report.problem = Problem.FAILED
