"""The redaction studio's one door to the sandbox: a checked recipe and the original's bytes in,
a derivative out, or a stable problem code.

Every derivative is made by `render_worker.py` inside `jiandu.sandbox.runner.run_sandboxed`
(DEVELOPERS.md: no untrusted file is parsed here), from decoded pixels, with no metadata. The
worker's answer is untrusted too (a decoder exploit writes what it likes): its header must be
small JSON of the expected shape and the body a whole file of the announced type (signature and
end checked here, nothing decoded). The detector's weights are passed as a read path: the tool
sees them and nothing else of the server.
"""

from __future__ import annotations

import enum
import json
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import BinaryIO, cast

import PIL

from jiandu.redaction import faces
from jiandu.redaction.recipe import Recipe
from jiandu.sandbox.inside.answer import ExitCode, read_answer
from jiandu.sandbox.runner import Failure, InputTooLarge, Limits, MemoryFile, run_sandboxed

MIB = 1024 * 1024
HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "render_worker.py")
FACES = os.path.join(HERE, "faces.py")
IDENTITY = os.path.join(HERE, "identity.py")
MAX_PIXELS = 40_000_000
IMAGE_MAX_BYTES = 64 * MIB
HEADER_MAX = 4 * MIB  # the tracks' samples (identity.MAX_SAMPLES each) make it long
THUMB_MAX = 32 * 1024  # one face thumbnail (render_worker.THUMB_MAX_BYTES)
MAX_THUMBS = 64
IMAGE_LIMITS = Limits(
    cpu_seconds=60,
    wall_seconds=120,
    memory_bytes=2048 * MIB,
    input_bytes=IMAGE_MAX_BYTES,
    output_bytes=64 * MIB,
    max_tasks=16,
)
VIDEO_MAX_BYTES = 2048 * MIB
VIDEO_LIMITS = Limits(
    cpu_seconds=3600,
    wall_seconds=3600,
    memory_bytes=4096 * MIB,
    input_bytes=VIDEO_MAX_BYTES,
    output_bytes=1024 * MIB,
    max_tasks=64,
)
PDF_MAX_BYTES = 256 * MIB
PDF_LIMITS = Limits(
    # A scanned page searched for terms is read by OCR too: a few seconds of CPU a page.
    cpu_seconds=1800,
    wall_seconds=2400,
    memory_bytes=3072 * MIB,
    input_bytes=PDF_MAX_BYTES,
    output_bytes=512 * MIB,
    max_tasks=16,
)
# The live preview (one small WebP frame, made while the member waits): its answer is read
# into the web process, so it is bounded far below a render's.
PREVIEW_OUTPUT_MAX = 8 * MIB
PREVIEW_SECONDS = 120
VIDEO_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}
PROGRESS = re.compile(rb"P (\d{1,9}) (\d{1,9}) (\d{1,7}(?:\.\d)?)")
# What the worker may answer: extension -> (content type, first bytes, last bytes or None).
IMAGE_TYPES = {
    "jpg": ("image/jpeg", b"\xff\xd8\xff", b"\xff\xd9"),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"),
    "webp": ("image/webp", b"RIFF", None),
}


