"""The second stage of matching: cropped, turned, mirrored and letterboxed copies of real
photographs (scikit-image's, shipped in its wheel) and of a video made of them are found, with
their geometry, through the sandboxed worker; unrelated photographs are not; the sandbox's
answer is checked like any untrusted input."""

import base64
import io
import subprocess

import numpy
import pytest
from PIL import Image

from jiandu.forensics import fingerprints, matching, robust
from jiandu.forensics.metadata import analyse_file

skimage_data = pytest.importorskip("skimage.data")


def photo(name: str) -> numpy.ndarray:
    return numpy.asarray(getattr(skimage_data, name)())


def rgb(array: numpy.ndarray) -> numpy.ndarray:
    return array if array.ndim == 3 else numpy.stack([array] * 3, axis=2)


def png(array: numpy.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(numpy.ascontiguousarray(rgb(array))).save(out, "PNG")
    return out.getvalue()


def analysed(data: bytes, name: str = "file.png") -> fingerprints.Fingerprint:
    return fingerprints.from_report(analyse_file(io.BytesIO(data), name))


def turned(array: numpy.ndarray, degrees: float) -> numpy.ndarray:
    import cv2

    height, width = array.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return cv2.warpAffine(numpy.ascontiguousarray(array), matrix, (width, height))


@pytest.fixture(scope="module")
def pictures():
    astronaut, coffee, chelsea = photo("astronaut"), photo("coffee"), photo("chelsea")
    height, width = astronaut.shape[:2]
    # 6 % cut off, mirrored, turned 5 degrees, then 10 % of flat grey padding on each side.
    copy = turned(astronaut[int(height * 0.06) :, : int(width * 0.94)][:, ::-1], 5)
    copy = numpy.pad(copy, ((50, 50), (50, 50), (0, 0)), constant_values=90)
    return {
        "astronaut": analysed(png(astronaut)),
        "coffee": analysed(png(coffee)),
        "copy": analysed(png(copy)),
        "chelsea": analysed(png(chelsea)),
        "mirrored_coffee": analysed(png(coffee[:, ::-1])),
    }


def test_the_sandbox_gives_robust_features(pictures):
    features = pictures["astronaut"].robust
    assert features is not None
    assert set(range(8)) <= set(features.codes.tolist())  # the eight turns and flips
    # inner crops, turned-back crops, 95 % windows
    assert {16, 17, 18, 23, 24, 28} <= set(features.codes.tolist())
    (points,) = features.keypoints
    assert 64 <= len(points.descriptors) <= robust.MAX_POINTS
    assert (
        len(points.mirror_descriptors) == len(points.descriptors) or points.mirror_descriptors.size
    )
    assert max(points.size) == 512


def test_a_cropped_mirrored_turned_padded_copy_is_found_with_its_geometry(pictures):
    index = matching.Index()
    index.add("astronaut", pictures["astronaut"])
    index.add("coffee", pictures["coffee"])
    # PDQ alone does not find it (its hash is as far as an unrelated picture's)...
    plain = fingerprints.Fingerprint(
        pictures["copy"].sha256, pictures["copy"].hashes, pictures["copy"].seconds, False
    )
    assert index.query(plain) == []
    # ...the second stage does, and says how it differs.
    (match,) = index.query(pictures["copy"])
    assert match.ref == "astronaut" and not match.identical
    geometry = match.geometry
    assert geometry is not None
    assert geometry.mirrored
    assert 3 <= geometry.angle <= 7
    assert geometry.kept < robust.CROPPED
    assert geometry.padded > 0.03
    assert geometry.inliers >= robust.MIN_INLIERS
    from django.utils import translation

    with translation.override("en"):
        words = geometry.describe()
    assert all(word in words for word in ("cropped", "turned", "mirrored", "padded"))


def test_a_mirror_image_is_found_and_unrelated_photographs_are_not(pictures):
    index = matching.Index()
    for name in ("astronaut", "coffee", "chelsea"):
        index.add(name, pictures[name])
    (match,) = index.query(pictures["mirrored_coffee"])
    assert match.ref == "coffee" and match.geometry is not None and match.geometry.mirrored
    lone = matching.Index()
    lone.add("astronaut", pictures["astronaut"])
    lone.add("chelsea", pictures["chelsea"])
    assert lone.query(pictures["coffee"]) == []
    assert lone.query(pictures["mirrored_coffee"]) == []


def test_the_robust_features_survive_the_stored_fingerprint(pictures):
    stored = fingerprints.to_bytes(pictures["copy"])
    again = fingerprints.from_bytes(pictures["copy"].sha256, stored)
    assert again.robust is not None
    assert numpy.array_equal(again.robust.hashes, pictures["copy"].robust.hashes)
    assert numpy.array_equal(
        again.robust.keypoints[0].descriptors, pictures["copy"].robust.keypoints[0].descriptors
    )
    index = matching.Index()
    index.add(
        "astronaut", fingerprints.from_bytes("a" * 64, fingerprints.to_bytes(pictures["astronaut"]))
    )
    assert [m.ref for m in index.query(again)] == ["astronaut"]
    # A fingerprint stored before the second stage still reads.
    old = bytes([0]) + fingerprints.to_bytes(pictures["coffee"])[5 : 5 + 36]
    plain = fingerprints.from_bytes("b" * 64, old)
    assert plain.robust is None and len(plain.hashes) == 1
    # A damaged robust part is dropped, not an error.
    assert robust.from_bytes(robust.to_bytes(pictures["copy"].robust)[:-10]) is None
    assert robust.from_bytes(b"JDR1\xff\xff\x00\x00") is None


# ---- the sandbox's answer is untrusted -------------------------------------------------------


def sandbox_answer(points: int = 20) -> dict:
    where = numpy.zeros((points, 2), "<u2") + 80
    return {
        "variants": [[0, 0, "ab" * 32], [0, 4, "cd" * 32]],
        "orb": [
            [
                0,
                {
                    "size": [512, 400],
                    "xy": base64.b64encode(where.tobytes()).decode(),
                    "d": base64.b64encode(bytes(32 * points)).decode(),
                    "mirror_xy": "",
                    "mirror_d": "",
                },
            ]
        ],
    }


def test_a_well_formed_answer_parses():
    features = robust.parse(sandbox_answer())
    assert features is not None
    assert features.codes.tolist() == [0, 4]
    assert len(features.keypoints[0].descriptors) == 20
    assert features.keypoints[0].xy[0].tolist() == [10.0, 10.0]


@pytest.mark.parametrize(
    "damage",
    [
        lambda a: a.update(variants="nope"),
        lambda a: a["variants"].append([0, 99, "ab" * 32]),  # unknown code
        lambda a: a["variants"].append([-1, 0, "ab" * 32]),  # negative second
        lambda a: a["variants"].append([True, 0, "ab" * 32]),
        lambda a: a["variants"].append([0, 0, "xyz"]),  # not a hash
        lambda a: a["variants"].append([0, 0]),
        lambda a: a["orb"][0][1].update(size=[100000, 5]),  # huge picture
        lambda a: a["orb"][0][1].update(d="!!!"),  # not base64
        lambda a: a["orb"][0][1].update(d=base64.b64encode(bytes(31)).decode()),  # ragged
        lambda a: a["orb"][0][1].update(size=[4, 4]),  # points outside the picture
        lambda a: a.update(orb=[[0, "x"]] * 1000),
    ],
)
def test_damaged_answers_drop_what_is_damaged(damage):
    answer = sandbox_answer()
    damage(answer)
    features = robust.parse(answer)
    if features is not None:
        assert set(features.codes.tolist()) <= {0, 4}
        for points in features.keypoints:
            assert len(points.descriptors) * 2 == len(points.xy) * 2
            assert (points.xy[:, 0] <= points.size[0]).all() if len(points.xy) else True
            assert points.size[0] <= robust.MAX_EDGE


def test_too_many_points_or_entries_are_refused():
    assert robust.parse(sandbox_answer(points=robust.MAX_POINTS + 1)).keypoints[0].xy.size == 0
    flood = {"variants": [[0, 0, "ab" * 32]] * 100_000}
    assert len(robust.parse(flood).codes) == robust.MAX_VARIANTS
    assert robust.parse("garbage") is None
    assert robust.parse({}) is None


# ---- video -----------------------------------------------------------------------------------


def ffmpeg(*args: str) -> None:
    command = ["/usr/bin/ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", *args, "-y"]
    subprocess.run(command, check=True)


@pytest.fixture(scope="module")
def footage_files(tmp_path_factory):
    """A 12-second video of real photographs, a new scene each second (a slow zoom inside
    it), and a copy of its seconds 3-10, cut 5 % at the edges, turned a quarter, mirrored and
    letterboxed; besides, an unrelated video of the same kind."""
    import av

    folder = tmp_path_factory.mktemp("robust")

    def scenes_of(names):
        scenes = []
        for name in names:
            picture = rgb(photo(name))
            height, width = picture.shape[:2]
            scenes.append(picture)
            scenes.append(picture[height // 4 :, width // 4 :][::-1, :])  # another scene
        return scenes

    scenes = scenes_of(
        ("astronaut", "coffee", "chelsea", "rocket", "camera", "immunohistochemistry")
    )

    def write(path, chosen):
        with av.open(str(path), "w") as container:
            stream = container.add_stream("libx264", rate=10)
            stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
            stream.options = {"preset": "ultrafast"}
            for scene in chosen:
                for tenth in range(10):
                    height, width = scene.shape[:2]
                    margin = tenth / 100
                    part = scene[
                        int(height * margin) : height - int(height * margin),
                        int(width * margin) : width - int(width * margin),
                    ]
                    image = Image.fromarray(numpy.ascontiguousarray(part)).resize((640, 360))
                    frame = av.VideoFrame.from_ndarray(numpy.asarray(image), format="rgb24")
                    for packet in stream.encode(frame):
                        container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)

    original, other, copy = folder / "original.mp4", folder / "other.mp4", folder / "copy.mp4"
    write(original, scenes[:12])
    write(other, scenes_of(("coins", "moon", "retina", "hubble_deep_field")))
    ffmpeg(
        "-ss", "3", "-t", "7", "-i", str(original),
        "-vf", "crop=iw*0.95:ih*0.95:0:0,transpose=1,hflip,pad=1080:608:(ow-iw)/2:0:black",
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "28", str(copy),
    )  # fmt: skip
    # Seconds 2-9, mirrored and letterboxed, not cropped.
    mirrored = folder / "mirrored.mp4"
    ffmpeg(
        "-ss", "2", "-t", "7", "-i", str(original),
        "-vf", "hflip,pad=640:480:0:60:black",
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "28", str(mirrored),
    )  # fmt: skip
    return {"original": original, "other": other, "copy": copy, "mirrored": mirrored}


@pytest.fixture(scope="module")
def footage(footage_files):
    return {
        name: fingerprints.from_report(analyse_file(path.open("rb"), path.name))
        for name, path in footage_files.items()
    }


def test_a_cropped_turned_mirrored_letterboxed_copy_matches_the_right_seconds(footage):
    index = matching.Index()
    index.add("original", footage["original"])
    index.add("other", footage["other"])
    stored_copy = fingerprints.from_bytes(
        footage["copy"].sha256, fingerprints.to_bytes(footage["copy"])
    )
    (match,) = index.query(stored_copy)
    assert match.ref == "original" and match.target_is_video
    assert (match.query_start, match.target_start) == (0, 3)
    assert match.target_end in (10, 11) and match.matched_seconds >= 6
    assert match.geometry is not None and match.geometry.mirrored
    assert match.geometry.angle == 90
    # PDQ's first stage alone finds nothing.
    plain = fingerprints.Fingerprint(
        "c" * 64, footage["copy"].hashes, footage["copy"].seconds, True
    )
    assert index.query(plain) == []


def test_a_clip_whose_keyframes_fall_elsewhere_is_aligned_by_its_mirrored_hashes(footage):
    """A clip of a long original meets none of its keyframes (they are seconds apart): the
    mirrored, trimmed per-second hashes are aligned as the first stage aligns its own."""
    original = footage["original"]
    features = original.robust
    bare = robust.Robust(features.seconds, features.codes, features.hashes, ())
    index = matching.Index()
    index.add(
        "original",
        fingerprints.Fingerprint(original.sha256, original.hashes, original.seconds, True, bare),
    )
    index.add("other", footage["other"])
    (match,) = index.query(footage["mirrored"])
    assert match.ref == "original" and match.target_start - match.query_start == 2
    assert match.matched_seconds >= 4
    assert match.geometry is not None and match.geometry.mirrored and match.geometry.inliers == 0
    # Without its turned and flipped hashes it is not found.
    mirrored = footage["mirrored"]
    plain = fingerprints.Fingerprint("d" * 64, mirrored.hashes, mirrored.seconds, True)
    assert index.query(plain) == []


def test_an_unrelated_video_of_the_same_photographs_kind_is_not_matched(footage):
    index = matching.Index()
    index.add("other", footage["other"])
    assert index.query(footage["copy"]) == []


# ---- shown in the workbench ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["mirrored", "turned 5°", "padded", "52 matching points"]),
        ("zh-hans", ["镜像翻转", "旋转了 5°", "加了边框", "52 个匹配点"]),
        ("zh-hant", ["鏡像翻轉", "旋轉了 5°", "加了邊框", "52 個匹配點"]),
    ],
)
def test_the_workbench_says_how_the_copy_differs(language, words):
    from django.template.loader import render_to_string
    from django.utils import translation

    from jiandu.forensics.index import Label

    geometry = robust.Geometry(52, True, 5, 1.0, 0.2)
    match = matching.Match("analysis:1", False, 0, 1, 0, 1, 1, 60.0, False, geometry)
    label = Label("evidence", "leak.jpg", "S-1", None, None)
    line = {"match": match, "label": label, "name": "leak.jpg", "target": "", "query": ""}
    with translation.override(language):
        html = render_to_string("forensics/_matches.html", {"matches": [line]})
    for word in words:
        assert word in html


