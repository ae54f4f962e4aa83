"""Which files of the newsroom's evidence and publications a file matches, and where.

`Index` holds the fingerprints of many files in memory (built by `index.py` from rows only a
member key opens; never written to disk in the clear). A query answers in a few milliseconds
over 100,000 videos (`bench/match.py`):

- identical files by SHA-256 (a dictionary);
- near-identical pictures by multi-index hashing: each 256-bit PDQ hash is cut into 16 chunks
  of 16 bits, and every stored hash is listed under each chunk's value. Two hashes at most 15
  bits apart share at least one chunk exactly (pigeonhole), and re-encodes, rescales and small
  crops are usually closer than that; candidates are then checked on the full distance;
- for videos, the candidate hits vote for a time offset (target second − query second); the
  best offset is then checked second by second over the whole query, which gives the matched
  range: "this clip matches 00:12:30–00:13:06 of file X".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy

from jiandu.forensics.fingerprints import (
    MATCH_DISTANCE,
    VIDEO_DISTANCE,
    Fingerprint,
    distances,
)

CHUNKS = 16
BUCKETS = 1 << 16
MAX_BUCKET = 4096  # a chunk value this common says nothing; skip it
QUERY_FRAMES = 24  # query seconds looked up (spread over the clip); all are checked afterwards
MIN_COVERAGE = 0.5  # share of the query's seconds that must match at the chosen offset


@dataclass(frozen=True)
class Match:
    """One matching file: `ref` is the caller's identifier (an analysis or a publication)."""

    ref: str
    identical: bool
    query_start: int  # seconds, in the file looked up
    query_end: int
    target_start: int  # seconds, in the matching file
    target_end: int
    matched_seconds: int
    distance: float  # mean PDQ distance of the matched seconds (0 when identical)
    target_is_video: bool


