"""Publishing evidence: re-encoded without metadata, hashed, and only public once published."""

import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied
from PIL import Image

from jiandu.cases import actions
from jiandu.cases.evidence import EvidenceError, clean_image, do_publish_evidence
from tests.factories import make_member

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
        do_publish_evidence(case, writer, io.BytesIO(jpeg_with_metadata()), "verified")
    evidence = do_publish_evidence(
        case, editor, io.BytesIO(jpeg_with_metadata()), "verified", caption_en="A frame"
    )
    data = evidence.file.read()
    assert hashlib.sha256(data).hexdigest() == evidence.sha256
    name = f"{evidence.sha256}.jpg"
    assert client.get(f"/cases/evidence/{name}").status_code == 404  # not yet published
    actions.do_update_case(writer, case, summary_en="ready")
    actions.do_submit_for_review(writer, case, "First")
    actions.do_publish_case(editor, case)
    response = client.get(f"/cases/evidence/{name}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "immutable" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == data
    html = client.get(f"/en/cases/{case.slug}/").content.decode()
    assert evidence.sha256 in html and "Verified" in html
    with pytest.raises(EvidenceError):  # the same file twice
        do_publish_evidence(case, editor, io.BytesIO(jpeg_with_metadata()), "verified")
    assert client.get("/cases/evidence/../../secret_key").status_code == 404


def test_the_same_file_in_two_cases_is_served_for_each(client):
    writer = make_member("w", "journalist").user
    editor = make_member("e", "editor").user
    names = []
    for title in ("One", "Two"):
        case = actions.do_create_case(writer, title_en=title)
        evidence = do_publish_evidence(case, editor, io.BytesIO(jpeg_with_metadata()), "verified")
        actions.do_update_case(writer, case, summary_en="ready")
        actions.do_submit_for_review(writer, case, "First")
        actions.do_publish_case(editor, case)
        names.append(evidence.file.name.rsplit("/", 1)[-1])
    assert names[0] != names[1]
    for name in names:
        assert client.get(f"/cases/evidence/{name}").status_code == 200


def test_an_editor_uploads_a_redacted_image_in_the_newsroom(client):
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
    assert response.status_code == 302
    evidence = case.evidence.get()
    assert "insider" not in evidence.file.name and "IMG_0042" not in evidence.file.name
    bad = SimpleUploadedFile("x.svg", b"<svg/>", "image/svg+xml")
    response = client.post(url, {"file": bad, "verification_status": "partly", "caption_en": "x"})
    assert response.status_code == 400
    assert "Only JPEG, PNG and WebP" in response.content.decode() or "not an image" in (
        response.content.decode()
    )
    client.logout()
    sign_in(client, make_member("j2", "journalist"))
    upload = SimpleUploadedFile("a.jpg", jpeg_with_metadata(), "image/jpeg")
    assert client.post(url, {"file": upload, "verification_status": "partly"}).status_code == 403


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
