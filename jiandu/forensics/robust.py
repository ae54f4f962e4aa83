"""The second stage of "seen before?": copies that were cropped, turned, mirrored or padded.

PDQ finds re-encodes and rescales, but a 5 % crop or a 4 degree turn moves a hash by 40 to 100
of its 256 bits and a mirror image or 20 % of padding by ~128, as far as any unrelated picture.
The sandbox therefore also hashes each picture's eight turns and flips, the picture with a flat
border cut off, and two inner crops, and keeps up to 128 ORB keypoints of the picture and of its
mirror image (jiandu/sandbox/inside/robust_features.py). `matching.Index` takes candidates from
those hashes (near ones by multi-index hashing, the nearest few of the whole index by a full
scan of the as-is and trimmed hashes) and accepts a candidate only when this module's
`confirm` finds the same points in both pictures under one rotation, scale and shift (ORB
matches with Lowe's ratio test, then RANSAC in OpenCV), which unrelated pictures do not have.

This module reads what the sandbox answered (untrusted: every count, size and value is checked,
anything else is dropped), serialises it compactly into the encrypted fingerprint, and says
what geometry a confirmed copy has. numpy and cv2 are imported inside the functions that use
them (the web process imports this module for `Geometry.describe`).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

if TYPE_CHECKING:
    import numpy

MAX_VARIANTS = 29 * 64  # codes 0-28, for at most 64 pictures of one file
MAX_SETS = 64  # pictures with keypoints (an image: 1; a video: its keyframes)
MAX_POINTS = 128
MAX_EDGE = 1024  # the sandbox scales pictures to 512 on their longest side
MAX_SECOND = 4 * 3600
CODES = 29
MIRRORED_CODES = frozenset({4, 5, 6, 7, 12, 13, 14, 15})
HEX = re.compile(r"\A[0-9a-f]{64}\Z")
MAGIC = b"JDR2"

# Confirmation: a candidate is the same picture when this many ORB matches agree on one
# similarity transform (measured on 25 real photographs: unrelated pairs reach 12 at most
# with 128 points, copies after a 5 % crop, a 10 degree turn or 20 % padding 24 or more).
MIN_INLIERS = 20
MIN_INLIERS_FRAME = 14  # a video keyframe has 64 points
RATIO = 0.8
MAX_HAMMING = 64
REPROJECTION = 6.0  # pixels, on the 512-pixel picture
LARGEST_SCALE = 4.0
CROPPED = 0.93  # a copy showing less of the original's keypoint hull than this is cropped


@dataclass(frozen=True)
class KeyPoints:
    """ORB keypoints of one picture: `xy` (n, 2) float32 pixels on a picture `size` wide and
    high, `descriptors` (n, 32) uint8; the `mirror_` pair is of its mirror image (empty in an
    index, which only needs the picture as it is)."""

    second: int
    size: tuple[int, int]
    xy: numpy.ndarray
    descriptors: numpy.ndarray
    mirror_xy: numpy.ndarray
    mirror_descriptors: numpy.ndarray
    box: tuple[int, int, int, int] = (0, 0, 0, 0)  # left, top, right, bottom inside a border

    def without_mirror(self) -> KeyPoints:
        return KeyPoints(
            self.second,
            self.size,
            self.xy,
            self.descriptors,
            self.xy[:0],
            self.descriptors[:0],
            self.box,
        )

    def content(self, mirrored: bool) -> tuple[int, int, int, int]:
        """The box inside the flat border (the whole picture when there is none or it makes
        no sense), of the mirror image when `mirrored`."""
        left, top, right, bottom = self.box
        width, height = self.size
        if not (0 <= left < right <= width and 0 <= top < bottom <= height):
            return 0, 0, width, height
        return (width - right, top, width - left, bottom) if mirrored else self.box


@dataclass(frozen=True)
class Robust:
    """A file's robust features: `hashes` (m, 4) uint64 with their `codes` (uint8, see
    robust_features.py) and `seconds` (int32), and keypoints per picture."""

    seconds: numpy.ndarray
    codes: numpy.ndarray
    hashes: numpy.ndarray
    keypoints: tuple[KeyPoints, ...]

    def for_index(self) -> Robust:
        """What an index keeps: no mirror keypoints (only a query needs them)."""
        return Robust(
            self.seconds,
            self.codes,
            self.hashes,
            tuple(points.without_mirror() for points in self.keypoints),
        )


@dataclass(frozen=True)
class Geometry:
    """How a confirmed copy differs from what it copies."""

    inliers: int
    mirrored: bool
    angle: int  # degrees, rounded; 0 when under 1.5
    kept: float  # share of the original the copy shows (< 1: cropped)
    padded: float  # share of the copy that is not the original (> 0: padding)

    def describe(self) -> str:
        """ "cropped, turned 4°, mirrored copy; 42 matching points", in the reader's language."""
        parts = []
        if self.kept < CROPPED:
            parts.append(_("cropped"))
        if self.angle:
            parts.append(_("turned %(degrees)d°") % {"degrees": self.angle})
        if self.mirrored:
            parts.append(_("mirrored"))
        if self.padded > 0.03:
            parts.append(_("padded"))
        kind = pgettext("list separator", ", ").join(parts) or _("rescaled or re-encoded")
        if not self.inliers:  # found by a turned, flipped or trimmed hash alone
            return _("%(kind)s copy") % {"kind": kind}
        return _("%(kind)s copy; %(count)d matching points") % {
            "kind": kind,
            "count": self.inliers,
        }


