"""The workbench's scenario in Debian's chromium: a reader signs in, the new files are analysed
by the worker without anyone clicking, the reader opens the authentication report (red warnings
for the photo's GPS position and camera serial), ticks checklist entries, and the case page shows
the status the checklist derives. axe finds nothing on the report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from playwright.sync_api import expect

from jiandu.cases.actions import do_create_case
from jiandu.forensics import handoff
from jiandu.forensics.models import Analysis
from jiandu.redaction.actions import do_publish_evidence
from jiandu.vault.models import Item, Source
from tests.factories import make_member
from tests.forensics.conftest import make_worker
from tests.forensics.test_metadata import exif_photo
from tests.redaction.helpers import rendered_from_item
from tests.tipline.helpers import make_reader, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reader_signs_in_files_are_analysed_and_the_checklist_derives_the_status(
    live_server, new_page, axe_check
):
    member, _client = make_reader("zhu")
    photo = exif_photo()
    files = [SimpleUploadedFile("street.jpg", photo, "image/jpeg")]
    assert submit(Client(), message="Taken at the protest.", files=files).status_code == 302
    item = Source.objects.get().items.get(kind=Item.Kind.FILE)
    editor = make_member("li", "editor")
    case = do_create_case(editor.user, title_en="The protest", title_zh="抗议")
    evidence = do_publish_evidence(
        case, editor.user, rendered_from_item(editor.user, item, photo), "verified",
        caption_en="The street",
    )  # fmt: skip
    assert evidence.verification_status == "unverified"  # derived: nothing checked yet
    handoff.start_worker_key()

    page = new_page(javascript=False)
    page.goto(f"{live_server.url}/en/newsroom/")
    page.get_by_label("Username").fill("zhu")
    page.get_by_label("Password").fill(member.password)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Six-digit code").fill(member.code(offset_steps=1))
    page.get_by_role("button", name="Sign in").click()
    # The sign-in handed the file to the worker; the worker runs, nobody clicks anything.
    assert Analysis.objects.get(item=item).state == Analysis.State.PENDING
    make_worker("workbench-browser").run()
    assert Analysis.objects.get(item=item).state == Analysis.State.DONE

    page.goto(f"{live_server.url}/en/newsroom/sources/{item.source_id}/")
    page.get_by_role("link", name="Authentication report").click()
    expect(page.get_by_role("heading", name="Authentication report")).to_be_visible()
    red = page.locator("li.finding-red")
    assert red.count() == 2
    assert "29.56, 106.5" in red.nth(0).inner_text() or "29.56, 106.5" in red.nth(1).inner_text()
    expect(page.get_by_text("SN-0123456789").first).to_be_visible()
    assert page.locator("#derived-status strong").inner_text() == "Unverified"
    assert axe_check(page.url, cookies=page.context.cookies()) == []

    origin = page.locator("#check-origin")
    origin.get_by_label("Conclusion").select_option(label="Confirmed")
    origin.get_by_label("Note (how you checked)").fill("The source sent the camera's roll.")
    origin.get_by_role("button", name="Record").click()
    assert page.locator("#derived-status strong").inner_text() == "Partly verified"
    expect(page.get_by_text("The source sent the camera's roll.")).to_be_visible()

    page.goto(f"{live_server.url}/en/newsroom/cases/{case.pk}/")
    expect(page.get_by_text("Partly verified").first).to_be_visible()

    page.goto(f"{live_server.url}/en/newsroom/forensics/items/{item.pk}/")
    official = page.locator("#check-official")
    official.get_by_label("Conclusion").select_option(label="Disputed")
    official.get_by_role("button", name="Record").click()
    assert page.locator("#derived-status strong").inner_text() == "Disputed"
    page.goto(f"{live_server.url}/en/newsroom/cases/{case.pk}/")
    expect(page.get_by_text("Disputed").first).to_be_visible()
