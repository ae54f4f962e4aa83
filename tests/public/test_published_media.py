"""Published video and Content Credentials on the public case page (issue 19, items 7 and 8).

A real render of the studio (the sandboxed worker, a 4 s clip with two faces) is published to a
case through the case desk's one door; the public file must be an MP4 whose index (moov) comes
before the picture (not fragmented: Chromium then knows the length) or a WebM with its duration
and its cues first; a video gets a poster frame, re-encoded without metadata and published
under its own hash; and the page says, without JavaScript, that the file carries Content
Credentials signed by the newsroom, what they record in plain words, how to check them, their
status at publication and the link to the transparency log."""

import hashlib
import io
import json
import re
import subprocess

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from jiandu.cases import actions as cases
from jiandu.cases.evidence import Derivative
from jiandu.redaction import credentials, studio
from jiandu.redaction.actions import do_publish_evidence, provenance
from jiandu.redaction.models import Render
from jiandu.redaction.recipe import parse
from tests.factories import make_member
from tests.redaction.media import faces_video

pytestmark = pytest.mark.django_db

SECONDS = 4
RECIPES = {
    fmt: {"kind": "video", "format": fmt, "audio": "mute", "ranges": [[0, SECONDS]]}
    for fmt in ("mp4", "webm")
}


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> bytes:
    """A tiny 4 s original with two faces (generated, nothing downloaded)."""
    return faces_video(tmp_path_factory.mktemp("media") / "faces.mp4", 320, 240, 10, SECONDS)


@pytest.fixture(scope="module")
def renders(clip) -> dict:
    """The studio's sandboxed worker run once per format for the module."""
    outputs = {fmt: studio.render_video(parse(recipe), clip) for fmt, recipe in RECIPES.items()}
    assert all(output.ok for output in outputs.values()), {k: v.problem for k, v in outputs.items()}
    return outputs


def derivative_of_render(user, output, recipe: dict, original: bytes) -> Derivative:
    """The render as the case desk takes it: a finished render record of exactly these bytes
    (a newsroom-made original, as the demo's), with the facts its credentials declare."""
    render = Render.objects.create(
        kind=Render.Kind.VIDEO,
        state=Render.State.DONE,
        progress=100,
        created_by=user,
        created_hour=timezone.now().replace(minute=0, second=0, microsecond=0),
        output_sha256=hashlib.sha256(output.data).hexdigest(),
    )
    facts = {
        "original_sha256": hashlib.sha256(original).hexdigest(),
        "hidden_faces": output.hidden_faces,
    }
    return Derivative(
        render.reference,
        "",
        output.data,
        f"{output.hidden_faces} faces blurred",
        f"{output.hidden_faces} faces blurred",
        content_type=output.content_type,
        width=output.width,
        height=output.height,
        provenance=provenance(parse(recipe), facts),
    )


def publish_video(settings, data_dir, output, recipe: dict, original: bytes, publish=True):
    """A case with the render attached (and published by a second editor when `publish`)."""
    settings.MEDIA_ROOT = str(data_dir / "media")
    writer = make_member("w", "journalist").user
    editor = make_member("e1", "editor").user
    case = cases.do_create_case(writer, title_en="A clip", title_zh="一段视频", summary_en="ready")
    evidence = do_publish_evidence(
        case, editor, derivative_of_render(editor, output, recipe, original), "unverified"
    )
    if publish:
        cases.do_update_case(writer, case, summary_en="ready to go")
        cases.do_submit_for_review(writer, case, "First")
        cases.do_publish_case(make_member("e2", "editor").user, case)
    return case, evidence, writer


def served(name: str):
    response = Client().get(f"/cases/evidence/{name}")
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response, body


def top_boxes(data: bytes) -> list[bytes]:
    boxes, at = [], 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        if size == 1:
            size = int.from_bytes(data[at + 8 : at + 16], "big")
        boxes.append(data[at + 4 : at + 8])
        if size < 8:
            break
        at += size
    return boxes


def probed_duration(data: bytes) -> float:
    out = subprocess.run(
        ["/usr/bin/ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
         "json", "-"], input=data, capture_output=True, check=True,
    ).stdout  # fmt: skip
    return float(json.loads(out)["format"]["duration"])


def test_a_published_mp4_has_its_index_first_and_is_not_fragmented(
    settings, isolated_data_dir, renders, clip
):
    _case, evidence, _writer = publish_video(
        settings, isolated_data_dir, renders["mp4"], RECIPES["mp4"], clip
    )
    response, body = served(evidence.file.name.rsplit("/", 1)[-1])
    assert response["Content-Type"] == "video/mp4"
    boxes = top_boxes(body)
    assert b"moof" not in boxes and b"mvex" not in body[: body.index(b"mdat")], boxes
    assert boxes.index(b"moov") < boxes.index(b"mdat"), boxes  # after the C2PA signing too
    # The length the index declares is the clip's (a fragmented file declared none).
    movie_header = body.index(b"mvhd")
    version = body[movie_header + 4]
    scale_at = movie_header + (16 if version == 0 else 24)
    timescale = int.from_bytes(body[scale_at : scale_at + 4], "big")
    length = body[scale_at + 4 : scale_at + (8 if version == 0 else 12)]
    assert abs(int.from_bytes(length, "big") / timescale - SECONDS) < 0.1
    assert abs(probed_duration(body) - SECONDS) < 0.1


