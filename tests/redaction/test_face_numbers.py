"""Face numbers that stay with their person (issue 18, item 3): a number typed in "faces left
visible" means the face the earlier renders listed under it, whatever the new clip; a kept
number that cannot be found is blurred and reported; each face has a thumbnail for members
only; the form lists the faces that will stay visible before anything is rendered; the live
preview tells each face's number.

The test video: a small face at the bottom left from the first frame, a larger one at the top
right from 1.5 s. Rendered whole, the tracker meets the small face first (number 1); a clip
from 2 s meets both at once and takes the larger first, so a number that was a track index
pointed at the other person."""

import hashlib
import json
import subprocess

import numpy as np
import pytest
from django.test import Client
from PIL import Image

from jiandu.forensics import handoff
from jiandu.ledger.models import CustodyRecord
from jiandu.redaction import actions, identity
from jiandu.redaction.models import Render
from tests.factories import make_member, sign_in
from tests.forensics.conftest import run_tasks
from tests.redaction.media import FFMPEG, face_crop, frame_at
from tests.redaction.test_flow import newsroom_with_file

WIDTH, HEIGHT, FPS, SECONDS = 320, 240, 10, 4
SMALL = (20, 130, 70, 90)  # x, y, w, h: from the start
LARGE = (190, 10, 100, 128)  # from 1.5 s


def _pasted(size):
    face = face_crop()
    return np.array(Image.fromarray(face).resize(size))