class Problem(enum.StrEnum):
    """Why no derivative: stable codes without content (safe to store)."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    UNSUPPORTED = "unsupported"
    TOO_MANY_PIXELS = "too_many_pixels"
    TOO_SLOW = "too_slow"
    TOO_MUCH_MEMORY = "too_much_memory"
    NO_DETECTOR = "no_detector"
    SANDBOX_UNAVAILABLE = "sandbox_unavailable"
    CANCELLED = "cancelled"
    FAILED = "failed"


EXIT_PROBLEMS: dict[int, Problem] = {  # ExitCode is an IntEnum: found by the return code
    ExitCode.MEMORY: Problem.TOO_MUCH_MEMORY,
    ExitCode.TOO_MANY_PIXELS: Problem.TOO_MANY_PIXELS,
    ExitCode.TOO_LARGE: Problem.TOO_LARGE,
    ExitCode.EMPTY: Problem.EMPTY,
    ExitCode.UNSUPPORTED: Problem.UNSUPPORTED,
    ExitCode.NO_DETECTOR: Problem.NO_DETECTOR,
}


@dataclass(frozen=True)
class Output:
    """A derivative made by the worker, or the problem that prevented it."""

    data: bytes = field(default=b"", repr=False)
    extension: str = ""
    content_type: str = ""
    width: int = 0
    height: int = 0
    duration: float = 0.0
    faces: tuple[tuple[float, float, float, float], ...] = ()
    hidden_faces: int = 0
    hidden: int = 0
    extra: dict = field(default_factory=dict)
    # Per face (image) or track (video): the kept number it was left visible as (0: hidden),
    # its samples (identity.py), and its thumbnail (small WebP, newsroom only; b"" if none).
    shown: tuple[int, ...] = ()
    samples: tuple[tuple[tuple[float, ...], ...], ...] = ()
    thumbs: tuple[bytes, ...] = field(default=(), repr=False)
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _problem(failure: Failure | None, returncode: int) -> Problem:
    if failure is Failure.SANDBOX_UNAVAILABLE:
        return Problem.SANDBOX_UNAVAILABLE
    if failure in (Failure.TIMEOUT, Failure.CPU):
        return Problem.TOO_SLOW
    if failure is Failure.MEMORY:
        return Problem.TOO_MUCH_MEMORY
    if failure is Failure.INPUT_TOO_LARGE:
        return Problem.TOO_LARGE
    if failure is Failure.FAILED and returncode in EXIT_PROBLEMS:
        return EXIT_PROBLEMS[returncode]
    return Problem.FAILED if failure is Failure.FAILED else Problem.UNSUPPORTED


def _box(value: object) -> tuple[float, float, float, float]:
    if not isinstance(value, list) or len(value) != 4:
        raise ValueError
    numbers = tuple(float(v) for v in value if type(v) in (int, float))
    if len(numbers) != 4 or not all(-0.01 <= n <= 1.01 for n in numbers):
        raise ValueError
    return numbers


def _answer(stdout: bytes) -> tuple[dict, bytes]:
    """The worker's header (small JSON, one line) and the file after it (the face thumbnails
    the header announces are cut off into header["thumb_data"]); ValueError if the answer is
    not of that shape."""
    header, body = read_answer(stdout, HEADER_MAX)
    lengths = header.get("thumbs", [])
    if not isinstance(lengths, list) or len(lengths) > MAX_THUMBS:
        raise ValueError("not a list of thumbnails")
    thumbs = []
    for length in lengths:
        if type(length) is not int or not 0 <= length <= THUMB_MAX or length > len(body):
            raise ValueError("not a thumbnail")
        thumb, body = body[:length], body[length:]
        if thumb and (
            thumb[:4] != b"RIFF"
            or thumb[8:12] != b"WEBP"
            or int.from_bytes(thumb[4:8], "little") + 8 != length
        ):
            raise ValueError("not a WebP thumbnail")
        thumbs.append(thumb)
    header["thumb_data"] = tuple(thumbs)
    return header, body


def _shown(header: dict, count: int) -> tuple[int, ...]:
    shown = header.get("shown", [])
    if not isinstance(shown, list) or len(shown) != count:
        raise ValueError("not one number per face")
    if not all(type(n) is int and 0 <= n < 10**6 for n in shown):
        raise ValueError("not a face number")
    return tuple(shown)


def _samples(value: object, count: int) -> tuple[tuple[tuple[float, ...], ...], ...]:
    """Each track's samples: (seconds, x0, y0, x1, y1), corners inside the frame."""
    if not isinstance(value, list) or len(value) != count:
        raise ValueError("not one list of samples per track")
    tracks = []
    for track in value:
        if not isinstance(track, list) or not 0 < len(track) <= 1000:
            raise ValueError("not a track")
        samples = []
        for sample in track:
            if not isinstance(sample, list) or len(sample) != 5:
                raise ValueError("not a sample")
            numbers = tuple(float(v) for v in sample if type(v) in (int, float))
            if len(numbers) != 5 or not 0 <= numbers[0] < 48 * 3600:
                raise ValueError("not a sample")
            if not all(-0.01 <= n <= 1.01 for n in numbers[1:]):
                raise ValueError("not a sample")
            samples.append(numbers)
        tracks.append(tuple(samples))
    return tuple(tracks)


MAX_DOUBTS = 2000


