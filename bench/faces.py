"""Face detector benchmark: recall and precision of the studio's detector (CenterFace, as the
image path and the video path run it) on a labelled set generated here.

    .venv/bin/python bench/faces.py [--images 120]

The set: the face of scikit-image's public-domain astronaut portrait (NASA, Eileen Collins),
pasted at known boxes, scaled from 40 to 300 pixels high, mirrored, darkened or brightened,
slightly rotated, one to three times per image, on generated backgrounds, plus images with no
face (for precision). One identity only: this measures scale, position, light and pose
robustness, not demographic coverage; a newsroom should check its own footage. A detection
counts when its centre lies inside a labelled box (each box matched once). The last line is
one JSON object: faces, recall, precision, and per-path figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "jiandu" / "redaction"))


def labelled_set(count: int, seed: int = 7):
    from PIL import Image, ImageEnhance

    from tests.redaction.media import face_crop

    rng = np.random.default_rng(seed)
    face = Image.fromarray(face_crop())
    for n in range(count):
        width, height = 1280, 720
        base = rng.integers(40, 200, size=3)
        canvas = np.zeros((height, width, 3), np.uint8)
        canvas[:] = base
        canvas += rng.integers(0, 25, size=(height, width, 1), dtype=np.uint8)
        image = Image.fromarray(canvas)
        boxes = []
        for _ in range(0 if n % 6 == 5 else int(rng.integers(1, 4))):
            h = int(rng.integers(40, 300))
            w = int(h * face.width / face.height)
            part = face.resize((w, h))
            if rng.random() < 0.5:
                part = part.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            part = ImageEnhance.Brightness(part).enhance(float(rng.uniform(0.5, 1.4)))
            part = part.rotate(float(rng.uniform(-12, 12)), expand=False, fillcolor=tuple(base))
            for _attempt in range(20):
                x, y = int(rng.integers(0, width - w)), int(rng.integers(0, height - h))
                if all(x + w < bx or bx + bw < x or y + h < by or by + bh < y
                       for bx, by, bw, bh in boxes):  # fmt: skip
                    image.paste(part, (x, y))
                    boxes.append((x, y, w, h))
                    break
        yield np.array(image), boxes


def score(detector, images) -> dict:
    truths = found = matched = 0
    for pixels, boxes in images:
        detections = detector(pixels)
        truths += len(boxes)
        found += len(detections)
        free = list(boxes)
        for det in detections:
            cx, cy = (det.x0 + det.x1) / 2, (det.y0 + det.y1) / 2
            hit = next(
                (b for b in free if b[0] <= cx <= b[0] + b[2] and b[1] <= cy <= b[1] + b[3]), None
            )
            if hit is not None:
                free.remove(hit)
                matched += 1
    return {
        "faces": truths,
        "detections": found,
        "recall": round(matched / truths, 4) if truths else 0.0,
        "precision": round(matched / found, 4) if found else 1.0,
    }


def main() -> None:
    import time

    import faces

    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=120)
    args = parser.parse_args()
    images = list(labelled_set(args.images))
    results = {}
    for name, width in (("image", faces.IMAGE_WIDTH), ("video", faces.VIDEO_WIDTH)):
        detector = faces.Detector(faces.model_path(), width=width)
        started = time.monotonic()
        results[name] = score(detector, images)
        results[name]["ms_per_frame"] = round((time.monotonic() - started) * 1000 / len(images), 1)
        print(name, results[name])
    print(json.dumps({**results["image"], "paths": results}))


if __name__ == "__main__":
    main()
