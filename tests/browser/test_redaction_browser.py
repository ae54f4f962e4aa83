"""The redaction studio in Debian's chromium, without JavaScript: a journalist opens a video's
studio from the source page, clips it, leaves face detection on (blur), removes the audio,
watches the progress bar (the page refreshes itself), compares original and derivative side by
side; an editor publishes the render to the demo case, and the public page shows the clip with
its hash and what was done to it. axe finds nothing on the studio's pages."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from playwright.sync_api import expect

from jiandu.cases import actions as cases
from jiandu.cases.demo import SLUG, load_demo_case
from jiandu.cases.models import Case
from jiandu.forensics import handoff
from jiandu.redaction.models import Render
from jiandu.vault.models import Item, Source
from tests.browser.media import wait_for_metadata
from tests.factories import make_member, sign_in
from tests.forensics.conftest import make_worker
from tests.redaction.media import faces_video
from tests.tipline.helpers import submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def browser_sign_in(page, base: str, member) -> None:
    page.goto(f"{base}/en/newsroom/")
    page.get_by_label("Username").fill(member.user.username)
    page.get_by_label("Password").fill(member.password)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Six-digit code").fill(member.code(offset_steps=1))
    page.get_by_role("button", name="Sign in").click()


def test_journalist_clips_and_blurs_a_video_and_an_editor_publishes_it(
    live_server, new_page, axe_check, settings, tmp_path
):
    journalist = make_member("zhu", "journalist")
    editor = make_member("li", "editor")
    for member in (journalist, editor):  # both hold a grant for the new source
        sign_in(Client(), member)
    video = faces_video(tmp_path / "clip.mp4", 640, 360, 15, 6)
    upload = SimpleUploadedFile("VID_0042.mp4", video, "video/mp4")
    assert submit(Client(), message="The meeting.", files=[upload]).status_code == 302
    item = Source.objects.get().items.get(kind=Item.Kind.FILE)
    load_demo_case()
    handoff.start_worker_key()
    base = live_server.url

    page = new_page(javascript=False)
    browser_sign_in(page, base, journalist)
    make_worker("redaction-browser").run()  # the sign-in's automatic analysis
    page.goto(f"{base}/en/newsroom/sources/{item.source_id}/")
    page.get_by_role("link", name="Redaction studio").click()
    assert page.get_by_role("heading", name="Redaction studio").is_visible()
    page.get_by_label("Clip (video)").fill("00:00:01-00:00:04")
    page.get_by_label("Audio (video)").select_option(label="remove")
    assert page.get_by_label("Find and hide faces automatically").is_checked()
    page.get_by_role("button", name="Render").click()

    # Waiting: a progress bar with its percentage, a cancel button, a page that refreshes.
    assert page.locator("progress#render-progress").is_visible()
    assert page.get_by_role("button", name="Cancel").is_visible()
    assert re.search(r"\d+%", page.locator("#progress").inner_text())
    assert axe_check(page.url, cookies=page.context.cookies()) == []
    response = page.request.get(page.url)
    assert response.headers.get("refresh") == "2"  # it reloads itself, without JavaScript
    # (The reader may stop that: SQLite in this test would not bear reloads during the work.)
    page.get_by_role("link", name="Stop reloading").click()
    make_worker("redaction-browser").run()  # the render and the original's preview
    render = Render.objects.get(item=item)
    assert render.state == Render.State.DONE and render.progress == 100
    page.get_by_role("link", name="Reload").click()
    compare = page.locator("#compare")
    assert compare.locator("video").count() == 2  # original (preview) and derivative
    assert "2 faces blurred" in page.locator("#treatment").inner_text()
    assert "audio removed" in page.locator("#treatment").inner_text()
    assert axe_check(page.url, cookies=page.context.cookies()) == []

    # An editor publishes the render to the demo case.
    desk = new_page(javascript=False)
    browser_sign_in(desk, base, editor)
    desk.goto(f"{base}/en/newsroom/redaction/renders/{render.pk}/")
    demo = Case.objects.get(slug=SLUG)
    desk.get_by_label("Case").select_option(value=str(demo.pk))
    desk.get_by_label("caption (English)").fill("The meeting, faces blurred")
    desk.get_by_role("button", name="Add to the case").click()
    assert "Evidence added" in desk.content()
    evidence = demo.evidence.get(render=render.reference)
    assert evidence.content_type == "video/mp4"

    second = make_member("wang", "editor").user
    cases.do_update_case(second, demo, summary_en=demo.summary_en + " ")
    cases.do_submit_for_review(second, demo, "The meeting clip")
    # The editor added the clip, so neither may publish: a third editor does.
    cases.do_publish_case(make_member("zhao", "editor").user, demo)
    public = new_page(javascript=False)
    public.goto(f"{base}/en/cases/{SLUG}/")
    assert public.locator("figure.evidence video").count() == 1
    assert evidence.sha256 in public.content()
    clip = public.locator("figure.evidence", has=public.locator("video"))
    assert "clip 00:00:01–00:00:04, 2 faces blurred, audio removed" in clip.inner_text()


def test_with_javascript_a_box_is_drawn_the_clip_marked_and_the_frame_previewed(
    live_server, new_page, tmp_path
):
    from jiandu.forensics.actions import do_request_preview
    from jiandu.vault import actions as vault
    from jiandu.vault.access import get_source_key_for_member

    journalist = make_member("zhu", "journalist")
    sign_in(Client(), journalist)
    video = faces_video(tmp_path / "clip.mp4", 640, 360, 15, 6)
    upload = SimpleUploadedFile("VID_0043.mp4", video, "video/mp4")
    assert submit(Client(), message="Another.", files=[upload]).status_code == 302
    source = Source.objects.get()
    item = source.items.get(kind=Item.Kind.FILE)
    handoff.start_worker_key()
    private = vault.do_unlock_member_key(journalist.user, journalist.password).private_key
    do_request_preview(
        journalist.user, get_source_key_for_member(journalist.user, private, source), item
    )
    base = live_server.url
    page = new_page(javascript=True)
    browser_sign_in(page, base, journalist)
    make_worker("redaction-js").run()  # the preview (and the sign-in's analysis)
    page.goto(f"{base}/en/newsroom/redaction/items/{item.pk}/")
    original = page.locator("video[data-original]")
    original.wait_for()
    wait_for_metadata(page, "video[data-original]")
    page.evaluate("document.querySelector('video[data-original]').currentTime = 1")
    page.get_by_role("button", name="Clip starts here").click()
    page.evaluate("document.querySelector('video[data-original]').currentTime = 3")
    page.get_by_role("button", name="Clip ends here").click()
    assert page.get_by_label("Clip (video)").input_value() == "00:00:01-00:00:03"
    page.evaluate("document.querySelector('video[data-original]').currentTime = 1")
    box = original.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.5, steps=5)
    page.mouse.up()
    # Drawing pauses the video and the click that ends the drag does not start it again, so
    # the box and the live preview stay at the moment drawn on.
    page.wait_for_timeout(300)
    assert page.evaluate("document.querySelector('video[data-original]').paused")
    line = page.get_by_label("Boxes to hide").input_value().strip()
    numbers = line.split()
    assert len(numbers) == 6 and abs(float(numbers[0]) - 10) < 2 and abs(float(numbers[2]) - 30) < 2
    page.get_by_label("Find and hide faces automatically").uncheck()
    # The live preview: the frame at the video's moment, with the box, beside the original.
    page.locator("figure.studio-live img[src^='data:image/webp']").wait_for(timeout=60_000)
    expect(page.locator("figure.studio-live img")).to_be_visible()
    # The last change (at 00:00:01) asks for its own frame once any earlier one has come back.
    expect(page.locator("figure.studio-live")).to_contain_text("Frame at 00:00:01", timeout=60_000)
    page.get_by_role("button", name="Render").click()
    page.get_by_role("link", name="Stop reloading").click()
    make_worker("redaction-js").run()
    page.get_by_role("link", name="Reload").click()
    treatment = page.locator("#treatment").inner_text()
    assert "clip 00:00:01–00:00:03" in treatment and "1 region hidden" in treatment
