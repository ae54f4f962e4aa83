"""Frames at a constant rate from whatever the decoder gives (render_worker.frames_at_rate): the
clip must last what was asked and show, at each moment, the picture the original showed then,
whether the original's frames come evenly, with gaps, doubled, or with no timestamps at all."""

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Frame:
    time: float | None
    name: str = ""
    duration: int | None = None  # in time_base units, as PyAV gives it
    time_base: Fraction | None = None


def names(frames) -> list[str]:
    return [frame.name for frame in frames]


def test_an_even_rate_passes_each_frame_once_from_the_start(worker):
    decoded = [Frame(n / 10, f"f{n}") for n in range(0, 50)]  # 10 fps, from 0 s (a keyframe)
    out = names(worker.frames_at_rate(decoded, 1.0, 2.0, 10.0, 10))
    assert out == [f"f{n}" for n in range(10, 20)]


def test_a_gap_repeats_the_frame_shown_during_it(worker):
    times = [0.0, 0.1, 0.2, 0.6, 0.7]  # nothing new between 0.2 and 0.6
    decoded = [Frame(t, f"at{t}") for t in times]
    out = names(worker.frames_at_rate(decoded, 0.0, 0.8, 10.0, 8))
    assert out == ["at0.0", "at0.1", "at0.2", "at0.2", "at0.2", "at0.2", "at0.6", "at0.7"]


def test_two_frames_in_one_slot_keep_the_later_one(worker):
    decoded = [Frame(0.0, "a"), Frame(0.1, "b"), Frame(0.13, "c"), Frame(0.2, "d")]
    assert names(worker.frames_at_rate(decoded, 0.0, 0.3, 10.0, 3)) == ["a", "c", "d"]


def test_a_start_between_two_frames_shows_the_one_on_screen_then(worker):
    second = {"duration": 1, "time_base": Fraction(1)}  # a slide show: one frame a second
    decoded = [Frame(0.0, "early", **second), Frame(1.0, "late", **second)]
    out = names(worker.frames_at_rate(decoded, 0.5, 1.5, 4.0, 4))
    assert out == ["early", "early", "late", "late"]


def test_the_clip_never_runs_past_the_last_frame(worker):
    decoded = [Frame(n / 10, f"f{n}") for n in range(5)]  # the file ends at 0.5 s
    assert len(list(worker.frames_at_rate(decoded, 0.0, 2.0, 10.0, 20))) == 5
    # A file that says its last frame lasts an hour is held only to the end asked for.
    decoded = [Frame(0.0, "only", duration=3600, time_base=Fraction(1))]
    assert len(list(worker.frames_at_rate(decoded, 0.0, 2.0, 10.0, 20))) == 20


def test_frames_without_timestamps_are_taken_in_order_at_the_rate(worker):
    decoded = [Frame(None, f"f{n}") for n in range(6)]
    assert names(worker.frames_at_rate(decoded, 0.0, 0.3, 10.0, 3)) == ["f0", "f1", "f2"]


def test_decoding_stops_once_the_range_is_done(worker):
    pulled = []

    def endless():
        n = 0
        while True:
            pulled.append(n)
            yield Frame(n / 10, f"f{n}")
            n += 1

    assert len(list(worker.frames_at_rate(endless(), 0.0, 1.0, 10.0, 10))) == 10
    assert len(pulled) <= 12
