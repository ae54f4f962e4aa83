"""Face numbers in the redaction studio (issue 18, item 3), in Debian's chromium, in English
and Simplified Chinese, at 390 and 1280 px: after one render has numbered the faces, the live
preview draws each face's number on the frame (the number "faces left visible" takes), and
asking to keep a face lists it, with its thumbnail, before anything is rendered. axe finds
nothing on the studio or the render page."""

import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiandu.forensics import handoff
from jiandu.forensics.actions import do_request_preview
from jiandu.redaction import actions
from jiandu.redaction.models import Render
from jiandu.redaction.recipe import parse
from jiandu.vault import actions as vault
from jiandu.vault.access import get_source_key_for_member
from jiandu.vault.models import Item, Source
from tests.browser.media import wait_for_metadata
from tests.browser.test_redaction_browser import browser_sign_in
from tests.factories import make_member, sign_in
from tests.forensics.conftest import make_worker
from tests.redaction.test_face_numbers import two_people_video
from tests.tipline.helpers import submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {"prefix": "/en", "face": "Face", "visible": "visible", "render": "Render"},
    "zh-hans": {"prefix": "", "face": "人脸", "visible": "可见", "render": "渲染"},
}


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_live_preview_numbers_the_faces_and_the_form_lists_the_kept_ones(
    live_server, new_page, axe_check, tmp_path, language, width
):
    words = WORDS[language]
    shots = Path(os.environ.get("JIANDU_SCREENSHOTS") or tmp_path)  # to look at them
    journalist = make_member("zhu", "journalist")
    sign_in(Client(), journalist)
    video = two_people_video(tmp_path / "people.mp4")
    upload = SimpleUploadedFile("VID_0044.mp4", video, "video/mp4")
    assert submit(Client(), message="Two people.", files=[upload]).status_code == 302
    source = Source.objects.get()
    item = source.items.get(kind=Item.Kind.FILE)
    handoff.start_worker_key()
    private = vault.do_unlock_member_key(journalist.user, journalist.password).private_key
    source_key = get_source_key_for_member(journalist.user, private, source)
    do_request_preview(journalist.user, source_key, item)
    first = actions.do_request_render(
        journalist.user, source_key, item, parse({"kind": "video", "audio": "mute"})
    )
    base = live_server.url
    page = new_page(javascript=True, width=width, height=900)
    browser_sign_in(page, base, journalist)
    make_worker("faces-js").run()  # the preview, the first render (numbers the faces)
    first.refresh_from_db()
    assert first.state == Render.State.DONE

    studio = f"{base}{words['prefix']}/newsroom/redaction/items/{item.pk}/"
    page.goto(studio)
    wait_for_metadata(page, "video[data-original]")
    section = page.locator("#visible-faces")
    assert "1" not in section.inner_text()  # none yet: every face blurred
    page.locator("input[name=keep]").fill("1")
    assert f"{words['face']} 1" in section.inner_text()  # listed as it is typed
    assert section.locator("img.face-thumb").count() == 1
    page.evaluate("document.querySelector('video[data-original]').currentTime = 3")
    page.locator("input[name=keep]").dispatch_event("change")
    one = page.locator(".live-frame .face-number[data-face='1']")
    one.wait_for(timeout=30_000)
    assert page.locator(".live-frame .face-number[data-face='2']").is_visible()
    assert "visible" in one.get_attribute("class")  # face 1 kept, drawn as such
    listing = page.locator("ul.live-faces").inner_text()
    assert f"{words['face']} 1 · {words['visible']}" in listing
    assert f"{words['face']} 2" in listing
    # The number sits on face 1 (bottom left), not on the other face.
    frame, mark = page.locator(".live-frame").bounding_box(), one.bounding_box()
    assert mark["x"] < frame["x"] + frame["width"] * 0.3 < frame["x"] + frame["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=shots / f"face-numbers-{language}-{width}-live.png", full_page=True)
    assert axe_check(studio, cookies=page.context.cookies()) == []

    # Render: nothing is made before the faces left visible are listed, with thumbnails.
    page.get_by_role("button", name=words["render"], exact=True).click()
    section.wait_for()
    assert page.url.rstrip("/").endswith(str(item.pk))  # the studio again, not a render
    assert f"{words['face']} 1" in section.inner_text()
    thumb = section.locator("img.face-thumb")
    assert thumb.count() == 1
    for _try in range(50):  # the thumbnail loads (a string predicate would break the CSP)
        if thumb.evaluate("image => image.complete && image.naturalWidth"):
            break
        page.wait_for_timeout(100)
    assert thumb.evaluate("image => image.naturalWidth") > 0
    assert Render.objects.count() == 1
    page.screenshot(path=shots / f"face-numbers-{language}-{width}-confirm.png", full_page=True)
    render_page = f"{base}{words['prefix']}/newsroom/redaction/renders/{first.pk}/"
    assert axe_check(render_page, cookies=page.context.cookies()) == []