def _terms_read(header: dict, kind: str) -> dict:
    """The search terms' count and the words the OCR doubted (render_worker.read_terms), as
    lines the journalist can paste into the boxes field: left top width height in percent,
    then the page for a PDF. Absent keys (an old worker) give none; a wrong shape refuses."""
    found = header.get("found", 0)
    doubts = header.get("doubts", [])
    if type(found) is not int or not 0 <= found < 10**6:
        raise ValueError("not a count")
    if not isinstance(doubts, list) or len(doubts) > MAX_DOUBTS:
        raise ValueError("not a list of doubts")
    lines = []
    for doubt in doubts:
        if not isinstance(doubt, list) or len(doubt) != 5 or type(doubt[0]) is not int:
            raise ValueError("not a doubt")
        page, *box = doubt
        if not 0 <= page < 100_000:
            raise ValueError("not a page")
        x, y, w, h = _box(box)
        words = [f"{v * 100:.2f}".rstrip("0").rstrip(".") for v in (x, y, w, h)]
        lines.append(" ".join([*words, str(page + 1)] if kind == "pdf" else words))
    return {"found": found, "doubt_boxes": lines}


def checked_image(stdout: bytes) -> Output:
    """The worker's answer for an image, accepted only if it is what it may write."""
    refused = Output(problem=Problem.FAILED)
    try:
        header, body = _answer(stdout)
        extension, content_type = header["extension"], header["content_type"]
        width, height = header["width"], header["height"]
        found = tuple(_box(box) for box in header["faces"][:10_000])
        hidden, hidden_faces = header["hidden"], header["hidden_faces"]
        shown = _shown(header, len(found))
        at = float(header.get("faces_at", [0.0])[0]) if found else 0.0
        # One sample per face, at the moment of the image (a still: its time in the video).
        samples = tuple(((at, x, y, x + w, y + h),) for x, y, w, h in found)
        terms_read = _terms_read(header, "image")
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        return refused
    if not isinstance(extension, str) or extension not in IMAGE_TYPES:
        return refused
    expected, head, tail = IMAGE_TYPES[extension]
    if content_type != expected or not body.startswith(head):
        return refused
    if tail is not None and not body.endswith(tail):
        return refused
    if extension == "webp" and (
        body[8:12] != b"WEBP" or int.from_bytes(body[4:8], "little") + 8 != len(body)
    ):
        return refused
    if not all(type(n) is int and 0 < n <= MAX_PIXELS for n in (width, height)):
        return refused
    if width * height > MAX_PIXELS or not all(
        type(n) is int and n >= 0 for n in (hidden, hidden_faces)
    ):
        return refused
    return Output(
        data=body,
        extension=extension,
        content_type=content_type,
        width=width,
        height=height,
        faces=found,
        hidden=hidden,
        hidden_faces=hidden_faces,
        shown=shown,
        samples=samples,
        thumbs=header["thumb_data"],
        extra=terms_read if terms_read["found"] or terms_read["doubt_boxes"] else {},
    )


def detector_paths() -> list[str]:
    """What the worker reads besides the interpreter: itself, the detector, its weights."""
    return [WORKER, FACES, IDENTITY, faces.model_path(), PIL.__file__]


def render_image(
    recipe: Recipe, original: BinaryIO | bytes, references: dict | None = None
) -> Output:
    """Render an image recipe on the original's bytes; never raises for anything in the file."""
    # A still of a video reads the video (up to its own limit), an image at most 64 MiB.
    most, limits = (
        (VIDEO_MAX_BYTES, VIDEO_LIMITS) if recipe.stills else (IMAGE_MAX_BYTES, IMAGE_LIMITS)
    )
    try:
        model = faces.model_path()
    except FileNotFoundError:
        return Output(problem=Problem.NO_DETECTOR)
    return _run_worker(
        "image", recipe, original, most, limits, checked_image, model=model, references=references
    )


