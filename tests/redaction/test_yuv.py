"""Hiding regions on yuv420p frames (render_worker.hide_yuv): the video path blurs the planes
the decoder gives and the encoder takes, with no RGB round trip; each plane must lose its
detail inside the box and keep it outside, and the chroma of every pixel in the box must be
covered, whatever the box's alignment."""

import numpy as np
import pytest


def noisy_frame(width: int, height: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.integers(16, 236, width * height * 3 // 2, dtype=np.uint8)


def planes(frame: np.ndarray, width: int, height: int):
    area, quarter = width * height, width * height // 4
    return (
        frame[:area].reshape(height, width),
        frame[area : area + quarter].reshape(height // 2, width // 2),
        frame[area + quarter :].reshape(height // 2, width // 2),
    )


def high_frequency(patch: np.ndarray) -> float:
    """Mean absolute difference between neighbours: large for detail, small for a blur."""
    p = patch.astype(np.int16)
    return float(np.abs(np.diff(p, axis=1)).mean() + np.abs(np.diff(p, axis=0)).mean())


@pytest.mark.parametrize("effect", ["blur", "pixelate"])
@pytest.mark.parametrize("box", [(40, 30, 140, 130), (41, 31, 139, 129)])  # even and odd edges
def test_blur_and_pixelate_remove_the_detail_of_all_three_planes_inside_the_box_only(
    worker, effect, box
):
    width, height = 320, 240
    frame = noisy_frame(width, height)
    original = frame.copy()
    worker.hide_yuv(frame, width, height, box, effect)
    x0, y0, x1, y1 = box
    luma, u, v = planes(frame, width, height)
    assert high_frequency(luma[y0:y1, x0:x1]) < 0.1 * high_frequency(
        planes(original, width, height)[0][y0:y1, x0:x1]
    )
    for plane, before in zip((u, v), planes(original, width, height)[1:], strict=True):
        # Every chroma sample touching the box, including the half-covered edge ones.
        inside = plane[y0 // 2 : (y1 + 1) // 2, x0 // 2 : (x1 + 1) // 2]
        was = before[y0 // 2 : (y1 + 1) // 2, x0 // 2 : (x1 + 1) // 2]
        assert high_frequency(inside) < 0.1 * high_frequency(was)
    # Outside the box (and its chroma) nothing changed.
    changed = np.flatnonzero(frame != original)
    rows, cols = np.divmod(changed[changed < width * height], width)
    assert rows.min() >= y0 and rows.max() < y1 and cols.min() >= x0 and cols.max() < x1


def test_a_black_box_is_black_in_limited_range_yuv_not_green(worker):
    width, height = 64, 48
    frame = noisy_frame(width, height)
    worker.hide_yuv(frame, width, height, (0, 0, width, height), "box")
    luma, u, v = planes(frame, width, height)
    assert (luma == 16).all() and (u == 128).all() and (v == 128).all()


@pytest.mark.parametrize(
    "box", [(-50, -50, 10, 10), (300, 200, 10_000, 10_000), (10, 10, 11, 11), (20, 20, 5, 5)]
)
def test_boxes_outside_the_frame_or_empty_are_clipped_without_error(worker, box):
    width, height = 320, 240
    frame = noisy_frame(width, height)
    worker.hide_yuv(frame, width, height, box, "blur")
    assert frame.shape == (width * height * 3 // 2,)
