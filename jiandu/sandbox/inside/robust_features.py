"""What lets a copy be found after a crop, a turn, a flip or padding; runs inside the sandbox.

Imported by the forensics metadata worker (jiandu/forensics/metadata_worker.py) inside the
walls, on pixels it has already decoded there; never imported by the server. PDQ moves by 40 to
100 of its 256 bits after a 5 % crop or a 4 degree turn, and by ~128 (nothing in common) after a
mirror image or 20 % of padding, so it alone cannot find such copies. For each picture (an
image, or a video's frame) this computes:

- `variants`: PDQ hashes of the picture's eight turns and flips (pdqhash's dihedral, from one
  DCT: codes 0-7 in PDQ's order: as is, 90, 180, 270 degrees, mirrored left-right, upside
  down, and the two diagonal flips), of the same after a uniform border is cut off (padding,
  letterboxing: codes 8-15), and of two centred inner crops (90 % and 80 % of each side: codes
  16 and 17) that a cropped copy resembles more than the whole, and of the picture turned
  back by a few angles and cropped the same way (codes 18-23), which a turned copy resembles,
  and of five windows of 95 % (codes 24-28), which a cropped copy resembles;
- `orb`: up to `points` ORB keypoints (position on a picture scaled to `EDGE` on its longest
  side, in eighths of a pixel) and their 32-byte descriptors, of the picture and of its mirror
  image (ORB is turn-invariant, not mirror-invariant), and the box inside its flat border, for
  the server's confirmation by geometry (jiandu/forensics/robust.py).

The answer is plain data (hex, base64, small integers) that the server reads as untrusted.
Only numpy, pdqhash and OpenCV (cv2) and the standard library.
"""

from __future__ import annotations

import base64

EDGE = 512
TRIM_STD = 4.0  # a row or column this flat (grey levels' standard deviation) is border
TRIM_MAX = 0.4  # of each side at most
TRIM_MIN = 0.02  # less than this trimmed is no border
CROPS = ((16, 0.90), (17, 0.80))
# Codes 18-23: the picture turned back by these angles, then its centred 80 % (the corners a
# turn leaves empty cut off), near a turned copy's original's code 17 at any turn up to ~13
# degrees (the grid is 4 degrees apart).
TURNS = ((18, -11.0), (19, -7.0), (20, -3.0), (21, 3.0), (22, 7.0), (23, 11.0))
# Codes 24-28: windows of 95 % of each side at the four corners and the centre, one of which
# is within ~2 % of wherever a copy cropped by up to 5 % (or 10 %) was cut.
WINDOWS = ((24, 0.0, 0.0), (25, 1.0, 0.0), (26, 0.0, 1.0), (27, 1.0, 1.0), (28, 0.5, 0.5))
CODE_TRIMMED = 8


def _hex(bits, numpy) -> str:
    return numpy.packbits(numpy.asarray(bits, dtype=numpy.uint8)).tobytes().hex()


def dihedral(rgb) -> list[str]:
    """The PDQ hashes of the eight turns and flips of a picture, in PDQ's order."""
    import numpy
    import pdqhash

    hashes, _quality = pdqhash.compute_dihedral(numpy.ascontiguousarray(rgb))
    return [_hex(bits, numpy) for bits in hashes]


def trim_box(rgb) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) inside a flat border, or None when there is none."""
    import numpy

    gray = rgb.mean(axis=2) if rgb.ndim == 3 else rgb.astype(numpy.float32)
    height, width = gray.shape[:2]
    if height < 16 or width < 16:
        return None

    def span(flatness) -> tuple[int, int]:
        size = len(flatness)
        low = 0
        while low < size * TRIM_MAX and flatness[low] < TRIM_STD:
            low += 1
        high = size
        while high > size * (1 - TRIM_MAX) and high > low + 8 and flatness[high - 1] < TRIM_STD:
            high -= 1
        return low, high

    top, bottom = span(gray.std(axis=1))
    left, right = span(gray.std(axis=0))
    if (bottom - top) * (right - left) > (1 - TRIM_MIN) * height * width:
        return None
    return top, bottom, left, right


def variants(rgb, crops: bool = True) -> list[list[object]]:
    """[code, hex] of the picture's turned, flipped, trimmed and cropped PDQ hashes (code 0,
    the picture as is, included)."""
    found: list[list[object]] = [[code, value] for code, value in enumerate(dihedral(rgb))]
    box = trim_box(rgb)
    if box is not None:
        top, bottom, left, right = box
        trimmed = dihedral(rgb[top:bottom, left:right])
        found += [[CODE_TRIMMED + code, value] for code, value in enumerate(trimmed)]
    if crops:
        height, width = rgb.shape[:2]
        for code, keep in CROPS:
            found.append([code, dihedral(_centre(rgb, keep))[0]])
        import cv2

        for code, degrees in TURNS:
            matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
            turned = cv2.warpAffine(_contiguous(rgb), matrix, (width, height))
            found.append([code, dihedral(_centre(turned, 0.8))[0]])
        keep_h, keep_w = int(height * 0.95), int(width * 0.95)
        for code, across, down in WINDOWS:
            top, left = int((height - keep_h) * down), int((width - keep_w) * across)
            found.append([code, dihedral(rgb[top : top + keep_h, left : left + keep_w])[0]])
    return found


def _contiguous(rgb):
    import numpy

    return numpy.ascontiguousarray(rgb)


def _centre(rgb, keep: float):
    height, width = rgb.shape[:2]
    dy, dx = int(height * (1 - keep) / 2), int(width * (1 - keep) / 2)
    return rgb[dy : height - dy, dx : width - dx]


def _orb_of(gray, points: int, numpy, cv2) -> tuple[str, str]:
    detector = cv2.ORB_create(nfeatures=points * 2, fastThreshold=10)
    keypoints, descriptors = detector.detectAndCompute(gray, None)
    if descriptors is None or not keypoints:
        return "", ""
    order = numpy.argsort([-point.response for point in keypoints], kind="stable")[:points]
    where = numpy.array([keypoints[i].pt for i in order], dtype=numpy.float64)
    packed = numpy.clip(numpy.round(where * 8), 0, 65535).astype("<u2")
    return (
        base64.b64encode(packed.tobytes()).decode(),
        base64.b64encode(numpy.ascontiguousarray(descriptors[order]).tobytes()).decode(),
    )


def orb(rgb, points: int) -> dict[str, object]:
    """ORB keypoints of the picture scaled to EDGE (up or down), and of its mirror image."""
    import cv2
    import numpy

    height, width = rgb.shape[:2]
    scale = EDGE / max(height, width, 1)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    gray = cv2.cvtColor(numpy.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    cv2.setNumThreads(1)
    where, described = _orb_of(gray, points, numpy, cv2)
    mirror_where, mirror_described = _orb_of(
        numpy.ascontiguousarray(gray[:, ::-1]), points, numpy, cv2
    )
    box = trim_box(gray)
    top, bottom, left, right = box if box is not None else (0, size[1], 0, size[0])
    return {
        "size": [size[0], size[1]],
        "box": [left, top, right, bottom],  # what is not a flat border (padding, letterbox)
        "xy": where,
        "d": described,
        "mirror_xy": mirror_where,
        "mirror_d": mirror_described,
    }
