"""Face detector benchmark: recall and precision of the studio's detector (CenterFace) as the
image path and the video path run it, on a labelled set generated here, per face size.

    .venv/bin/python bench/faces.py [--images 160]

The set (bench/people.py): two people, the faces of two public-domain portraits that installed
packages ship (scikit-image's astronaut, NASA; matplotlib's Grace Hopper, US Navy), pasted at
known boxes with faces from 24 to 300 pixels high (forehead to chin; a third under 40 px, a
third 40 to 80, a third over 80), mirrored, darkened or brightened, turned by up to 12°, one
to three times per 1280×720 image, on generated backgrounds and on scikit-image's photos, plus
images with no face (for precision). Two identities only: this measures size, position, light
and pose, not demographic coverage; a newsroom should check its own footage.

Paths:
- image: the whole picture at full resolution (faces.IMAGE_WIDTH), as stills are done;
- video_coarse: the 320 px look alone (faces.VIDEO_WIDTH), the video path before issue 21;
- sweep: the video path's full-resolution look (faces.VideoFinder.sweep), how it finds faces;
- video: what the video path relies on from one look to the next: a face counts when the
  sweep found it AND the next keyframe's look finds it again after the picture moved by up to
  half the smallest face's size (the coarse look, and the face followed in its window from
  where the sweep saw it, faces.VideoFinder.follow), as render_worker.py does between sweeps.

A detection counts when its centre lies inside a labelled box (each box matched once). The last
line is one JSON object: faces, recall, precision (the image path's), and per-path figures
with recall per size (under 40, 40 to 80, over 80 px) and ms per frame on one core.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "jiandu" / "redaction"))

from bench.people import BUCKETS, LICENCES, backgrounds, bucket, people, scaled

WIDTH, HEIGHT = 1280, 720


def labelled_set(count: int, seed: int = 7):
    """(RGB image, [(x0, y0, x1, y1) of each face]) × count."""
    import cv2

    rng = np.random.default_rng(seed)
    everyone, pictures = people(), backgrounds()
    for n in range(count):
        if n % 2:
            base = rng.integers(40, 200, size=3)
            canvas = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
            canvas[:] = base
            canvas += rng.integers(0, 25, size=(HEIGHT, WIDTH, 1), dtype=np.uint8)
        else:
            picture = pictures[int(rng.integers(0, len(pictures)))]
            canvas = np.ascontiguousarray(cv2.resize(picture, (WIDTH, HEIGHT)))
        boxes: list[tuple[float, float, float, float]] = []
        taken: list[tuple[int, int, int, int]] = []
        for _ in range(0 if n % 8 == 7 else int(rng.integers(1, 4))):
            low, high = BUCKETS[int(rng.integers(0, 3))][1:]
            face_px = float(rng.uniform(max(24, low), min(high, 300)))
            person = everyone[int(rng.integers(0, len(everyone)))]
            head, (fx0, fy0, fx1, fy1) = scaled(
                person, face_px, bool(rng.random() < 0.5), float(rng.uniform(0.5, 1.4))
            )
            h, w = head.shape[:2]
            if w >= WIDTH or h >= HEIGHT:
                continue
            angle = float(rng.uniform(-12, 12))
            turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
            head = cv2.warpAffine(head, turn, (w, h), borderMode=cv2.BORDER_REPLICATE)
            for _attempt in range(20):
                x, y = int(rng.integers(0, WIDTH - w)), int(rng.integers(0, HEIGHT - h))
                if all(x + w < bx or bx + bw < x or y + h < by or by + bh < y
                       for bx, by, bw, bh in taken):  # fmt: skip
                    canvas[y : y + h, x : x + w] = head
                    taken.append((x, y, w, h))
                    boxes.append((x + fx0, y + fy0, x + fx1, y + fy1))
                    break
        yield canvas, boxes


def moved(image: np.ndarray, boxes: list, rng) -> tuple[np.ndarray, list, tuple[float, float]]:
    """The picture moved by up to half its smallest face's size (the camera or the people
    moving between two keyframes), and its boxes moved with it."""
    import cv2

    smallest = min((b[3] - b[1] for b in boxes), default=40.0)
    dx, dy = (float(v) for v in rng.uniform(-0.5, 0.5, size=2) * smallest)
    shift = np.float32([[1, 0, dx], [0, 1, dy]])
    out = cv2.warpAffine(image, shift, (image.shape[1], image.shape[0]),
                         borderMode=cv2.BORDER_REFLECT)  # fmt: skip
    return out, [(b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy) for b in boxes], (dx, dy)


def matched(detections, boxes: list) -> list[bool]:
    """For each labelled box, whether a detection's centre lies in it (each matched once)."""
    hit = [False] * len(boxes)
    for det in detections:
        cx, cy = (det.x0 + det.x1) / 2, (det.y0 + det.y1) / 2
        for i, (x0, y0, x1, y1) in enumerate(boxes):
            if not hit[i] and x0 <= cx <= x1 and y0 <= cy <= y1:
                hit[i] = True
                break
    return hit


