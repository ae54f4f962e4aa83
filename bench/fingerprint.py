"""Fingerprinting benchmark: how many minutes of video the workbench analyses per minute of
wall time, through the whole path the worker takes (in-memory file, SHA-256, type detection,
the sandboxed metadata worker: tags, one PDQ hash per second, contact sheet, waveform).

    .venv/bin/python bench/fingerprint.py [--minutes 3] [--size 1280x720] [--rate 30] [--runs 2]

The video (H.264 + AAC, ffmpeg's testsrc2 pattern and a tone) is generated first, outside the
timing. The last line printed is one JSON object: video_minutes, wall_s, video_minutes_per_minute
(goal: at least 10).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--rate", type=int, default=30)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiandu.settings")
    import django

    django.setup()
    from jiandu.forensics.metadata import analyse_file

    seconds = int(args.minutes * 60)
    with tempfile.TemporaryDirectory() as folder:
        video = Path(folder) / "bench.mp4"
        source = f"testsrc2=duration={seconds}:size={args.size}:rate={args.rate}"
        subprocess.run(
            ["/usr/bin/ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", source,
             "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
             "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", "-y", str(video)],
            check=True,
        )  # fmt: skip
        walls = []
        for _ in range(args.runs):
            started = time.perf_counter()
            with video.open("rb") as handle:
                report = analyse_file(handle, "bench.mp4")
            walls.append(time.perf_counter() - started)
            assert report.problem is None, report.problem
            assert len(report.frames) == seconds, len(report.frames)
            assert report.sheet and report.waveform
    wall = min(walls)
    rate = args.minutes / (wall / 60)
    print(
        f"{args.minutes} min of {args.size} at {args.rate} fps: {wall:.1f} s (best of {args.runs})"
    )
    print(
        json.dumps(
            {
                "video_minutes": args.minutes,
                "size": args.size,
                "wall_s": round(wall, 2),
                "video_minutes_per_minute": round(rate, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
