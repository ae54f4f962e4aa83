"""Faces for the redaction benchmarks (bench/faces.py, bench/render.py): two identities from
photos that installed packages ship, nothing downloaded.

- "astronaut": scikit-image's `data.astronaut()`, NASA's portrait of Eileen Collins (public
  domain, a work of the US government; scikit-image's data/README.txt);
- "hopper": matplotlib's `mpl-data/sample_data/grace_hopper.jpg`, the US Navy portrait of
  Rear Admiral Grace Hopper (public domain, a work of the US government; matplotlib's
  sample_data README and its docs credit it so).

Each comes as a head-and-shoulders crop and the box of the face in it (forehead to chin, as
CenterFace boxes it at full size). A face's size in these benchmarks is that box's height in
the frame: "a 30 px face" is 30 pixels from forehead to chin, with its hair and neck around it.

Two people only, both light-skinned adults photographed from the front: the benchmarks
measure size, motion, cuts and light, not how the detector does across skin tones, ages,
masks or profiles. Backgrounds are scikit-image's public-domain photos (coffee, rocket,
bricks, grass, the Hubble deep field, a retina) and generated textures.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

LICENCES = {
    "astronaut": "scikit-image data.astronaut(): NASA portrait of Eileen Collins, public domain",
    "hopper": "matplotlib sample_data/grace_hopper.jpg: US Navy portrait, public domain",
}
BUCKETS = (("under_40", 0, 40), ("40_to_80", 40, 80), ("over_80", 80, 10_000))


@dataclass(frozen=True)
class Person:
    name: str
    head: np.ndarray  # RGB crop, head and shoulders
    face: tuple[int, int, int, int]  # the face's box in `head`: x0, y0, x1, y1


def bucket(size: float) -> str:
    return next(name for name, low, high in BUCKETS if low <= size < high)


@cache
def people() -> tuple[Person, ...]:
    import matplotlib
    from PIL import Image
    from skimage import data

    astronaut = data.astronaut()[20:240, 150:320]
    hopper_path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    with Image.open(hopper_path) as opened:
        hopper = np.array(opened.convert("RGB"))[40:460, 96:436]
    return (
        Person("astronaut", np.ascontiguousarray(astronaut), (32, 34, 120, 158)),
        Person("hopper", np.ascontiguousarray(hopper), (78, 88, 262, 294)),
    )


def scaled(person: Person, face_px: float, mirror: bool = False, light: float = 1.0):
    """The person's head scaled so the face is `face_px` high; (pixels, face box in them)."""
    import cv2

    x0, y0, x1, y1 = person.face
    scale = face_px / (y1 - y0)
    h, w = person.head.shape[:2]
    size = (max(2, round(w * scale)), max(2, round(h * scale)))
    mode = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    head = cv2.resize(person.head, size, interpolation=mode)
    box = (x0 * scale, y0 * scale, x1 * scale, y1 * scale)
    if mirror:
        head = np.ascontiguousarray(head[:, ::-1])
        box = (size[0] - box[2], box[1], size[0] - box[0], box[3])
    if light != 1.0:
        head = np.clip(head.astype(np.float32) * light, 0, 255).astype(np.uint8)
    return head, box


@cache
def backgrounds() -> tuple[np.ndarray, ...]:
    """Public-domain photos from scikit-image (none with a face) and two generated
    textures, as RGB."""
    from skimage import data

    def rgb(image: np.ndarray) -> np.ndarray:
        return np.dstack([image] * 3) if image.ndim == 2 else image[:, :, :3]

    photos = [data.coffee(), data.rocket(), data.brick(), data.grass(), data.hubble_deep_field()]
    photos.append(data.retina())
    rng = np.random.default_rng(5)
    for _ in range(2):
        noise = rng.integers(30, 220, size=(45, 80, 3), dtype=np.uint8)
        photos.append(np.kron(noise, np.ones((16, 16, 1), np.uint8)))
    return tuple(np.ascontiguousarray(rgb(p)) for p in photos)


def paste(canvas: np.ndarray, head: np.ndarray, x: int, y: int) -> bool:
    """`head` onto `canvas` at (x, y), cut at the edges; False when nothing of it is inside."""
    height, width = canvas.shape[:2]
    h, w = head.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
    if x1 <= x0 or y1 <= y0:
        return False
    canvas[y0:y1, x0:x1] = head[y0 - y : y1 - y, x0 - x : x1 - x]
    return True


@dataclass
class Actor:
    person: Person
    face_px: float  # at the start of the shot
    start: tuple[float, float]  # where the face's centre is, fractions of the frame
    speed: tuple[float, float]  # frame widths and heights a second
    mirror: bool
    light: float


