"""Test media, generated at test time (Pillow, ffmpeg's lavfi sources): small and synthetic."""

import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

MARKER = "JD-MARKER-7f3a9c"


def ffmpeg(*args: str) -> None:
    subprocess.run(
        ["/usr/bin/ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", *args, "-y"],
        check=True,
    )


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> dict[str, bytes]:
    """Every test file by name, each carrying MARKER in its metadata where the format allows."""
    folder: Path = tmp_path_factory.mktemp("media")
    files: dict[str, bytes] = {}

    photo = Image.new("RGB", (1200, 800), "steelblue")
    ImageDraw.Draw(photo).rectangle((100, 100, 500, 300), fill="orange")
    exif = Image.Exif()
    exif[0x010F] = f"Camera {MARKER}"  # Make
    exif[0x0131] = f"Software {MARKER}"
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif.get_ifd(0x8825)[2] = (29.0, 33.0, 0.0)  # GPSLatitude
    buffer = io.BytesIO()
    photo.save(
        buffer,
        "JPEG",
        exif=exif,
        icc_profile=f"ICC {MARKER}".encode(),
        comment=MARKER.encode(),
        xmp=f"<x:xmpmeta>{MARKER}</x:xmpmeta>".encode(),
    )
    files["photo.jpg"] = buffer.getvalue()

    logo = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    ImageDraw.Draw(logo).ellipse((50, 50, 250, 150), fill=(200, 30, 30, 255))
    buffer = io.BytesIO()
    logo.save(buffer, "PNG")
    files["logo.png"] = buffer.getvalue()

    pages = [Image.new("RGB", (600, 800), colour) for colour in ("white", "lightyellow", "azure")]
    for number, page in enumerate(pages, 1):
        ImageDraw.Draw(page).text((60, 60), f"Page {number}", fill="black")
    buffer = io.BytesIO()
    pages[0].save(buffer, "PDF", save_all=True, append_images=pages[1:], title=MARKER)
    files["notes.pdf"] = buffer.getvalue()

    video = folder / "clip.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=duration=2:size=1280x720:rate=25",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
        "-metadata", f"title={MARKER}", "-metadata", f"comment={MARKER}",
        str(video),
    )  # fmt: skip
    files["clip.mp4"] = video.read_bytes()

    # Several times the one CPU second the time-limit test allows, even on a fast machine
    # (six seconds of it took 1.0-1.5 s to preview and sometimes slipped under the limit).
    heavy = folder / "heavy.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=duration=16:size=1920x1080:rate=30",
        "-c:v", "libx264", "-preset", "ultrafast", str(heavy),
    )  # fmt: skip
    files["heavy.mp4"] = heavy.read_bytes()

    voice = folder / "call.wav"
    ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=300:duration=2",
        "-metadata", f"artist={MARKER}", str(voice),
    )  # fmt: skip
    files["call.wav"] = voice.read_bytes()
    return files


def make_worker(worker_id: str, queue_names: tuple[str, ...] = ("*",)):
    """django-tasks-db's worker as `jiandu db_worker` runs it: one batch, no waiting."""
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=list(queue_names),
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def run_tasks() -> int:
    """Run every waiting task the way the worker does (Worker.run_task), in this test's own
    transaction: the worker's loop closes database connections between polls, which would end
    the test's transaction on PostgreSQL. Tests with transaction=True use the real loop."""
    from django_tasks_db.models import DBTaskResult

    worker = make_worker("test-worker")
    ran = 0
    while (row := DBTaskResult.objects.ready().order_by("enqueued_at").first()) is not None:
        row.claim(worker.worker_id)
        worker.run_task(row)
        ran += 1
    return ran


def sign_in_and_analyse(member, capture):
    """A worker starts, the member signs in again (the next one-time code: the sign-in hands
    every new file to the worker, no click) and the worker runs; returns the signed-in client.
    `capture` is pytest-django's django_capture_on_commit_callbacks."""
    from django.test import Client

    from jiandu.forensics import handoff

    handoff.start_worker_key()
    client = Client()
    with capture(execute=True):
        signing_in = {"username": member.user.username, "password": member.password}
        client.post("/en/newsroom/", signing_in)
        client.post("/en/newsroom/verify/", {"code": member.code(1)})
    run_tasks()
    return client
