"""The text of a scan, a photographed page or an image-only PDF, read in the sandbox.

`read_text` runs `ocr_worker.py` (Tesseract, through jiandu/sandbox/inside/ocr.py) on the
in-memory copy of a decrypted file that the metadata report already holds, under the sandbox's
limits, and gives back the text of each page. The text is content: it goes only into the
analysis's encrypted report (`FileReport.text`), is shown in the workbench report and indexed
in members' memory (textindex.py); never logged. A file that cannot be read gives no text and
a stable code, never an error.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field, replace

from jiandu.forensics import conf
from jiandu.sandbox.inside.answer import ExitCode, read_answer
from jiandu.sandbox.runner import Limits, MemoryFile, run_sandboxed

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
WORKER = os.path.join(os.path.dirname(__file__), "ocr_worker.py")
MAX_PAGES = 30  # pages of an image-only PDF read for the report
MAX_CHARS = 500_000  # characters kept in a report
# Tesseract's Chinese models take about 400 MiB; a page takes one to four seconds of CPU.
LIMITS = Limits(
    cpu_seconds=12 * MAX_PAGES, wall_seconds=20.0 * MAX_PAGES, memory_bytes=2048 * MIB,
    output_bytes=4 * MIB,
)  # fmt: skip


@dataclass
class ReadText:
    """What the reading gave: the text of each page and the models used (`pages` empty when
    nothing was read; `problem` then says why, as a stable code)."""

    pages: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    problem: str = ""


def read_text(memory: MemoryFile, kind: str) -> ReadText:
    """Read one file's text in the sandbox; `kind` is "image" or "pdf"."""
    if kind not in ("image", "pdf"):
        return ReadText(problem="unsupported")
    import PIL

    argv = [sys.executable, "-I", WORKER, kind, str(conf.preview_max_pixels()), str(MAX_PAGES)]
    outcome = run_sandboxed(
        argv,
        replace(LIMITS, input_bytes=memory.size()),
        stdin=memory,
        read_paths=[WORKER, PIL.__file__],
    )
    if not outcome.ok:
        if outcome.returncode == ExitCode.UNSUPPORTED:
            return ReadText(problem="unsupported")
        return ReadText(problem=str(outcome.failure or "failed"))
    try:
        header, _rest = read_answer(outcome.stdout, LIMITS.output_bytes)
        pages = [str(page) for page in header.get("pages") or []][:MAX_PAGES]
        languages = [str(lang)[:40] for lang in header.get("languages") or []][:MAX_PAGES]
    except (ValueError, TypeError, AttributeError):
        logger.error("OCR worker gave malformed output")  # no content
        return ReadText(problem="failed")
    kept, total = [], 0
    for page in pages:
        kept.append(page[: max(0, MAX_CHARS - total)])
        total += len(kept[-1])
    return ReadText(pages=kept, languages=languages)