def clock(seconds: int) -> str:
    """00:12:30."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class Index:
    """Fingerprints of many files, queryable (see the module docstring). Add, then `build()`."""

    def __init__(self) -> None:
        self._refs: list[str] = []
        self._videos: list[bool] = []
        self._parts: list[Fingerprint] = []
        self._by_sha: dict[str, list[int]] = defaultdict(list)
        self.built = False

    def __len__(self) -> int:
        return len(self._refs)

    def add(self, ref: str, fingerprint: Fingerprint) -> None:
        self._by_sha[fingerprint.sha256].append(len(self._refs))
        self._refs.append(ref)
        self._videos.append(fingerprint.is_video)
        self._parts.append(fingerprint)
        self.built = False

    def build(self) -> Index:
        counts = numpy.array([len(part.seconds) for part in self._parts], dtype=numpy.int64)
        self._start = numpy.concatenate([[0], numpy.cumsum(counts)]).astype(numpy.int64)
        total = int(self._start[-1])
        if total:
            self._hashes = numpy.concatenate([p.hashes for p in self._parts if len(p.seconds)])
            self._seconds = numpy.concatenate([p.seconds for p in self._parts if len(p.seconds)])
        else:
            self._hashes = numpy.zeros((0, 4), dtype=numpy.uint64)
            self._seconds = numpy.zeros(0, dtype=numpy.int32)
        self._owner = numpy.repeat(numpy.arange(len(self._parts), dtype=numpy.int32), counts)
        self._parts = []  # the arrays above hold everything now
        chunks = self._chunks(self._hashes)
        self._offsets, self._ids = [], []
        for column in range(CHUNKS):
            values = chunks[:, column]
            order = numpy.argsort(values, kind="stable").astype(numpy.int32)
            offsets = numpy.zeros(BUCKETS + 1, dtype=numpy.int64)
            offsets[1:] = numpy.cumsum(numpy.bincount(values, minlength=BUCKETS))
            self._offsets.append(offsets)
            self._ids.append(order)
        self.built = True
        return self

    @staticmethod
    def _chunks(hashes: numpy.ndarray) -> numpy.ndarray:
        """(n, 4) uint64 → (n, 16) 16-bit chunk values."""
        return hashes.astype(">u8").view(">u2").reshape(-1, CHUNKS).astype(numpy.uint16)

    def _candidates(
        self, one: numpy.ndarray, chunk_values: numpy.ndarray, limit: int
    ) -> numpy.ndarray:
        found = []
        for column in range(CHUNKS):
            value = int(chunk_values[column])
            low, high = self._offsets[column][value], self._offsets[column][value + 1]
            if 0 < high - low <= MAX_BUCKET:
                found.append(self._ids[column][low:high])
        if not found:
            return numpy.zeros(0, dtype=numpy.int32)
        rows = numpy.unique(numpy.concatenate(found))
        close = distances(one, self._hashes[rows]) <= limit
        return rows[close]

    def query(self, fingerprint: Fingerprint, exclude: str = "") -> list[Match]:
        """Every file that is identical to, contains, or is contained in this one."""
        if not self.built:
            self.build()
        matches: dict[int, Match] = {}
        for owner in self._by_sha.get(fingerprint.sha256, []):
            length = int(self._start[owner + 1] - self._start[owner])
            matches[owner] = Match(
                self._refs[owner], True, 0, fingerprint.length, 0, length, length, 0.0,
                self._videos[owner],
            )  # fmt: skip
        if len(fingerprint.seconds) and len(self._hashes):
            picks = numpy.unique(
                numpy.linspace(0, len(fingerprint.seconds) - 1, QUERY_FRAMES).astype(int)
            )
            chunk_values = self._chunks(fingerprint.hashes[picks])
            votes: dict[int, Counter[int]] = defaultdict(Counter)
            for row, pick in enumerate(picks):
                hashed = fingerprint.hashes[pick]
                limit = VIDEO_DISTANCE if fingerprint.is_video else MATCH_DISTANCE
                for hit in self._candidates(hashed, chunk_values[row], limit):
                    owner = int(self._owner[hit])
                    offset = int(self._seconds[hit]) - int(fingerprint.seconds[pick])
                    votes[owner][offset] += 1
            for owner, offsets in votes.items():
                if owner in matches:
                    continue
                match = self._align(owner, fingerprint, offsets)
                if match is not None:
                    matches[owner] = match
        found = [m for m in matches.values() if m.ref != exclude]
        return sorted(found, key=lambda m: (not m.identical, -m.matched_seconds, m.distance))

    def _align(self, owner: int, fingerprint: Fingerprint, offsets: Counter[int]) -> Match | None:
        """Check the best-voted offsets second by second over the whole query."""
        start, end = int(self._start[owner]), int(self._start[owner + 1])
        both_videos = fingerprint.is_video and self._videos[owner]
        limit = VIDEO_DISTANCE if both_videos else MATCH_DISTANCE
        target_seconds = self._seconds[start:end]
        target_hashes = self._hashes[start:end]
        found: list[Match] = []
        for offset, _votes in offsets.most_common(6):
            matched_query, matched_target, spent = [], [], []
            for row, second in enumerate(fingerprint.seconds):
                wanted = int(second) + offset
                lo = numpy.searchsorted(target_seconds, wanted - 1)
                hi = numpy.searchsorted(target_seconds, wanted + 1, side="right")
                if lo >= hi:
                    continue
                near = distances(fingerprint.hashes[row], target_hashes[lo:hi])
                pick = int(numpy.argmin(near))
                if near[pick] <= limit:
                    matched_query.append(int(second))
                    matched_target.append(int(target_seconds[lo + pick]))
                    spent.append(int(near[pick]))
            shorter = min(len(fingerprint.seconds), end - start)
            needed = max(1, int(MIN_COVERAGE * shorter))
            if len(matched_query) < needed:
                continue
            candidate = Match(
                ref=self._refs[owner],
                identical=False,
                query_start=min(matched_query),
                query_end=max(matched_query) + 1,
                target_start=min(matched_target),
                target_end=max(matched_target) + 1,
                matched_seconds=len(matched_query),
                distance=round(float(numpy.mean(spent)), 1),
                target_is_video=self._videos[owner],
            )
            found.append(candidate)
        if not found:
            return None
        # A repetitive video matches at several offsets: among those that match (nearly) as
        # many seconds as the best, the closest one is right.
        most = max(match.matched_seconds for match in found)
        return min(
            (match for match in found if match.matched_seconds >= 0.9 * most),
            key=lambda match: match.distance,
        )