class Tally:
    def __init__(self) -> None:
        self.truths = {name: 0 for name, _l, _h in BUCKETS}
        self.found = {name: 0 for name, _l, _h in BUCKETS}
        self.detections = self.matched = 0
        self.seconds = 0.0
        self.frames = 0

    def add(self, boxes: list, hits: list[bool], detections: int, seconds: float) -> None:
        for box, hit in zip(boxes, hits, strict=True):
            name = bucket(box[3] - box[1])
            self.truths[name] += 1
            self.found[name] += int(hit)
        self.detections += detections
        self.matched += sum(hits)
        self.seconds += seconds
        self.frames += 1

    def figures(self) -> dict:
        truths = sum(self.truths.values())
        return {
            "faces": truths,
            "detections": self.detections,
            "recall": round(self.matched / truths, 4) if truths else 0.0,
            "precision": round(self.matched / self.detections, 4) if self.detections else 1.0,
            "recall_by_size": {
                name: round(self.found[name] / self.truths[name], 4) if self.truths[name] else None
                for name in self.truths
            },
            "faces_by_size": self.truths,
            "ms_per_frame": round(self.seconds * 1000 / max(1, self.frames), 1),
        }


def main() -> None:
    import faces

    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=160)
    args = parser.parse_args()
    images = list(labelled_set(args.images))
    model = faces.model_path()
    image = faces.Detector(model, width=faces.IMAGE_WIDTH)
    coarse = faces.Detector(model, width=faces.VIDEO_WIDTH)
    finder = faces.VideoFinder(model)
    tallies = {name: Tally() for name in ("image", "video_coarse", "sweep", "video")}
    rng = np.random.default_rng(3)
    for pixels, boxes in images:
        started = time.process_time()
        found = image(pixels)
        tallies["image"].add(boxes, matched(found, boxes), len(found),
                             time.process_time() - started)  # fmt: skip
        started = time.process_time()
        found = coarse(pixels)
        tallies["video_coarse"].add(boxes, matched(found, boxes), len(found),
                                    time.process_time() - started)  # fmt: skip
        started = time.process_time()
        swept = finder.sweep(pixels)
        tallies["sweep"].add(boxes, matched(swept, boxes), len(swept),
                             time.process_time() - started)  # fmt: skip
        # The next keyframe: the picture moved; the coarse look, and the faces the sweep saw
        # followed (small ones; wide: their speed is not known yet), as the worker does.
        later, later_boxes, _shift = moved(pixels, boxes, rng)
        started = time.process_time()
        height, width = later.shape[:2]
        small = [b for b in swept if finder.small(b, width, height)]
        again = faces.merge(coarse(later), finder.follow(later, small, wide=True))
        seconds = time.process_time() - started
        kept = [a and b for a, b in zip(matched(swept, boxes), matched(again, later_boxes),
                                        strict=True)]  # fmt: skip
        tallies["video"].add(later_boxes, kept, len(again), seconds)
    results = {name: tally.figures() for name, tally in tallies.items()}
    for name, figures in results.items():
        print(name, figures)
    print(json.dumps({**results["image"], "paths": results, "identities": LICENCES}))


if __name__ == "__main__":
    main()
