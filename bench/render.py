"""Redaction benchmark: a 30-second clip of a 60-second 1280×720 30 fps video rendered through
the sandboxed worker (faces found, followed and hidden, re-encoded to H.264/AAC MP4), against
a plain ffmpeg transcode of the same clip with the same encoder settings; then every frame of
the render checked against the truth.

    .venv/bin/python bench/render.py [--scene montage|faces] [--seconds 60] [--start 10]
                                     [--end 40] [--size 1280x720]

Scenes (generated first, outside the timing):
- montage (default): shots of 2-5 s joined by hard cuts, with pans, zooms and a slow roll,
  one to four people whose faces are 24 to 300 px high (bench/people.py: two public-domain
  portraits that scikit-image and matplotlib ship, on scikit-image's photos);
- faces: the earlier scene, two faces of about 120 px crossing a plain background
  (tests/redaction/media.py).

The last line printed is one JSON object: clip_s, render_s, transcode_s, realtime_factor (clip
seconds per second of rendering; goal ≥ 1.0 on 2 cores), ratio_to_transcode (transcode time /
render time; goal ≥ 0.5), hidden_faces; the CPU seconds of each (the sandboxed worker and its
ffmpeg processes, counted when they are waited for), cpu_ratio and the load average before and
after, because the machine is shared and wall times swing with its load; and from the frames:
- visible: per face size (under 40, 40 to 80, over 80 px high), the face-frames checked and
  those left visible (the middle of the face, eyes to mouth, left as it was: over a fifth of
  its pixels within 6 grey levels of the original), the faces visible in any frame and the
  longest stretch one stayed visible, in seconds;
- altered_away: the share of the picture away from every face (outside each face's box grown
  by half its size on every side) that the render altered (16×16 blocks whose mean difference
  from the original is over 8 grey levels), over the whole clip.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BLOCK = 16
AWAY = 0.5  # a face's box grown by this share of its size on every side: "near the face"


def _children_cpu() -> float:
    """User and system CPU seconds of the waited-for child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def scene_frames(scene: str, width: int, height: int, fps: int, seconds: float):
    """(RGB frame, [(face id, x0, y0, x1, y1)]) for each frame of the scene."""
    if scene == "montage":
        from bench.people import montage

        for frame, boxes, _shot in montage(width, height, fps, seconds):
            yield frame, boxes
        return
    from tests.redaction.media import faces_frames

    for frame, boxes in faces_frames(width, height, fps, seconds):
        # The crop's box, shrunk to the face in it (media.face_crop: face 88×124 of 170×220).
        faces = []
        for number, (x, y, w, h) in enumerate(boxes):
            faces.append((number, x + w * 32 / 170, y + h * 34 / 220, x + w * 120 / 170,
                          y + h * 158 / 220))  # fmt: skip
        yield frame, faces


