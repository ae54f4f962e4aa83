"""Make one derivative from stdin to stdout; runs inside the forensics sandbox, never imported.

Started by `studio.py` as `python -I render_worker.py KIND RECIPE MODEL MAX_PIXELS MAX_INPUT`
through the jail (bubblewrap, seccomp, limits, no network, no data dir). The recipe was checked
by recipe.py; it is checked again by shape here only to fail cleanly.

Images: decoded by Pillow (JPEG, PNG, WebP only; the declared size checked first), orientation
applied, faces found by CenterFace (faces.py, weights at MODEL, a read path), every region not
switched off blurred or pixelated over a margin, cropped, scaled, and written as a new image from
the pixels alone: no EXIF, XMP, IPTC, ICC, comment or trailing byte survives, because nothing
but the pixel array reaches the encoder.

Faces left visible: REFERENCES (an optional sixth argument, JSON) holds the samples of the
kept face numbers (identity.py); a face is left visible only where its box matches a kept
number's box at that same moment, and everything else found is hidden (fail safe: no
reference, no visible face).

Output: one JSON line (extension, content type, size, the faces found as fractions of the frame,
how many regions were hidden, the kept number each face was left visible as, the lengths of the
face thumbnails), then the thumbnails (small WebP crops, made from decoded pixels), then the
bytes.

Images are decoded and encoded by the sandbox's one re-encoder (jiandu/sandbox/inside/
reencode.py). The answer's format and the exit codes (BROKEN, MEMORY, TOO_MANY_PIXELS,
TOO_LARGE, EMPTY, UNSUPPORTED, BAD_RECIPE, NO_DETECTOR) are jiandu/sandbox/inside/answer.py's.
"""

import contextlib
import io
import json
import os
import queue
import re
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The sandbox's worker modules (bound read-only into the run by runner.run_sandboxed).
ROOMS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSIDE = os.path.join(ROOMS, "sandbox", "inside")
sys.path.insert(0, INSIDE)

from answer import ExitCode, Unsupported, exit_code_for, read_input, write_answer  # noqa: E402

IMAGE_OUT = {
    "jpeg": ("JPEG", "jpg", "image/jpeg"),
    "png": ("PNG", "png", "image/png"),
    "webp": ("WEBP", "webp", "image/webp"),
}