def _points(xy: object, described: object, size: tuple[int, int]):
    """Checked (xy, descriptors) from base64, or empty arrays."""
    import numpy

    empty = numpy.zeros((0, 2), numpy.float32), numpy.zeros((0, 32), numpy.uint8)
    if not isinstance(xy, str) or not isinstance(described, str):
        return empty
    try:
        raw_xy = base64.b64decode(xy, validate=True)
        raw_d = base64.b64decode(described, validate=True)
    except (binascii.Error, ValueError):
        return empty
    count = len(raw_d) // 32
    if count > MAX_POINTS or len(raw_d) != count * 32 or len(raw_xy) != count * 4:
        return empty
    where = numpy.frombuffer(raw_xy, dtype="<u2").reshape(-1, 2).astype(numpy.float32) / 8
    if count and (where[:, 0].max() > size[0] or where[:, 1].max() > size[1]):
        return empty
    return where, numpy.frombuffer(raw_d, dtype=numpy.uint8).reshape(-1, 32).copy()


def _second(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SECOND:
        return None
    return value


def parse(data: object) -> Robust | None:
    """The robust features the sandbox answered (`{"variants": [[second, code, hex], ...],
    "orb": [[second, {"size", "xy", "d", "mirror_xy", "mirror_d"}], ...]}`), checked; None
    when there is nothing usable. Malformed entries are dropped one by one."""
    import numpy

    from jiandu.forensics.fingerprints import pack

    if not isinstance(data, dict):
        return None
    rows: list[tuple[int, int, str]] = []
    variants = data.get("variants")
    for entry in variants[:MAX_VARIANTS] if isinstance(variants, list) else []:
        if not isinstance(entry, list) or len(entry) != 3:
            continue
        second, code, value = _second(entry[0]), entry[1], entry[2]
        if second is None or not isinstance(code, int) or isinstance(code, bool):
            continue
        if 0 <= code < CODES and isinstance(value, str) and HEX.match(value):
            rows.append((second, code, value))
    sets: list[KeyPoints] = []
    found = data.get("orb")
    for entry in found[:MAX_SETS] if isinstance(found, list) else []:
        if not isinstance(entry, list) or len(entry) != 2 or not isinstance(entry[1], dict):
            continue
        second, body = _second(entry[0]), entry[1]
        size = body.get("size")
        if second is None or not isinstance(size, list) or len(size) != 2:
            continue
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in size):
            continue
        width, height = size
        if not (0 < width <= MAX_EDGE and 0 < height <= MAX_EDGE):
            continue
        xy, described = _points(body.get("xy"), body.get("d"), (width, height))
        mirror_xy, mirror_d = _points(body.get("mirror_xy"), body.get("mirror_d"), (width, height))
        box = body.get("box")
        if not (
            isinstance(box, list)
            and len(box) == 4
            and all(isinstance(v, int) and not isinstance(v, bool) for v in box)
            and 0 <= box[0] < box[2] <= width
            and 0 <= box[1] < box[3] <= height
        ):
            box = [0, 0, width, height]
        sets.append(
            KeyPoints(second, (width, height), xy, described, mirror_xy, mirror_d, tuple(box))
        )
    if not rows and not sets:
        return None
    return Robust(
        seconds=numpy.array([row[0] for row in rows], dtype=numpy.int32),
        codes=numpy.array([row[1] for row in rows], dtype=numpy.uint8),
        hashes=pack([row[2] for row in rows]),
        keypoints=tuple(sets),
    )


_VARIANT = [("s", ">i4"), ("c", "u1"), ("h", ">u8", (4,))]
_SET = struct.Struct(">iHHHHHHHH")


def to_bytes(robust: Robust) -> bytes:
    """Compact binary form (kept inside the encrypted fingerprint): 41 bytes a hash, 36 a
    keypoint."""
    import numpy

    rows = numpy.zeros(len(robust.codes), dtype=_VARIANT)
    rows["s"], rows["c"], rows["h"] = robust.seconds, robust.codes, robust.hashes
    out = [MAGIC, struct.pack(">HH", len(rows), len(robust.keypoints)), rows.tobytes()]
    for points in robust.keypoints:
        out.append(
            _SET.pack(
                points.second,
                *points.size,
                len(points.descriptors),
                len(points.mirror_descriptors),
                *points.box,
            )
        )
        for xy, described in (
            (points.xy, points.descriptors),
            (points.mirror_xy, points.mirror_descriptors),
        ):
            out.append(numpy.round(xy * 8).astype("<u2").tobytes())
            out.append(numpy.ascontiguousarray(described, dtype=numpy.uint8).tobytes())
    return b"".join(out)