def test_without_keypoints_a_mirrored_hash_within_pdq_threshold_still_matches(pictures):
    coffee = pictures["coffee"]
    bare = robust.Robust(coffee.robust.seconds, coffee.robust.codes, coffee.robust.hashes, ())
    index = matching.Index()
    index.add(
        "coffee",
        fingerprints.Fingerprint(coffee.sha256, coffee.hashes, coffee.seconds, False, bare),
    )
    index.add("astronaut", pictures["astronaut"])
    (match,) = index.query(pictures["mirrored_coffee"])
    assert match.ref == "coffee" and match.distance <= fingerprints.MATCH_DISTANCE
    assert match.geometry is not None and match.geometry.mirrored
    assert match.geometry.inliers == 0


@pytest.mark.parametrize(
    "array",
    [
        numpy.zeros((1, 1, 3), numpy.uint8),  # one pixel
        numpy.full((300, 400, 3), 128, numpy.uint8),  # flat: no keypoints, nothing to trim
        numpy.random.default_rng(1).integers(0, 255, (6, 3000, 3), dtype=numpy.uint8),  # a strip
    ],
    ids=["pixel", "flat", "strip"],
)
def test_odd_pictures_still_give_a_report_and_match_nothing_wrongly(array, pictures):
    fingerprint = analysed(png(array))
    if fingerprint.robust is not None:
        for points in fingerprint.robust.keypoints:
            assert len(points.descriptors) <= robust.MAX_POINTS
    index = matching.Index()
    index.add("astronaut", pictures["astronaut"])
    index.add("odd", fingerprint)
    assert index.query(fingerprint, exclude="odd") == []
    assert [m.ref for m in index.query(pictures["coffee"])] == []


