"""Safe previews of submitted files: re-encoded in the sandbox, never the original bytes.

The browser of a journalist is the most valuable machine in the newsroom; an image or video
decoder exploit inside a submission must not reach it, and the file's own metadata (camera
serial, GPS, author) must not leak through a preview that may be shared further. So the browser
only ever sees what a sandboxed tool made from the decoded pixels and samples:

- images: Pillow (`image_worker.py`) → WebP, at most 1600 px, orientation applied, no metadata;
- video: ffmpeg → WebM (VP9, at most 640×360 and 24 fps, Opus audio), the first
  `preview_video_seconds()`, no metadata or chapters;
- audio: ffmpeg → WebM/Opus (48 kbit/s), the first `preview_audio_seconds()`, no metadata;
- PDF: poppler's pdftoppm → PNG images of the first `preview_pdf_pages()` pages, 1200 px on
  the longest side (no script runs; poppler has no JavaScript engine).

`make_preview` reads the plaintext stream into memory (never to disk), at most
`preview_max_bytes()` (512 MiB by default), and never raises: a file that cannot be previewed
comes back as a `Preview` with a `Problem` code, stable and free of content, which may be stored
and is shown as "Could not be analysed: <why>".
"""

import enum
import logging
import os
import shutil
import sys
import sysconfig
from dataclasses import dataclass, replace
from typing import BinaryIO

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiandu.forensics import conf
from jiandu.sandbox.inside.answer import ExitCode, read_answer
from jiandu.sandbox.runner import (
    Failure,
    InputTooLarge,
    Limits,
    MemoryFile,
    Outcome,
    run_sandboxed,
)

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
IMAGE_WORKER = os.path.join(os.path.dirname(__file__), "image_worker.py")
IMAGE_EDGE = 1600
IMAGE_MAX_BYTES = 128 * MIB
IMAGE_HEADER_MAX = 1024  # image_worker.py's header line: the content type only
PDF_EDGE = 1200
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Demuxers ffmpeg may use: common containers only. Without a list, a crafted playlist (HLS,
# concat) could make ffmpeg read other local files into the preview.
VIDEO_FORMATS = "mov,matroska,avi,mpegts,mpeg,flv,ogg,asf"
AUDIO_FORMATS = "mov,matroska,ogg,mp3,wav,flac,aac,asf,amr,amrnb,amrwb"


class Kind(enum.StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    PDF = "pdf"


class Problem(enum.StrEnum):
    """Why no preview: stable codes that carry nothing of the file (safe to store and log)."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    UNSUPPORTED = "unsupported"
    TOO_MANY_PIXELS = "too_many_pixels"
    PROTECTED = "protected"
    TOO_SLOW = "too_slow"
    TOO_MUCH_MEMORY = "too_much_memory"
    OUTPUT_TOO_LARGE = "output_too_large"
    CRASHED = "crashed"
    UNAVAILABLE = "unavailable"
    SANDBOX_UNAVAILABLE = "sandbox_unavailable"
    FAILED = "failed"


PROBLEM_TEXT: dict[Problem, Promise] = {
    Problem.EMPTY: _("the file is empty."),
    Problem.TOO_LARGE: _(
        "the file is larger than the preview limit; download the original and examine it offline."
    ),
    Problem.UNSUPPORTED: _("it is not a file of this type that we can read, or it is damaged."),
    Problem.TOO_MANY_PIXELS: _(
        "the image declares more pixels than the preview limit (a possible decompression bomb)."
    ),
    Problem.PROTECTED: _("the document is protected by a password."),
    Problem.TOO_SLOW: _("reading it took longer than the time limit."),
    Problem.TOO_MUCH_MEMORY: _("reading it needed more memory than the limit."),
    Problem.OUTPUT_TOO_LARGE: _("the preview would be larger than the limit."),
    Problem.CRASHED: _(
        "the reader crashed on it (it may be damaged or crafted to attack readers)."
    ),
    Problem.UNAVAILABLE: _("the program that reads this type is not installed on the server."),
    Problem.SANDBOX_UNAVAILABLE: _(
        "sandbox unavailable: the server cannot isolate the programs that read files, so it "
        "does not run them. The file is kept; an administrator must install bubblewrap."
    ),
    Problem.FAILED: _("an unexpected error stopped the analysis."),
}


@dataclass(frozen=True)
class Preview:
    """A preview (one part, or one per page for PDFs) or the problem that prevented it."""

    kind: Kind
    content_type: str = ""
    parts: tuple[bytes, ...] = ()
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def data(self) -> bytes:
        return self.parts[0] if self.parts else b""

    @property
    def message(self) -> str:
        """The reason in the reader's language, or "" when the preview exists."""
        if self.problem is None:
            return ""
        return str(_("Could not be analysed: %(why)s") % {"why": PROBLEM_TEXT[self.problem]})

    def __repr__(self) -> str:
        sizes = [len(part) for part in self.parts]
        return f"Preview({self.kind}, {self.content_type!r}, sizes={sizes}, {self.problem})"


# Per-kind limits. Memory is address space (shared libraries included); CPU seconds bound the
# work, wall seconds a stalled tool. Tests may substitute smaller ones.
LIMITS: dict[Kind, Limits] = {
    Kind.IMAGE: Limits(
        cpu_seconds=20, wall_seconds=60, memory_bytes=1024 * MIB, max_tasks=8, output_bytes=16 * MIB
    ),
    Kind.VIDEO: Limits(
        cpu_seconds=240,
        wall_seconds=480,
        memory_bytes=1536 * MIB,
        max_tasks=32,
        output_bytes=128 * MIB,
    ),
    Kind.AUDIO: Limits(
        cpu_seconds=120,
        wall_seconds=240,
        memory_bytes=1024 * MIB,
        max_tasks=16,
        output_bytes=64 * MIB,
    ),
    Kind.PDF: Limits(
        cpu_seconds=60,
        wall_seconds=120,
        memory_bytes=1024 * MIB,
        max_tasks=8,
        output_bytes=48 * MIB,
    ),
}


def sniff_kind(head: bytes) -> Kind | None:
    """Guess the kind from a file's first bytes (at least 16), ignoring its name and the type
    the sender declared, both of which the sender chooses."""
    if head.startswith((b"\xff\xd8\xff", PNG_SIGNATURE, b"GIF87a", b"GIF89a", b"BM")):
        return Kind.IMAGE
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return Kind.IMAGE
    if head[:4] == b"RIFF":
        return {b"WEBP": Kind.IMAGE, b"AVI ": Kind.VIDEO, b"WAVE": Kind.AUDIO}.get(head[8:12])
    if head.startswith(b"%PDF-"):
        return Kind.PDF
    if head[4:8] == b"ftyp":
        return Kind.AUDIO if head[8:11] in (b"M4A", b"M4B") else Kind.VIDEO
    if head.startswith(b"\x1a\x45\xdf\xa3") or head.startswith(b"\x30\x26\xb2\x75"):
        return Kind.VIDEO  # Matroska/WebM, ASF/WMV
    if head.startswith((b"ID3", b"fLaC", b"OggS", b"#!AMR")) or head[:2] in (
        b"\xff\xfb",
        b"\xff\xf3",
    ):
        return Kind.AUDIO
    if head[:1] == b"\x47" and len(head) > 188 and head[188:189] == b"\x47":
        return Kind.VIDEO  # MPEG transport stream
    return None


def make_preview(kind: Kind | str, plaintext: BinaryIO) -> Preview:
    """Make the preview of one decrypted file; never raises for anything in the file."""
    kind = Kind(kind)
    try:
        return _MAKERS[kind](plaintext, LIMITS[kind])
    except InputTooLarge:
        return Preview(kind, problem=Problem.TOO_LARGE)
    except Exception as exc:  # the web process must never die of a bad file
        logger.error("preview of a %s failed: %s", kind, type(exc).__name__)  # no content
        return Preview(kind, problem=Problem.FAILED)


# The image worker's exit codes (jiandu/sandbox/inside/answer.py) as a preview's problems.
IMAGE_WORKER_PROBLEMS: dict[int, Problem] = {  # ExitCode is an IntEnum: found by returncode
    ExitCode.BROKEN: Problem.UNSUPPORTED,
    ExitCode.UNSUPPORTED: Problem.UNSUPPORTED,
    ExitCode.MEMORY: Problem.TOO_MUCH_MEMORY,
    ExitCode.TOO_MANY_PIXELS: Problem.TOO_MANY_PIXELS,
    ExitCode.TOO_LARGE: Problem.TOO_LARGE,
    ExitCode.EMPTY: Problem.EMPTY,
}


def _image(plaintext: BinaryIO, limits: Limits) -> Preview:
    # The worker holds the encoded image in its own memory next to the decoded pixels.
    max_bytes = min(conf.preview_max_bytes(), IMAGE_MAX_BYTES)
    limits = replace(limits, input_bytes=max_bytes)
    stdlib = sysconfig.get_paths()["stdlib"]
    import PIL

    outcome = run_sandboxed(
        [
            sys.executable,
            "-I",
            IMAGE_WORKER,
            str(conf.preview_max_pixels()),
            str(IMAGE_EDGE),
            str(max_bytes),
        ],
        limits,
        stdin=plaintext,
        read_paths=[IMAGE_WORKER, os.path.join(stdlib, "os.py"), PIL.__file__],
    )
    if outcome.ok:
        try:
            _header, webp = read_answer(outcome.stdout, IMAGE_HEADER_MAX)
        except ValueError:
            return Preview(Kind.IMAGE, problem=Problem.FAILED)
        return Preview(Kind.IMAGE, "image/webp", (webp,))
    if outcome.failure is Failure.FAILED and outcome.returncode in IMAGE_WORKER_PROBLEMS:
        return Preview(Kind.IMAGE, problem=IMAGE_WORKER_PROBLEMS[outcome.returncode])
    return Preview(Kind.IMAGE, problem=problem_of(outcome))


def _video(plaintext: BinaryIO, limits: Limits) -> Preview:
    seconds = conf.preview_video_seconds()
    args = [
        "-format_whitelist",
        VIDEO_FORMATS,
        "-i",
        "/proc/self/fd/0",
        "-t",
        str(seconds),
        "-map",
        "0:v:0?",
        "-map",
        "0:a:0?",
        "-sn",
        "-dn",
        "-vf",
        "scale=w='min(640,iw)':h='min(360,ih)':force_original_aspect_ratio=decrease"
        ":force_divisible_by=2,format=yuv420p",
        "-fpsmax",
        "24",
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-b:v",
        "600k",
        "-row-mt",
        "1",
        "-threads",
        "2",
        "-c:a",
        "libopus",
        "-b:a",
        "48k",
        "-ac",
        "2",
    ]
    return _ffmpeg(Kind.VIDEO, "video/webm", args, plaintext, limits)


def _audio(plaintext: BinaryIO, limits: Limits) -> Preview:
    seconds = conf.preview_audio_seconds()
    args = [
        "-format_whitelist",
        AUDIO_FORMATS,
        "-i",
        "/proc/self/fd/0",
        "-t",
        str(seconds),
        "-map",
        "0:a:0",
        "-vn",
        "-sn",
        "-dn",
        "-c:a",
        "libopus",
        "-b:a",
        "48k",
        "-ac",
        "2",
    ]
    return _ffmpeg(Kind.AUDIO, "audio/webm", args, plaintext, limits)


def _ffmpeg(
    kind: Kind, content_type: str, args: list[str], plaintext: BinaryIO, limits: Limits
) -> Preview:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return Preview(kind, problem=Problem.UNAVAILABLE)
    max_bytes = conf.preview_max_bytes()
    with MemoryFile.from_stream(plaintext, max_bytes) as source:
        if source.size() == 0:
            return Preview(kind, problem=Problem.EMPTY)
        argv = [
            ffmpeg,
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "warning",
            "-threads",
            "2",
            "-filter_threads",
            "1",
            "-protocol_whitelist",
            "file",
            *args,
            "-map_metadata",
            "-1",
            "-map_chapters",
            "-1",
            "-fflags",
            "+bitexact",
            "-flags",
            "+bitexact",
            "-f",
            "webm",
            "-y",
            "/proc/self/fd/1",
        ]
        outcome = run_sandboxed(
            argv, replace(limits, input_bytes=max_bytes), stdin=source, output="memory"
        )
    if outcome.ok:
        if b"output file is empty" in outcome.stderr.lower() or not outcome.stdout:
            return Preview(kind, problem=Problem.UNSUPPORTED)
        return Preview(kind, content_type, (outcome.stdout,))
    return Preview(kind, problem=problem_of(outcome))


def _pdf(plaintext: BinaryIO, limits: Limits) -> Preview:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        return Preview(Kind.PDF, problem=Problem.UNAVAILABLE)
    max_bytes = conf.preview_max_bytes()
    with MemoryFile.from_stream(plaintext, max_bytes) as source:
        if source.size() == 0:
            return Preview(Kind.PDF, problem=Problem.EMPTY)
        argv = [
            pdftoppm,
            "-png",
            "-f",
            "1",
            "-l",
            str(conf.preview_pdf_pages()),
            "-scale-to",
            str(PDF_EDGE),
            "/proc/self/fd/0",
        ]
        outcome = run_sandboxed(argv, replace(limits, input_bytes=max_bytes), stdin=source)
    if not outcome.ok:
        if outcome.failure is Failure.FAILED and b"password" in outcome.stderr.lower():
            return Preview(Kind.PDF, problem=Problem.PROTECTED)
        return Preview(Kind.PDF, problem=problem_of(outcome))
    pages = split_pngs(outcome.stdout)
    if not pages:
        return Preview(Kind.PDF, problem=Problem.UNSUPPORTED)
    return Preview(Kind.PDF, "image/png", tuple(pages))


def split_pngs(stream: bytes) -> list[bytes]:
    """Cut pdftoppm's output (PNG files one after another) into pages, by walking PNG chunks.

    Returns [] if the stream is not a clean sequence of complete PNGs.
    """
    pages, offset = [], 0
    while offset < len(stream):
        if stream[offset : offset + 8] != PNG_SIGNATURE:
            return []
        position = offset + 8
        while True:
            if position + 12 > len(stream):
                return []
            length = int.from_bytes(stream[position : position + 4], "big")
            chunk_type = stream[position + 4 : position + 8]
            position += 12 + length
            if chunk_type == b"IEND":
                break
        if position > len(stream):
            return []
        pages.append(stream[offset:position])
        offset = position
    return pages


def problem_of(outcome: Outcome) -> Problem:
    """What a failed sandbox run means for the newsroom (shared with metadata.py)."""
    problems: dict[Failure | None, Problem] = {
        Failure.INPUT_TOO_LARGE: Problem.TOO_LARGE,
        Failure.OUTPUT_TOO_LARGE: Problem.OUTPUT_TOO_LARGE,
        Failure.TIMEOUT: Problem.TOO_SLOW,
        Failure.CPU: Problem.TOO_SLOW,
        Failure.MEMORY: Problem.TOO_MUCH_MEMORY,
        Failure.CRASHED: Problem.CRASHED,
        Failure.UNAVAILABLE: Problem.UNAVAILABLE,
        Failure.SANDBOX_UNAVAILABLE: Problem.SANDBOX_UNAVAILABLE,
    }
    return problems.get(outcome.failure, Problem.UNSUPPORTED)


_MAKERS = {Kind.IMAGE: _image, Kind.VIDEO: _video, Kind.AUDIO: _audio, Kind.PDF: _pdf}
