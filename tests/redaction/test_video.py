"""The video path: a clip of the right seconds and length, faces followed and hidden (checked by
a second detector on frames), audio kept, removed or disguised, an MP4 with no tags, progress
while it runs and a cancel that stops the tool, and hostile inputs.

Test faces: crops of scikit-image's public-domain astronaut portrait, moving over a generated
background (tests/redaction/media.py); nothing is downloaded."""

import io
import json
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from jiandu.redaction import studio
from jiandu.redaction.recipe import parse
from tests.redaction.media import FFMPEG, counter_video, faces_video, frame_at
from tests.redaction.test_image import exif_tags, lbp_faces

EXIFTOOL = shutil.which("exiftool")


@pytest.fixture(scope="module")
def counter(tmp_path_factory) -> bytes:
    return counter_video(tmp_path_factory.mktemp("video") / "counter.mp4", seconds=60)


@pytest.fixture(scope="module")
def two_faces(tmp_path_factory) -> bytes:
    return faces_video(tmp_path_factory.mktemp("video") / "faces.mp4", 640, 360, 15, 4)


def streams(data: bytes) -> dict:
    out = subprocess.run(
        ["/usr/bin/ffprobe", "-v", "error", "-print_format", "json", "-show_streams",
         "-show_format", "-"],
        input=data, capture_output=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(out)


def test_a_ten_second_clip_lasts_ten_seconds_and_shows_the_right_seconds(counter):
    recipe = parse({"kind": "video", "ranges": [[20, 30]], "faces": False, "audio": "mute"})
    output = studio.render_video(recipe, counter)
    assert output.ok, output.problem
    assert output.content_type == "video/mp4" and abs(output.duration - 10) < 0.1
    info = streams(output.data)
    assert [s["codec_type"] for s in info["streams"]] == ["video"]  # audio removed
    assert abs(float(info["format"]["duration"]) - 10) < 0.2
    for offset in (0.5, 5.5, 9.5):
        mine = frame_at(output.data, offset)
        right = frame_at(counter, 20 + offset)
        wrong = frame_at(counter, 40 + offset)
        assert np.abs(mine - right).mean() < np.abs(mine - wrong).mean() / 3


def test_two_ranges_make_one_clip_with_the_audio_of_both(counter):
    recipe = parse({"kind": "video", "ranges": [[5, 7], [50, 53]], "faces": False})
    output = studio.render_video(recipe, counter)
    assert output.ok and abs(output.duration - 5) < 0.1
    kinds = sorted(s["codec_type"] for s in streams(output.data)["streams"])
    assert kinds == ["audio", "video"]
    assert np.abs(frame_at(output.data, 2.5) - frame_at(counter, 50.5)).mean() < 20


def test_faces_are_followed_and_hidden_in_every_frame(two_faces):
    before = [len(lbp_faces(_png(frame_at(two_faces, t)))) for t in (0.5, 1.5, 2.5, 3.5)]
    assert all(n >= 1 for n in before), before
    output = studio.render_video(parse({"kind": "video", "audio": "disguise"}), two_faces)
    assert output.ok and output.hidden_faces >= 2
    for t in np.arange(0.1, 3.9, 0.25):
        assert lbp_faces(_png(frame_at(output.data, float(t)))) == [], t


def test_a_kept_track_stays_visible(two_faces):
    first = studio.render_video(parse({"kind": "video", "audio": "mute"}), two_faces)
    every = {n + 1: [list(s) for s in track] for n, track in enumerate(first.samples)}
    output = studio.render_video(parse({"kind": "video"}), two_faces, references=every)
    assert output.ok and output.hidden_faces == 0
    assert lbp_faces(_png(frame_at(output.data, 1.5)))


def test_a_manual_box_is_applied_between_its_times(counter):
    box = {"x": 0, "y": 0, "w": 1, "h": 1, "start": 2, "end": 4, "effect": "box"}
    output = studio.render_video(
        parse({"kind": "video", "ranges": [[0, 6]], "faces": False, "boxes": [box]}), counter
    )
    assert output.ok
    assert frame_at(output.data, 3).max() < 30  # painted black
    assert frame_at(output.data, 5).max() > 100


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool (libimage-exiftool-perl) not installed")
@pytest.mark.parametrize("fmt", ["mp4", "webm"])
def test_exiftool_finds_no_tags_in_a_video(tmp_path, fmt):
    tagged = tmp_path / "tagged.mp4"
    subprocess.run(
        [FFMPEG, "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration=3:size=320x240",
         "-f", "lavfi", "-i", "sine=duration=3", "-shortest", "-c:v", "libx264", "-c:a", "aac",
         "-metadata", "title=Insider", "-metadata", "artist=Source Name",
         "-metadata", "location=+39.9+116.4/", "-metadata", "make=LeakyCam",
         "-metadata", "creation_time=2026-01-02T03:04:05Z", str(tagged)],
        check=True,
    )  # fmt: skip
    original = tagged.read_bytes()
    assert "gps" in " ".join(exif_tags(original)).lower()  # the test can fail
    output = studio.render_video(parse({"kind": "video", "format": fmt}), original)
    assert output.ok, output.problem
    tags = exif_tags(output.data)
    words = ("gps", "make", "model", "serial", "author", "artist", "software", "encoder")
    words += ("title", "location", "comment", "compressorname", "muxingapp", "writingapp")
    for key, value in tags.items():
        if key.startswith(("ExifTool:", "System:", "File:")):
            continue
        name = key.lower()
        assert not any(word in name for word in words) or not str(value).strip(), (key, value)
        if "date" in name:
            assert set(str(value)) <= set("0: "), (key, value)  # zero: no time at all
    for secret in (b"Insider", b"Source Name", b"LeakyCam", b"Lavf", b"Lavc", b"x264", b"2026"):
        assert secret not in output.data


def test_progress_is_reported_and_cancel_stops_the_tool(counter):
    seen = []

    def progress(percent, seconds_left):
        seen.append((percent, seconds_left))
        return True

    output = studio.render_video(
        parse({"kind": "video", "ranges": [[0, 8]], "faces": False}), counter, progress
    )
    assert output.ok
    assert seen and seen[-1][0] == 100 and all(0 <= p <= 100 for p, _left in seen)
    assert any(left is not None for _p, left in seen)

    cancelled = studio.render_video(
        parse({"kind": "video", "ranges": [[0, 60]], "faces": False}), counter, lambda p, s: False
    )
    assert cancelled.problem == studio.Problem.CANCELLED


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"not a video at all",
        b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100,
        b"%PDF-1.4",
        # Playlists and scripts that make a demuxer open other files: refused by the format
        # whitelist before anything is read (and the sandbox holds no such file anyway).
        b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n",
        b"ffconcat version 1.0\nfile /etc/passwd\n",
    ],
)
def test_hostile_videos_give_a_problem(payload):
    output = studio.render_video(parse({"kind": "video"}), payload)
    assert not output.ok


