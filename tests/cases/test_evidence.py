"""Publishing evidence: re-encoded without metadata, hashed, and only public once published."""

import hashlib
import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from PIL import Image

from jiandu.cases import actions
from jiandu.cases.evidence import EvidenceError, clean_image
from jiandu.redaction.actions import do_publish_evidence
from tests.factories import make_member
from tests.redaction.helpers import rendered

pytestmark = pytest.mark.django_db


def jpeg_with_metadata() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "LeakyCam"  # Make
    exif[0x8825] = {2: (39.0, 54.0, 0.0)}  # GPS
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), comment=b"source: insider #2")
    return buffer.getvalue() + b"TRAILING-SECRET"


def test_clean_image_drops_exif_comments_and_trailing_bytes():
    data, extension, content_type, width, height = clean_image(jpeg_with_metadata())
    assert (extension, content_type, width, height) == ("jpg", "image/jpeg", 64, 48)
    assert b"LeakyCam" not in data and b"insider" not in data and b"TRAILING" not in data
    with Image.open(io.BytesIO(data)) as reopened:
        assert not reopened.getexif()
        assert "comment" not in reopened.info


def test_png_text_chunks_are_dropped():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "the source's real name")
    buffer = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(buffer, "PNG", pnginfo=info)
    data, extension, *_ = clean_image(buffer.getvalue())
    assert extension == "png"
    assert b"real name" not in data and b"tEXt" not in data


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"not an image at all",
        b"GIF89a" + b"\x00" * 20,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,  # a PNG signature and nothing whole after it
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    ],
)
def test_hostile_or_unsupported_files_are_refused(payload):
    with pytest.raises(EvidenceError):
        clean_image(payload)


def test_decompression_bombs_are_refused():
    buffer = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(buffer, "PNG")  # 50 megapixels, a few KB on disk
    with pytest.raises(EvidenceError):
        clean_image(buffer.getvalue())


def test_truncated_jpeg_is_refused():
    with pytest.raises(EvidenceError):
        clean_image(jpeg_with_metadata()[:200])


