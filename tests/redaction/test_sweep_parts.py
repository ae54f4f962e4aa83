"""Sweeps of the new ground only (issue 21, part 3): after a shot's first, whole sweep, a due
sweep looks only at what came into view since, the camera's motion taken out (render_worker
Shots.plan): a pan's new edge, not the frame it has already swept. A face that enters at that
edge during a pan is still hidden from its first frame.

Test face: scikit-image's public-domain astronaut (tests/redaction/media.py), 30 px high."""

import numpy as np
from PIL import Image

from jiandu.redaction import studio
from jiandu.redaction.recipe import parse
from tests.redaction.test_small_faces import (
    FPS,
    HEIGHT,
    WIDTH,
    assert_hidden,
    encode,
    gray_frames,
    small_face,
)

STEP = 6  # pixels the camera pans right per frame
SECONDS = 3.0


def world(extra: int) -> np.ndarray:
    """A textured scene wider than the frame (corners for the camera to be followed by)."""
    rng = np.random.default_rng(4)
    coarse = rng.integers(30, 220, (HEIGHT // 16, (WIDTH + extra) // 16, 3), dtype=np.uint8)
    return np.array(
        Image.fromarray(coarse).resize((WIDTH + extra, HEIGHT), Image.Resampling.BILINEAR)
    )


def yuv(rgb: np.ndarray):
    import av

    return av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(
        format="yuv420p"
    )


def panning_frames(face_px: int = 30):
    """The camera pans right over the scene; a face standing in it comes in at the right
    edge about one second in (after the first sweep, before the next). Yields (frame, face
    boxes (x, y, w, h) of the faces wholly in view)."""
    total = round(SECONDS * FPS)
    scene = world(STEP * total)
    head, (fx, fy, fw, fh) = small_face(face_px)
    hh, hw = head.shape[:2]
    # The face's right edge reaches the frame's right edge at frame FPS.
    hx, hy = WIDTH + STEP * FPS - (fx + fw), HEIGHT // 2 - hh // 2
    scene[hy : hy + hh, hx : hx + hw] = head
    for n in range(total):
        left = STEP * n
        frame = np.ascontiguousarray(scene[:, left : left + WIDTH])
        x = hx + fx - left
        yield frame, ([(x, hy + fy, fw, fh)] if x >= 0 and x + fw <= WIDTH else [])


def test_a_pan_is_swept_at_its_new_edge_only(worker):
    """Shots.plan: nothing new on a still camera; after a pan, parts at the edge the camera
    turned to (the left of the frame, swept before, is not looked at again); the whole
    frame after a zoom in."""
    scene = world(400)
    shots = worker.Shots()
    shots.cut(yuv(scene[:, :WIDTH]))
    shots.swept([])
    shots.cut(yuv(scene[:, :WIDTH]))
    assert shots.plan([]) == []
    for left in range(0, 241, 24):  # followed keyframe by keyframe, as the render does
        shots.cut(yuv(scene[:, left : left + WIDTH]))
        shots.follow_camera()
    parts = shots.plan([])
    assert parts, parts
    covered = np.zeros((HEIGHT, WIDTH), bool)
    for x0, y0, x1, y1 in parts:
        covered[y0:y1, x0:x1] = True
    assert covered[:, WIDTH - 240 :].all(), parts  # the new ground, all of it
    assert covered.mean() < 0.35, parts  # and little else (240 px is 19 % of the width)
    assert not covered[HEIGHT // 4 : -HEIGHT // 4, 96 : WIDTH - 240 - 96].any(), parts
    # A zoom in by a fifth: a face too small for the last sweep may be in reach anywhere.
    zoomed = np.array(
        Image.fromarray(scene[:, 240 : 240 + WIDTH]).resize((WIDTH * 6 // 5, HEIGHT * 6 // 5))
    )
    shots.cut(yuv(zoomed[HEIGHT // 10 : HEIGHT // 10 + HEIGHT, WIDTH // 10 : WIDTH // 10 + WIDTH]))
    shots.follow_camera()
    assert shots.plan([]) is None


def test_a_face_entering_at_the_edge_during_a_pan_is_hidden_from_its_first_frame(tmp_path):
    data = encode(tmp_path / "pan.mp4", panning_frames())
    output = studio.render_video(parse({"kind": "video", "audio": "mute"}), data)
    assert output.ok, output.problem
    mine, originals = gray_frames(output.data), gray_frames(data)
    truth = [boxes for _frame, boxes in panning_frames()]
    assert len(mine) == len(truth)
    assert (
        assert_hidden(mine, originals, truth) > FPS
    )  # the face is in view for the last two seconds
