"""The verify page in Debian's chromium: with JavaScript the browser hashes the file and sends
only its SHA-256; without, the server hashes the upload. Both answer from the log."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from jiandu.cases import actions
from jiandu.redaction.actions import do_publish_evidence
from tests.factories import make_member
from tests.redaction.helpers import rendered

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def published_file(tmp_path):
    writer, editor = make_member("w", "journalist").user, make_member("e", "editor").user
    case = actions.do_create_case(writer, title_en="Watch")
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 60, 20)).save(buffer, "PNG")
    evidence = do_publish_evidence(case, editor, rendered(editor, buffer.getvalue()), "verified")
    actions.do_update_case(writer, case, summary_en="ready")
    actions.do_submit_for_review(writer, case, "First")
    # The editor who attached the file may not publish it: a second editor does.
    actions.do_publish_case(make_member("e2", "editor").user, case)
    path = tmp_path / "downloaded.png"
    path.write_bytes(evidence.file.read())
    return path, evidence.sha256, case.slug


@pytest.mark.parametrize("javascript", [True, False])
def test_a_reader_checks_a_downloaded_file(live_server, new_page, published_file, javascript):
    path, sha256, slug = published_file
    page = new_page(javascript=javascript)
    uploads = []
    page.on(
        "request",
        lambda r: uploads.append(r.url) if r.method == "POST" else None,
    )
    page.goto(f"{live_server.url}/en/cases/{slug}/")
    page.get_by_role("link", name="Proof in the transparency log", exact=True).click()
    expect(
        page.get_by_role("heading", name="This file is exactly one the newsroom published")
    ).to_be_visible()
    page.goto(f"{live_server.url}/en/log/verify/")
    page.get_by_label("A file").set_input_files(str(path))
    page.get_by_role("button", name="Verify").click()
    page.get_by_role("heading", name="This file is exactly one the newsroom published").wait_for()
    expect(page.get_by_text("It is still current:", exact=False)).to_be_visible()
    assert sha256 in page.content()
    if javascript:
        assert f"sha256={sha256}" in page.url and uploads == []  # the file never left
    else:
        assert uploads and "sha256=" not in page.url  # the file was posted; the server hashed it


def entries(numbers, hour="08"):
    return [
        {
            "action": "publish",
            "case": "c",
            "kind": "page",
            "revision": n,
            "sha256": f"{n:064x}",
            "time": f"2026-11-30T{hour}:00:00Z",
        }
        for n in numbers
    ]


def test_the_page_checks_in_the_browser_that_the_log_only_grew(live_server, new_page):
    from jiandu.tlog import actions as logactions
    from jiandu.tlog.models import LogEntry, LogHash, LogHead

    logactions.do_append_entries(entries(range(1, 6)))
    page = new_page(javascript=True)
    url = f"{live_server.url}/en/log/verify/"
    page.goto(url)
    status = page.locator("#log-consistency")
    status.wait_for()
    assert "seen the log at 5 entries" in status.text_content()
    logactions.do_append_entries(entries(range(6, 9)))
    page.goto(url)
    page.get_by_text("extends the one of 5 entries").wait_for()
    # The server now shows a rewritten history (entries 3 on replaced), signed with its key.
    LogEntry.objects.filter(index__gte=2).delete()
    LogHash.objects.filter(level=0, index__gte=2).delete()
    LogHead.objects.filter(pk=1).update(size=2)
    logactions.do_append_entries(entries(range(30, 40), hour="09"))
    page.goto(url)
    page.get_by_text("does not extend the one of 8 entries").wait_for()
    assert "notice-retracted" in status.get_attribute("class")