def render_preview(
    recipe: Recipe, plaintext: Iterable[bytes], max_bytes: int, references: dict | None = None
) -> Output:
    """The studio's live preview: an image recipe (a still when it names one) rendered from
    plaintext that arrives in chunks (a decrypting generator). The chunks go straight into the
    sandbox's memfd, so the web process never holds the whole original (a 256 MiB video was
    held twice, as a list of chunks and joined); the answer is read with a small bound, and
    the run gets a preview's time, not a render's."""
    most, limits = (
        (VIDEO_MAX_BYTES, VIDEO_LIMITS) if recipe.stills else (IMAGE_MAX_BYTES, IMAGE_LIMITS)
    )
    limits = replace(
        limits,
        output_bytes=PREVIEW_OUTPUT_MAX,
        wall_seconds=min(limits.wall_seconds, PREVIEW_SECONDS),
        cpu_seconds=min(limits.cpu_seconds, PREVIEW_SECONDS),
    )
    try:
        model = faces.model_path()
    except FileNotFoundError:
        return Output(problem=Problem.NO_DETECTOR)
    most = min(most, max_bytes)
    return _run_worker(
        "image", recipe, plaintext, most, limits, checked_image, model=model, references=references
    )


def _memory_file(original: BinaryIO | bytes | Iterable[bytes], most: int) -> MemoryFile:
    if isinstance(original, bytes):
        return MemoryFile.from_chunks([original], most)
    if hasattr(original, "read"):
        return MemoryFile.from_stream(cast(BinaryIO, original), most)
    return MemoryFile.from_chunks(original, most)


def _run_worker(
    kind: str,
    recipe: Recipe,
    original: BinaryIO | bytes | Iterable[bytes],
    most: int,
    limits: Limits,
    checked: Callable[[bytes], Output],
    *,
    model: str = "-",
    progress: Callable[[int, int | None], bool] | None = None,
    references: dict | None = None,
) -> Output:
    """One run of `render_worker.py KIND RECIPE MODEL MAX_PIXELS MAX_INPUT REFERENCES` in the
    sandbox (REFERENCES: the kept face numbers' samples, identity.references),
    the original (at most `most` bytes) as its stdin memfd, which the worker and its tools
    reopen by path; the answer accepted only as `checked` allows. The worker reads itself,
    Pillow, and, when faces are looked for, the detector and its weights."""
    argv = [sys.executable, "-I", WORKER, kind, json.dumps(recipe.as_dict()), model]
    argv += [str(MAX_PIXELS), str(most), json.dumps(references or {})]
    read_paths = [WORKER, PIL.__file__] if model == "-" else detector_paths()
    try:
        memory = _memory_file(original, most)
    except InputTooLarge:
        return Output(problem=Problem.TOO_LARGE)
    with memory:
        if memory.size() == 0:
            return Output(problem=Problem.EMPTY)
        outcome = run_sandboxed(
            argv,
            limits,
            stdin=memory,
            # A video's container is written into a memory file in the sandbox (seekable, so
            # the MP4 index can go first): files are allowed there only with memory output.
            output="memory" if kind == "video" else "pipe",
            read_paths=read_paths,
            on_stderr=_Progress(progress),
        )
    if outcome.failure is Failure.CANCELLED:
        return Output(problem=Problem.CANCELLED)
    if not outcome.ok:
        return Output(problem=_problem(outcome.failure, outcome.returncode))
    return checked(outcome.stdout)


def checked_video(stdout: bytes) -> Output:
    """The worker's answer for a video: a small header and a whole MP4 or WebM (its first box
    or element checked; nothing decoded here)."""
    refused = Output(problem=Problem.FAILED)
    try:
        header, body = _answer(stdout)
        extension, content_type = header["extension"], header["content_type"]
        width, height, duration = header["width"], header["height"], header["duration"]
        hidden, tracks, frames = header["hidden_faces"], header["tracks"], header["frames"]
        audio = header["audio"]
        # The tracks, by number: first box, first moment, steady or not (the page lists them).
        found = tuple(_box(box) for box in header["faces"][:10_000])
        found_at = [float(t) for t in header["faces_at"][:10_000] if type(t) in (int, float)]
        steady = [s for s in header["steady"][:10_000] if isinstance(s, bool)]
        shown = _shown(header, len(found))
        samples = _samples(header["samples"], len(found))
    except (ValueError, TypeError, KeyError, AttributeError):
        return refused
    if not len(found) == len(found_at) == len(steady) or len(found) > 10_000:
        return refused
    if not all(0 <= t < 48 * 3600 for t in found_at):
        return refused
    if not isinstance(extension, str) or VIDEO_TYPES.get(extension) != content_type:
        return refused
    if extension == "mp4" and body[4:8] != b"ftyp":
        return refused
    if extension == "webm" and not body.startswith(b"\x1a\x45\xdf\xa3"):
        return refused
    if not all(type(n) is int and 0 < n <= 8192 for n in (width, height)):
        return refused
    if not all(type(n) is int and 0 <= n < 10**7 for n in (hidden, tracks, frames)):
        return refused
    if type(duration) not in (int, float) or not 0 < duration < 48 * 3600:
        return refused
    if not isinstance(audio, bool):
        return refused
    return Output(
        data=body,
        extension=extension,
        content_type=content_type,
        width=width,
        height=height,
        duration=float(duration),
        faces=found,
        hidden=hidden,
        hidden_faces=hidden,
        shown=shown,
        samples=samples,
        thumbs=header["thumb_data"],
        extra={
            "tracks": tracks,
            "frames": frames,
            "audio": audio,
            "faces_at": found_at,
            "steady": steady,
        },
    )