def encode_scene(path: Path, frames, width: int, height: int, fps: int, seconds: float) -> bytes:
    from tests.redaction.media import FFMPEG

    encoder = subprocess.Popen(
        [FFMPEG, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
         "-s", f"{width}x{height}", "-r", str(fps), "-i", "pipe:0",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest", str(path)],
        stdin=subprocess.PIPE,
    )  # fmt: skip
    assert encoder.stdin is not None
    for frame, _boxes in frames:
        encoder.stdin.write(frame.tobytes())
    encoder.stdin.close()
    assert encoder.wait() == 0
    return path.read_bytes()


def gray_source(path: Path, start: float, clip: float, width: int, height: int):
    """The original's frames of the clip, as the plain transcode reads them (grey levels)."""
    from tests.redaction.media import FFMPEG

    reader = subprocess.Popen(
        [FFMPEG, "-loglevel", "error", "-ss", str(start), "-i", str(path), "-t", str(clip),
         "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    assert reader.stdout is not None
    size = width * height
    while len(chunk := reader.stdout.read(size)) == size:
        yield np.frombuffer(chunk, np.uint8).reshape(height, width).astype(np.int16)
    reader.wait()


def gray_render(data: bytes):
    import io

    import av

    with av.open(io.BytesIO(data)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="gray").astype(np.int16)


def check_frames(data: bytes, source: Path, truth: list, start: float, clip: float,
                 width: int, height: int, fps: int) -> dict:  # fmt: skip
    """Every frame of the render against the original and the truth (see the docstring)."""
    from bench.people import BUCKETS, bucket

    checked = {name: 0 for name, _low, _high in BUCKETS}
    visible = {name: 0 for name, _low, _high in BUCKETS}
    shown_faces: set[int] = set()
    stretch: dict[int, int] = {}
    longest = 0
    away_blocks = altered_blocks = 0
    rows, cols = height // BLOCK, width // BLOCK
    frames = zip(gray_render(data), gray_source(source, start, clip, width, height), truth,
                 strict=False)  # fmt: skip
    for mine, original, boxes in frames:
        diff = np.abs(mine - original)
        near = np.zeros((rows, cols), bool)
        seen_now: set[int] = set()
        for number, x0, y0, x1, y1 in boxes:
            w, h = x1 - x0, y1 - y0
            name = bucket(h)
            mx0, mx1 = int(max(0, x0 + w / 4)), int(min(width, x1 - w / 4))
            my0, my1 = int(max(0, y0 + h * 0.3)), int(min(height, y1 - h * 0.3))
            if mx1 > mx0 and my1 > my0:
                checked[name] += 1
                if (diff[my0:my1, mx0:mx1] < 6).mean() > 0.2:
                    visible[name] += 1
                    seen_now.add(number)
            gx0, gy0 = max(0, int((x0 - AWAY * w) // BLOCK)), max(0, int((y0 - AWAY * h) // BLOCK))
            gx1, gy1 = int((x1 + AWAY * w) // BLOCK) + 1, int((y1 + AWAY * h) // BLOCK) + 1
            near[gy0:gy1, gx0:gx1] = True
        for number in seen_now:
            stretch[number] = stretch.get(number, 0) + 1
            longest = max(longest, stretch[number])
        for number in list(stretch):
            if number not in seen_now:
                del stretch[number]
        shown_faces |= seen_now
        blocks = diff[: rows * BLOCK, : cols * BLOCK].reshape(rows, BLOCK, cols, BLOCK)
        changed = blocks.mean(axis=(1, 3)) > 8
        away_blocks += int((~near).sum())
        altered_blocks += int((changed & ~near).sum())
    total = sum(checked.values())
    return {
        "face_frames": checked,
        "visible_face_frames": visible,
        "hidden_share": {
            name: round(1 - visible[name] / checked[name], 4) if checked[name] else None
            for name in checked
        },
        "hidden_share_all": round(1 - sum(visible.values()) / total, 4) if total else None,
        "faces_ever_visible": len(shown_faces),
        "longest_visible_s": round(longest / fps, 2),
        "altered_away": round(altered_blocks / away_blocks, 5) if away_blocks else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scene", choices=("montage", "faces"), default="montage")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--start", type=float, default=10)
    parser.add_argument("--end", type=float, default=40)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--rate", type=int, default=30)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiandu.settings")
    import django

    django.setup()
    from jiandu.redaction import studio
    from jiandu.redaction.recipe import parse
    from tests.redaction.media import FFMPEG

    width, height = (int(n) for n in args.size.split("x"))
    fps, clip = args.rate, args.end - args.start
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "scene.mp4"
        frames = scene_frames(args.scene, width, height, fps, args.seconds)
        data = encode_scene(source, frames, width, height, fps, args.seconds)
        first, last = round(args.start * fps), round(args.end * fps)
        truth = [
            boxes
            for n, (_frame, boxes) in enumerate(
                scene_frames(args.scene, width, height, fps, args.end + 1)
            )
            if first <= n < last
        ]
        load_before = os.getloadavg()[0]
        cpu_start = _children_cpu()
        started = time.monotonic()
        recipe = parse({"kind": "video", "ranges": [[args.start, args.end]], "edge": 0})
        output = studio.render_video(recipe, data)
        render_s = time.monotonic() - started
        cpu_render = _children_cpu()
        if not output.ok:
            raise SystemExit(f"render failed: {output.problem}")
        started = time.monotonic()
        subprocess.run(
            [FFMPEG, "-y", "-loglevel", "error", "-threads", "2", "-ss", str(args.start),
             "-i", str(source), "-t", str(clip), "-c:v", "libx264", "-preset", "veryfast",
             "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k",
             str(Path(folder) / "plain.mp4")],
            check=True,
        )  # fmt: skip
        transcode_s = time.monotonic() - started
        cpu_transcode = _children_cpu() - cpu_render
        cpu_render -= cpu_start
        load_after = os.getloadavg()[0]
        frames_checked = check_frames(
            output.data, source, truth, args.start, clip, width, height, fps
        )
    result = {
        "scene": args.scene,
        "clip_s": clip,
        "size": args.size,
        "render_s": round(render_s, 2),
        "transcode_s": round(transcode_s, 2),
        "realtime_factor": round(clip / render_s, 2),
        "ratio_to_transcode": round(transcode_s / render_s, 2),
        "hidden_faces": output.hidden_faces,
        "render_cpu_s": round(cpu_render, 2),
        "transcode_cpu_s": round(cpu_transcode, 2),
        "cpu_ratio": round(cpu_transcode / cpu_render, 2),
        "load": [round(load_before, 2), round(load_after, 2)],
        "cpus": os.cpu_count(),
        **frames_checked,
    }
    print(f"rendered {clip:.0f} s of {args.size} in {render_s:.1f} s "
          f"(plain transcode {transcode_s:.1f} s)")  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