def test_a_damaged_stretch_of_a_video_is_skipped_and_the_rest_rendered(counter):
    middle = len(counter) // 2
    damaged = counter[:middle] + b"\x00" * 4096 + counter[middle + 4096 :]
    output = studio.render_video(parse({"kind": "video", "faces": False}), damaged)
    assert output.ok, output.problem
    assert abs(output.duration - 60) < 0.5
    cut = studio.render_video(parse({"kind": "video", "faces": False}), counter[:middle])
    assert cut.problem == studio.Problem.UNSUPPORTED  # no index (moov) at the end: nothing to read


def test_what_the_worker_answers_for_a_video_is_checked():
    def header(**fields):
        base = {"extension": "mp4", "content_type": "video/mp4", "width": 4, "height": 4}
        base.update(duration=1.0, hidden_faces=0, tracks=0, frames=1, audio=False)
        base.update(faces=[], faces_at=[], steady=[], shown=[], samples=[])
        base.update(fields)
        return json.dumps(base).encode() + b"\n"

    mp4 = b"\x00\x00\x00\x18ftypiso5" + b"\x00" * 40
    assert studio.checked_video(header() + mp4).ok
    for bad in (
        header(content_type="text/html") + mp4,
        header() + b"<html>",
        header(extension="webm", content_type="video/webm") + mp4,
        header(width=0) + mp4,
        header(duration="1") + mp4,
        header(audio=1) + mp4,
        header(frames=-1) + mp4,
        # The tracks' numbers and samples (identity.py): one each per track, inside the frame.
        header(faces=[[0.1, 0.1, 0.2, 0.2]], faces_at=[0], steady=[True], shown=[0]) + mp4,
        header(
            faces=[[0.1, 0.1, 0.2, 0.2]],
            faces_at=[0],
            steady=[True],
            shown=[0],
            samples=[[[0, 0.1, 0.1, 9, 0.2]]],
        )
        + mp4,
        header(
            faces=[[0.1, 0.1, 0.2, 0.2]],
            faces_at=[0],
            steady=[True],
            shown=[-1],
            samples=[[[0, 0.1, 0.1, 0.3, 0.3]]],
        )
        + mp4,
        b"{}\n" + mp4,
        mp4,
    ):
        assert not studio.checked_video(bad).ok


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_still_is_a_frame_with_the_faces_hidden(two_faces):
    recipe = parse({"kind": "image", "format": "png", "stills": [1.5]})
    output = studio.render_image(recipe, two_faces)
    assert output.ok, output.problem
    assert output.content_type == "image/png" and (output.width, output.height) == (640, 360)
    assert output.hidden_faces == 2
    assert lbp_faces(output.data) == []
    assert lbp_faces(_png(frame_at(two_faces, 1.5)))  # the same moment of the original has them
    manual = parse(
        {"kind": "image", "format": "png", "stills": [3.5], "faces": False,
         "boxes": [{"x": 0, "y": 0, "w": 1, "h": 1, "start": 3, "end": 5, "effect": "box"}]}
    )  # fmt: skip
    assert np.array(Image.open(io.BytesIO(studio.render_image(manual, two_faces).data))).max() == 0