def hide(pixels, box: tuple[int, int, int, int], effect: str) -> None:
    """Destroy what is inside `box` (x0, y0, x1, y1) of an RGB array, in place.

    Both effects keep only a handful of averages across the box (5 for blur, 8 for pixelate),
    so no detail finer than that survives; "box" paints it black.
    """
    import cv2

    x0, y0, x1, y1 = box
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    patch = pixels[y0:y1, x0:x1]
    h, w = patch.shape[:2]
    if effect == "box":
        patch[:] = 0
        return
    blocks = 8 if effect == "pixelate" else 5
    small = cv2.resize(
        patch,
        (max(1, w * blocks // max(w, h)), max(1, h * blocks // max(w, h))),
        interpolation=cv2.INTER_AREA,
    )
    # Pixelate: hard blocks. Blur: the same few averages spread smoothly (a blur far stronger
    # than any Gaussian we could afford per frame, and as cheap as the blocks).
    mode = cv2.INTER_NEAREST if effect == "pixelate" else cv2.INTER_LINEAR
    coarse = cv2.resize(small, (w, h), interpolation=mode)
    patch[:] = coarse


def hide_yuv(frame, width: int, height: int, box: tuple[int, int, int, int], effect: str) -> None:
    """`hide_planes` on one flat yuv420p array (the Y plane, then U and V at half size)."""
    area, quarter = width * height, (width // 2) * (height // 2)
    hide_planes(
        frame[:area].reshape(height, width),
        frame[area : area + quarter].reshape(height // 2, width // 2),
        frame[area + quarter : area + 2 * quarter].reshape(height // 2, width // 2),
        box,
        effect,
    )


def hide_planes(luma, u, v, box: tuple[int, int, int, int], effect: str) -> None:
    """`hide` on the three planes of a yuv420p frame, in place, so video frames never make a
    round trip through RGB.

    Each plane is hidden the same way as an RGB picture: the luma over the box, the chroma
    over the box halved and rounded outwards (every chroma sample that touches the box). A
    "box" is black: Y 16, U and V 128 (limited range, no colour), not zeros (green)."""
    height, width = luma.shape
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(width, box[2]), min(height, box[3])
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    half = (x0 // 2, y0 // 2, (x1 + 1) // 2, (y1 + 1) // 2)
    if effect == "box":
        luma[y0:y1, x0:x1] = 16
        for plane in (u, v):
            plane[half[1] : half[3], half[0] : half[2]] = 128
        return
    hide(luma, (x0, y0, x1, y1), effect)
    for plane in (u, v):
        hide(plane, half, effect)


def regions_for_frame(recipe: dict, faces: list, width: int, height: int, at: float = 0.0):
    """(pixel box, effect) for each region hidden in a frame at `at` seconds."""
    from faces import MARGIN

    hidden = []
    keep = set(recipe.get("keep", ()))
    for number, face in enumerate(faces):
        if number in keep or not recipe.get("faces", True):
            continue
        grown = face.grow(MARGIN, width, height)
        box = (int(grown.x0), int(grown.y0), int(grown.x1 + 0.999), int(grown.y1 + 0.999))
        hidden.append((box, recipe.get("effect", "blur")))
    for region in recipe.get("boxes", ()):
        if not region.get("on", True):
            continue
        if at < region.get("start", 0) or (region.get("end") and at > region["end"]):
            continue
        box = (
            int(region["x"] * width),
            int(region["y"] * height),
            int((region["x"] + region["w"]) * width + 0.999),
            int((region["y"] + region["h"]) * height + 0.999),
        )
        hidden.append((box, region.get("effect", "blur")))
    return hidden


IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")
THUMB_EDGE = 96  # a face thumbnail's longest side: enough to tell people apart, no more
MAX_THUMBS = 64
THUMB_MAX_BYTES = 32 * 1024


def thumbnail(pixels, box, width: int, height: int) -> bytes:
    """A small new WebP of one face (grown by the detector's margin) from an RGB array: decoded
    pixels only, so nothing of the original file comes with it; the newsroom's list of faces
    shows it, never the public."""
    from faces import MARGIN
    from PIL import Image

    grown = box.grow(MARGIN, width, height)
    x0, y0 = int(grown.x0), int(grown.y0)
    x1, y1 = max(x0 + 1, int(grown.x1)), max(y0 + 1, int(grown.y1))
    crop = Image.fromarray(pixels[y0:y1, x0:x1].copy(), "RGB")
    crop.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    crop.save(out, "WEBP", quality=70, exif=b"", xmp=b"", icc_profile=None)
    data = out.getvalue()
    return data if len(data) <= THUMB_MAX_BYTES else b""


def visible_numbers(found, width: int, height: int, references: dict, at: float) -> list[int]:
    """The kept number each face in a frame is left visible as, 0 for hidden (identity.py)."""
    from identity import match_moment

    boxes = [(b.x0 / width, b.y0 / height, b.x1 / width, b.y1 / height) for b in found]
    return [n or 0 for n in match_moment(boxes, references, at)]


def still_of_video(at: float) -> bytes:
    """One frame of the video on stdin (a memfd, reopened by ffmpeg), as PNG: a still is
    rendered like an image, with the regions that apply at that moment."""
    import subprocess

    png = subprocess.run(
        [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "2",
         "-format_whitelist", VIDEO_FORMATS, "-ss", f"{at:.3f}", "-i", ORIGINAL,
         "-frames:v", "1", "-f", "image2pipe", "-vcodec", "png", "pipe:1"],
        capture_output=True, check=True, timeout=300,
    ).stdout  # fmt: skip
    if not png:
        raise Unsupported
    return png


def render_image(
    data: bytes, recipe: dict, model: str, max_pixels: int, references: dict | None = None
) -> tuple[bytes, dict, list[bytes]]:
    import numpy as np
    from faces import IMAGE_WIDTH, Detector
    from PIL import Image
    from reencode import encode, fresh, open_upright

    upright, _format = open_upright(data, ("JPEG", "PNG", "WEBP"), max_pixels)
    pixels = np.array(upright.convert("RGB"))
    height, width = pixels.shape[:2]
    found = []
    if recipe.get("faces", True):
        found = Detector(model, width=min(max(width, height), IMAGE_WIDTH))(pixels)
    # Numbered left to right, top to bottom: the same image gives the same numbers.
    found.sort(key=lambda b: (round(b.x0 / max(width, 1), 2), b.y0))
    at = float(recipe["stills"][0]) if recipe.get("stills") else 0.0
    shown = visible_numbers(found, width, height, references or {}, at)
    thumbs = [thumbnail(pixels, box, width, height) for box in found[:MAX_THUMBS]]
    visible = [n for n, number in enumerate(shown) if number]
    hidden = regions_for_frame({**recipe, "keep": visible}, found, width, height, at)
    for box, effect in hidden:
        hide(pixels, box, effect)
    # Search terms read in the picture (a photo or scan of a page): painted black.
    terms_found, doubts = read_terms(upright, recipe.get("terms") or (), 0)
    for x0, y0, x1, y1 in terms_found:
        pixels[y0:y1, x0:x1] = 0
    result = Image.fromarray(pixels, "RGB")
    if recipe.get("crop"):
        cx, cy, cw, ch = recipe["crop"]
        left, top = int(cx * width), int(cy * height)
        right = max(left + 1, int((cx + cw) * width))
        bottom = max(top + 1, int((cy + ch) * height))
        result = result.crop((left, top, right, bottom))
    edge = recipe.get("edge") or 0
    if edge and max(result.size) > edge:
        result.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    clean = fresh(result, "RGB")
    out_format, extension, content_type = IMAGE_OUT[recipe.get("format") or "jpeg"]
    header = {
        "extension": extension,
        "content_type": content_type,
        "width": clean.width,
        "height": clean.height,
        "faces": [
            [
                round(float(b.x0) / width, 4),
                round(float(b.y0) / height, 4),
                round(float(b.x1 - b.x0) / width, 4),
                round(float(b.y1 - b.y0) / height, 4),
            ]
            for b in found
        ],
        "faces_at": [at] * len(found),
        "shown": shown,
        "thumbs": [len(t) for t in thumbs],
        "hidden": len(hidden) + len(terms_found),
        "hidden_faces": sum(1 for number in shown if not number),
        "found": len(terms_found),
        "doubts": doubts,
    }
    return encode(clean, out_format), header, thumbs


# ---- video ---------------------------------------------------------------------------------

FFMPEG = "/usr/bin/ffmpeg"
FFPROBE = "/usr/bin/ffprobe"
ORIGINAL = "/proc/self/fd/0"  # the memfd the sandbox gave us, reopened by each tool
VIDEO_FORMATS = "mov,matroska,avi,mpegts,mpeg,flv,ogg,asf"
DETECT_EVERY = 6  # frames between two detections; boxes of both cover the frames between
TRACK_HOLD = 12  # frames a track stays hidden after its face was last seen (missed detections)
UNKNOWN_REACH = 4.0  # face sizes: how far a face of unknown speed is joined to its track
SWEEP_EVERY = 10  # detections between two sweeps (faces.VideoFinder): 2 s at 30 fps
MOTION_LEVEL = 20  # grey levels: a sample of the luma copy that changed (not the encoder's noise)
MOTION_SAMPLES = 3  # changed samples away from the faces followed: a sweep is needed
# A due sweep looks only at what is new since the shot's last whole sweep (Shots.plan): blocks
# of PART_BLOCK quarter-size samples (32 px), with PART_MARGIN blocks around them (a face at a
# part's edge is seen whole); the whole frame when the parts would cover over WHOLE_SHARE of
# it, or when the camera zoomed in by over ZOOM_IN since (a face too small then may be in
# reach now). CAMERA_POINTS: corners that must agree on the camera's motion.
PART_BLOCK = 8
PART_MARGIN = 1
PART_SAMPLES = 8
WHOLE_SHARE = 0.6
ZOOM_IN = 1.1
CAMERA_POINTS = 12
CAMERA_SHARE = 0.3
CUT_HISTOGRAM = 0.45  # half the L1 distance of two frames' luma histograms: a hard cut above
CUT_PAIR = (0.25, 28.0)  # or a histogram distance and a mean luma change both above these
# Frames hidden and waiting for the encoder: the frames of two seconds come out at once when a
# sweep lets them go; a queue that holds them lets the look go on meanwhile (12 held the
# looks back until the encoder had caught up, and the encoder starved during each sweep;
# 96 frames of 1080p are 300 MB).
OUTBOX = 96
# The encoding thread's nice value above the worker's (Linux: per thread; the x264 threads
# started from it inherit it): the looks are the render's one serial path, and waited 2.4 s
# for a core in a 30 s montage at +5, 1.4 s at +15. The encoder takes what they leave.
ENCODER_NICE = 15
BASE = [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-nostats", "-threads", "2"]
CLEAN = ["-map_metadata", "-1", "-map_chapters", "-1", "-fflags", "+bitexact"]
CLEAN += ["-flags:v", "+bitexact", "-flags:a", "+bitexact"]
# ffmpeg names the encoder in each stream (MP4 "compressor name") unless a name is set: a blank.
CLEAN += ["-metadata:s:v", "encoder= ", "-metadata:s:a", "encoder= "]


def probe() -> dict:
    """What the video is: its displayed size (after the rotation its display matrix asks
    for), frame rate, duration and whether it has sound, read by ffprobe."""
    import subprocess

    out = subprocess.run(
        [FFPROBE, "-v", "error", "-format_whitelist", VIDEO_FORMATS, "-print_format", "json",
         "-show_streams", "-show_format", ORIGINAL],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    info = json.loads(out)
    video = next(s for s in info["streams"] if s.get("codec_type") == "video")
    rate = str(video.get("avg_frame_rate") or video.get("r_frame_rate") or "0/0")
    num, _sep, den = rate.partition("/")
    fps = float(num) / float(den or 1) if float(den or 1) else 0.0
    if not 1 <= fps <= 120:
        fps, rate = 30.0, "30/1"
    duration = float(info.get("format", {}).get("duration") or video.get("duration") or 0)
    audio = any(s.get("codec_type") == "audio" for s in info["streams"])
    turn = _quarter_turns(video)
    width, height = int(video["width"]), int(video["height"])
    return {
        "width": height if turn % 2 else width,
        "height": width if turn % 2 else height,
        "turn": turn,
        "fps": fps,
        "rate": rate,
        "duration": duration,
        "audio": audio,
    }


def _quarter_turns(video: dict) -> int:
    """How many quarter turns anticlockwise (numpy's rot90) show the picture upright: the
    display matrix's rotation, as ffprobe reports it and as ffmpeg's own player applies it."""
    rotation = 0.0
    for side in video.get("side_data_list") or ():
        if "rotation" in side:
            rotation = float(side["rotation"])
    return round(rotation / 90) % 4


def out_size(width: int, height: int, edge: int) -> tuple[int, int]:
    edge = edge or min(1280, max(width, height))
    scale = min(1.0, edge / max(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


class Tracks:
    """Faces followed across frames: a detection joins the track whose last box it overlaps
    most, or whose box holds its centre, or whose centre is within a face's size (a track
    lost for a moment is found again), else starts a new one, numbered in order of
    appearance."""

    def __init__(self) -> None:
        self.last: dict[int, tuple[Any, int]] = {}  # number -> (box, frame last seen)
        self.first: dict[int, tuple[Any, int]] = {}  # number -> (box, frame first seen)
        self.hits: dict[int, int] = {}
        self.samples: dict[int, list[tuple[Any, int]]] = {}  # number -> every detection
        self.count = 0

    def update(self, boxes: list, frame: int) -> None:
        free = {n: v for n, v in self.last.items() if frame - v[1] <= 4 * TRACK_HOLD}
        for box in sorted(boxes, key=lambda b: -b.area):
            best, score = None, 0.0
            cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
            for number, (last, _seen) in free.items():
                near = 0.0
                # Where it was, and where its speed says it went by now.
                for old in {last, self.ahead(number, frame)}:
                    overlap = old.iou(box)
                    near = max(near, overlap if overlap >= 0.1 else 0.0)
                    if old.x0 <= cx <= old.x1 and old.y0 <= cy <= old.y1:
                        near = max(near, 0.3)
                    ox, oy = (old.x0 + old.x1) / 2, (old.y0 + old.y1) / 2
                    size = max(old.x1 - old.x0, old.y1 - old.y0)
                    distance = ((cx - ox) ** 2 + (cy - oy) ** 2) ** 0.5
                    if distance < size:
                        near = max(near, 0.2)
                    elif distance < UNKNOWN_REACH * size and not self.moving(number):
                        # Speed not known yet: as far as the wide window looked for it, the
                        # nearer the likelier (two faces of unknown speed are not swapped).
                        near = max(near, 0.02 + 0.15 * (1 - distance / (UNKNOWN_REACH * size)))
                if near > score:
                    best, score = number, near
            if best is None or score < 0.02:
                best = self.count
                self.count += 1
            else:
                free.pop(best)
            self.last[best] = (box, frame)
            self.first.setdefault(best, (box, frame))
            self.samples.setdefault(best, []).append((box, frame))
            self.hits[best] = self.hits.get(best, 0) + 1

    def earlier(self, number: int, box, frame: int) -> None:
        """A track's face found again in an earlier frame (followed back from the sweep that
        found it): a sample, and where it was first seen if earlier still."""
        self.samples.setdefault(number, []).append((box, frame))
        self.samples[number].sort(key=lambda sample: sample[1])
        self.hits[number] = self.hits.get(number, 0) + 1
        if number not in self.first or frame < self.first[number][1]:
            self.first[number] = (box, frame)

    def speed(self, number: int, frame: int) -> tuple[float, float]:
        """Pixels per frame of a track's face around `frame`: between the two detections
        nearest to it (0, 0 when it has fewer than two close enough in time)."""
        samples = sorted(self.samples.get(number, []), key=lambda s: abs(s[1] - frame))[:2]
        if len(samples) < 2:
            return 0.0, 0.0
        (a, fa), (b, fb) = sorted(samples, key=lambda s: s[1])
        if not 0 < fb - fa <= 4 * DETECT_EVERY:
            return 0.0, 0.0
        return (
            ((b.x0 + b.x1) - (a.x0 + a.x1)) / 2 / (fb - fa),
            ((b.y0 + b.y1) - (a.y0 + a.y1)) / 2 / (fb - fa),
        )

    def moving(self, number: int) -> bool:
        """Whether the track's speed is known: two detections close enough in time."""
        samples = self.samples.get(number, [])
        return len(samples) >= 2 and 0 < samples[-1][1] - samples[-2][1] <= 4 * DETECT_EVERY

    def ahead(self, number: int, frame: int):
        """Where a track's face should be at `frame`: its last box moved on at the speed
        between its last two detections (a small face crossing the frame leaves the window
        around its last box between two looks)."""
        box, seen = self.last[number]
        samples = self.samples.get(number, [])
        if len(samples) < 2 or frame <= seen:
            return box
        (old, then), (new, now) = samples[-2], samples[-1]
        if now <= then or now - then > 4 * DETECT_EVERY:
            return box
        step = (frame - seen) / (now - then)
        dx = ((new.x0 + new.x1) - (old.x0 + old.x1)) / 2 * step
        dy = ((new.y0 + new.y1) - (old.y0 + old.y1)) / 2 * step
        return type(box)(box.x0 + dx, box.y0 + dy, box.x1 + dx, box.y1 + dy, box.score)

    def cut(self) -> None:
        """A hard cut: no face of the last shot is carried into the next (nothing is held and
        nothing joins an old track); the old numbers stay in the listing."""
        self.last = {}

    def live(self, frame: int) -> dict[int, object]:
        return {n: box for n, (box, seen) in self.last.items() if frame - seen <= TRACK_HOLD}

    def steady(self, number: int) -> bool:
        """Seen often enough to be a face rather than a passing false detection (all tracks
        are hidden either way; the steady ones are counted and listed)."""
        return self.hits.get(number, 0) >= 3

    def people(self, numbers: set[int]) -> int:
        """How many of these tracks are steady (this is what the description counts)."""
        steady = [n for n in numbers if self.steady(n)]
        return len(steady) if steady else len(numbers)

    def listing(self, width: int, height: int, times: list[float]) -> dict[str, list]:
        """Every track by number: where it was first seen (fractions of the frame), when (in
        the original's seconds), and whether it is steady; the render page lists the steady
        ones, so the journalist knows which number to leave visible."""
        from identity import thin

        boxes, seen, steady, samples = [], [], [], []
        for number in range(self.count):
            track = []
            for box, frame in self.samples.get(number, ()):
                at = times[frame] if frame < len(times) else 0.0
                corners = (box.x0 / width, box.y0 / height, box.x1 / width, box.y1 / height)
                track.append([round(at, 3), *(round(min(1.0, max(0.0, float(v))), 4)
                                              for v in corners)])  # fmt: skip
            samples.append(thin(track))
            box, frame = self.first[number]
            corners = (box.x0 / width, box.y0 / height, box.x1 / width, box.y1 / height)
            x0, y0, x1, y1 = (min(1.0, max(0.0, float(v))) for v in corners)
            boxes.append([round(x0, 4), round(y0, 4), round(x1 - x0, 4), round(y1 - y0, 4)])
            seen.append(round(times[frame], 2) if frame < len(times) else 0.0)
            steady.append(self.steady(number))
        return {"faces": boxes, "faces_at": seen, "steady": steady, "samples": samples}


def _audio_filter(recipe: dict, ranges: list) -> str:
    """The clip's audio: each range trimmed, joined, and the voice disguised if asked."""
    parts = [f"[1:a:0]atrim={a}:{b},asetpts=PTS-STARTPTS[a{i}]" for i, (a, b) in enumerate(ranges)]
    joined = "".join(f"[a{i}]" for i in range(len(ranges)))
    chain = f"{joined}concat=n={len(ranges)}:v=0:a=1"
    if recipe.get("audio") == "disguise":
        # Pitch down by a quarter without changing speed, then a little band limiting.
        chain += ",aresample=48000,asetrate=36000,aresample=48000,atempo=1.3333,highpass=f=120"
    return ";".join(parts) + ";" + chain + "[aout]"


def _muxer_argv(
    recipe: dict, ranges: list, fmt: str, audio_fd: int | None, out_fd: int
) -> list[str]:
    """ffmpeg joining the encoded picture (NUT on stdin, copied, never re-encoded again) with
    the clip's sound cut from the original, into a container with no tags at all.

    The container is written to `out_fd`, a memfd (seekable, unlike a pipe), so it can be
    finished the way a browser reads it best: an MP4 with its index (moov) at the front, not
    fragmented (`+faststart`: ffmpeg writes, then moves the index up in a second pass), whose
    duration a player knows before the first frame (a fragmented MP4 has none: Chromium showed
    "0:06" for a 15 s clip); a WebM with its duration and its cues (the index) at the front."""
    argv = [*BASE, "-y", "-f", "nut", "-i", "pipe:0"]
    if audio_fd is not None:
        argv += ["-format_whitelist", VIDEO_FORMATS, "-i", f"/proc/self/fd/{audio_fd}"]
        argv += ["-filter_complex", _audio_filter(recipe, ranges), "-map", "0:v", "-map", "[aout]"]
    else:
        argv += ["-map", "0:v", "-an"]
    argv += ["-c:v", "copy"]
    if fmt == "webm":
        argv += ["-c:a", "libopus", "-b:a", "96k", "-cues_to_front", "1", "-f", "webm"]
    else:
        argv += ["-bsf:v", "filter_units=remove_types=6"]  # no SEI: no encoder name, settings
        argv += ["-c:a", "aac", "-b:a", "128k"]
        argv += ["-movflags", "+faststart", "-f", "mp4"]
    return [*argv, *CLEAN, "-sn", "-dn", f"/proc/self/fd/{out_fd}"]


def _picture_stream(container, fmt: str, rate: str, width: int, height: int):
    """The encoder, in this process (PyAV): H.264 (x264 veryfast, CRF 23) or VP9 realtime,
    fed the frames we hid regions in, with no round trip through a pipe of raw pixels."""
    from fractions import Fraction

    if fmt == "webm":
        stream = container.add_stream("libvpx-vp9", rate=Fraction(rate))
        stream.options = {"deadline": "realtime", "cpu-used": "8", "row-mt": "1"}
        stream.bit_rate = 2_000_000
    else:
        stream = container.add_stream("libx264", rate=Fraction(rate))
        stream.options = {"preset": "veryfast", "crf": "23"}
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.codec_context.thread_count = 2
    if fmt != "webm":
        # As ffmpeg runs x264 (the plain transcode bench/render.py compares with): frame
        # threads, as many as x264 picks. PyAV asks for slices by default: two slices a
        # frame, each frame waiting for both, and a larger file.
        stream.codec_context.thread_count = 0
        stream.codec_context.thread_type = "FRAME"
    return stream


def _decoded(container, stream):
    """Every frame the decoder can make; a damaged packet is skipped, as ffmpeg does, unless
    nothing at all decodes."""
    import av

    damaged = 0
    for packet in container.demux(stream):
        try:
            yield from packet.decode()
        except av.error.InvalidDataError:
            damaged += 1
            if damaged > 1000:
                raise


def frames_at_rate(frames, start: float, end: float, fps: float, count: int):
    """The frames of [start, end) at a constant rate, as ffmpeg's fps filter makes them: slot
    i shows the last frame that had begun by start + i/fps (repeated over a gap in a variable
    rate video, dropped when two fall in one slot), never a slot past the end of the last
    frame (its own duration, or one slot)."""
    slot, held, held_at = 0, None, 0.0
    tick, half = 1 / fps, 0.5 / fps
    for index, frame in enumerate(frames):
        at = frame.time if frame.time is not None else start + index * tick
        if held is not None:
            while slot < count and start + slot * tick < at - half:
                yield held
                slot += 1
        if slot >= count or at >= end + half:
            return
        held, held_at = frame, at
    shown_until = held_at + max(tick, _lasts(held)) if held is not None else 0.0
    while held is not None and slot < count and start + slot * tick < shown_until - half:
        yield held
        slot += 1


def _lasts(frame) -> float:
    """How long a frame is shown, in seconds, when the file says so (0 when it does not)."""
    duration, base = getattr(frame, "duration", None), getattr(frame, "time_base", None)
    return float(duration * base) if duration and base else 0.0


def plane_views(frame) -> tuple:
    """Numpy views of a yuv420p VideoFrame's Y, U and V planes (writing to them writes the
    frame), each cut to its visible width from the row padding libav keeps."""
    import numpy as np

    views = []
    for plane in frame.planes:
        rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
        views.append(rows[: plane.height, : plane.width])
    return tuple(views)


def upright_copy(frame, turn: int, width: int, height: int):
    """A new yuv420p frame of the output size, turned upright, that this worker owns: the
    decoder's own frame may still be a reference for the next ones, so it is never written
    to, and a frame shown twice (a gap in a variable rate video) is hidden on its own copy."""
    import av
    import numpy as np

    scaled = frame.reformat(*((height, width) if turn % 2 else (width, height)), "yuv420p",
                            interpolation="BICUBIC")  # fmt: skip
    copy = av.VideoFrame(width, height, "yuv420p")
    for source, target in zip(plane_views(scaled), plane_views(copy), strict=True):
        np.copyto(target, np.rot90(source, turn) if turn else source)
    return copy


class _Relay:
    """A thread moving items from `produce` into a bounded queue, ending with None; its
    error, if any, is kept for the caller. `drain` unblocks it when the caller stops early."""

    def __init__(self, produce) -> None:
        import threading

        self.items: queue.Queue = queue.Queue(maxsize=12)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(produce,))
        self.thread.start()

    def _run(self, produce) -> None:
        try:
            for item in produce():
                self.items.put(item)
        except BaseException as error:  # handed to the caller
            self.error = error
        finally:
            self.items.put(None)

    def drain(self) -> None:
        while self.thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self.items.get(timeout=0.1)
        self.thread.join()


def render_video(
    recipe: dict, model: str, report, references: dict | None = None
) -> tuple[bytes, dict, list[bytes]]:
    """Decode the clip in this process (PyAV, the original's memfd on fd 0), find and follow
    the faces, hide every region on the yuv420p planes, encode in a second thread and hand the
    compressed picture to an ffmpeg that adds the clip's sound and writes the container.

    Three things run at once on the two cores: decoding (a thread, GIL released inside
    libavcodec), detection and hiding (this thread), encoding (a thread), so the render costs
    little more than a plain transcode plus the detector."""
    import subprocess
    import threading
    import time

    import av
    from faces import VideoFinder, merge

    info = probe()
    width, height = out_size(info["width"], info["height"], recipe.get("edge") or 0)
    fps, turn = info["fps"], info["turn"]
    ranges = [list(r) for r in recipe.get("ranges") or []] or [[0.0, info["duration"] or 0.0]]
    ranges = [[a, min(b, info["duration"])] for a, b in ranges if a < info["duration"]]
    if not ranges:
        raise ValueError("no time range inside the video")
    total = sum(round((b - a) * fps) for a, b in ranges) or 1
    audio = info["audio"] and recipe.get("audio") != "mute"
    fmt = recipe.get("format") or "mp4"
    audio_fd = os.dup(0) if audio else None  # the muxer's stdin is the picture
    # The container goes to a memory file (seekable: faststart and cues need to go back).
    out_fd = os.memfd_create("render-out", os.MFD_CLOEXEC)
    muxer = subprocess.Popen(
        _muxer_argv(recipe, ranges, fmt, audio_fd, out_fd),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(out_fd,) if audio_fd is None else (audio_fd, out_fd),
    )
    packed = av.open(muxer.stdin, "w", format="nut")
    picture = _picture_stream(packed, fmt, info["rate"], width, height)
    outbox: queue.Queue = queue.Queue(maxsize=OUTBOX)
    encoded: dict[str, Any] = {"frames": 0, "error": None}

    def encode() -> None:
        # Below the looks in priority (ENCODER_NICE): the encoder catches up from the
        # OUTBOX queue whenever they wait.
        with contextlib.suppress(OSError):
            os.nice(ENCODER_NICE)
        # Keeps taking frames after a failure, so the detecting thread never blocks on put.
        while (frame := outbox.get()) is not None:
            if encoded["error"] is not None:
                continue
            try:
                frame.pts = encoded["frames"]
                encoded["frames"] += 1
                packed.mux(picture.encode(frame))
            except Exception as error:  # reported after the loop
                encoded["error"] = error
        if encoded["error"] is None:
            try:
                packed.mux(picture.encode(None))
                packed.close()
            except Exception as error:
                encoded["error"] = error

    writer = threading.Thread(target=encode)
    writer.start()
    source = av.open(ORIGINAL, container_options={"format_whitelist": VIDEO_FORMATS})
    video = source.streams.video[0]
    video.thread_type = "AUTO"
    video.codec_context.thread_count = 2
    finder = VideoFinder(model, threads=1) if recipe.get("faces", True) else None
    seen = finder.coarse.input_size(width, height) if finder is not None else (0, 0)
    tracks = Tracks()

    thumbs: dict[int, bytes] = {}
    shown_as: dict[int, dict[int, int]] = {}  # track -> {kept number: detections shown as it}
    swept_at: dict[int, bool] = {}  # the frames a conditional sweep was taken on: whole?

    def look(frame, number: int, at: float, sweep) -> tuple[dict[int, object], set[int]]:
        """Faces in one frame, joined to their tracks: the tracks live at that frame, and
        those left visible there (detected in this frame where a kept number was then).

        The coarse look every time; the small faces of live tracks followed in enlarged
        windows; and on a sweep, the whole frame at full resolution, or the parts of it that
        are new (faces.VideoFinder). `sweep`: True (the whole frame, without the coarse
        look), False, or the plan of a sweep made from the faces found here and the tracks'
        boxes: nothing, parts, or the whole frame (Shots.plan)."""
        if finder is None:
            return {}, set()
        found = []
        if sweep is not True:
            # The coarse look's own input size, scaled by libswscale from the planes (a whole
            # sweep finds what it finds, and more).
            small = frame.to_ndarray(format="rgb24", width=seen[0], height=seen[1])
            found = [box.scaled(width / seen[0], height / seen[1])
                     for box in finder.coarse(small)]  # fmt: skip
        small_ones = [
            n
            for n, (box, last) in tracks.last.items()
            if number - last <= TRACK_HOLD and finder.small(box, width, height)
        ]
        # Followed where its speed says it went; a face whose speed is not known yet, wider.
        known = [tracks.ahead(n, number) for n in small_ones if tracks.moving(n)]
        unknown = [tracks.last[n][0] for n in small_ones if not tracks.moving(n)]
        rgb = None
        if small_ones:
            rgb = frame.to_ndarray(format="rgb24")
            found = merge(found, finder.follow(rgb, known), finder.follow(rgb, unknown, wide=True))
        plan: list | None = []
        if sweep is True:
            plan = None
        elif sweep:
            plan = sweep([*found, *(box for box, _seen in tracks.last.values())])
        if plan != []:
            rgb = frame.to_ndarray(format="rgb24") if rgb is None else rgb
            swept = finder.sweep(rgb) if plan is None else finder.sweep_parts(rgb, plan)
            found = merge(swept, found)
            swept_at[number] = plan is None
        return seen_in(frame, rgb, found, number, at)

    def seen_in(frame, rgb, found: list, number: int, at: float):
        """The faces found in a frame joined to their tracks; (live tracks, visible ones)."""
        tracks.update(found, number)
        live = tracks.live(number)
        here = [n for n, (_box, frame_seen) in tracks.last.items() if frame_seen == number]
        new = [n for n in here if tracks.first[n][1] == number and len(thumbs) < MAX_THUMBS]
        if new:
            rgb = frame.to_ndarray(format="rgb24") if rgb is None else rgb
            for n in new:
                thumbs[n] = thumbnail(rgb, tracks.last[n][0], width, height)
        visible: set[int] = set()
        if references:
            numbers = visible_numbers([live[n] for n in here], width, height, references, at)
            for n, kept in zip(here, numbers, strict=True):
                if kept:
                    visible.add(n)
                    counts = shown_as.setdefault(n, {})
                    counts[kept] = counts.get(kept, 0) + 1
        return live, visible

    def follow_back(pending: list) -> None:
        """The faces the last look found that the keyframes before it (back to the last
        sweep, all still waiting to be written) did not have: each is looked for in an
        enlarged window around its box, keyframe by keyframe backwards, until it is not
        there. A face that came into view between two sweeps, or that the coarse look found
        late, is so hidden from the frame it came in, not from the look that found it."""
        if finder is None or len(pending) < 2:
            return
        _window, (live, _visible), number, _at = pending[-1]
        here = [n for n, (_box, seen_at) in tracks.last.items() if seen_at == number]
        rgbs: dict[int, Any] = {}
        for n in here:
            box, later = live[n], None
            for position in range(len(pending) - 2, -1, -1):
                frames, (earlier, shown), key, at = pending[position]
                if n in earlier:
                    break
                if position not in rgbs:
                    rgbs[position] = frames[-1][0].to_ndarray(format="rgb24")
                again = None
                if later is not None:
                    # Its speed is known from the two keyframes after this one: where it
                    # was is where that speed says, looked for in the small window first.
                    guess = type(box)(
                        2 * box.x0 - later.x0, 2 * box.y0 - later.y0,
                        2 * box.x1 - later.x1, 2 * box.y1 - later.y1, box.score,
                    )  # fmt: skip
                    again = _same_face(guess, finder.follow(rgbs[position], [guess]))
                if again is None:
                    again = _same_face(box, finder.follow(rgbs[position], [box], wide=True))
                if again is None or any(again.iou(other) > 0.3 for other in earlier.values()):
                    break  # not there, or another face already followed there
                later = box
                earlier[n] = box = again
                tracks.earlier(n, again, key)
                if references and visible_numbers([again], width, height, references, at)[0]:
                    shown.add(n)

    done = 0
    started = time.monotonic()
    hidden_tracks: set[int] = set()
    moments: list[float] = []  # the original's time of each output frame
    try:
        for start, end in ranges:
            count = round((end - start) * fps)
            source.seek(int(max(0.0, start) * av.time_base), backward=True, any_frame=False)

            def produce(start=start, end=end, count=count):
                decoded = _decoded(source, video)
                for frame in frames_at_rate(decoded, start, end, fps, count):
                    copy = upright_copy(frame, turn, width, height)
                    # What Shots.cut compares, made here: off the looks' serial path.
                    yield copy, cut_signature(copy)

            relay = _Relay(produce)
            # Keyframes waiting to be written: (the frames up to and including it, its look,
            # its frame number, its time). They wait until the next sweep, which may find a
            # face that came into view since the last one (follow_back).
            pending: list = []
            window: list = []  # frames since the last keyframe
            # Each shot is swept on its first frame (a face may leave before any later sweep),
            # every SWEEP_EVERY keyframes and on its last frame; after the first, a sweep looks
            # only at what is new since the shot's last whole sweep away from the faces
            # followed, the camera's motion taken out (Shots.plan): a still camera costs no
            # sweep but the first, a pan a strip at the edge it turns to.
            state: dict[str, Any] = {"previous": ({}, set()), "since": 0, "keys": SWEEP_EVERY}
            shots = Shots()
            tracks.cut()  # a range is a shot of its own: nothing of the last one carries over

            def write_out(pending=pending, state=state) -> None:
                for frames, current, number, _at in pending:
                    _flush(frames, state["previous"], current, recipe, width, height,
                           outbox.put, hidden_tracks,
                           lambda n, number=number: tracks.speed(n, number))  # fmt: skip
                    state["previous"] = current
                pending.clear()

            def close_shot(
                window: list, last: int, cut: bool, pending=pending, shots=shots
            ) -> None:
                """The shot's last frame is looked at, swept where anything is new since the
                last whole sweep away from the faces (its last seconds are followed back
                too), and every waiting frame is written."""
                # (At a cut the Shots have seen the new shot's first frame already.)
                if window:
                    frame, at = window[-1]

                    def needed(faces: list) -> list | None:
                        return shots.plan(faces, before=cut)

                    sweep = True if shots.whole_due(before=cut) else needed
                    pending.append((window, look(frame, last, at, sweep), last, at))
                elif (
                    pending
                    and pending[-1][2] == last
                    and (plan := shots.plan(list(tracks.live(last).values()), before=cut)) != []
                ):
                    frames, _current, _number, at = pending[-1]
                    again = look(frames[-1][0], last, at, lambda _faces, plan=plan: plan)
                    pending[-1] = (frames, again, last, at)
                follow_back(pending)
                write_out()

            index = 0
            try:
                while (item := relay.items.get()) is not None:
                    frame, signature = item
                    at = start + index / fps
                    if shots.cut(frame, signature) and index:
                        # A hard cut: the last shot is closed on its own frames, and its faces
                        # are not carried into this one.
                        close_shot(window, done + index - 1, True)
                        window = []
                        state.update(previous=({}, set()), since=0, keys=SWEEP_EVERY)
                        tracks.cut()
                        shots.forget()
                    window.append((frame, at))
                    moments.append(at)
                    if state["since"] % DETECT_EVERY == 0:  # (without detection, no faces: {})
                        number = done + index
                        due = state["keys"] >= SWEEP_EVERY
                        # A due sweep looks at what is new away from the faces this look
                        # finds (the whole frame on a shot's first frame). The camera is
                        # followed at every keyframe.
                        shots.follow_camera()
                        sweep = (True if shots.whole_due() else shots.plan) if due else False
                        pending.append((window, look(frame, number, at, sweep), number, at))
                        window = []
                        state["keys"] += 1
                        # A face found now that the keyframes before did not have (the sweep
                        # or the coarse look found it) is followed back through them.
                        follow_back(pending)
                        if swept_at.get(number):
                            shots.swept(list(tracks.live(number).values()))
                        if due:
                            # Swept, or nothing new could have come into view: written out.
                            write_out()
                            state["keys"] = 0
                    state["since"] += 1
                    index += 1
                    if index % 15 == 0:
                        report(done + index, total, time.monotonic() - started)
                if index:
                    # The range's last frames: the detector looks at the very last one too, so
                    # a face moving away from its last detection is followed to the end.
                    close_shot(window, done + index - 1, False)
            finally:
                relay.drain()
            if relay.error is not None and index == 0:
                raise relay.error
            done += index
    finally:
        outbox.put(None)
        writer.join()
        source.close()
        if muxer.stdin and not muxer.stdin.closed:
            muxer.stdin.close()
        muxer.wait(timeout=600)
    if encoded["error"] is not None or muxer.returncode != 0 or done == 0:
        raise RuntimeError("the encoder failed")
    with os.fdopen(out_fd, "rb") as written:
        data = written.read()
    if fmt == "webm":
        # Matroska requires MuxingApp and WritingApp; bitexact leaves "Lavf" in both: blank
        # them with zero bytes (EBML strings may be zero-padded), same length, nothing named.
        for element in (b"\x4d\x80\x84Lavf", b"\x57\x41\x84Lavf"):
            data = data.replace(element, element[:3] + b"\x00" * 4, 1)
    report(total, total, time.monotonic() - started)
    ext, ctype = ("webm", "video/webm") if fmt == "webm" else ("mp4", "video/mp4")
    header = {
        "extension": ext,
        "content_type": ctype,
        "width": width,
        "height": height,
        "duration": round(done / fps, 3),
        "frames": done,
        **tracks.listing(width, height, moments),
        "hidden": len(hidden_tracks),
        # A kept face is blurred wherever it was not matched (fail safe), yet not counted as a
        # blurred face: it is the one left visible.
        "hidden_faces": tracks.people(hidden_tracks - set(shown_as)),
        "tracks": tracks.count,
        "shown": [
            max(shown_as[n], key=lambda k: (shown_as[n][k], -k)) if n in shown_as else 0
            for n in range(tracks.count)
        ],
        "thumbs": [len(thumbs.get(n, b"")) for n in range(min(tracks.count, MAX_THUMBS))],
        "audio": bool(audio),
    }
    return data, header, [thumbs.get(n, b"") for n in range(min(tracks.count, MAX_THUMBS))]


def _same_face(box, found: list):
    """Of the faces found in the wide window around a box, the one that is the same face
    (about its size, overlapping it most, else the nearest centre within UNKNOWN_REACH of its
    sizes), else None."""
    best, score = None, 0.0
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    size = max(box.x1 - box.x0, box.y1 - box.y0)
    for other in found:
        if not 0.67 <= max(other.x1 - other.x0, other.y1 - other.y0) / size <= 1.5:
            continue
        near = box.iou(other)
        ox, oy = (other.x0 + other.x1) / 2, (other.y0 + other.y1) / 2
        distance = ((cx - ox) ** 2 + (cy - oy) ** 2) ** 0.5
        if distance < UNKNOWN_REACH * size:
            near = max(near, 0.2 * (1 - distance / (UNKNOWN_REACH * size)) + 0.01)
        if near > score:
            best, score = other, near
    return best if score > 0 else None


class Shots:
    """Hard cuts, found from one frame to the next on small copies of the Y, U and V planes:
    a histogram of one of them far from the last frame's (a new scene, even one as bright as
    the last in another colour), or the histograms and the pixels both changed a lot (a new
    shot of a similar scene). A pan or a zoom changes the pixels, not the histograms; a flash
    is taken for a cut, which costs a sweep, not a face.

    And what a sweep needs to look at (`plan`): what is new in the picture since the shot's
    last whole sweep, the camera's motion taken out (followed keyframe by keyframe,
    `follow_camera`): a pan brings new ground in at one edge, a zoom out at the borders."""

    def __init__(self) -> None:
        self.last: Any = None
        self.before: Any = None  # the frame before the last one
        self.frames: tuple = (None, None)  # (the frame before the last one, the last one)
        self.forget()

    def forget(self) -> None:
        """A new shot: its first sweep is due whatever it shows, and is a whole one."""
        self.at_sweep: Any = None  # the luma (quarter size) at the shot's last whole sweep
        self.faces_then: list = []  # the faces followed then
        self.camera: Any = None  # 3x3: the last whole sweep's quarter luma -> the anchor's
        self.anchor: tuple = (None, None)  # (frame, its quarter luma): the camera's last look

    def swept(self, faces: list) -> None:
        """A whole sweep of the last frame: what is new is measured from it from now on."""
        import numpy as np

        frame = self.frames[1]
        fine = self.anchor[1] if self.anchor[0] is frame else _quarter(frame)
        self.at_sweep, self.faces_then = fine, list(faces)
        self.camera, self.anchor = np.eye(3), (frame, fine)

    def follow_camera(self, before: bool = False) -> None:
        """The camera's motion since the last whole sweep, brought up to the last frame (or
        the one before it): from the last frame it was followed to, a similarity (pan, zoom,
        roll) fitted to corners followed by optical flow, chained keyframe to keyframe
        (small steps are followed reliably; two seconds of a pan in one step are not). Lost
        (None) when it cannot be fitted: the next sweep is then a whole one."""
        frame = self.frames[0 if before else 1]
        if self.camera is None or frame is None or self.anchor[0] is frame:
            return
        fine = _quarter(frame)
        step = _camera_step(self.anchor[1], fine)
        self.camera = None if step is None else step @ self.camera
        self.anchor = (frame, fine)

    def whole_due(self, before: bool = False) -> bool:
        """Whether a sweep of the last frame (or the one before it) must be a whole one
        whatever faces are found there (`plan`'s reasons but the new ground's share)."""
        import numpy as np

        self.follow_camera(before)
        if self.at_sweep is None or self.camera is None or self.frames[0 if before else 1] is None:
            return True
        return bool(abs(np.linalg.det(self.camera[:2, :2])) > ZOOM_IN**2)

    def plan(self, faces: list, before: bool = False) -> list[tuple[int, int, int, int]] | None:
        """What a due sweep of the last frame (or the one before it) must look at, in pixels
        (x0, y0, x1, y1): [] when nothing is new, None for the whole frame.

        New is what differs by more than MOTION_LEVEL grey levels from the shot's last whole
        sweep moved as the camera moved (what the camera did not see then counts as new),
        away from the faces followed then and now (each grown by its size on every side):
        only there can a face have come into view that the whole sweep did not find. A few
        samples are enough (a 24 px face covers 36 of the quarter luma). The parts are the
        new blocks with PART_MARGIN around them; the whole frame when they cover most of it,
        when the camera was lost, or when it zoomed in (a face too small for the last sweep
        may have grown into reach anywhere)."""
        import cv2
        import numpy as np

        if self.whole_due(before):
            return None
        frame = self.frames[0 if before else 1]
        fine = self.anchor[1]
        rows, cols = fine.shape
        motion = self.camera[:2]
        then = cv2.warpAffine(self.at_sweep, motion, (cols, rows), flags=cv2.INTER_LINEAR)
        seen = cv2.warpAffine(np.full_like(self.at_sweep, 255), motion, (cols, rows),
                              flags=cv2.INTER_LINEAR)  # fmt: skip
        changed = cv2.absdiff(cv2.blur(fine, (3, 3)), cv2.blur(then, (3, 3))) > MOTION_LEVEL
        changed |= seen < 255
        sx, sy = frame.width / cols, frame.height / rows
        corners = [(box, np.eye(3)) for box in faces]
        corners += [(box, self.camera) for box in self.faces_then]
        for box, move in corners:
            points = np.array([[box.x0 / sx, box.x1 / sx, box.x0 / sx, box.x1 / sx],
                               [box.y0 / sy, box.y0 / sy, box.y1 / sy, box.y1 / sy],
                               [1, 1, 1, 1]])  # fmt: skip
            moved = move @ points
            x0, y0 = moved[0].min(), moved[1].min()
            x1, y1 = moved[0].max(), moved[1].max()
            dx, dy = x1 - x0, y1 - y0
            changed[max(0, int(y0 - dy)) : max(0, int(y1 + dy) + 1),
                    max(0, int(x0 - dx)) : max(0, int(x1 + dx) + 1)] = False  # fmt: skip
        if int(changed.sum()) < MOTION_SAMPLES:
            return []
        # Blocks of PART_BLOCK quarter samples with PART_SAMPLES changed samples or more.
        brows, bcols = -(-rows // PART_BLOCK), -(-cols // PART_BLOCK)
        padded = np.zeros((brows * PART_BLOCK, bcols * PART_BLOCK), np.uint16)
        padded[:rows, :cols] = changed
        counts = padded.reshape(brows, PART_BLOCK, bcols, PART_BLOCK).sum(axis=(1, 3))
        blocks = (counts >= PART_SAMPLES).astype(np.uint8)
        if not blocks.any():
            blocks = (counts > 0).astype(np.uint8)  # scattered: each block keeps one or two
        grow = 2 * PART_MARGIN + 1
        parts = _cover_blocks(cv2.dilate(blocks, np.ones((grow, grow), np.uint8)))
        step_x, step_y = PART_BLOCK * sx, PART_BLOCK * sy
        pixels = [
            (int(x0 * step_x), int(y0 * step_y), min(frame.width, int(x1 * step_x)),
             min(frame.height, int(y1 * step_y)))
            for x0, y0, x1, y1 in parts
        ]  # fmt: skip
        area = sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in pixels)
        return None if area > WHOLE_SHARE * frame.width * frame.height else pixels

    def cut(self, frame, signature: tuple | None = None) -> bool:
        """Whether `frame` starts a new shot; `signature`: its cut_signature, if made."""
        import cv2
        import numpy as np

        self.frames = (self.frames[1], frame)
        thumbs = signature or cut_signature(frame)
        last, self.last = self.last, thumbs
        self.before = last
        if last is None:
            return False
        distance = change = 0.0
        for now, bins, before, old in zip(*thumbs, *last, strict=True):
            distance = max(distance, float(np.abs(bins - old).sum()) / (2 * now.size))
            change = max(change, float(cv2.absdiff(now, before).mean()))
        return distance > CUT_HISTOGRAM or (distance > CUT_PAIR[0] and change > CUT_PAIR[1])


def cut_signature(frame) -> tuple[list, list]:
    """What Shots.cut compares of a frame: small copies of its Y, U and V planes (every 8th
    sample of every 8th row, 4th of the chroma: 14,000 samples of a 720p frame) and their
    histograms (32 bins)."""
    import numpy as np

    thumbs = [
        np.ascontiguousarray(plane[::step, ::step])
        for plane, step in zip(plane_views(frame), (8, 4, 4), strict=True)
    ]
    return thumbs, [np.bincount((thumb >> 3).ravel(), minlength=32) for thumb in thumbs]


def _quarter(frame):
    """A frame's luma at a quarter of its width and height, each sample the mean of 16."""
    import cv2

    luma = plane_views(frame)[0]
    rows, cols = luma.shape
    return cv2.resize(luma, (max(1, cols // 4), max(1, rows // 4)), interpolation=cv2.INTER_AREA)


def _camera_step(before, after):
    """The camera's motion from one quarter luma to the next as a 3x3 matrix (a similarity:
    shift, zoom, roll), fitted by RANSAC to corners followed by pyramidal optical flow, so
    the people moving in front count as outliers; None when too few corners agree (a plain
    wall, a blur, a flash)."""
    import cv2
    import numpy as np

    corners = cv2.goodFeaturesToTrack(before, maxCorners=150, qualityLevel=0.01, minDistance=8)
    if corners is None or len(corners) < CAMERA_POINTS:
        return None
    moved, status, _error = cv2.calcOpticalFlowPyrLK(before, after, corners, None,
                                                     winSize=(21, 21), maxLevel=3)  # fmt: skip
    ok = status.ravel() == 1
    if int(ok.sum()) < CAMERA_POINTS:
        return None
    cv2.setRNGSeed(1)  # RANSAC's samples: the same video gives the same render
    fitted, inliers = cv2.estimateAffinePartial2D(corners[ok], moved[ok], method=cv2.RANSAC,
                                                  ransacReprojThreshold=2.0)  # fmt: skip
    if fitted is None or int(inliers.sum()) < max(CAMERA_POINTS, CAMERA_SHARE * int(ok.sum())):
        return None
    return np.vstack([fitted, [0.0, 0.0, 1.0]])


def _cover_blocks(blocks) -> list[tuple[int, int, int, int]]:
    """Rectangles (x0, y0, x1, y1, in blocks) covering the set blocks: one per connected
    group, halved along its longer side while it would be mostly empty (a zoom out's frame
    of new ground is four strips, not the whole picture)."""
    import cv2

    count, labels, stats, _centres = cv2.connectedComponentsWithStats(blocks, connectivity=8)
    rects: list[tuple[int, int, int, int]] = []

    def cover(mask, x: int, y: int, depth: int) -> None:
        ys, xs = mask.nonzero()
        if len(ys) == 0:
            return
        y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
        mask, x, y = mask[y0:y1, x0:x1], x + x0, y + y0
        rows, cols = mask.shape
        if len(ys) >= 0.6 * rows * cols or depth >= 4:
            rects.append((x, y, x + cols, y + rows))
        elif cols >= rows:
            cover(mask[:, : cols // 2], x, y, depth + 1)
            cover(mask[:, cols // 2 :], x + cols // 2, y, depth + 1)
        else:
            cover(mask[: rows // 2], x, y, depth + 1)
            cover(mask[rows // 2 :], x, y + rows // 2, depth + 1)

    for label in range(1, count):
        x, y, w, h, _area = (int(v) for v in stats[label])
        cover(labels[y : y + h, x : x + w] == label, x, y, 0)
    return rects


def _flush(window, before, after, recipe, width, height, put, hidden_tracks, speed=None) -> None:
    """Hide, in each waiting frame, the faces of the detections on both sides of it: a face
    moving between two detections stays inside the box holding both of its grown boxes.
    `before` and `after` are (live tracks, tracks left visible) at the two detections: a
    track is left visible between them only when it was visible at each one it is live in.

    The hidden patches are made once, on the first frame of the window that has those regions,
    and the same pixels are copied into the frames after it. A blur redone on every frame
    hands an attacker a new low-resolution sample of the face each frame (the raw material of
    super-resolution attacks on blurred video) and makes the encoder chase a patch that changes
    everywhere; a patch held for the window gives one sample per detection and costs nothing
    to encode."""
    faces = []
    for number in sorted(before[0].keys() | after[0].keys()):
        sides = [side for side in (before, after) if number in side[0]]
        if all(number in visible for _live, visible in sides):
            continue
        hidden_tracks.add(number)
        boxes = [live[number] for live, _visible in sides]
        box = boxes[0].union(boxes[-1])
        if len(sides) == 1 and speed is not None:
            # Seen on one side only (it came into view, or went out of it, or was missed):
            # where its speed would have taken it over the window, too.
            dx, dy = speed(number)
            step = len(window) * (-1 if sides[0] is after else 1)
            moved = (box.x0 + dx * step, box.y0 + dy * step, box.x1 + dx * step, box.y1 + dy * step)
            box = box.union(type(box)(*moved, box.score))
        faces.append(box)
    made: tuple = ((), None)  # (regions, the planes they were hidden on)
    for frame, at in window:
        views = plane_views(frame)
        regions = regions_for_frame({**recipe, "keep": []}, faces, width, height, at)
        if regions and regions == made[0]:
            for box, _effect in regions:
                _copy_box(made[1], views, box)
        else:
            for box, effect in regions:
                hide_planes(*views, box, effect)  # type: ignore[call-arg]  # the Y, U, V planes
            made = (regions, views)
        put(frame)


def _copy_box(source: tuple, target: tuple, box: tuple[int, int, int, int]) -> None:
    """The pixels of `box` (and the chroma samples touching it) from one frame's planes into
    another's, clipped as `hide_planes` clips."""
    height, width = source[0].shape
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(width, box[2]), min(height, box[3])
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    target[0][y0:y1, x0:x1] = source[0][y0:y1, x0:x1]
    hx0, hy0, hx1, hy1 = x0 // 2, y0 // 2, (x1 + 1) // 2, (y1 + 1) // 2
    for plane in (1, 2):
        target[plane][hy0:hy1, hx0:hx1] = source[plane][hy0:hy1, hx0:hx1]


# ---- text in pictures (OCR) ---------------------------------------------------------------

MAX_DOUBTS = 200  # per page: the rest would not be boxed by hand either


def read_terms(page, terms, number: int) -> tuple[list[tuple[int, int, int, int]], list[list]]:
    """The search terms in a picture of a page, read by Tesseract (jiandu/sandbox/inside/
    ocr.py): the pixel boxes (x0, y0, x1, y1) to paint black, and the words the engine doubted
    that may be a misread term and the ink it read nothing in, as [page, x, y, w, h]
    fractions for the journalist to box."""
    if not terms:
        return [], []
    import ocr

    if not ocr.available():
        raise Unsupported
    words, _languages = ocr.read_page(page)
    hits, doubtful = ocr.find_terms(words, list(terms))
    width, height = page.size
    boxes = [
        (max(0, x), max(0, y), min(width, x + w), min(height, y + h))
        for hit in hits
        for x, y, w, h in hit.boxes
    ]
    # Doubts: words read unsurely that look like a term, and ink no word covers (a line the
    # engine dropped, a stamp, handwriting).
    places = [(w.x, w.y, w.w, w.h) for w in doubtful] + ocr.unread(page, words)
    doubts = [
        [number, round(x / width, 4), round(y / height, 4), round(w / width, 4),
         round(h / height, 4)]
        for x, y, w, h in places[:MAX_DOUBTS]
    ]  # fmt: skip
    return boxes, doubts


# ---- PDF -----------------------------------------------------------------------------------

PDFTOPPM = "/usr/bin/pdftoppm"
PDFTOTEXT = "/usr/bin/pdftotext"
PDF_DPI = 150
MAX_PDF_PAGES = 300
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WORD = re.compile(
    rb'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)
PAGE = re.compile(rb'<page width="([\d.]+)" height="([\d.]+)">')


def split_pngs(stream: bytes) -> list[bytes]:
    """pdftoppm's pages, PNG after PNG, cut by walking their chunks."""
    pages, offset = [], 0
    while offset < len(stream):
        if stream[offset : offset + 8] != PNG_SIGNATURE:
            raise ValueError("not a PNG sequence")
        position = offset + 8
        while True:
            length = int.from_bytes(stream[position : position + 4], "big")
            kind = stream[position + 4 : position + 8]
            position += 12 + length
            if kind == b"IEND" or position > len(stream):
                break
        pages.append(stream[offset:position])
        offset = position
    return pages


def term_boxes(terms: list[str], text_pages: set[int] | None = None) -> list[dict]:
    """Where each search term is, from pdftotext's word boxes, as regions (page, fractions).
    A term of several words matches those words in a row; case is ignored. The numbers of the
    pages that have a text layer are added to `text_pages` (the others are read by OCR)."""
    import html
    import subprocess

    if not terms:
        return []
    out = subprocess.run(
        [PDFTOTEXT, "-q", "-bbox", "-l", str(MAX_PDF_PAGES), ORIGINAL, "-"],
        capture_output=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    wanted = [[w.casefold() for w in term.split()] for term in terms]
    regions = []
    for number, chunk in enumerate(out.split(b"<page ")[1:]):
        size = PAGE.match(b"<page " + chunk)
        if size is None:
            continue
        pw, ph = float(size[1]), float(size[2])
        words = [
            (float(m[1]), float(m[2]), float(m[3]), float(m[4]),
             html.unescape(m[5].decode("utf-8", "replace")).casefold())
            for m in WORD.finditer(chunk)
        ]  # fmt: skip
        if words and text_pages is not None:
            text_pages.add(number)
        for term in wanted:
            for i in range(len(words) - len(term) + 1):
                run = words[i : i + len(term)]
                if all(t in w[4] if len(term) == 1 else w[4].strip(".,;:()") == t
                       for t, w in zip(term, run, strict=True)):  # fmt: skip
                    x0 = min(w[0] for w in run) - 1
                    y0 = min(w[1] for w in run) - 1
                    x1 = max(w[2] for w in run) + 1
                    y1 = max(w[3] for w in run) + 1
                    regions.append({"page": number, "x": max(0, x0 / pw), "y": max(0, y0 / ph),
                                    "w": (x1 - x0) / pw, "h": (y1 - y0) / ph})  # fmt: skip
    return regions


def pdf_from_jpegs(pages: list[tuple[bytes, int, int, float, float]]) -> bytes:
    """A PDF with one JPEG image per page and nothing else: no text, no fonts, no metadata,
    no dates, no producer. Each entry: (JPEG, pixel width, pixel height, page width and height
    in points)."""
    objects: list[bytes] = []
    kids = []
    for jpeg, width, height, pw, ph in pages:
        image = len(objects) + 3
        content = f"q {pw:.2f} 0 0 {ph:.2f} 0 0 cm /I Do Q".encode()
        objects.append(
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream"
            % (width, height, len(jpeg), jpeg)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] "
            b"/Resources << /XObject << /I %d 0 R >> >> /Contents %d 0 R >>"
            % (pw, ph, image, image + 1)
        )
        kids.append(image + 2)
    head = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(head + objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(offsets) + 1,
        xref,
    )
    return bytes(out)


def render_pdf(recipe: dict, max_pixels: int) -> tuple[bytes, dict]:
    """True redaction: every page becomes an image (poppler renders it; no script runs),
    boxes and the places of the search terms are painted black on the pixels, and a new PDF
    holds only those images. The text, fonts, images and vector content of the original are
    not copied, so nothing under a box can be extracted or uncovered."""
    import subprocess

    from PIL import Image, ImageDraw

    Image.MAX_IMAGE_PIXELS = max_pixels
    out = subprocess.run(
        [PDFTOPPM, "-q", "-png", "-r", str(PDF_DPI), "-l", str(MAX_PDF_PAGES), ORIGINAL],
        capture_output=True, check=True, timeout=1200,
    ).stdout  # fmt: skip
    pngs = split_pngs(out)
    if not pngs:
        raise ValueError("no page")
    regions = [b for b in recipe.get("boxes", ()) if b.get("on", True)]
    terms = list(recipe.get("terms", ()))
    text_pages: set[int] = set()
    found = term_boxes(terms, text_pages)
    read, doubts = 0, []
    pages = []
    for number, png in enumerate(pngs):
        with Image.open(io.BytesIO(png), formats=("PNG",)) as opened:
            page = opened.convert("RGB")
        width, height = page.size
        draw = ImageDraw.Draw(page)
        if terms and number not in text_pages:  # a scanned page: its words are read by OCR
            boxes, page_doubts = read_terms(page, terms, number)
            read += len(boxes)
            doubts += page_doubts
            for box in boxes:
                draw.rectangle(box, fill=(0, 0, 0))
        for region in [*regions, *found]:
            if region.get("page", 0) != number:
                continue
            draw.rectangle(
                (
                    int(region["x"] * width) - 1,
                    int(region["y"] * height) - 1,
                    int((region["x"] + region["w"]) * width) + 1,
                    int((region["y"] + region["h"]) * height) + 1,
                ),
                fill=(0, 0, 0),
            )
        fresh = Image.new("RGB", page.size)
        fresh.paste(page)
        buffer = io.BytesIO()
        fresh.save(buffer, "JPEG", quality=85)
        points = (width * 72 / PDF_DPI, height * 72 / PDF_DPI)
        pages.append((buffer.getvalue(), width, height, *points))
    data = pdf_from_jpegs(pages)
    first = pages[0]
    header = {
        "extension": "pdf", "content_type": "application/pdf", "width": first[1],
        "height": first[2], "pages": len(pages), "boxes": len(regions),
        "found": len(found) + read, "doubts": doubts,
    }  # fmt: skip
    return data, header


def main(argv: list[str]) -> int:
    try:
        kind, recipe = argv[1], json.loads(argv[2])
        model, max_pixels, max_input = argv[3], int(argv[4]), int(argv[5])
        given = json.loads(argv[6]) if len(argv) > 6 else {}
        references = {int(n): [[float(v) for v in s[:5]] for s in samples]
                      for n, samples in given.items()}  # fmt: skip
    except (IndexError, ValueError, TypeError, AttributeError):
        return ExitCode.BAD_RECIPE
    if not isinstance(recipe, dict) or kind not in ("image", "video", "pdf"):
        return ExitCode.BAD_RECIPE
    if kind != "pdf" and recipe.get("faces", True) and not os.path.exists(model):
        return ExitCode.NO_DETECTOR
    if kind == "video":
        return main_video(recipe, model, references)
    if kind == "pdf":
        return main_pdf(recipe, max_pixels)
    data = read_input(max_input)
    if isinstance(data, ExitCode):
        return data
    try:
        if recipe.get("stills") and not data.startswith(IMAGE_MAGIC):
            data = still_of_video(float(recipe["stills"][0]))
        result, header, thumbs = render_image(data, recipe, model, max_pixels, references)
    except Exception as exc:  # any parser error on hostile input means "broken"
        return exit_code_for(exc)
    return write_answer(header, *thumbs, result)


def main_video(recipe: dict, model: str, references: dict) -> int:
    """Video: stdin is a memfd every tool reopens; progress goes to stderr as numbers only
    ("P done total seconds"), which the parent reads to show a percentage and time left."""
    import subprocess

    def report(done: int, total: int, elapsed: float) -> None:
        sys.stderr.write(f"P {done} {total} {elapsed:.1f}\n")
        sys.stderr.flush()

    return _answer(
        lambda: render_video(recipe, model, report, references),
        (subprocess.CalledProcessError, StopIteration, KeyError, ValueError),
    )


def main_pdf(recipe: dict, max_pixels: int) -> int:
    import subprocess

    return _answer(
        lambda: (*render_pdf(recipe, max_pixels), []), (subprocess.CalledProcessError, ValueError)
    )


def _answer(render, unsupported: tuple) -> int:
    """A video's or a PDF's render (stdin is a memfd the tools reopen), written to stdout as
    the header line and the file, or the exit code that says why not."""
    if os.fstat(0).st_size == 0:
        return ExitCode.EMPTY
    try:
        result, header, thumbs = render()
    except unsupported:
        return ExitCode.UNSUPPORTED
    except MemoryError:
        return ExitCode.MEMORY
    except Exception:  # any parser error on hostile input means "broken"
        return ExitCode.BROKEN
    return write_answer(header, *thumbs, result)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
