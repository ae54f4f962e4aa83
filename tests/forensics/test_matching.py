"""Fingerprints and matching: a 20-second clip re-encoded at another size is matched to the right
seconds of its original; identical files by SHA-256; unrelated files do not match."""

import subprocess

import numpy
import pytest

from jiandu.forensics import fingerprints, matching
from jiandu.forensics.metadata import analyse_file


def ffmpeg(*args: str) -> None:
    command = ["/usr/bin/ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", *args, "-y"]
    subprocess.run(command, check=True)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("match")
    original, clip, other = folder / "original.mp4", folder / "clip.mp4", folder / "other.mp4"
    cropped = folder / "cropped.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=duration=60:size=640x360:rate=25",
        "-c:v", "libx264", "-preset", "ultrafast", str(original),
    )  # fmt: skip
    # 00:00:30–00:00:50 re-encoded at 480×270, lower quality, with B-frames (which the
    # fingerprinting does not decode).
    ffmpeg(
        "-ss", "30", "-t", "20", "-i", str(original), "-vf", "scale=480:270",
        "-c:v", "libx264", "-preset", "veryfast", "-bf", "3", "-crf", "30", str(clip),
    )  # fmt: skip
    # 00:00:10–00:00:25 with 5% cut off each side's edge, then scaled down.
    ffmpeg(
        "-ss", "10", "-t", "15", "-i", str(original), "-vf", "crop=iw*0.95:ih*0.95,scale=320:180",
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "32", str(cropped),
    )  # fmt: skip
    ffmpeg(
        "-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=25", "-t", "8",
        "-c:v", "libx264", "-preset", "ultrafast", str(other),
    )  # fmt: skip
    return {
        name: fingerprints.from_report(analyse_file(path.open("rb"), path.name))
        for name, path in (
            ("original", original),
            ("clip", clip),
            ("other", other),
            ("cropped", cropped),
        )
    }


def test_reencoded_clip_matches_the_right_seconds_of_its_original(videos):
    index = matching.Index()
    index.add("original", videos["original"])
    index.add("other", videos["other"])
    found = index.query(videos["clip"])
    assert [m.ref for m in found] == ["original"]
    match = found[0]
    assert not match.identical
    assert abs(match.target_start - 30) <= 1 and abs(match.target_end - 50) <= 1
    assert (match.query_start, match.query_end) == (0, 20)
    assert matching.clock(match.target_start) in ("00:00:29", "00:00:30", "00:00:31")


def test_a_cropped_and_rescaled_clip_matches_its_seconds(videos):
    index = matching.Index()
    index.add("original", videos["original"])
    index.add("other", videos["other"])
    found = index.query(videos["cropped"])
    assert [m.ref for m in found] == ["original"]
    assert abs(found[0].target_start - 10) <= 1 and found[0].matched_seconds >= 10


def test_the_original_is_found_from_the_clip_too(videos):
    index = matching.Index()
    index.add("clip", videos["clip"])
    found = index.query(videos["original"])
    assert [m.ref for m in found] == ["clip"]
    assert abs(found[0].query_start - 30) <= 1


def test_identical_files_match_by_sha256_and_exclude_skips_the_file_itself(videos):
    index = matching.Index()
    index.add("self", videos["other"])
    index.add("copy", videos["other"])
    found = index.query(videos["other"], exclude="self")
    assert [(m.ref, m.identical) for m in found] == [("copy", True)]


def test_unrelated_random_hashes_do_not_match():
    rng = numpy.random.default_rng(7)
    index = matching.Index()
    for number in range(200):
        hashes = rng.integers(0, 2**63, size=(30, 4), dtype=numpy.uint64)
        index.add(
            f"v{number}",
            fingerprints.Fingerprint(
                f"{number:064x}", hashes, numpy.arange(30, dtype=numpy.int32), True
            ),
        )
    query = rng.integers(0, 2**63, size=(10, 4), dtype=numpy.uint64)
    probe = fingerprints.Fingerprint("f" * 64, query, numpy.arange(10, dtype=numpy.int32), True)
    assert index.query(probe) == []


def test_fingerprint_serialisation_round_trips(videos):
    original = videos["clip"]
    again = fingerprints.from_bytes(original.sha256, fingerprints.to_bytes(original))
    assert numpy.array_equal(again.hashes, original.hashes)
    assert numpy.array_equal(again.seconds, original.seconds) and again.is_video
