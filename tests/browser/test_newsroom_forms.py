"""Every form a newsroom member sends on the workbench, sent by Debian's chromium, with
JavaScript on and off: none may answer 403 (issue 18, item 4).

Our pages send `Referrer-Policy: no-referrer`, so chromium posts them with `Origin: null`. The
project's CSRF middleware takes a null origin as "no origin given" and lets the token decide;
a view wrapped in Django's stock `csrf_protect` refused every such post as "session expired"
("Seen before?" did, on every lookup). A Django test client sends no Origin at all, so only a
real browser catches this.
"""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from playwright.sync_api import Page, expect

import jiandu
from jiandu.vault.models import Item, Source
from tests.factories import make_member, sign_in
from tests.forensics.test_metadata import exif_photo
from tests.tipline.helpers import submit

STOCK_DECORATORS = re.compile(
    r"from django\.views\.decorators\.csrf import[^\n]*\b(csrf_protect|requires_csrf_token)\b"
    r"|django\.views\.decorators\.csrf\.(csrf_protect|requires_csrf_token)"
)


def _send(page: Page, button) -> None:
    """Click a submit button and check what the server answered to the POST itself (before
    any redirect): never a refusal."""
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        button.click()
    response = posted.value
    assert response.status < 400, f"{response.url} answered {response.status}"
    page.wait_for_load_state()
    expect(page.get_by_text("session expired", exact=False)).to_have_count(0)


def test_no_view_uses_djangos_stock_csrf_decorators():
    """The project's `jiandu.core.middleware.csrf_protect` is the one to wrap a view with:
    Django's own refuses the `Origin: null` every one of our pages sends."""
    offenders = [
        str(path.relative_to(Path(jiandu.__file__).parent))
        for path in Path(jiandu.__file__).parent.rglob("*.py")
        if STOCK_DECORATORS.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.django_db
def test_seen_before_takes_a_null_origin_with_the_token_and_refuses_it_without(
    isolated_data_dir,
):
    """Through HTTP, as chromium posts it: `Origin: null`; the token still decides."""
    member = make_member("demo", "admin")
    client = Client(enforce_csrf_checks=True)
    sign_in_with_token(client, member)
    url = "/en/newsroom/forensics/lookup/"
    token = str(client.get(url).context["csrf_token"])
    upload = SimpleUploadedFile("street.jpg", exif_photo(), "image/jpeg")
    looked = client.post(url, {"file": upload, "csrfmiddlewaretoken": token}, HTTP_ORIGIN="null")
    assert looked.status_code == 200 and 'id="lookup-result"' in looked.content.decode()
    upload.seek(0)
    forged = client.post(url, {"file": upload}, HTTP_ORIGIN="null")
    assert forged.status_code == 403


def sign_in_with_token(client: Client, member) -> None:
    """Both sign-in steps with the CSRF token a browser would send."""
    for url, data in (
        ("/en/newsroom/", {"username": member.user.username, "password": member.password}),
        ("/en/newsroom/verify/", {"code": member.code()}),
    ):
        token = str(client.get(url).context["csrf_token"])
        response = client.post(url, {**data, "csrfmiddlewaretoken": token}, HTTP_ORIGIN="null")
        assert response.status_code == 302, response.content[:300]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_a_member_sends_every_workbench_form_without_a_refusal(live_server, new_page, javascript):
    # As `jiandu demo` leaves it: an administrator who reads submissions, signed in once so the
    # tip line is open, and a source who sent a message and a photo.
    member = make_member("demo", "admin")
    sign_in(Client(), member)
    photo = exif_photo()
    files = [SimpleUploadedFile("street.jpg", photo, "image/jpeg")]
    assert submit(Client(), message="Taken at the protest.", files=files).status_code == 302
    source = Source.objects.get()
    item = source.items.get(kind=Item.Kind.FILE)

    page = new_page(javascript=javascript)
    base = f"{live_server.url}/en/newsroom"
    page.goto(f"{base}/")
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill(member.password)
    _send(page, page.get_by_role("button", name="Continue"))
    page.get_by_label("Six-digit code").fill(member.code(offset_steps=1))
    _send(page, page.get_by_role("button", name="Sign in"))

    # "Seen before?": the file dropped in is read and forgotten.
    page.goto(f"{base}/forensics/lookup/")
    page.get_by_label("File").set_input_files(
        {"name": "street.jpg", "mimeType": "image/jpeg", "buffer": photo}
    )
    _send(page, page.get_by_role("button", name="Look up"))
    expect(page.locator("#lookup-result")).to_be_visible()

    # The checklist: one explicit verdict.
    page.goto(f"{base}/forensics/items/{item.pk}/")
    origin = page.locator("#check-origin")
    origin.get_by_label("Conclusion").select_option(label="Confirmed")
    origin.get_by_label("Note (how you checked)").fill("Called the source.")
    _send(page, origin.get_by_role("button", name="Record"))
    expect(page.locator("#derived-status strong")).to_have_text("Partly verified")

    # The source page: triage (status, assignment, star), previews, a reply.
    page.goto(f"{base}/sources/{source.pk}/")
    triage = page.locator("form.triage")
    triage.get_by_label("Assigned to").select_option(label="demo")
    triage.get_by_label("Starred").check()
    _send(page, triage.get_by_role("button", name="Save"))
    expect(page.get_by_text("Saved.")).to_be_visible()
    _send(page, page.get_by_role("button", name="Make previews of all files"))
    page.get_by_label("Reply to this source").fill("Thank you, we are checking it.")
    _send(page, page.get_by_role("button", name="Send reply"))
    expect(page.get_by_text("Thank you, we are checking it.")).to_be_visible()
