"""With JavaScript on, files go through the tip line's tus server with the vendored tus-js-client
(pieces of the size the page names, a progress bar with bytes, speed and time left). A dropped
connection is retried from the server's offset; after a reload, choosing the same file again
resumes it (the resume state is the server's: nothing is kept in the browser's storage). The
receipt shows the SHA-256 of the whole file."""

import hashlib
import os
import re

import pytest
from playwright.sync_api import expect

from jiandu.core.sizes import format_size
from tests.tipline.helpers import make_reader

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PIECE_MIB = 4  # JIANDU_UPLOAD_PIECE_MIB here: files of a few pieces stay small
PIECE = PIECE_MIB * 1024 * 1024


@pytest.fixture(autouse=True)
def small_pieces(settings):
    settings.JIANDU_UPLOAD_PIECE_MIB = PIECE_MIB


MIB = 1024 * 1024


def test_a_dropped_connection_and_a_reload_resume_where_the_server_stopped(
    live_server, new_page, tmp_path
):
    make_reader("zhu")
    evidence = tmp_path / "clip.bin"
    evidence.write_bytes(os.urandom(2 * PIECE + 2 * MIB + 7))  # three pieces
    page = new_page(javascript=True)
    log = []  # (method, Upload-Offset, status)
    state = {"block": False, "dropped": 0}

    def drop_or_pass(route, request):
        if request.method == "PATCH" and state["block"]:
            state["dropped"] += 1
            route.abort("connectionreset")
        else:
            route.continue_()

    def seen(response):
        request = response.request
        if "/upload/" in request.url:
            log.append((request.method, request.headers.get("upload-offset"), response.status))
            if request.method == "PATCH" and response.status == 204:
                state["block"] = True  # every piece after the first is dropped

    page.route("**/upload/**", drop_or_pass)
    page.on("response", seen)
    page.goto(f"{live_server.url}/en/submit/")
    page.get_by_label("Choose files").set_input_files(str(evidence))
    page.get_by_role("button", name="Send securely").click()
    expect(page.locator("progress.upload-progress")).to_be_visible()
    status = page.locator(".upload-status")
    expect(status).to_contain_text("The connection dropped", timeout=30_000)
    progress = page.locator(".upload-progress-text")
    sent, total = format_size(PIECE), format_size(evidence.stat().st_size)
    shown = re.compile(
        rf"{re.escape(sent)} of {re.escape(total)} sent · [\d.]+ MB/s · \d+:\d\d left"
    )
    expect(progress).to_have_text(shown)
    for _ in range(150):  # tus-js-client retries on its own (with delays) before giving up
        if state["dropped"] >= 2:
            break
        page.wait_for_timeout(200)
    assert state["dropped"] >= 2
    assert [e for e in log if e[0] == "PATCH" and e[2] == 204] == [("PATCH", "0", 204)]

    # The source reloads the page: it lists the unfinished upload; the same file resumes it.
    page.reload()
    state["block"] = False
    page.unroute("**/upload/**")
    log.clear()
    held = page.locator("[data-held-upload]")
    assert held.get_attribute("data-name") == "clip.bin"
    assert "received" in held.inner_text()
    page.get_by_label("Choose files").set_input_files(str(evidence))
    page.get_by_role("button", name="Send securely").click()
    page.get_by_role("heading", name="We received your submission").wait_for()
    assert hashlib.sha256(evidence.read_bytes()).hexdigest() in page.content()
    methods = [e[0] for e in log]
    assert "POST" not in methods  # no new upload: the held one was resumed
    assert ("HEAD", None, 200) in log
    assert next(e[1] for e in log if e[0] == "PATCH") == str(PIECE)
    # Nothing about the file stays in the browser's storage.
    assert (
        page.evaluate("Object.keys(localStorage).length + Object.keys(sessionStorage).length") == 0
    )


def test_a_file_with_a_two_thousand_character_name_goes_through_the_tus_path(live_server, new_page):
    make_reader("zhu")
    name = "审讯\u202e笔记" * 500 + ".pdf"
    content = os.urandom(1024)
    page = new_page(javascript=True)
    statuses, header_sizes = [], []
    page.on(
        "response",
        lambda response: statuses.append(response.status) if "/upload/" in response.url else None,
    )
    page.on(
        "request",
        lambda request: header_sizes.append(len(request.headers.get("upload-metadata", ""))),
    )
    page.goto(f"{live_server.url}/en/submit/")
    page.get_by_label("Choose files").set_input_files(
        files=[{"name": name, "mimeType": "application/pdf", "buffer": content}]
    )
    page.get_by_role("button", name="Send securely").click()
    page.get_by_role("heading", name="We received your submission").wait_for()
    assert statuses and all(status < 400 for status in statuses)
    assert 0 < max(header_sizes) < 8190  # under gunicorn's limit for one header
    html = page.content()
    assert hashlib.sha256(content).hexdigest() in html
    assert "\u202e" not in html
    shown = page.locator("td.file-name bdi").inner_text()
    assert shown.startswith("审讯笔记审讯笔记") and shown.endswith("….pdf") and len(shown) == 200
