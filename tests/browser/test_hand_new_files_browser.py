"""Files that arrive while a reader is signed in reach the worker from the inbox without a click,
and yet the inbox page (a GET) writes nothing (issue 20, item 6): its script posts the page's own
hand-off form; without JavaScript the form's button does the same."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from playwright.sync_api import expect

from jiandu.forensics import handoff
from jiandu.forensics.models import Analysis, Preview
from jiandu.vault.models import Item
from tests.browser.test_redaction_browser import browser_sign_in
from tests.forensics.test_metadata import exif_photo
from tests.tipline.helpers import make_reader, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _arrives_after_sign_in(page, live_server) -> Item:
    member, _client = make_reader("zhu")
    handoff.start_worker_key()
    browser_sign_in(page, live_server.url, member)
    page.goto(f"{live_server.url}/en/newsroom/sources/key/")  # the recovery key, shown once
    files = [SimpleUploadedFile("street.jpg", exif_photo(), "image/jpeg")]
    assert submit(Client(), message="Later.", files=files).status_code == 302
    item = Item.objects.get(kind=Item.Kind.FILE)
    assert not Analysis.objects.filter(item=item).exists()
    return item


def _wait_for(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_the_inbox_script_hands_new_files_to_the_worker(live_server, new_page, axe_check):
    page = new_page(javascript=True)
    item = _arrives_after_sign_in(page, live_server)
    page.goto(f"{live_server.url}/en/newsroom/sources/")
    assert _wait_for(lambda: Analysis.objects.filter(item=item).exists())
    assert Preview.objects.filter(item=item).exists()
    expect(page.locator("#hand-new-files [role=status]")).to_contain_text("Handed to the worker")


def test_without_javascript_the_button_hands_them_and_the_page_alone_does_not(
    live_server, new_page
):
    page = new_page(javascript=False)
    item = _arrives_after_sign_in(page, live_server)
    page.goto(f"{live_server.url}/zh-hant/newsroom/sources/")
    page.goto(f"{live_server.url}/en/newsroom/sources/")
    assert not Analysis.objects.filter(item=item).exists()
    expect(page.locator("#hand-new-files")).to_contain_text("1 new file waits")
    page.get_by_role("button", name="Analyse them now").click()
    assert Analysis.objects.get(item=item).state == Analysis.State.PENDING
    expect(page.get_by_text("1 file handed to the worker")).to_be_visible()
