"""Fingerprints of a file: its SHA-256 and its perceptual hashes (PDQ).

An image has one PDQ hash; a video has one per second (the first frame at or after each
second, as Meta's vPDQ samples at one frame per second), so a clip, a re-encode, a rescale or a
slight crop of it still lands near the same hashes at the same relative seconds. The hashes are
made in the sandbox (`metadata_worker.py`); this module only turns them into arrays and
measures distances. Frames whose PDQ quality is low (flat colour, black) say nothing about the
content and are left out of matching.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy

from jiandu.forensics.metadata import FileReport

if TYPE_CHECKING:
    from jiandu.forensics.robust import Robust

HASH_BYTES = 32
MIN_QUALITY = 50  # PDQ's own advice: below this the hash describes little
MATCH_DISTANCE = 31  # PDQ's recommended threshold (of 256 bits) for "the same picture"
# Between two videos a second counts at a larger distance, because a match also needs many
# seconds in a row at one time offset: unrelated hashes are ~128 ± 8 bits apart, so 52 is nine
# standard deviations away, and it lets a crop of a few percent through (measured: a 5% crop
# of a busy synthetic pattern moves each second's hash by 46–50 bits).
VIDEO_DISTANCE = 52


@dataclass(frozen=True)
class Fingerprint:
    """The fingerprints of one file: `hashes` is (n, 4) uint64, one row per kept second."""

    sha256: str
    hashes: numpy.ndarray
    seconds: numpy.ndarray  # int32, the second each row starts at (0 for an image)
    is_video: bool
    # Turned/flipped/trimmed/cropped hashes and ORB keypoints (robust.py), when the sandbox
    # made them: the second stage of matching.
    robust: Robust | None = None

    @property
    def length(self) -> int:
        """Seconds covered (1 for an image)."""
        return int(self.seconds.max()) + 1 if len(self.seconds) else 0


def pack(hex_hashes: list[str]) -> numpy.ndarray:
    """PDQ hashes in hex → an (n, 4) uint64 array (one 256-bit hash per row)."""
    if not hex_hashes:
        return numpy.zeros((0, 4), dtype=numpy.uint64)
    raw = b"".join(bytes.fromhex(value) for value in hex_hashes)
    return numpy.frombuffer(raw, dtype=">u8").astype(numpy.uint64).reshape(-1, 4)


def distances(one: numpy.ndarray, many: numpy.ndarray) -> numpy.ndarray:
    """Hamming distances between one hash (4,) and many (n, 4)."""
    return numpy.bitwise_count(numpy.bitwise_xor(many, one)).sum(axis=1, dtype=numpy.int32)


def from_report(report: FileReport) -> Fingerprint:
    """The fingerprint of an analysed file (no perceptual part when it had none)."""
    rows: list[tuple[int, str]] = []
    if report.frames:
        rows = [
            (int(second), str(value))
            for second, value, quality in report.frames
            if int(quality) >= MIN_QUALITY
        ]
        is_video = True
    else:
        is_video = False
        if report.pdq and int(report.pdq[1]) >= MIN_QUALITY:
            rows = [(0, str(report.pdq[0]))]
    from jiandu.forensics import robust

    return Fingerprint(
        sha256=report.sha256,
        hashes=pack([value for _, value in rows]),
        seconds=numpy.array([second for second, _ in rows], dtype=numpy.int32),
        is_video=is_video,
        robust=robust.parse(report.robust) if report.robust else None,
    )


ROBUST_FLAG = 2  # in the first byte: a row count and the robust features follow the rows


def to_bytes(fingerprint: Fingerprint) -> bytes:
    """A compact serialisation: 4-byte second + 32-byte hash per row (for encrypted storage),
    then, when there are any, the robust features (robust.to_bytes)."""
    rows = numpy.zeros(len(fingerprint.seconds), dtype=[("s", ">i4"), ("h", ">u8", (4,))])
    rows["s"] = fingerprint.seconds
    rows["h"] = fingerprint.hashes
    flag = 1 if fingerprint.is_video else 0
    if fingerprint.robust is None:
        return bytes([flag]) + rows.tobytes()
    from jiandu.forensics import robust

    head = bytes([flag | ROBUST_FLAG]) + len(rows).to_bytes(4, "big")
    return head + rows.tobytes() + robust.to_bytes(fingerprint.robust)


def from_bytes(sha256: str, data: bytes) -> Fingerprint:
    features = None
    body = data[1:]
    if data[:1] and data[0] & ROBUST_FLAG:
        from jiandu.forensics import robust

        count = int.from_bytes(data[1:5], "big")
        body = data[5 : 5 + count * 36]
        features = robust.from_bytes(data[5 + count * 36 :])
    rows = numpy.frombuffer(body, dtype=[("s", ">i4"), ("h", ">u8", (4,))])
    return Fingerprint(
        sha256=sha256,
        hashes=rows["h"].astype(numpy.uint64).reshape(-1, 4),
        seconds=rows["s"].astype(numpy.int32),
        is_video=bool(data[:1]) and data[0] & 1 == 1,
        robust=features,
    )
