"""Uploads survive a closed browser (issue 19, item 2), in Chromium with JavaScript on.

A source sends a message first (the page advises it for a large file) and notes its codename;
signed in, it starts a file of two and a half pieces; every piece after the first is dropped,
and the browser is closed (its context, cookies and all, is gone). A new browser context signs
in with the codename: the conversation lists the unfinished upload (name, how far), axe finds
nothing, and on the sending page the same file continues from the server's offset (the bar
starts there, the first PATCH carries that offset and the file's head checksum; no new upload
is created). The receipt shows the file's SHA-256, and the browser's storage stays empty. In en
at 1280 px and zh-Hans at 390 px.
"""

import hashlib
import os
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.tipline.helpers import make_reader

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PIECE_MIB = 4  # JIANDU_UPLOAD_PIECE_MIB here: files of a few pieces stay small
PIECE = PIECE_MIB * 1024 * 1024


@pytest.fixture(autouse=True)
def small_pieces(settings):
    settings.JIANDU_UPLOAD_PIECE_MIB = PIECE_MIB


SHOTS = Path(os.environ.get("JIANDU_SCREENSHOTS", tempfile.gettempdir()))
TEXT = {
    "en": {"unfinished": "Unfinished uploads", "notice": "sign in again with your codename"},
    "zh-hans": {"unfinished": "未完成的上传", "notice": "请用您的代号重新登录"},
}


@pytest.mark.parametrize(("lang", "width"), [("en", 1280), ("zh-hans", 390)])
def test_a_closed_browser_resumes_the_same_file_after_signing_in(
    live_server, new_page, axe_check, tmp_path, lang, width
):
    make_reader("zhu")
    evidence = tmp_path / "采访录音.bin"
    evidence.write_bytes(os.urandom(PIECE * 5 // 2 + 5))
    base = live_server.url + ("" if lang == "zh-hans" else f"/{lang}")  # zh-Hans: no prefix

    # Codename first: a message, the receipt, the codename noted.
    page = new_page(javascript=True, width=width, height=900)
    page.goto(f"{base}/submit/")
    page.locator("#id_message").fill("A recording follows.")
    page.locator("form.submit-form button[type=submit]").click()
    codename = page.locator(".codename").inner_text().strip()
    page.locator("#noted").check()
    page.locator("#noted").evaluate("box => box.form.submit()")
    page.wait_for_url(f"{base}/conversation/")

    # Signed in: the sending page says what survives a closed browser. One piece gets in.
    page.goto(f"{base}/submit/")
    expect(page.locator(".upload-survival")).to_contain_text(TEXT[lang]["notice"])
    state = {"pieces": 0}

    def one_piece_then_drop(route, request):
        if request.method == "PATCH" and state["pieces"] >= 1:
            route.abort("connectionreset")
            return
        if request.method == "PATCH":
            state["pieces"] += 1
        route.continue_()

    page.route("**/upload/**", one_piece_then_drop)
    page.locator("#id_files").set_input_files(str(evidence))
    page.locator("form.submit-form button[type=submit]").click()
    expect(page.locator(".upload-status")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(500)
    page.context.close()  # the browser is closed: cookies, memory, everything

    # A new browser: sign in with the codename; the conversation lists the upload.
    page = new_page(javascript=True, width=width, height=900)
    page.goto(f"{base}/return/")
    page.locator("input[name=codename]").fill(codename)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/conversation/")
    unfinished = page.locator(".unfinished-uploads")
    expect(unfinished).to_contain_text(TEXT[lang]["unfinished"])
    expect(unfinished).to_contain_text("采访录音.bin")
    expect(unfinished).to_contain_text("39%")  # one piece of two and a half
    page.screenshot(path=str(SHOTS / f"unfinished-{lang}-{width}.png"), full_page=True)
    assert axe_check(page.url, cookies=page.context.cookies()) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # The same file continues from the server's offset.
    unfinished.locator("a.button").click()
    held = page.locator("[data-held-upload]")
    assert held.get_attribute("data-head-length") == str(64 * 1024)
    log, waiting = [], []

    def hold_first_piece(route, request):
        if request.method == "PATCH" and not waiting:
            waiting.append(route)
            return
        route.continue_()

    page.on(
        "request",
        lambda r: (
            log.append((r.method, r.headers.get("upload-offset"), r.headers))
            if "/upload/" in r.url
            else None
        ),
    )
    page.route("**/upload/**", hold_first_piece)
    page.locator("#id_files").set_input_files(str(evidence))
    page.locator("form.submit-form button[type=submit]").click()
    for _ in range(100):
        if waiting:
            break
        page.wait_for_timeout(100)
    assert waiting, log
    assert page.locator("progress.upload-progress").evaluate("bar => bar.value") == PIECE
    page.screenshot(path=str(SHOTS / f"resuming-{lang}-{width}.png"), full_page=True)
    waiting[0].continue_()
    page.wait_for_url(f"{base}/receipt/", timeout=60_000)
    assert hashlib.sha256(evidence.read_bytes()).hexdigest() in page.content()
    patches = [entry for entry in log if entry[0] == "PATCH"]
    assert "POST" not in [entry[0] for entry in log]  # no new upload: the old one went on
    assert patches[0][1] == str(PIECE)
    assert patches[0][2].get("upload-head-checksum", "").startswith("sha256 ")
    assert (
        page.evaluate("Object.keys(localStorage).length + Object.keys(sessionStorage).length") == 0
    )
