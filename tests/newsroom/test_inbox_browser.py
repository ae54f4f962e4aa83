"""The issue's scenario in Debian's chromium: a journalist triages three sources (assign, star,
status), previews an image and a video made in the background, downloads an original and checks
its SHA-256, exports the conversation and decrypts it offline with `jiandu decrypt`. axe finds
nothing on the way."""

import hashlib
import os
import secrets
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from playwright.sync_api import expect

from jiandu.forensics import handoff
from jiandu.newsroom.models import SourceState
from jiandu.vault import actions as vault
from jiandu.vault import crypto
from jiandu.vault.models import Item, Source
from tests.browser.media import wait_for_metadata
from tests.factories import make_member
from tests.forensics.conftest import make_worker
from tests.tipline.helpers import make_reader, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def run_worker() -> None:
    make_worker("browser-test").run()


def test_journalist_triages_previews_downloads_and_exports(
    live_server, new_page, axe_check, media, tmp_path
):
    member, _client = make_reader("zhu")
    make_member("wang", "journalist")
    files = [
        SimpleUploadedFile("portrait.jpg", media["photo.jpg"], "image/jpeg"),
        SimpleUploadedFile("tape-1.mp4", media["clip.mp4"], "video/mp4"),
    ]
    assert submit(Client(), message="Two clips of Lei.", files=files).status_code == 302
    with_files = Source.objects.get()
    others = []
    for text in ("Interrogation notes follow.", "I was in the ring."):
        other = vault.do_create_source(secrets.token_hex(32), crypto.new_keypair()[1])
        vault.do_store_submission(other, [vault.prepare_text(Item.Kind.MESSAGE, text)])
        others.append(other)
    handoff.start_worker_key()

    page = new_page(javascript=True, width=1280, height=900)
    page.goto(f"{live_server.url}/en/newsroom/")
    page.get_by_label("Username").fill("zhu")
    page.get_by_label("Password").fill(member.password)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Six-digit code").fill(member.code(offset_steps=1))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Sources").first.click()
    if "/key/" in page.url:  # the recovery key, shown once after the first sign-in
        page.get_by_role("link", name="Sources").first.click()
    expect(page.get_by_role("heading", name="Sources")).to_be_visible()
    assert axe_check(page.url, cookies=page.context.cookies()) == []

    # Triage: a star from the list, then status and assignee on each source's page.
    sources = [with_files, *others]
    page.locator(f"button.star[value='{others[0].pk}']").click()
    for source, status, assignee in zip(
        sources, ["Authenticating", "In review", "Closed"], ["zhu", "wang", "zhu"], strict=True
    ):
        page.get_by_role("link", name=source.designation).click()
        page.get_by_label("Status").select_option(label=status)
        page.get_by_label("Assigned to").select_option(label=assignee)
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("Saved.")).to_be_visible()
        page.get_by_role("link", name="All sources").click()
    states = {s.source_id: s for s in SourceState.objects.select_related("assignee")}
    assert states[with_files.pk].status == "authenticating"
    assert states[others[0].pk].starred and states[others[0].pk].assignee.username == "wang"
    assert states[others[1].pk].status == "closed"
    page.get_by_label("Starred only").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name=others[0].designation)).to_be_visible()
    assert page.get_by_role("link", name=with_files.designation).count() == 0

    # Previews of the image and the video, made by the worker in the background, asked for
    # without anyone clicking.
    page.goto(f"{live_server.url}/en/newsroom/sources/{with_files.pk}/")
    page.locator("article", has_text="portrait.jpg").get_by_role("link", name="Preview").click()
    # Requested without a click when the member signed in (issue 18, item 9).
    expect(page.get_by_text("being made in the background")).to_be_visible()
    assert page.get_by_role("button", name="Make a preview").count() == 0
    run_worker()
    page.goto(f"{live_server.url}/en/newsroom/sources/{with_files.pk}/")
    for name in ("portrait.jpg", "tape-1.mp4"):
        page.locator("article", has_text=name).get_by_role("link", name="Preview").click()
        if name.endswith(".jpg"):
            image = page.get_by_role("img", name="Preview of the image")
            expect(image).to_have_js_property("naturalWidth", 800)
        else:
            wait_for_metadata(page, ".preview video")
            duration = page.evaluate("document.querySelector('.preview video').duration")
            assert 1.5 < duration < 2.5
        assert axe_check(page.url, cookies=page.context.cookies()) == []
        page.get_by_role("link", name=f"Source “{with_files.designation}”").click()

    # Download an original and check its SHA-256 against the one recorded at upload.
    article = page.locator("article", has_text="portrait.jpg")
    recorded = article.locator("dd.mono").inner_text().strip()
    with page.expect_download() as download:
        article.get_by_role("link", name="Download decrypted").click()
    saved = tmp_path / "portrait.jpg"
    download.value.save_as(saved)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == recorded
    assert saved.read_bytes() == media["photo.jpg"]

    # Export the conversation, encrypted to my key, and open it offline.
    with page.expect_download() as download:
        page.get_by_role("link", name="Export the whole conversation").click()
    archive = tmp_path / download.value.suggested_filename
    download.value.save_as(archive)
    page.goto(f"{live_server.url}/en/newsroom/sources/key/")
    with page.expect_download() as download:
        page.locator("a[href$='/key/export/']").click()
    key_file = tmp_path / "zhu.jdkey"
    download.value.save_as(key_file)
    (tmp_path / "pw").write_text(member.password)
    jiandu = os.path.join(os.path.dirname(sys.executable), "jiandu")
    result = subprocess.run(
        [jiandu, "decrypt", str(archive), "--key", str(key_file), "--out", str(tmp_path / "out"),
         "--password-file", str(tmp_path / "pw")],
        capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": os.environ["PATH"], "JIANDU_DATA_DIR": str(tmp_path / "offline")},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "out" / with_files.designation
    assert (folder / "003-tape-1.mp4").read_bytes() == media["clip.mp4"]
    assert "Two clips of Lei." in (folder / "conversation.txt").read_text()
