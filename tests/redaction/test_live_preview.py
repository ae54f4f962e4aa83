"""The studio's live preview: one frame with the form's regions hidden, made in the sandbox on
request (POST items/<id>/frame/), as WebP; only for a member who may read the file, recorded in
the custody log as a preview, and refused for forms or moments that do not parse."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from jiandu.ledger.models import Action, CustodyRecord
from jiandu.vault import actions as vault
from jiandu.vault.access import get_source_key_for_member
from jiandu.vault.models import Item, Source
from tests.factories import make_member, sign_in
from tests.redaction.test_image import astronaut_jpeg, lbp_faces
from tests.tipline.helpers import submit

pytestmark = pytest.mark.django_db

FORM = {"faces": "on", "effect": "blur", "edge": "0", "audio": "keep"}


def newsroom_with(data: bytes, name: str, content_type: str):
    editor = make_member("ed", "editor")
    client = Client()
    sign_in(client, editor)
    submit(Client(), message="see file", files=[SimpleUploadedFile(name, data, content_type)])
    source = Source.objects.get()
    private = vault.do_unlock_member_key(editor.user, editor.password).private_key
    get_source_key_for_member(editor.user, private, source)
    return client, source.items.get(kind=Item.Kind.FILE)


def test_the_preview_of_an_image_hides_its_faces_and_is_recorded(isolated_data_dir):
    original = astronaut_jpeg()
    assert lbp_faces(original)  # so the check below can fail
    client, item = newsroom_with(original, "IMG_1.jpg", "image/jpeg")
    before = CustodyRecord.objects.filter(action=Action.PREVIEW).count()
    response = client.post(f"/en/newsroom/redaction/items/{item.pk}/frame/", FORM)
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert "no-store" in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "WEBP" and image.size == (512, 512)  # never larger than 640
    assert lbp_faces(response.content) == []
    assert not image.getexif() and "exif" not in image.info and "xmp" not in image.info
    records = CustodyRecord.objects.filter(action=Action.PREVIEW, subject=f"item:{item.pk}")
    assert records.count() == before + 1


def detail(image: Image.Image) -> float:
    """Mean difference between horizontal neighbours: high for detail, low after a blur."""
    import numpy as np

    pixels = np.asarray(image.convert("L"), dtype=np.int16)
    return float(np.abs(np.diff(pixels, axis=1)).mean())


def test_a_manual_box_and_faces_off_show_in_the_preview(isolated_data_dir):
    original = astronaut_jpeg()
    client, item = newsroom_with(original, "IMG_1.jpg", "image/jpeg")
    form = {**FORM, "faces": "", "boxes": "60 60 40 40"}
    response = client.post(f"/en/newsroom/redaction/items/{item.pk}/frame/", form)
    assert response.status_code == 200
    after = Image.open(io.BytesIO(response.content))
    before = Image.open(io.BytesIO(original))
    corner = (int(512 * 0.62), int(512 * 0.62), 512, 512)
    assert detail(after.crop(corner)) < 0.2 * detail(before.crop(corner))  # blurred
    assert lbp_faces(response.content)  # faces off: the face is left as it is


def test_the_preview_of_a_video_is_its_frame_at_the_moment_with_faces_hidden(
    isolated_data_dir, tmp_path
):
    from tests.redaction.media import faces_video, frame_at
    from tests.redaction.test_video import _png

    video = faces_video(tmp_path / "v.mp4", 640, 360, 15, 4)
    assert lbp_faces(_png(frame_at(video, 1.5)))
    client, item = newsroom_with(video, "clip.mp4", "video/mp4")
    url = f"/en/newsroom/redaction/items/{item.pk}/frame/"
    response = client.post(url, {**FORM, "at": "1.5"})
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert Image.open(io.BytesIO(response.content)).size == (640, 360)
    assert lbp_faces(response.content) == []
    # Faces off: the same moment shows them (the preview is of that frame, not a blank).
    shown = client.post(url, {**FORM, "faces": "", "at": "1.5"})
    assert lbp_faces(shown.content)


@pytest.mark.parametrize("at", ["nan", "inf", "-1", "100000", "1e400", "zero"])
def test_a_moment_that_does_not_parse_is_refused(isolated_data_dir, at):
    client, item = newsroom_with(astronaut_jpeg(), "IMG_1.jpg", "image/jpeg")
    before = CustodyRecord.objects.filter(action=Action.PREVIEW).count()
    response = client.post(f"/en/newsroom/redaction/items/{item.pk}/frame/", {**FORM, "at": at})
    assert response.status_code == 400
    assert CustodyRecord.objects.filter(action=Action.PREVIEW).count() == before


def test_others_cannot_ask_for_a_preview(isolated_data_dir):
    client, item = newsroom_with(astronaut_jpeg(), "IMG_1.jpg", "image/jpeg")
    url = f"/en/newsroom/redaction/items/{item.pk}/frame/"
    assert Client().post(url, FORM).status_code == 302  # to the sign-in
    other = Client()
    sign_in(other, make_member("late", "journalist"))  # no grant for this source
    assert other.post(url, FORM).status_code == 403
    assert client.get(url).status_code == 405  # a preview is asked for, never linked
    assert not CustodyRecord.objects.filter(action=Action.PREVIEW).exists()


def test_the_studio_shows_the_live_preview_beside_the_original_once_it_has_one(
    isolated_data_dir,
):
    from django.utils import timezone

    from jiandu.forensics.models import Preview

    client, item = newsroom_with(astronaut_jpeg(), "IMG_1.jpg", "image/jpeg")
    page = client.get(f"/en/newsroom/redaction/items/{item.pk}/").content.decode()
    assert "data-frame-url" not in page  # nothing to draw on or compare with yet
    Preview.objects.create(
        item=item,
        state=Preview.State.READY,
        requested_by=item.source.grants.first().member_key.user,
        requested_hour=timezone.now(),
    )
    page = client.get(f"/en/newsroom/redaction/items/{item.pk}/").content.decode()
    figure = page.split('class="side-by-side"')[1]
    assert "data-original" in figure
    assert f'data-frame-url="/en/newsroom/redaction/items/{item.pk}/frame/"' in figure


def test_the_live_preview_words_are_translated():
    from django.utils import translation

    words = (
        "Making the preview…",
        "The preview could not be made.",
        "Frame at",
        "This frame with the regions hidden",
        "Live preview: this frame with the regions hidden, made from the settings below.",
    )
    for language in ("zh-hans", "zh-hant"):
        with translation.override(language):
            for text in words:
                assert translation.gettext(text) != text, (language, text)


def test_an_original_too_large_for_a_live_preview_gets_none(isolated_data_dir, monkeypatch):
    from jiandu.redaction import actions

    client, item = newsroom_with(astronaut_jpeg(), "IMG_1.jpg", "image/jpeg")
    monkeypatch.setattr(actions, "PREVIEW_MAX_BYTES", 10_000)
    response = client.post(f"/en/newsroom/redaction/items/{item.pk}/frame/", FORM)
    assert response.status_code == 422 and not response.content