def test_a_published_webm_has_its_duration_and_its_cues_first(
    settings, isolated_data_dir, renders, clip
):
    _case, evidence, _writer = publish_video(
        settings, isolated_data_dir, renders["webm"], RECIPES["webm"], clip
    )
    _response, body = served(evidence.file.name.rsplit("/", 1)[-1])
    cues, first_cluster = body.find(b"\x1c\x53\xbb\x6b"), body.find(b"\x1f\x43\xb6\x75")
    assert 0 < cues < first_cluster, (cues, first_cluster)  # the index before the picture
    assert b"\x44\x89" in body[:first_cluster]  # Segment Info's Duration
    assert abs(probed_duration(body) - SECONDS) < 0.1


def test_a_video_gets_a_poster_without_metadata_published_with_it(
    settings, isolated_data_dir, renders, clip
):
    case, evidence, writer = publish_video(
        settings, isolated_data_dir, renders["mp4"], RECIPES["mp4"], clip, publish=False
    )
    name = evidence.poster.name.rsplit("/", 1)[-1]
    assert name == f"{evidence.poster_sha256}.jpg"
    assert served(name)[0].status_code == 404  # not public before the case is
    cases.do_update_case(writer, case, summary_en="ready to go")
    cases.do_submit_for_review(writer, case, "First")
    cases.do_publish_case(make_member("e2", "editor").user, case)
    response, poster = served(name)
    assert response["Content-Type"] == "image/jpeg"
    assert hashlib.sha256(poster).hexdigest() == evidence.poster_sha256
    image = Image.open(io.BytesIO(poster))
    assert image.format == "JPEG" and image.size == (evidence.width, evidence.height)
    assert not image.getexif() and "comment" not in image.info and "icc_profile" not in image.info
    assert b"Lavc" not in poster and b"Exif" not in poster
    html = Client().get(f"/en/cases/{case.slug}/").content.decode()
    video = re.search(r"<video [^>]*>", html).group(0)
    assert f'poster="/en/cases/evidence/{name}"' in video
    assert f'width="{evidence.width}"' in video and f'height="{evidence.height}"' in video
    assert evidence.poster_sha256 in html


def test_the_credentials_are_read_back_and_stored_at_publication(
    settings, isolated_data_dir, renders, clip
):
    _case, evidence, _writer = publish_video(
        settings, isolated_data_dir, renders["mp4"], RECIPES["mp4"], clip
    )
    summary = evidence.credentials
    assert summary["state"] == "trusted" and summary["trust_list"] is False
    assert summary["signer"]
    keys = [action["key"] for action in summary["actions"]]
    assert keys[0] == "opened" and keys[-2:] == ["transcoded", "published"]
    assert "muted" in keys and "clip" in keys
    # What is stored is what the file says: altered bytes would not read as trusted.
    data = bytearray(evidence.file.read())
    data[data.index(b"mdat") + 200] ^= 0xFF
    assert credentials.summary(bytes(data), "video/mp4").get("state") != "trusted"


@pytest.mark.parametrize(
    ("prefix", "words"),
    [
        ("/en", ["Content Credentials", "signed by the newsroom", "Sound removed",
                 "Cut to the part shown: 00:00:00-00:00:04", "c2patool",
                 "contentcredentials.org/verify", "Status at publication",
                 "not on the C2PA trust list"]),
        ("", ["内容凭证", "由新闻编辑室签署", "声音已移除", "剪辑为所示片段：00:00:00-00:00:04",
              "c2patool", "contentcredentials.org/verify", "发布时的状态", "不在 C2PA 信任列表上"]),
    ],
)  # fmt: skip
def test_the_page_says_what_the_credentials_say_without_javascript(
    settings, isolated_data_dir, renders, clip, prefix, words
):
    case, evidence, _writer = publish_video(
        settings, isolated_data_dir, renders["mp4"], RECIPES["mp4"], clip
    )
    html = Client().get(f"{prefix}/cases/{case.slug}/").content.decode()
    block = html[html.index('class="credentials"') :]
    block = block[: block.index("</section>")]
    for word in words:
        assert word in block, word
    assert evidence.credentials["signer"] in block
    assert f"/log/verify/?sha256={evidence.sha256}" in block.replace("&amp;", "&")
    # Text and links of this site only: nothing loaded from, or linked to, another host.
    assert not re.search(r"(src|href)=\"(https?:)?//", block)
    assert "<script" not in block