# ---- through a member's encrypted index, in the workbench -------------------------------------


@pytest.mark.django_db
def test_the_workbench_finds_the_copy_of_a_sources_video_with_its_seconds(
    footage_files, isolated_data_dir, django_capture_on_commit_callbacks
):
    """A source sends the video; it is analysed by the worker at the member's sign-in (sealed
    at rest); the member looks up the re-posted copy: the page names the file, the seconds and
    how the copy differs."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from tests.forensics.conftest import sign_in_and_analyse
    from tests.tipline.helpers import make_reader, submit

    member, _ = make_reader()
    original = footage_files["original"].read_bytes()
    submit(
        Client(),
        message="footage",
        files=[SimpleUploadedFile("original.mp4", original, "video/mp4")],
    )
    client = sign_in_and_analyse(member, django_capture_on_commit_callbacks)
    copy = footage_files["copy"].read_bytes()
    page = client.post(
        "/en/newsroom/forensics/lookup/",
        {"file": SimpleUploadedFile("repost.mp4", copy, "video/mp4")},
    ).content.decode()
    assert "00:00:00–00:00:0" in page and "matches 00:00:03–00:00:1" in page
    assert "of file original.mp4 from source" in page
    assert "turned 90°" in page and "mirrored" in page and "matching points" in page