def test_evidence_goes_public_with_the_next_revision_only(client):
    writer = make_member("w", "journalist").user
    editor = make_member("e", "editor").user
    case = actions.do_create_case(writer, title_en="Case")
    with pytest.raises(PermissionDenied):
        do_publish_evidence(case, writer, rendered(editor, jpeg_with_metadata()), "verified")
    derivative = rendered(editor, jpeg_with_metadata(), fmt="jpeg")
    evidence = do_publish_evidence(case, editor, derivative, "verified", caption_en="A frame")
    data = evidence.file.read()
    assert hashlib.sha256(data).hexdigest() == evidence.sha256
    name = f"{evidence.sha256}.jpg"
    assert client.get(f"/cases/evidence/{name}").status_code == 404  # not yet published
    actions.do_update_case(writer, case, summary_en="ready")
    actions.do_submit_for_review(writer, case, "First")
    # The editor who attached the file changed the case: a second editor publishes.
    with pytest.raises(actions.WorkflowError):
        actions.do_publish_case(editor, case)
    actions.do_publish_case(make_member("e2", "editor").user, case)
    response = client.get(f"/cases/evidence/{name}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "immutable" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == data
    html = client.get(f"/en/cases/{case.slug}/").content.decode()
    assert evidence.sha256 in html and "Verified" in html
    with pytest.raises(EvidenceError):  # the same render twice
        do_publish_evidence(case, editor, derivative, "verified")
    assert client.get("/cases/evidence/../../secret_key").status_code == 404


def test_the_same_file_in_two_cases_is_served_for_each(client):
    writer = make_member("w", "journalist").user
    editor = make_member("e", "editor").user
    publisher = make_member("e2", "editor").user
    names = []
    for title in ("One", "Two"):
        case = actions.do_create_case(writer, title_en=title)
        evidence = do_publish_evidence(
            case, editor, rendered(editor, jpeg_with_metadata()), "verified"
        )
        actions.do_update_case(writer, case, summary_en="ready")
        actions.do_submit_for_review(writer, case, "First")
        actions.do_publish_case(publisher, case)
        names.append(evidence.file.name.rsplit("/", 1)[-1])
    assert names[0] != names[1]
    for name in names:
        assert client.get(f"/cases/evidence/{name}").status_code == 200


def test_the_desk_takes_no_upload_evidence_comes_from_the_redaction_studio(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import sign_in

    writer = make_member("w", "journalist").user
    case = actions.do_create_case(writer, title_en="Case")
    sign_in(client, make_member("ed", "editor"))
    url = f"/en/newsroom/cases/{case.pk}/evidence/"
    upload = SimpleUploadedFile("IMG_0042 insider.jpg", jpeg_with_metadata(), "image/jpeg")
    response = client.post(
        url, {"file": upload, "verification_status": "partly", "caption_en": "Frame 12"}
    )
    assert response.status_code == 403
    assert not case.evidence.exists()
    page = client.get(f"/en/newsroom/cases/{case.pk}/").content.decode()
    assert "/en/newsroom/redaction/" in page and 'type="file"' not in page


def test_publishing_anything_but_a_render_record_is_refused():
    from jiandu.cases.evidence import Derivative

    writer = make_member("w", "journalist").user
    editor = make_member("e", "editor").user
    case = actions.do_create_case(writer, title_en="Case")
    real = rendered(editor, jpeg_with_metadata())
    forged = [
        io.BytesIO(jpeg_with_metadata()),  # an upload, as before
        jpeg_with_metadata(),
        Derivative("render:999999", "", real.data),  # no such record
        Derivative(real.reference, "", real.data + b"x"),  # bytes the render did not make
        Derivative(real.reference, "item:1", real.data),  # another original
        Derivative("render:1 OR 1=1", "", real.data),
        Derivative("", "", real.data),
    ]
    for thing in forged:
        with pytest.raises(EvidenceError, match="redaction studio"):
            do_publish_evidence(case, editor, thing, "verified")
    assert not case.evidence.exists()
    evidence = do_publish_evidence(case, editor, real, "verified")
    assert evidence.render == real.reference and evidence.treatment_en


def test_images_are_decoded_in_the_sandbox_not_in_this_process(monkeypatch):
    """DEVELOPERS.md: no untrusted file is parsed in the web process."""
    import PIL.Image

    def refuse(*args, **kwargs):
        raise AssertionError("Pillow decoded an upload in the web process")

    monkeypatch.setattr(PIL.Image, "open", refuse)
    data, extension, content_type, width, height = clean_image(jpeg_with_metadata())
    assert extension == "jpg" and content_type == "image/jpeg" and data.startswith(b"\xff\xd8")
    monkeypatch.undo()
    assert (width, height) == Image.open(io.BytesIO(data)).size


# The sandbox's answer is checked, the sandbox runs outside the transaction, uploads stay in
# memory, and without the sandbox nothing is published (security issue #8, items 6, 8, 10).


def lying_sandbox(monkeypatch, stdout: bytes) -> None:
    from jiandu.cases import evidence
    from jiandu.sandbox.runner import Outcome

    def run(*args, **kwargs):
        return Outcome(0, stdout, None, 0.1, 0.1, 0)

    monkeypatch.setattr(evidence, "run_sandboxed", run)


def png_of(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


def header(extension: str, content_type: str, width: int = 4, height: int = 4) -> bytes:
    fields = {"extension": extension, "content_type": content_type, "width": width}
    return json.dumps({**fields, "height": height}).encode() + b"\n"


@pytest.mark.parametrize(
    "stdout",
    [
        header("html", "text/html") + b"<script>alert(1)</script>",
        header("svg", "image/svg+xml") + b"<svg onload=alert(1)/>",
        header("jpg", "text/html") + b"\xff\xd8\xff<html>\xff\xd9",
        header("jpg", "image/jpeg") + b"<html><script>alert(1)</script></html>",
        header("jpg", "image/jpeg") + b"\xff\xd8\xff<html>",  # no end marker
        header("png", "image/png") + b"\x89PNG\r\n\x1a\n<script>IEND\xaeB`\x82",  # no IHDR
        header("png", "image/png", 4, 4) + png_of(8, 2),  # the PNG says otherwise
        header("png", "image/png", -1, 4) + png_of(4, 4),
        header("png", "image/png", 100_000, 100_000) + png_of(4, 4),
        header("png", "image/png", True, 4) + png_of(4, 4),
        b'{"extension": "png"' + b"\n" + png_of(4, 4),
        b"[]\n" + png_of(4, 4),
        b"x" * 300 + b"\n" + png_of(4, 4),
        png_of(4, 4),  # no header line at all
    ],
)
def test_what_the_sandbox_answers_is_checked_in_the_parent(monkeypatch, stdout):
    lying_sandbox(monkeypatch, stdout)
    with pytest.raises(EvidenceError):
        clean_image(b"\xff\xd8\xff any upload")


def test_an_honest_answer_passes_the_parent_checks(monkeypatch):
    lying_sandbox(monkeypatch, header("png", "image/png", 4, 4) + png_of(4, 4))
    assert clean_image(b"upload")[1:] == ("png", "image/png", 4, 4)


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_runs_before_the_transaction_not_inside_it(monkeypatch):
    """SQLite holds its write lock for a whole transaction: never for a minute of decoding."""
    from django.db import connection

    from jiandu.cases import evidence

    seen = []
    real = evidence.run_sandboxed

    def watched(*args, **kwargs):
        seen.append(connection.in_atomic_block)
        return real(*args, **kwargs)

    monkeypatch.setattr(evidence, "run_sandboxed", watched)
    writer = make_member("w", "journalist").user
    editor = make_member("e", "editor").user
    case = actions.do_create_case(writer, title_en="Case")
    derivative = rendered(editor, jpeg_with_metadata())
    evidence_row = do_publish_evidence(case, editor, derivative, "verified")
    assert seen == [False]
    assert case.evidence.get() == evidence_row


def test_without_the_sandbox_evidence_is_not_published(settings, monkeypatch):
    from jiandu.sandbox import isolation, runner

    writer = make_member("w", "journalist").user
    editor = make_member("e", "editor").user
    case = actions.do_create_case(writer, title_en="Case")
    derivative = rendered(editor, jpeg_with_metadata())
    settings.JIANDU_SANDBOX_ALLOW_WEAK = False
    monkeypatch.setattr(isolation, "BWRAP", "/nonexistent/bwrap")
    runner.forget_probe()
    try:
        with pytest.raises(EvidenceError, match="sandbox unavailable"):
            do_publish_evidence(case, editor, derivative, "verified")
    finally:
        runner.forget_probe()
    assert not case.evidence.exists()
