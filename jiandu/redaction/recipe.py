"""What a journalist asks of a render, checked before anything runs: the recipe.

A recipe comes from a form (or from the JavaScript editor, which fills the same form) and goes
to the sandboxed worker as one JSON argument, so every value is checked here against a closed
list of keys, types and ranges: a hostile or careless request cannot smuggle a path, an
ffmpeg option or a huge number into the tool. Coordinates are fractions of the original frame
(0..1), so a box drawn on a scaled preview means the same region at any size; times are
seconds from the original's start.

No Django here (used by the worker's caller and by tests alone).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

KINDS = ("image", "video", "pdf")
IMAGE_FORMATS = ("jpeg", "png", "webp")
VIDEO_FORMATS = ("mp4", "webm")
EFFECTS = ("blur", "pixelate", "box")
AUDIO = ("keep", "mute", "disguise")
MAX_BOXES = 64
MAX_RANGES = 16
MAX_STILLS = 32
MAX_TERMS = 32
MAX_TERM_LENGTH = 100
MAX_KEEP = 256
MAX_SECONDS = 24 * 3600.0
MAX_PAGES = 2000
EDGES = (0, 320, 480, 640, 720, 960, 1080, 1280, 1920)  # 0: the original's size


class RecipeError(ValueError):
    """The request is not a recipe we run (a stable message; it never quotes the input)."""


@dataclass(frozen=True)
class Region:
    """A box to hide: fractions of the frame; for video from `start` to `end` seconds (end 0:
    to the end); for a PDF, `page` (from 0)."""

    x: float
    y: float
    w: float
    h: float
    start: float = 0.0
    end: float = 0.0
    page: int = 0
    effect: str = "blur"
    on: bool = True


@dataclass(frozen=True)
class Recipe:
    kind: str
    format: str = ""
    effect: str = "blur"  # for detected faces
    faces: bool = True  # detect faces automatically
    keep: tuple[int, ...] = ()  # numbers of detected faces (tracks) left visible
    boxes: tuple[Region, ...] = ()
    crop: tuple[float, float, float, float] | None = None
    edge: int = 0  # longest side of the output, 0 = unchanged
    ranges: tuple[tuple[float, float], ...] = ()  # video: the clip, in order
    audio: str = "keep"
    stills: tuple[float, ...] = ()  # video: frames exported as images
    terms: tuple[str, ...] = ()  # pdf, image: text to find (in scans by OCR) and redact
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("extra")
        return data


def _number(value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise RecipeError("not a number")
    try:
        number = float(value)
    except ValueError as exc:
        raise RecipeError("not a number") from exc
    if not math.isfinite(number) or not low <= number <= high:
        raise RecipeError("a number out of range")
    return round(number, 4)


def _choice(value: object, allowed: tuple[str, ...], default: str) -> str:
    if value in (None, ""):
        return default
    if not isinstance(value, str) or value not in allowed:
        raise RecipeError("not an allowed choice")
    return value


def _list(value: object, limit: int) -> list:
    if value in (None, ""):
        return []
    if not isinstance(value, (list, tuple)):
        raise RecipeError("not a list")
    if len(value) > limit:
        raise RecipeError("too many entries")
    return list(value)


def _region(data: object) -> Region:
    if not isinstance(data, dict) or not set(data) <= set(Region.__dataclass_fields__):
        raise RecipeError("not a box")
    x, y = _number(data.get("x"), 0, 1), _number(data.get("y"), 0, 1)
    w, h = _number(data.get("w"), 0, 1), _number(data.get("h"), 0, 1)
    if w <= 0 or h <= 0 or x + w > 1.0001 or y + h > 1.0001:
        raise RecipeError("a box outside the frame")
    start = _number(data.get("start", 0), 0, MAX_SECONDS)
    end = _number(data.get("end", 0), 0, MAX_SECONDS)
    if end and end <= start:
        raise RecipeError("a box that ends before it starts")
    page = data.get("page", 0)
    if isinstance(page, bool) or not isinstance(page, int) or not 0 <= page < MAX_PAGES:
        raise RecipeError("not a page")
    on = data.get("on", True)
    if not isinstance(on, bool):
        raise RecipeError("not a switch")
    effect = _choice(data.get("effect"), EFFECTS, "blur")
    return Region(x, y, w, h, start, end, page, effect, on)


def parse(data: object) -> Recipe:
    """A checked Recipe from untrusted JSON-like data; RecipeError for anything else."""
    if not isinstance(data, dict):
        raise RecipeError("not a recipe")
    known = set(Recipe.__dataclass_fields__) - {"extra"}
    if not set(data) <= known:
        raise RecipeError("unknown setting")
    kind = _choice(data.get("kind"), KINDS, "")
    if not kind:
        raise RecipeError("no kind")
    formats = {"image": IMAGE_FORMATS, "video": VIDEO_FORMATS, "pdf": ("pdf",)}[kind]
    out_format = _choice(data.get("format"), formats, formats[0])
    faces = data.get("faces", True)
    if not isinstance(faces, bool):
        raise RecipeError("not a switch")
    keep = []
    for number in _list(data.get("keep"), MAX_KEEP):
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number < 10_000:
            raise RecipeError("not a face number")
        keep.append(number)
    boxes = tuple(_region(box) for box in _list(data.get("boxes"), MAX_BOXES))
    crop = None
    if data.get("crop") not in (None, ""):
        values = _list(data.get("crop"), 4)
        if len(values) != 4:
            raise RecipeError("not a crop")
        cx, cy, cw, ch = (_number(v, 0, 1) for v in values)
        if cw < 0.01 or ch < 0.01 or cx + cw > 1.0001 or cy + ch > 1.0001:
            raise RecipeError("a crop outside the frame")
        crop = (cx, cy, cw, ch)
    edge = data.get("edge", 0) or 0
    if isinstance(edge, str) and edge.isdigit():
        edge = int(edge)
    if edge not in EDGES:
        raise RecipeError("not an output size")
    ranges: list[tuple[float, float]] = []
    for pair in _list(data.get("ranges"), MAX_RANGES):
        values = _list(pair, 2)
        if len(values) != 2:
            raise RecipeError("not a time range")
        start, end = (_number(v, 0, MAX_SECONDS) for v in values)
        if end <= start or (ranges and start < ranges[-1][1]):
            raise RecipeError("time ranges out of order")
        ranges.append((start, end))
    stills = sorted({_number(v, 0, MAX_SECONDS) for v in _list(data.get("stills"), MAX_STILLS)})
    terms = []
    for term in _list(data.get("terms"), MAX_TERMS):
        if not isinstance(term, str) or not term.strip() or len(term) > MAX_TERM_LENGTH:
            raise RecipeError("not a search term")
        if any(ord(ch) < 32 for ch in term):
            raise RecipeError("not a search term")
        terms.append(term.strip())
    return Recipe(
        kind=kind,
        format=out_format,
        effect=_choice(data.get("effect"), EFFECTS, "blur"),
        faces=faces,
        keep=tuple(sorted(set(keep))),
        boxes=boxes,
        crop=crop,
        edge=edge,
        ranges=tuple(ranges),
        audio=_choice(data.get("audio"), AUDIO, "keep"),
        stills=tuple(stills),
        terms=tuple(terms),
    )


def clock(seconds: float) -> str:
    """00:12:30 from 750.0 (whole seconds: what a reader needs to find the moment)."""
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