def two_people_video(path) -> bytes:
    small, large = _pasted(SMALL[2:]), _pasted(LARGE[2:])[:, ::-1]
    background = np.full((HEIGHT, WIDTH, 3), (96, 112, 128), np.uint8)
    encoder = subprocess.Popen(
        [FFMPEG, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
         "-s", f"{WIDTH}x{HEIGHT}", "-r", str(FPS), "-i", "pipe:0", "-c:v", "libx264",
         "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)],
        stdin=subprocess.PIPE,
    )  # fmt: skip
    for n in range(FPS * SECONDS):
        frame = background.copy()
        x, y, w, h = SMALL
        frame[y : y + h, x : x + w] = small
        if n / FPS >= 1.5:
            x, y, w, h = LARGE
            frame[y : y + h, x : x + w] = large
        encoder.stdin.write(frame.tobytes())
    encoder.stdin.close()
    assert encoder.wait() == 0
    return path.read_bytes()


@pytest.fixture(scope="module")
def two_people(tmp_path_factory) -> bytes:
    return two_people_video(tmp_path_factory.mktemp("video") / "people.mp4")


def unchanged(rendered: bytes, original: bytes, at: float, box) -> float:
    """The share of a face's middle that the render left as it was (1: visible, ~0: hidden)."""
    x, y, w, h = box
    middle = (slice(y + h // 4, y + h * 3 // 4), slice(x + w // 4, x + w * 3 // 4))
    mine, theirs = frame_at(rendered, at)[middle], frame_at(original, at)[middle]
    return float((np.abs(mine - theirs) < 8).mean())


# ---- the numbers themselves (identity.py) --------------------------------------------------


def test_a_matched_track_keeps_its_number_and_a_new_one_gets_a_fresh_number_above_the_old():
    old = {
        4: [[1.0, 0.1, 0.1, 0.3, 0.3], [2.0, 0.12, 0.1, 0.32, 0.3]],
        9: [[1.0, 0.6, 0.6, 0.8, 0.8]],
    }
    new = [[[1.5, 0.7, 0.1, 0.9, 0.3]], [[1.5, 0.11, 0.1, 0.31, 0.3]]]  # a stranger, then 4
    numbers, merged, following = identity.number_tracks(new, [0, 0], old, 10)
    assert numbers == [10, 4] and following == 11 and set(merged) == {4, 9, 10}


def test_a_face_is_visible_only_where_a_kept_number_was_at_that_moment():
    kept = {1: [[1.0, 0.1, 0.1, 0.3, 0.3]]}
    assert identity.match_moment([(0.1, 0.1, 0.3, 0.3)], kept, 1.2) == [1]
    assert identity.match_moment([(0.6, 0.1, 0.8, 0.3)], kept, 1.2) == [None]  # elsewhere
    assert identity.match_moment([(0.1, 0.1, 0.3, 0.3)], kept, 3.0) == [None]  # not known then


# ---- through the studio (HTTP, the worker in its sandbox) ----------------------------------

FORM = {"faces": "on", "effect": "blur", "edge": "0", "audio": "mute", "format": "mp4"}


def _render(client, item, captured, **fields):
    with captured(execute=True):
        response = client.post(f"/en/newsroom/redaction/items/{item.pk}/", {**FORM, **fields})
    assert response.status_code == 302, response.content.decode()[-2000:]
    run_tasks()
    record = Render.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
    assert record.state == Render.State.DONE
    return record


def _derivative(source_key, record) -> bytes:
    return actions.open_render(source_key, record).data()


@pytest.mark.django_db
def test_clip_changed_face_1_is_still_the_same_person(
    isolated_data_dir, tmp_path, django_capture_on_commit_callbacks
):
    video = two_people_video(tmp_path / "people.mp4")
    _editor, client, source_key, item = newsroom_with_file(video)
    handoff.start_worker_key()
    first = _render(client, item, django_capture_on_commit_callbacks)
    page = client.get(f"/en/newsroom/redaction/renders/{first.pk}/").content.decode()
    listed = page.split('id="faces"')[1].split("</ul>")[0]
    # Face 1 is the small face at the bottom left, seen from the start; each has a thumbnail.
    assert "Face 1 at 10" in listed and "Face 2 at 6" in listed and "<ol" not in listed
    assert f"/renders/{first.pk}/faces/1/" in listed and f"/renders/{first.pk}/faces/2/" in listed

    # Before rendering, the form lists the faces that will stay visible.
    studio_page = client.get(f"/en/newsroom/redaction/items/{item.pk}/").content.decode()
    assert "None: every face is blurred." in studio_page
    asked = {"keep": "1", "ranges": "00:00:02-00:00:04"}
    with django_capture_on_commit_callbacks(execute=True):
        confirm = client.post(f"/en/newsroom/redaction/items/{item.pk}/", {**FORM, **asked})
    assert confirm.status_code == 200 and Render.objects.count() == 1  # nothing rendered yet
    section = confirm.content.decode().split('id="visible-faces"')[1].split("</section>")[0]
    assert "Face 1" in section and f"/renders/{first.pk}/faces/1/" in section
    assert "Face 2" not in section and 'name="confirmed_keep" value="1"' in confirm.content.decode()

    second = _render(client, item, django_capture_on_commit_callbacks, confirmed_keep="1", **asked)
    clip = _derivative(source_key, second)
    assert unchanged(clip, video, 1.0, SMALL) > 0.7  # face 1: left visible
    assert unchanged(clip, video, 1.0, LARGE) < 0.3  # face 2: blurred
    page = client.get(f"/en/newsroom/redaction/renders/{second.pk}/").content.decode()
    listed = page.split('id="faces"')[1].split("</ul>")[0]
    assert "Face 1 at 10" in listed.split("Face 2")[0] and "visible" in listed.split("Face 2")[0]
    assert "kept-missing" not in page


@pytest.mark.django_db
def test_a_kept_face_that_cannot_be_found_is_blurred_and_reported(
    isolated_data_dir, tmp_path, django_capture_on_commit_callbacks
):
    video = two_people_video(tmp_path / "people.mp4")
    _editor, client, source_key, item = newsroom_with_file(video)
    handoff.start_worker_key()
    # Rendered from 2 s, the large face (met first there) is number 1, the small one 2.
    first = _render(client, item, django_capture_on_commit_callbacks, ranges="00:00:02-00:00:04")
    assert actions.open_render(source_key, first).numbers == [1, 2]
    # Face 1 is not in the first second: it cannot be matched there, so nothing is shown.
    second = _render(
        client, item, django_capture_on_commit_callbacks,
        keep="1", confirmed_keep="1", ranges="00:00:00-00:00:01.5",
    )  # fmt: skip
    clip = _derivative(source_key, second)
    assert unchanged(clip, video, 0.5, SMALL) < 0.3
    page = client.get(f"/en/newsroom/redaction/renders/{second.pk}/").content.decode()
    missing = page.split('id="kept-missing"')[1].split("</p>")[0]
    assert "Face 1 was to stay visible but could not be found" in missing
    listed = page.split('id="faces"')[1].split("</ul>")[0]
    # The small face was never rendered in these seconds before: no moment to match it by, so
    # it gets a fresh number above the others (and is blurred, as every unkept face is).
    assert "Face 3 at" in listed and "Face 1 at" not in listed and "Face 2 at" not in listed
    zh = client.get(f"/newsroom/redaction/renders/{second.pk}/").content.decode()
    assert "could not be found" not in zh and "人脸 1" in zh.split('id="kept-missing"')[1]


@pytest.mark.django_db
def test_face_thumbnails_only_for_members_who_may_open_the_render(
    isolated_data_dir, tmp_path, django_capture_on_commit_callbacks
):
    video = two_people_video(tmp_path / "people.mp4")
    editor, client, _source_key, item = newsroom_with_file(video)
    handoff.start_worker_key()
    first = _render(client, item, django_capture_on_commit_callbacks)
    url = f"/en/newsroom/redaction/renders/{first.pk}/faces/1/"
    thumb = client.get(url)
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/webp"
    assert thumb.content[:4] == b"RIFF" and len(thumb.content) < 32 * 1024
    assert "no-store" in thumb["Cache-Control"]
    assert hashlib.sha256(thumb.content).hexdigest() not in video.hex()  # made, not copied
    looked = CustodyRecord.objects.filter(subject=f"item:{item.pk}", reason="redaction face")
    assert looked.get().actor == editor.user
    assert client.get(f"/en/newsroom/redaction/renders/{first.pk}/faces/99/").status_code == 404
    assert Client().get(url).status_code == 302  # to the sign-in
    other = Client()
    sign_in(other, make_member("late", "journalist"))  # no grant for this source
    assert other.get(url).status_code == 403
    assert looked.count() == 1


@pytest.mark.django_db
def test_the_live_preview_tells_each_face_its_number(
    isolated_data_dir, tmp_path, django_capture_on_commit_callbacks
):
    video = two_people_video(tmp_path / "people.mp4")
    _editor, client, _source_key, item = newsroom_with_file(video)
    handoff.start_worker_key()
    _render(client, item, django_capture_on_commit_callbacks)
    url = f"/en/newsroom/redaction/items/{item.pk}/frame/"
    response = client.post(url, {**FORM, "keep": "1", "at": "3"})
    assert response.status_code == 200
    faces = {face[0]: face for face in json.loads(response["X-Jiandu-Faces"])}
    assert set(faces) == {1, 2}
    assert faces[1][5] == 1 and faces[2][5] == 0  # face 1 left visible, face 2 hidden
    assert faces[1][1] < 0.3 < faces[2][1]  # face 1 on the left
    studio_page = client.get(f"/en/newsroom/redaction/items/{item.pk}/").content.decode()
    assert 'data-face-label="Face"' in studio_page
