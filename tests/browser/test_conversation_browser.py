"""Issue 19, items 1, 3, 4 and 6 in Debian's chromium, in English and Simplified Chinese, at
390 and 1280 px: with JavaScript off, a returning source signs in with the codename alone and
sees its earlier message and file, the newsroom's reply between, replies with an attachment
without the questionnaire, and is asked before deleting; nothing scrolls sideways; axe finds
nothing. With JavaScript on, the upload progress writes sizes exactly as the server does.

Screenshots go to JIANDU_SCREENSHOTS when it is set (to look at them)."""

import os
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from playwright.sync_api import expect

from jiandu.core.sizes import format_size
from jiandu.vault import actions as vault
from jiandu.vault.models import Source
from tests.tipline.helpers import codename_of, make_reader, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PREFIX = {"en": "/en", "zh-Hans": ""}
WORDS = {
    "en": (
        "Continue",
        "Your message",
        "Attach files",
        "Send",
        "Delete…",
        "No, keep it",
        "Delete this submission?",
    ),
    "zh-Hans": ("继续", "您的留言", "附加文件", "发送", "删除…", "不，保留", "删除这份提交？"),
}
LONG_NAME = "interrogation_transcript_" + "x" * 90 + ".txt"
NO_SIDEWAYS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
OUTSIDE = """[...document.querySelectorAll('.panel button, .panel .button, .file-name')]
  .filter(e => { const b = e.getBoundingClientRect();
                 const p = e.closest('.panel').getBoundingClientRect();
                 return b.left < p.left || b.right > p.right; }).map(e => e.textContent)"""


def _shot(page, tmp_path, name):
    folder = Path(os.environ.get("JIANDU_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_a_returning_source_converses_without_javascript(
    live_server, new_page, axe_check, tmp_path, language, width
):
    member, _ = make_reader()
    first = Client()
    notes = SimpleUploadedFile(LONG_NAME, b"n" * 200_000)
    assert (
        submit(first, message="Lei is on the tape. 雷在录像里。", files=[notes]).status_code == 302
    )
    codename = codename_of(first)
    first.post("/en/codename/noted/", {"noted": "1"})
    vault.do_add_reply(Source.objects.get(), member.user, "Thank you. Where was it filmed?")
    go_on, message, attach, send, delete, keep, asked = WORDS[language]
    base = live_server.url + PREFIX[language]

    page = new_page(javascript=False, width=width, height=844)
    page.goto(f"{base}/return/")
    page.locator("#id_codename").fill(codename)
    page.get_by_role("button", name=go_on).click()
    turns = page.locator(".conversation > li")
    expect(turns).to_have_count(2)
    expect(turns.nth(0)).to_contain_text("Lei is on the tape.")
    expect(turns.nth(0)).to_contain_text(LONG_NAME)
    expect(turns.nth(0)).to_contain_text("200 kB")
    expect(turns.nth(1)).to_contain_text("Thank you. Where was it filmed?")
    assert page.evaluate(NO_SIDEWAYS) and page.evaluate(OUTSIDE) == []
    cookies = page.context.cookies()
    assert axe_check(page.url, cookies=cookies) == []
    _shot(page, tmp_path, f"conversation-{language}-{width}")

    photo = tmp_path / "river.jpg"
    photo.write_bytes(b"\xff\xd8" + b"r" * 1_499_998)
    page.get_by_label(message).fill("In Beibei, by the river.")
    page.get_by_label(attach).set_input_files(str(photo))
    page.get_by_role("button", name=send, exact=True).click()
    expect(turns).to_have_count(3)
    expect(turns.nth(2)).to_contain_text("In Beibei, by the river.")
    expect(turns.nth(2)).to_contain_text("river.jpg")
    expect(turns.nth(2)).to_contain_text("1.5 MB")
    assert "/questions/" not in page.url and page.locator("section.review").count() == 0
    assert page.evaluate(NO_SIDEWAYS) and page.evaluate(OUTSIDE) == []
    assert axe_check(page.url, cookies=cookies) == []
    _shot(page, tmp_path, f"conversation-replied-{language}-{width}")

    turns.nth(0).get_by_role("link", name=delete).click()
    expect(page.get_by_role("heading", name=asked)).to_be_visible()
    expect(page.locator("main")).to_contain_text(LONG_NAME)
    assert page.evaluate(NO_SIDEWAYS) and page.evaluate(OUTSIDE) == []
    assert axe_check(page.url, cookies=cookies) == []
    _shot(page, tmp_path, f"delete-{language}-{width}")
    page.get_by_role("link", name=keep).click()
    expect(turns).to_have_count(3)  # asking deleted nothing
    assert Source.objects.get().submissions.count() == 2


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_the_progress_bar_writes_sizes_as_the_receipt_does(live_server, new_page, language):
    make_reader()
    page = new_page(javascript=True, width=390, height=844)
    page.goto(f"{live_server.url}{PREFIX[language]}/submit/")
    sizes = [0, 1, 999, 1000, 1050, 999_500, 9_950_000, 12_500_000, 200_000_000, 8 * 1024**3]
    written = page.evaluate(
        """sizes => sizes.map(n => window.JianduSizes.format(n,
             window.JianduSizes.formatsOf(document.querySelector('form[data-size-formats]'))))""",
        sizes,
    )
    with translation.override(language.lower()):
        assert written == [format_size(n) for n in sizes]
    assert re.match(r"^200 MB$", written[8])
