"""Which face is which across renders of one original: the numbers a journalist types.

A face's number must mean the same person in every render of the same original, whatever the
clip, the boxes or the order in which the tracker met the faces ("keep face 1" once pointed at
somebody else after the clip changed). In one original, the same person at the same moment is
at the same place, so a new render's tracks are matched to the numbers already given by their
boxes at the same moments (intersection over union, greedy, one number per track, above
THRESHOLD). A matched track keeps its number; a new one gets a number above every number the
original's renders ever gave.

Visibility is decided moment by moment, which is what keeps it fail safe: in the worker, a face
is left visible at a detection only when its box there matches a kept number's box at that same
moment (`match_moment`). A kept number with no box near that moment (outside the clips rendered
before) or none that matches is blurred, and the render reports the kept numbers it did not
find.

Samples are (seconds in the original, x0, y0, x1, y1) with corners as fractions of the frame.
Pure Python: imported by the server and, as a read path, by the sandboxed worker.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

THRESHOLD = 0.3  # intersection over union of two boxes that are the same face
NEAR = 0.5  # seconds: a sample this close to a moment says where the face was then
MAX_SAMPLES = 300  # per number (one every few detections over a long clip)
MAX_REFERENCE_SAMPLES = 2000  # all kept numbers together, handed to the worker on its command line

Box = tuple[float, float, float, float]
Sample = tuple[float, float, float, float, float]


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def box_at(samples: Sequence[Sequence[float]], at: float) -> Box | None:
    """Where the face of these samples was at `at`: between two samples around it (each within
    NEAR), the straight line between them; else the nearest sample within NEAR; else None."""
    before = after = None
    for sample in samples:
        if sample[0] <= at and (before is None or sample[0] > before[0]):
            before = sample
        if sample[0] >= at and (after is None or sample[0] < after[0]):
            after = sample
    near = [s for s in (before, after) if s is not None and abs(s[0] - at) <= NEAR]
    if not near:
        return None
    if len(near) == 2 and before is not None and after is not None and after[0] > before[0]:
        w = (at - before[0]) / (after[0] - before[0])
        return tuple(before[i] + (after[i] - before[i]) * w for i in range(1, 5))  # type: ignore[return-value]
    nearest = min(near, key=lambda s: abs(s[0] - at))
    return (nearest[1], nearest[2], nearest[3], nearest[4])


def _greedy(scores: Iterable[tuple[float, int, int]]) -> dict[int, int]:
    """One to one, best score first: {left index: right key}."""
    chosen: dict[int, int] = {}
    taken: set[int] = set()
    for score, left, right in sorted(scores, key=lambda s: (-s[0], s[1], s[2])):
        if score < THRESHOLD or left in chosen or right in taken:
            continue
        chosen[left] = right
        taken.add(right)
    return chosen


def match_moment(
    boxes: Sequence[Sequence[float]], references: Mapping[int, Sequence[Sequence[float]]], at: float
) -> list[int | None]:
    """The number of each box found at `at`, or None: a box matches a number whose face was
    at the same place at that moment."""
    scores = []
    for number, samples in references.items():
        where = box_at(samples, at)
        if where is None:
            continue
        for index, box in enumerate(boxes):
            scores.append((iou(box, where), index, number))
    chosen = _greedy(scores)
    return [chosen.get(index) for index in range(len(boxes))]


def track_score(new: Sequence[Sequence[float]], old: Sequence[Sequence[float]]) -> float:
    """How well a new track follows an old number: the mean overlap at the new track's moments
    the old one covers (0 when they share no moment)."""
    overlaps = []
    for sample in new:
        where = box_at(old, sample[0])
        if where is not None:
            overlaps.append(iou(sample[1:], where))
    return sum(overlaps) / len(overlaps) if overlaps else 0.0


def thin(samples: Sequence[Sequence[float]], most: int = MAX_SAMPLES) -> list[list[float]]:
    """At most `most` samples, spread over the whole track (fewer samples leave gaps, and a
    gap only ever blurs more)."""
    ordered = sorted((list(s) for s in samples), key=lambda s: s[0])
    if len(ordered) <= most:
        return ordered
    step = len(ordered) / most
    return [ordered[int(i * step)] for i in range(most)]


def number_tracks(
    tracks: Sequence[Sequence[Sequence[float]]],
    shown_as: Sequence[int],
    known: Mapping[int, Sequence[Sequence[float]]],
    next_number: int,
) -> tuple[list[int], dict[int, list[list[float]]], int]:
    """Numbers for a new render's tracks, and the original's numbers afterwards.

    `shown_as[i]` is the kept number the worker left track i visible as (0: none): that is
    what the derivative shows, so the track takes that number. The others are matched to the
    remaining known numbers (`track_score`, greedy); the rest get fresh numbers from
    `next_number` up. Returns (number of each track, every number's samples, the next free
    number)."""
    numbers: list[int] = [0] * len(tracks)
    used: set[int] = set()
    for index, number in enumerate(shown_as):
        if number and number in known:
            numbers[index] = number
            used.add(number)
    free = {n: s for n, s in known.items() if n not in used}
    scores = [
        (track_score(track, samples), index, number)
        for index, track in enumerate(tracks)
        if not numbers[index]
        for number, samples in free.items()
    ]
    for index, number in _greedy(scores).items():
        numbers[index] = number
    next_number = max(next_number, max(known, default=0) + 1, 1)
    for index in range(len(tracks)):
        if not numbers[index]:
            numbers[index] = next_number
            next_number += 1
    merged: dict[int, list[list[float]]] = {n: [list(s) for s in v] for n, v in known.items()}
    for index, track in enumerate(tracks):
        number = numbers[index]
        start, end = min(s[0] for s in track), max(s[0] for s in track)
        # The new render's samples replace the old ones over the moments it covered.
        kept = [s for s in merged.get(number, []) if not start - NEAR <= s[0] <= end + NEAR]
        merged[number] = thin([*kept, *(list(s) for s in track)])
    return numbers, merged, next_number


def references(
    known: Mapping[int, Sequence[Sequence[float]]],
    kept: Iterable[int],
    ranges: Sequence[Sequence[float]] = (),
) -> dict[int, list[list[float]]]:
    """The kept numbers' samples the worker needs (inside the clip's ranges, when it has
    some), at most MAX_REFERENCE_SAMPLES in all."""
    chosen = {}
    for number in sorted(set(kept)):
        samples = known.get(number) or []
        if ranges:
            samples = [s for s in samples if any(a - NEAR <= s[0] <= b + NEAR for a, b in ranges)]
        if samples:
            chosen[number] = [list(s) for s in samples]
    total = sum(len(s) for s in chosen.values())
    if total > MAX_REFERENCE_SAMPLES:
        share = max(1, MAX_REFERENCE_SAMPLES // max(1, len(chosen)))
        chosen = {n: thin(s, share) for n, s in chosen.items()}
    return chosen
