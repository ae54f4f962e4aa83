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