def from_bytes(data: bytes) -> Robust | None:
    """The inverse of `to_bytes` (None for anything else: the data is our own, sealed, but a
    truncated or older row must not break an index)."""
    import numpy

    if data[:4] != MAGIC or len(data) < 8:
        return None
    count, sets = struct.unpack(">HH", data[4:8])
    at = 8 + count * numpy.dtype(_VARIANT).itemsize
    if at > len(data):
        return None
    rows = numpy.frombuffer(data[8:at], dtype=_VARIANT)
    keypoints = []
    for _set in range(sets):
        if at + _SET.size > len(data):
            return None
        second, width, height, n, m, *box = _SET.unpack_from(data, at)
        at += _SET.size
        pairs = []
        for size in (n, m):
            end = at + size * 36
            if end > len(data):
                return None
            xy = numpy.frombuffer(data[at : at + size * 4], "<u2").reshape(-1, 2)
            described = numpy.frombuffer(data[at + size * 4 : end], numpy.uint8).reshape(-1, 32)
            pairs.append((xy.astype(numpy.float32) / 8, described))
            at = end
        keypoints.append(
            KeyPoints(
                second, (width, height), *pairs[0], *pairs[1], (box[0], box[1], box[2], box[3])
            )
        )
    return Robust(
        seconds=rows["s"].astype(numpy.int32),
        codes=rows["c"].astype(numpy.uint8),
        hashes=rows["h"].astype(numpy.uint64).reshape(-1, 4),
        keypoints=tuple(keypoints),
    )


def _verify(
    query_xy: numpy.ndarray,
    query_d: numpy.ndarray,
    target: KeyPoints,
    least: int,
) -> tuple[int, numpy.ndarray] | None:
    """(inliers, 2×3 similarity transform query → target) when enough ORB matches agree."""
    import cv2
    import numpy

    if len(query_d) < least or len(target.descriptors) < least:
        return None
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = matcher.knnMatch(query_d, target.descriptors, k=2)
    good = [
        pair[0]
        for pair in pairs
        if len(pair) == 2
        and pair[0].distance < RATIO * pair[1].distance
        and pair[0].distance < MAX_HAMMING
    ]
    if len(good) < least:
        return None
    source = query_xy[[match.queryIdx for match in good]]
    destination = target.xy[[match.trainIdx for match in good]]
    cv2.setRNGSeed(2026)
    transform, inliers = cv2.estimateAffinePartial2D(
        source,
        destination,
        method=cv2.RANSAC,
        ransacReprojThreshold=REPROJECTION,
        maxIters=500,
    )
    if transform is None or inliers is None:
        return None
    count = int(numpy.count_nonzero(inliers))
    scale = math.hypot(transform[0, 0], transform[1, 0])
    if count < least or not 1 / LARGEST_SCALE < scale < LARGEST_SCALE:
        return None
    return count, transform


def _corners(left: int, top: int, right: int, bottom: int) -> numpy.ndarray:
    import numpy

    return numpy.array([[left, top], [right, top], [right, bottom], [left, bottom]], "float32")


def confirm(
    query: KeyPoints, target: KeyPoints, mirrored_first: bool = False, frame: bool = False
) -> Geometry | None:
    """The geometry under which `query` shows the same picture as `target`, or None. The
    query's mirror-image keypoints are tried too (first when the candidate came from a mirrored
    hash)."""
    import cv2

    least = MIN_INLIERS_FRAME if frame else MIN_INLIERS
    tries = [
        (False, query.xy, query.descriptors),
        (True, query.mirror_xy, query.mirror_descriptors),
    ]
    if mirrored_first:
        tries.reverse()
    for mirrored, xy, described in tries:
        found = _verify(xy, described, target, least)
        if found is None:
            continue
        count, transform = found
        # Padding: what of the copy lies outside the box inside its flat border. Cropping:
        # how much of the original's box the copy's box covers once mapped onto it.
        left, top, right, bottom = query.content(mirrored)
        width, height = query.size
        padded = 1 - (right - left) * (bottom - top) / float(width * height)
        mapped = cv2.transform(_corners(left, top, right, bottom)[None], transform)[0]
        t_left, t_top, t_right, t_bottom = target.content(False)
        shown, _hull = cv2.intersectConvexConvex(mapped, _corners(t_left, t_top, t_right, t_bottom))
        kept = min(1.0, float(shown) / float((t_right - t_left) * (t_bottom - t_top)))
        degrees = math.degrees(math.atan2(transform[1, 0], transform[0, 0]))
        angle = round(abs(degrees)) if abs(degrees) >= 1.5 else 0
        return Geometry(count, mirrored, angle, round(kept, 3), round(max(0.0, padded), 3))
    return None


def from_code(code: int) -> Geometry:
    """The geometry a turned, flipped or trimmed hash says by itself (no keypoints counted):
    PDQ's dihedral order is as is, 90, 180 and 270 degrees, then the four flips."""
    dihedral = code % 8
    angle = {1: 90, 2: 180, 3: 90, 5: 180, 6: 90, 7: 90}.get(dihedral, 0)
    return Geometry(0, code in MIRRORED_CODES, angle, 1.0, 0.0)
