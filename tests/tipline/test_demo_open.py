"""The demo's tip line is open from the first second (issue #12): right after `jiandu demo`,
with nobody signed in, a source without JavaScript submits; the printed admin login then reads
it in the newsroom, and the forced password change rewraps the key. A real installation stays
closed until a reader's key exists."""

import hashlib
import re
import time
from io import StringIO
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from jiandu.accounts.models import User
from jiandu.vault import actions as vault
from jiandu.vault import crypto
from jiandu.vault.models import MemberKey, Source

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum blossom river lantern"


def run_demo() -> dict[str, str]:
    out = StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    login = {
        "username": re.search(r"username: (\S+)", text).group(1),
        "password": re.search(r"password: (\S+)", text).group(1),
        "secret": parse_qs(urlparse(re.search(r"(otpauth://\S+)", text).group(1)).query)["secret"][
            0
        ],
    }
    recovery = re.search(r"Vault recovery key.*\n\s+(\S.*)", text)
    login["recovery"] = recovery.group(1).strip() if recovery else ""
    return login


def submit_without_javascript(source: Client) -> str:
    """Follow the landing page's link to the form and send a message and a file."""
    landing = source.get("/en/").content.decode()
    assert "not open yet" not in landing
    start = re.search(r'class="button" href="([^"]+)"', landing).group(1)
    questions = source.get(start).content.decode()  # the questionnaire's first page
    action = re.search(r'href="(/en/submit/)">Skip the questions', questions).group(1)
    form = source.get(action).content.decode()
    assert 'enctype="multipart/form-data"' in form and 'name="files"' in form
    response = source.post(
        action,
        {
            "message": "第一秒就开着",
            "style": "en",
            "website": "",
            "files": [SimpleUploadedFile("ledger.csv", b"a,b\n1,2\n" * 500, "text/csv")],
        },
    )
    assert response.status_code == 302, response.content[:500]
    receipt = source.get(response["Location"]).content.decode()
    assert hashlib.sha256(b"a,b\n1,2\n" * 500).hexdigest() in receipt
    return receipt


def test_right_after_the_demo_a_source_submits_and_the_printed_admin_reads_it():
    login = run_demo()
    assert login["recovery"], "the demo prints the vault recovery key with the login"
    assert vault.readers_are_ready()
    submit_without_javascript(Client())
    row = Source.objects.get()

    newsroom = Client()
    response = newsroom.post(
        "/en/newsroom/", {"username": login["username"], "password": login["password"]}
    )
    assert response.status_code == 302
    # First sign-in: enrol the printed TOTP secret, see the recovery codes, finish.
    assert response["Location"] == "/en/newsroom/enrol/"
    code = pyotp.TOTP(login["secret"]).now()
    response = newsroom.post("/en/newsroom/enrol/", {"code": code})
    assert response.status_code == 302, response.content[:300]
    assert newsroom.get(response["Location"]).status_code == 200
    response = newsroom.post(reverse("accounts:finish"))
    assert response.status_code == 302 and response["Location"] == "/en/newsroom/password/"
    response = newsroom.post(
        "/en/newsroom/password/",
        {
            "old_password": login["password"],
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    # The key is rewrapped: the new password opens it, the one-time password no longer does.
    key = MemberKey.objects.get(user__username=login["username"])
    private = crypto.unwrap_with_password(key.password_wrapped, NEW_PASSWORD)
    with pytest.raises(crypto.WrongSecret):
        crypto.unwrap_with_password(key.password_wrapped, login["password"])
    assert crypto.unwrap_with_recovery_key(key.recovery_wrapped, login["recovery"]) == private

    listing = newsroom.get("/en/newsroom/sources/")
    assert listing.status_code == 200, listing.get("Location")
    assert row.designation in listing.content.decode()
    page = newsroom.get(f"/en/newsroom/sources/{row.pk}/").content.decode()
    assert "第一秒就开着" in page and "ledger.csv" in page

    # Signing in again with the new password opens the same key.
    again = Client()
    again.post("/en/newsroom/", {"username": login["username"], "password": NEW_PASSWORD})
    again.post("/en/newsroom/verify/", {"code": pyotp.TOTP(login["secret"]).at(time.time() + 30)})
    assert "第一秒就开着" in again.get(f"/en/newsroom/sources/{row.pk}/").content.decode()


def test_a_second_demo_run_before_sign_in_issues_a_login_whose_key_opens():
    first = run_demo()
    second = run_demo()
    assert first["password"] != second["password"]
    key = MemberKey.objects.get(user__username=second["username"])
    crypto.unwrap_with_password(key.password_wrapped, second["password"])
    with pytest.raises(crypto.WrongSecret):
        crypto.unwrap_with_password(key.password_wrapped, first["password"])
    assert vault.readers_are_ready()


def test_after_the_admin_signed_in_the_demo_leaves_the_key_alone():
    login = run_demo()
    User.objects.filter(username=login["username"]).update(last_login="2026-01-01T00:00Z")
    wrapped = bytes(MemberKey.objects.get(user__username=login["username"]).password_wrapped)
    out = StringIO()
    call_command("demo", stdout=out)
    assert "already signed in" in out.getvalue()
    assert "Vault recovery key" not in out.getvalue()
    assert bytes(MemberKey.objects.get().password_wrapped) == wrapped


def test_a_real_installation_stays_closed_until_a_reader_signs_in():
    out = StringIO()
    call_command("createuser", "zhu", "--role", "journalist", stdout=out)
    assert "tip line opens" in out.getvalue()
    assert not vault.readers_are_ready()
    source = Client()
    assert b"not open yet" in source.get("/en/").content
    response = source.post("/en/submit/", {"message": "hello", "style": "en", "website": ""})
    assert response.status_code == 403
    assert not Source.objects.exists()