def _pitch(data: bytes) -> float:
    """The dominant frequency of a video's audio (decoded by ffmpeg from a temporary file)."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".mp4") as video:
        video.write(data)
        video.flush()
        raw = subprocess.run(
            [FFMPEG, "-loglevel", "error", "-i", video.name, "-ac", "1", "-ar", "48000",
             "-f", "s16le", "pipe:1"],
            capture_output=True, check=True,
        ).stdout  # fmt: skip
    samples = np.frombuffer(raw, np.int16).astype(float)[48000 : 48000 * 2]
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.argmax(spectrum) * 48000 / len(samples))


def test_disguised_voices_are_pitched_down_and_keep_their_length(counter):
    kept = studio.render_video(
        parse({"kind": "video", "ranges": [[0, 4]], "faces": False}), counter
    )
    disguised = studio.render_video(
        parse({"kind": "video", "ranges": [[0, 4]], "faces": False, "audio": "disguise"}), counter
    )
    assert kept.ok and disguised.ok
    assert abs(_pitch(kept.data) - 300) < 5  # the test tone
    assert abs(_pitch(disguised.data) - 225) < 10  # a quarter lower
    audio = [s for s in streams(disguised.data)["streams"] if s["codec_type"] == "audio"]
    assert abs(float(audio[0]["duration"]) - 4) < 0.25


@pytest.mark.parametrize("rotate", ["90", "270"])
def test_a_phone_video_held_upright_comes_out_upright(tmp_path, rotate):
    """Phones store portrait video as landscape frames with a display matrix; the derivative
    must show what a player shows (turned, not squashed), and carry no matrix of its own."""
    plain, turned = tmp_path / "plain.mp4", tmp_path / "turned.mp4"
    subprocess.run(
        [FFMPEG, "-loglevel", "error", "-f", "lavfi",
         "-i", "testsrc2=duration=3:size=320x240:rate=10",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(plain)],
        check=True,
    )  # fmt: skip
    subprocess.run(
        [FFMPEG, "-loglevel", "error", "-i", str(plain), "-c", "copy",
         "-metadata:s:v:0", f"rotate={rotate}", str(turned)],
        check=True,
    )  # fmt: skip
    original = turned.read_bytes()
    assert "side_data_list" in streams(original)["streams"][0]  # the test can fail
    output = studio.render_video(parse({"kind": "video", "faces": False}), original)
    assert output.ok, output.problem
    video = streams(output.data)["streams"][0]
    assert (video["width"], video["height"]) == (240, 320)
    assert "side_data_list" not in video
    mine, shown = frame_at(output.data, 1.55), frame_at(original, 1.55)
    assert mine.shape == shown.shape
    wrong = np.rot90(shown, 2)
    assert np.abs(mine - shown).mean() < np.abs(mine - wrong).mean() / 3


def _frames(data: bytes) -> list[np.ndarray]:
    import av

    with av.open(io.BytesIO(data)) as container:
        return [f.to_ndarray(format="gray").astype(np.int16) for f in container.decode(video=0)]


def test_a_blurred_face_gives_one_sample_per_detection_not_one_per_frame(two_faces):
    """Where a face moves, the original changes every frame; the hidden patch over it changes
    only when the detector looks again (every sixth frame): a viewer of the clip gets a few
    blurred samples of the face a second, not thirty, to feed a super-resolution attack."""
    from tests.redaction.media import faces_frames

    output = studio.render_video(parse({"kind": "video", "audio": "mute"}), two_faces)
    assert output.ok
    truth = [boxes[0] for _frame, boxes in faces_frames(640, 360, 15, 4)]

    def changing(frames: list[np.ndarray]) -> float:
        changed = []
        for n in range(1, min(len(frames), len(truth))):
            x, y, w, h = truth[n]
            inner = (slice(y + h // 4, y + 3 * h // 4), slice(x + w // 4, x + 3 * w // 4))
            changed.append(np.abs(frames[n][inner] - frames[n - 1][inner]).mean() > 2)
        return sum(changed) / len(changed)

    assert changing(_frames(two_faces)) > 0.8  # the face moves: the test can fail
    assert changing(_frames(output.data)) < 0.4


def test_every_frame_of_a_clip_hides_the_middle_of_every_face_to_its_last(two_faces):
    """Frame by frame against the truth: the middle of each face (eyes, nose, mouth) is never
    left as it was, from the clip's first frame to its last (where no later detection helps)."""
    from tests.redaction.media import faces_frames

    start, end, fps = 1.0, 3.0, 15
    output = studio.render_video(
        parse({"kind": "video", "ranges": [[start, end]], "audio": "mute"}), two_faces
    )
    assert output.ok
    mine = _frames(output.data)
    originals = _frames(two_faces)
    truth = [boxes for _frame, boxes in faces_frames(640, 360, fps, 4)]
    assert len(mine) == round((end - start) * fps)
    for n, frame in enumerate(mine):
        at = round(start * fps) + n
        for x, y, w, h in truth[at]:
            middle = (slice(y + h * 3 // 10, y + h * 7 // 10), slice(x + w // 4, x + w * 3 // 4))
            unchanged = np.abs(frame[middle] - originals[at][middle]) < 6
            assert unchanged.mean() < 0.2, (n, round(float(unchanged.mean()), 2))


def test_the_tracks_are_listed_so_one_face_can_be_left_visible(two_faces):
    """The journalist needs the numbers: each track comes back with where and when it was
    first seen, and leaving one number visible hides every other face and only that one."""
    output = studio.render_video(parse({"kind": "video", "audio": "mute"}), two_faces)
    assert output.ok
    steady = [n for n, flag in enumerate(output.extra["steady"]) if flag]
    assert len(steady) == 2 and output.hidden_faces == 2
    assert len(output.faces) == len(output.extra["faces_at"]) == output.extra["tracks"]
    top, bottom = sorted(steady, key=lambda n: output.faces[n][1])  # y of the first box
    assert output.faces[top][1] < 0.5 < output.faces[bottom][1]
    assert all(0 <= output.extra["faces_at"][n] < 4 for n in steady)

    # A kept number is the face at its samples' places and moments (identity.py).
    references = {7: [list(sample) for sample in output.samples[top]]}
    recipe = parse({"kind": "video", "audio": "mute"})
    kept = studio.render_video(recipe, two_faces, references=references)
    assert kept.ok and kept.hidden_faces == 1 and sorted(kept.shown)[-1] == 7
    assert [n for n in kept.shown if n] == [7]
    found = lbp_faces(_png(frame_at(kept.data, 1.5)))
    assert found and all(y < 0.5 for _x, y, _w, _h in found)  # the top face only


@pytest.mark.parametrize(
    "fields",
    [
        {"faces": [[0.1, 0.1, 0.2, 0.2]], "faces_at": [], "steady": [True]},  # lengths differ
        {"faces": [[0.1, 0.1, 0.2, 0.2]], "faces_at": [-1], "steady": [True]},
        {"faces": [[0.1, 0.1, 5, 0.2]], "faces_at": [1], "steady": [True]},
        {"faces": "x", "faces_at": [], "steady": []},
    ],
)
def test_a_worker_answer_with_a_bad_track_list_is_refused(fields):
    base = {"extension": "mp4", "content_type": "video/mp4", "width": 4, "height": 4}
    base.update(duration=1.0, hidden_faces=0, tracks=0, frames=1, audio=False, **fields)
    mp4 = b"\x00\x00\x00\x18ftypiso5" + b"\x00" * 40
    assert not studio.checked_video(json.dumps(base).encode() + b"\n" + mp4).ok
