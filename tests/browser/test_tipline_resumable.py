"""With JavaScript on, files go through the resumable endpoints in 4 MiB pieces (with a
progress line), and the receipt shows the SHA-256 of the whole file."""

import hashlib
import os

import pytest

from tests.tipline.helpers import make_reader

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_resumable_upload_with_javascript(live_server, new_page, tmp_path):
    make_reader("zhu")
    evidence = tmp_path / "clip.bin"
    evidence.write_bytes(os.urandom(9 * 1024 * 1024 + 7))
    page = new_page(javascript=True)
    pieces = []
    page.on(
        "request",
        lambda request: pieces.append(request.method) if "/uploads/" in request.url else None,
    )
    page.goto(f"{live_server.url}/en/submit/")
    page.get_by_label("Choose files").set_input_files(str(evidence))
    page.get_by_role("button", name="Send securely").click()
    page.get_by_role("heading", name="We received your submission").wait_for()
    assert hashlib.sha256(evidence.read_bytes()).hexdigest() in page.content()
    assert pieces.count("PATCH") == 3 and pieces.count("POST") == 2


def test_a_file_with_a_two_thousand_character_name_goes_through_the_resumable_path(
    live_server, new_page
):
    make_reader("zhu")
    name = "审讯\u202e笔记" * 500 + ".pdf"
    content = os.urandom(1024)
    page = new_page(javascript=True)
    statuses, header_sizes = [], []
    page.on(
        "response",
        lambda response: statuses.append(response.status) if "/uploads/" in response.url else None,
    )
    page.on(
        "request",
        lambda request: header_sizes.append(len(request.headers.get("upload-name", ""))),
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