def montage(width: int, height: int, fps: int, seconds: float, seed: int = 11):
    """Frames of a montage: shots of 2 to 5 s over the backgrounds, joined by hard cuts,
    each with a pan, a zoom (in or out) or a slow roll of the camera and one to four people
    whose faces are 24 to 300 px high (a third of them under 40 px), moving.

    Yields (RGB frame, [(face id, x0, y0, x1, y1), ...] of the faces inside the frame, shot
    number)."""
    import cv2

    rng = np.random.default_rng(seed)
    everyone, pictures = people(), backgrounds()
    total, n, shot, face_id = round(seconds * fps), 0, 0, 0
    while n < total:
        length = int(rng.uniform(2, 5) * fps)
        picture = pictures[shot % len(pictures)]
        camera = ("pan", "zoom", "roll")[shot % 3]
        zoom_rate = float(rng.uniform(-0.25, 0.3))  # per second
        pan = (float(rng.uniform(-0.15, 0.15)), float(rng.uniform(-0.08, 0.08)))
        actors, ids = [], []
        for _ in range(int(rng.integers(1, 5))):
            low, high = BUCKETS[int(rng.integers(0, 3))][1:]
            size = float(rng.uniform(max(24, low), min(high, 300)))
            if camera == "zoom" and zoom_rate < 0:
                size = max(size, 24 / (1 + zoom_rate * length / fps) + 1)
            actors.append(Actor(
                everyone[int(rng.integers(0, len(everyone)))], size,
                (float(rng.uniform(0.1, 0.9)), float(rng.uniform(0.15, 0.85))),
                (float(rng.uniform(-0.12, 0.12)), float(rng.uniform(-0.06, 0.06))),
                bool(rng.random() < 0.5), float(rng.uniform(0.7, 1.3)),
            ))  # fmt: skip
            ids.append(face_id)
            face_id += 1
        base = cv2.resize(picture, (int(width * 1.5), int(height * 1.5)))
        for k in range(min(length, total - n)):
            t = k / fps
            zoom = 1 + zoom_rate * t if camera == "zoom" else 1.0
            # The camera: a window on the picture moving (pan) or growing (zoom).
            cx = base.shape[1] / 2 + pan[0] * width * t * (camera == "pan")
            cy = base.shape[0] / 2 + pan[1] * height * t * (camera == "pan")
            ww, hh = width / zoom, height / zoom
            x0 = int(np.clip(cx - ww / 2, 0, base.shape[1] - ww))
            y0 = int(np.clip(cy - hh / 2, 0, base.shape[0] - hh))
            frame = cv2.resize(base[y0 : y0 + int(hh), x0 : x0 + int(ww)], (width, height))
            boxes, heads = [], []
            for actor, number in zip(actors, ids, strict=True):
                face_px = actor.face_px * zoom
                head, (fx0, fy0, fx1, fy1) = scaled(actor.person, face_px, actor.mirror,
                                                    actor.light)  # fmt: skip
                fcx = (actor.start[0] + actor.speed[0] * t - 0.5) * zoom + 0.5
                fcy = (actor.start[1] + actor.speed[1] * t - 0.5) * zoom + 0.5
                x = int(fcx * width - (fx0 + fx1) / 2)
                y = int(fcy * height - (fy0 + fy1) / 2)
                if paste(frame, head, x, y):
                    heads.append((len(boxes), x, y, x + head.shape[1], y + head.shape[0]))
                    box = (x + fx0, y + fy0, x + fx1, y + fy1)
                    boxes.append((number, *box))
            boxes = [b for k, b in enumerate(boxes) if _seen(k, b, heads, width, height)]
            if camera == "roll":
                angle = 4 * np.sin(t * 1.3)  # degrees, the whole picture and its faces
                turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
                frame = cv2.warpAffine(frame, turn, (width, height), borderMode=cv2.BORDER_REFLECT)
                boxes = [(i, *_turned(b, turn, width, height)) for i, *b in boxes]
            yield frame, boxes, shot
            n += 1
        shot += 1


def _seen(index: int, box, heads: list, width: int, height: int) -> bool:
    """A face counts when most of it is inside the frame and no head pasted after it (a
    person in front) covers a fifth of it or more."""
    _number, x0, y0, x1, y1 = box
    area = (x1 - x0) * (y1 - y0)

    def overlap(a0: float, b0: float, a1: float, b1: float) -> float:
        return max(0.0, min(x1, a1) - max(x0, a0)) * max(0.0, min(y1, b1) - max(y0, b0))

    if overlap(0, 0, width, height) < 0.6 * area:
        return False
    return all(overlap(*head[1:]) < 0.2 * area for head in heads if head[0] > index)


def _turned(box, turn, width: int, height: int) -> tuple[float, float, float, float]:
    """The box holding a box's corners turned with the picture."""
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], np.float64)
    moved = corners @ turn.T
    return (float(moved[:, 0].min()), float(moved[:, 1].min()),
            float(moved[:, 0].max()), float(moved[:, 1].max()))  # fmt: skip