class _Progress:
    """Reads the worker's "P done total elapsed" lines (numbers only) from its stderr."""

    def __init__(self, callback: Callable[[int, int | None], bool] | None) -> None:
        self.callback = callback
        self.pending = b""

    def __call__(self, data: bytes) -> bool:
        self.pending = (self.pending + data)[-4096:]
        *lines, self.pending = self.pending.split(b"\n")
        keep_going = True
        for line in lines:
            match = PROGRESS.fullmatch(line.strip())
            if match is None or self.callback is None:
                continue
            done, total, elapsed = int(match[1]), int(match[2]), float(match[3])
            if total <= 0:
                continue
            fraction = min(1.0, done / total)
            left = int(elapsed * (1 - fraction) / fraction) if fraction > 0 else None
            keep_going = self.callback(int(fraction * 100), left) is not False and keep_going
        return keep_going


def render_video(
    recipe: Recipe,
    original: BinaryIO | bytes,
    progress: Callable[[int, int | None], bool] | None = None,
    references: dict | None = None,
) -> Output:
    """Render a video recipe: the clip, its regions and faces, its audio, as a new H.264/AAC
    MP4 (or VP9/Opus WebM) with no tags. `progress(percent, seconds_left)` is called as the
    worker goes; returning False cancels. Never raises for anything in the file."""
    try:
        model = faces.model_path()
    except FileNotFoundError:
        return Output(problem=Problem.NO_DETECTOR)
    return _run_worker(
        "video",
        recipe,
        original,
        VIDEO_MAX_BYTES,
        VIDEO_LIMITS,
        checked_video,
        model=model,
        progress=progress,
        references=references,
    )


def checked_pdf(stdout: bytes) -> Output:
    """The worker's answer for a PDF: a small header and a file that starts and ends as the
    worker's own writer makes it (nothing parsed here)."""
    refused = Output(problem=Problem.FAILED)
    try:
        header, body = _answer(stdout)
        width, height, pages = header["width"], header["height"], header["pages"]
        boxes, found = header["boxes"], header["found"]
        doubt_boxes = _terms_read(header, "pdf")["doubt_boxes"]
    except (ValueError, TypeError, KeyError, AttributeError):
        return refused
    if header.get("extension") != "pdf" or header.get("content_type") != "application/pdf":
        return refused
    if not body.startswith(b"%PDF-1.4\n") or not body.endswith(b"%%EOF\n"):
        return refused
    if not all(type(n) is int and 0 < n <= 100_000 for n in (width, height, pages)):
        return refused
    if not all(type(n) is int and 0 <= n < 10**6 for n in (boxes, found)):
        return refused
    return Output(
        data=body,
        extension="pdf",
        content_type="application/pdf",
        width=width,
        height=height,
        hidden=boxes + found,
        extra={
            "pages": pages,
            "found": found,
            **({"doubt_boxes": doubt_boxes} if doubt_boxes else {}),
        },
    )


def render_pdf(recipe: Recipe, original: BinaryIO | bytes) -> Output:
    """Redact a PDF for real: pages rasterised in the sandbox, boxes and search terms painted,
    an image-only PDF rebuilt. Never raises for anything in the file."""
    return _run_worker("pdf", recipe, original, PDF_MAX_BYTES, PDF_LIMITS, checked_pdf)
