"""A scan's text in a real browser (issue 21, part 2): the report shows what the OCR read, and a
member finds a name from the "Search the text of scans" page, in Chinese on a phone and in
English on a desktop, with axe finding nothing to fix."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from playwright.sync_api import expect

from jiandu.forensics import handoff
from jiandu.forensics.models import Analysis
from jiandu.vault.models import Item, Source
from tests.browser.test_redaction_browser import browser_sign_in
from tests.forensics.conftest import run_tasks
from tests.forensics.test_ocr import small_scan
from tests.tipline.helpers import make_reader, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_scan_is_read_shown_and_searched(live_server, new_page, axe_check):
    member, _client = make_reader("zhu")
    scan = small_scan(["举报人王建国说，合同是假的。", "会议纪要显示预算两次追加。"])
    files = [SimpleUploadedFile("scan.jpg", scan, "image/jpeg")]
    assert submit(Client(), message="see", files=files).status_code == 302
    handoff.start_worker_key()
    page = new_page(javascript=False, width=390, height=844)
    browser_sign_in(page, live_server.url, member)  # the sign-in hands the scan over
    run_tasks()
    item = Source.objects.get().items.get(kind=Item.Kind.FILE)
    assert Analysis.objects.get(item=item).state == Analysis.State.DONE

    page.goto(f"{live_server.url}/newsroom/forensics/items/{item.pk}/")
    report = page.locator("main").inner_text().replace(" ", "").replace("\n", "")
    assert "王建国" in report
    page.goto(f"{live_server.url}/newsroom/forensics/text/")
    page.locator("form[role=search] input[name=q]").fill("王建國")
    page.locator("form[role=search] button").click()
    expect(page.locator("mark").first).to_have_text("王建国")
    expect(page.get_by_text("scan.jpg").first).to_be_visible()
    # No part of the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    cookies = page.context.cookies()
    assert axe_check(f"{live_server.url}/newsroom/forensics/text/?q=王建国", cookies) == []
    assert axe_check(f"{live_server.url}/en/newsroom/forensics/items/{item.pk}/", cookies) == []
