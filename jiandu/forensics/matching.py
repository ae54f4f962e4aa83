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
  range: "this clip matches 00:12:30–00:13:06 of file X";
- then a second stage for copies that were cropped, turned, mirrored or padded (`robust.py`):
  candidates from the query's turned, flipped and trimmed PDQ hashes (by multi-index hashing)
  and, for pictures, the few nearest of the whole index to its as-is and trimmed hashes
  (a full scan, beside the stored pictures' inner crops), each confirmed by ORB keypoints
  under one similarity transform (for videos: keyframes at the voted time offset).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy

from jiandu.forensics.fingerprints import (
    MATCH_DISTANCE,
    VIDEO_DISTANCE,
    Fingerprint,
    distances,
)

if TYPE_CHECKING:
    from jiandu.forensics.robust import Geometry, KeyPoints, Robust

CHUNKS = 16
BUCKETS = 1 << 16
MAX_BUCKET = 4096  # a chunk value this common says nothing; skip it
QUERY_FRAMES = 24  # query seconds looked up (spread over the clip); all are checked afterwards
MIN_COVERAGE = 0.5  # share of the query's seconds that must match at the chosen offset
# The second stage (robust.py): the query's codes below this (turns, flips, trimmed) are
# looked up by multi-index hashing; the others (crops) serve the scan.
NEAR_CODES = 16
STORED_WINDOWS = (24, 25, 26, 27, 28)  # the 95 % windows at the corners and the centre
# The full scan: which of the query's hashes are compared with which stored ones. The copy as
# it is (or trimmed) with the stored pictures and their 95 % windows (the copy is cropped); its
# two mirror images (PDQ of a texture's mirror image is not quite its flipped hash) and its
# 80 % crop with the stored pictures (padded with something other than a flat colour); its
# turned-back crops with the stored 80 % crops (turned); its turns and flips with the pictures
# too flat for the first stage (whose hashes multi-index hashing does not hold).
SCANS: tuple[tuple[tuple[int, ...], tuple[str, ...]], ...] = (
    ((0, 8), ("whole", "crop95")),
    ((4, 5, 17), ("whole",)),
    ((18, 19, 20, 21, 22, 23), ("crop80",)),
    ((1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15), ("weak",)),
)
NEAREST = 3  # nearest pictures of the whole index, per scanned query hash
HALF_DISTANCE = 52  # on the first 128 bits, in a table of more than SMALL_SCAN rows
LARGE_DISTANCE = 100
SMALL_SCAN = 20_000
LOOSE_DISTANCE = 120  # farther is never a candidate (random pairs: 128 ± 8; keypoints decide)
MAX_CONFIRM = 6  # candidates checked by their keypoints, nearest first
ROBUST_OFFSETS = 3  # a video's best-voted offsets checked by keyframes
# A video query also scans every stored second when the index is this small (hash
# comparisons); beyond it, only multi-index hashing gives its candidates.
SCAN_BUDGET = 8_000_000
VIDEO_SCAN_SECONDS = 6
VIDEO_SCAN_DISTANCE = 84


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
    # Found by the second stage: how the copy differs (cropped, turned, mirrored, padded).
    geometry: Geometry | None = None


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
        self._robust: dict[int, Robust] = {}
        self.built = False

    def __len__(self) -> int:
        return len(self._refs)

    def add(self, ref: str, fingerprint: Fingerprint) -> None:
        self._by_sha[fingerprint.sha256].append(len(self._refs))
        if fingerprint.robust is not None:
            self._robust[len(self._refs)] = fingerprint.robust.for_index()
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
        self._build_robust()
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
        if fingerprint.robust is not None and len(self._refs):
            if fingerprint.is_video:
                self._robust_video(fingerprint, fingerprint.robust, matches)
            else:
                self._robust_picture(fingerprint.robust, matches)
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

    # ---- the second stage (robust.py) ----------------------------------------------------

    def _build_robust(self) -> None:
        """The tables the full scan reads (see `SCANS`) and every file's keypoints by second."""
        tables: dict[str, tuple[list[numpy.ndarray], list[int]]] = {
            name: ([], []) for name in ("whole", "crop95", "crop80", "weak")
        }
        self._keypoints: dict[int, dict[int, KeyPoints]] = {}
        self._hashes_by_word: numpy.ndarray | None = None  # made by the first video scan
        for owner, part in enumerate(self._parts):
            features = self._robust.get(owner)
            if features is not None and features.keypoints:
                self._keypoints[owner] = {points.second: points for points in features.keypoints}
            if part.is_video:
                continue
            whole = part.hashes[:1]
            if features is not None:
                for name, codes in (("crop95", STORED_WINDOWS), ("crop80", (17,))):
                    rows = features.hashes[numpy.isin(features.codes, codes)][: len(codes)]
                    tables[name][0].append(rows)
                    tables[name][1].extend([owner] * len(rows))
                if not len(whole):  # PDQ's quality too low for the first stage
                    whole = features.hashes[features.codes == 0][:1]
                    tables["weak"][0].append(whole)
                    tables["weak"][1].extend([owner] * len(whole))
            tables["whole"][0].append(whole)
            tables["whole"][1].extend([owner] * len(whole))
        self._scans: dict[str, tuple[numpy.ndarray, numpy.ndarray]] = {}
        for name, (blocks, owners) in tables.items():
            rows = numpy.concatenate(blocks) if blocks else numpy.zeros((0, 4), numpy.uint64)
            # One row per 64-bit word: a scan reads each word of every hash in one pass.
            self._scans[name] = (
                numpy.ascontiguousarray(rows.T),
                numpy.array(owners, dtype=numpy.int32),
            )
        self._robust = {}

    def _scan(self, probes: numpy.ndarray, table: str) -> list[tuple[int, int]]:
        """(owner, distance) of the NEAREST rows of a scan table to each probe. In a large
        table, half the bits first: a row more than HALF_DISTANCE away on them (random rows:
        64 ± 6) is left out before the other half is counted, and a candidate must be within
        LARGE_DISTANCE (a random row is once in 5,000); in a small one, within LOOSE_DISTANCE."""
        rows, owners = self._scans[table]
        if not len(probes) or not rows.shape[1]:
            return []
        half = numpy.bitwise_count(rows[0][None, :] ^ probes[:, 0, None])
        half += numpy.bitwise_count(rows[1][None, :] ^ probes[:, 1, None])
        large = rows.shape[1] > SMALL_SCAN
        limit, loose = (HALF_DISTANCE, LARGE_DISTANCE) if large else (128, LOOSE_DISTANCE)
        found = []
        which, where = numpy.nonzero(half <= limit)
        bounds = numpy.searchsorted(which, numpy.arange(len(probes) + 1))
        for probe in range(len(probes)):
            kept = where[bounds[probe] : bounds[probe + 1]]
            if not len(kept):
                continue
            full = half[probe, kept].astype(numpy.int32)
            for word in (2, 3):
                full += numpy.bitwise_count(rows[word][kept] ^ probes[probe, word])
            close = numpy.flatnonzero(full <= loose)
            for row in close[numpy.argsort(full[close], kind="stable")[:NEAREST]]:
                found.append((int(owners[kept[row]]), int(full[row])))
        return found

    def _near(self, features: Robust, limit: int) -> list[tuple[int, int, int, int, int]]:
        """(stored row, distance, query row, code, offset) of the query's turned, flipped and
        trimmed hashes that multi-index hashing finds within `limit`."""
        pick = numpy.flatnonzero(features.codes < NEAR_CODES)
        if not len(pick):
            return []
        chunk_values = self._chunks(features.hashes[pick])
        found = []
        for row, index in enumerate(pick):
            hashed = features.hashes[index]
            hits = self._candidates(hashed, chunk_values[row], limit)
            if not len(hits):
                continue
            spent = distances(hashed, self._hashes[hits])
            for hit, distance in zip(hits, spent, strict=True):
                offset = int(self._seconds[hit]) - int(features.seconds[index])
                found.append(
                    (int(hit), int(distance), int(index), int(features.codes[index]), offset)
                )
        return found

    def _robust_picture(self, features: Robust, matches: dict[int, Match]) -> None:
        """Candidates for a picture, each confirmed by keypoints; a turned, flipped or trimmed
        hash within PDQ's own threshold is a match by itself (as the first stage's are) when
        the keypoints cannot say (too few on a flat picture, or none stored)."""
        from jiandu.forensics import robust

        best: dict[int, tuple[int, int, int]] = {}  # owner: (distance, code, target second)

        def consider(owner: int, distance: int, code: int, second: int) -> None:
            if owner in matches:
                return
            if owner not in best or distance < best[owner][0]:
                best[owner] = (distance, code, second)

        for hit, distance, _row, code, _offset in self._near(features, MATCH_DISTANCE):
            consider(int(self._owner[hit]), distance, code, int(self._seconds[hit]))
        for codes, tables in SCANS:
            probes = features.hashes[numpy.isin(features.codes, codes)]
            for table in tables:
                for owner, distance in self._scan(probes, table):
                    consider(owner, distance + 1000, 0, 0)
        query = features.keypoints[0] if features.keypoints else None
        ranked = sorted(best.items(), key=lambda item: item[1][0])[:MAX_CONFIRM]
        for owner, (distance, code, second) in ranked:
            mirrored = code in robust.MIRRORED_CODES
            geometry = None
            targets = self._keypoints.get(owner, {})
            if query is not None and targets:
                target = targets.get(second) or min(
                    targets.values(), key=lambda points: abs(points.second - second)
                )
                geometry = robust.confirm(query, target, mirrored_first=mirrored)
            if geometry is None and distance <= MATCH_DISTANCE:
                geometry = robust.from_code(code)
            if geometry is None:
                continue
            matches[owner] = Match(
                ref=self._refs[owner],
                identical=False,
                query_start=0,
                query_end=1,
                target_start=second,
                target_end=second + 1,
                matched_seconds=1,
                distance=float(distance % 1000),
                target_is_video=self._videos[owner],
                geometry=geometry,
            )

    def _robust_video(
        self, fingerprint: Fingerprint, features: Robust, matches: dict[int, Match]
    ) -> None:
        """Votes of the query's turned, flipped and trimmed per-second hashes for a file and a
        time offset; each of the best offsets is confirmed by the keypoints of keyframes that
        fall on the same moment of both videos or, where none do (a clip of a long video, whose
        keyframes are seconds apart), by the first stage's alignment of the voting turn or flip
        over the query's seconds."""
        from jiandu.forensics import robust

        votes: dict[int, Counter[int]] = defaultdict(Counter)
        by_code: dict[int, Counter[tuple[int, int]]] = defaultdict(Counter)
        mirrored: Counter[tuple[int, int]] = Counter()
        spent: dict[tuple[int, int], list[int]] = defaultdict(list)
        for hit, distance, _row, code, offset in self._near(
            features, VIDEO_DISTANCE
        ) + self._scan_video(features):
            owner = int(self._owner[hit])
            if owner in matches or not self._videos[owner]:
                continue
            votes[owner][offset] += 1
            by_code[owner][code, offset] += 1
            spent[owner, offset].append(distance)
            mirrored[owner, offset] += 1 if code in robust.MIRRORED_CODES else -1
        query_length = max(
            fingerprint.length, int(features.seconds.max()) + 1 if len(features.seconds) else 0
        )
        for owner, offsets in votes.items():
            found = self._video_by_keyframes(
                owner, features, offsets, mirrored, spent, query_length
            ) or self._video_by_variants(owner, fingerprint.sha256, features, by_code[owner])
            if found is not None:
                matches[owner] = found

    def _video_by_keyframes(
        self,
        owner: int,
        features: Robust,
        offsets: Counter[int],
        mirrored: Counter[tuple[int, int]],
        spent: dict[tuple[int, int], list[int]],
        query_length: int,
    ) -> Match | None:
        targets = self._keypoints.get(owner, {})
        if not targets or not features.keypoints:
            return None
        for offset, _count in offsets.most_common(ROBUST_OFFSETS):
            geometry = self._confirm_frames(
                features.keypoints, targets, offset, mirrored[owner, offset] > 0
            )
            if geometry is None:
                continue
            start, end = int(self._start[owner]), int(self._start[owner + 1])
            target_length = int(self._seconds[start:end].max()) + 1 if end > start else 0
            query_start = max(0, -offset)
            query_end = min(query_length, target_length - offset)
            if query_end <= query_start:
                continue
            return Match(
                ref=self._refs[owner],
                identical=False,
                query_start=query_start,
                query_end=query_end,
                target_start=query_start + offset,
                target_end=query_end + offset,
                matched_seconds=query_end - query_start,
                distance=round(float(numpy.mean(spent[owner, offset])), 1),
                target_is_video=True,
                geometry=geometry,
            )
        return None

    def _video_by_variants(
        self, owner: int, sha256: str, features: Robust, votes: Counter[tuple[int, int]]
    ) -> Match | None:
        """The first stage's alignment (MIN_COVERAGE of the seconds within VIDEO_DISTANCE at
        one offset) of the query's seconds turned or flipped as its best-voted codes say."""
        from jiandu.forensics import robust

        tried: set[int] = set()
        for (code, _offset), _count in votes.most_common():
            if code == 0 or code in tried:
                continue
            if len(tried) == ROBUST_OFFSETS:
                break
            tried.add(code)
            rows = features.codes == code
            turned = Fingerprint(sha256, features.hashes[rows], features.seconds[rows], True)
            offsets = Counter({offset: n for (c, offset), n in votes.items() if c == code})
            match = self._align(owner, turned, offsets)
            if match is not None:
                return replace(match, geometry=robust.from_code(code))
        return None

    def _scan_video(self, features: Robust) -> list[tuple[int, int, int, int, int]]:
        """(stored row, distance, query row, code, offset) of every stored second within
        VIDEO_SCAN_DISTANCE of the turns and flips of a few of the query's seconds (trimmed
        when a border was found), by a full scan when the index is small enough for one
        (`SCAN_BUDGET` hash comparisons): a crop moves a frame's hash too far for multi-index
        hashing. Beyond the budget, only multi-index hashing gives a video's candidates."""
        seconds = numpy.unique(features.seconds)
        if not len(seconds) or not len(self._hashes):
            return []
        spread = numpy.linspace(0, len(seconds) - 1, VIDEO_SCAN_SECONDS).astype(int)
        pick: list[int] = []
        for second in seconds[numpy.unique(spread)]:
            rows = numpy.flatnonzero(features.seconds == second)
            codes = features.codes[rows]
            trimmed = rows[(codes >= 8) & (codes < NEAR_CODES)]
            pick.extend(int(row) for row in (trimmed if len(trimmed) else rows[codes < 8]))
        if not pick or len(pick) * len(self._hashes) > SCAN_BUDGET:
            return []
        if self._hashes_by_word is None:
            self._hashes_by_word = numpy.ascontiguousarray(self._hashes.T)
        probes = features.hashes[pick]
        spent = numpy.zeros((len(pick), len(self._hashes)), dtype=numpy.uint16)
        for word in range(4):
            spent += numpy.bitwise_count(
                self._hashes_by_word[word][None, :] ^ probes[:, word, None]
            )
        found = []
        for probe, hit in zip(*numpy.nonzero(spent <= VIDEO_SCAN_DISTANCE), strict=True):
            index = pick[int(probe)]
            offset = int(self._seconds[hit]) - int(features.seconds[index])
            distance = int(spent[probe, hit])
            found.append((int(hit), distance, index, int(features.codes[index]), offset))
        return found

    @staticmethod
    def _confirm_frames(
        queries: tuple[KeyPoints, ...],
        targets: dict[int, KeyPoints],
        offset: int,
        mirrored: bool,
        tries: int = 4,
    ) -> Geometry | None:
        """The best geometry of up to `tries` keyframe pairs at this offset (within a second)."""
        from jiandu.forensics import robust

        best: Geometry | None = None
        for query in queries:
            wanted = query.second + offset
            target = next(
                (targets[s] for s in (wanted, wanted - 1, wanted + 1) if s in targets), None
            )
            if target is None:
                continue
            tries -= 1
            geometry = robust.confirm(query, target, mirrored_first=mirrored, frame=True)
            if geometry is not None and (best is None or geometry.inliers > best.inliers):
                best = geometry
            if tries == 0:
                break
        return best
