"""Redaction benchmark: a clip of a 60-second 1280×720 30 fps video with two moving faces,
faces found, followed and blurred, re-encoded to H.264/AAC MP4 through the sandboxed worker,
against a plain ffmpeg transcode of the same clip with the same encoder settings.

    .venv/bin/python bench/render.py [--seconds 60] [--start 10] [--end 40] [--size 1280x720]

The video is generated first (tests/redaction/media.py: crops of scikit-image's public-domain
astronaut portrait on a generated background), outside the timing. The last line printed is
one JSON object: clip_s, render_s, transcode_s, realtime_factor (clip seconds per second of
rendering; goal ≥ 1.0 on 2 cores) and ratio_to_transcode (transcode time / render time; goal
≥ 0.5), hidden_faces; and, because the development machine is shared and wall times swing with
its load, the CPU seconds of each (the sandboxed worker and its ffmpeg processes, counted when
they are waited for), their ratio (cpu_ratio) and the load average before and after.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _children_cpu() -> float:
    """User and system CPU seconds of the waited-for child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
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
    from tests.redaction.media import FFMPEG, faces_video

    width, height = (int(n) for n in args.size.split("x"))
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "faces.mp4"
        data = faces_video(source, width, height, args.rate, args.seconds)
        clip = args.end - args.start
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
    result = {
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
        "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
    }
    print(f"rendered {clip:.0f} s of {args.size} in {render_s:.1f} s "
          f"(plain transcode {transcode_s:.1f} s)")  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
