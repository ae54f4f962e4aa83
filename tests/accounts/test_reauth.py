"""A stolen session mints no second factor (issue 17, item 10), and the recovery-codes page
answers a reload (issue 18, item 12). Through HTTP, with the real views."""

import re
import time

import pytest
from django.test import Client

from jiandu.accounts import reauth
from jiandu.accounts.models import AccountEvent, Passkey, RecoveryCode
from tests.factories import PASSWORD, make_member, sign_in

pytestmark = pytest.mark.django_db

CONFIRM = "/en/newsroom/confirm/"
REGENERATE = "/en/newsroom/recovery-codes/new/"
CODES = "/en/newsroom/recovery-codes/"


def shown_codes(response) -> list[str]:
    return re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", response.content.decode())


def code_hashes(member) -> set[str]:
    return set(RecoveryCode.objects.filter(user=member.user).values_list("code_hash", flat=True))


def sign_in_with_code(client: Client, member, code: str) -> None:
    """Both steps, with a given second factor (a TOTP step is accepted once)."""
    client.post("/en/newsroom/", {"username": member.user.username, "password": PASSWORD})
    response = client.post("/en/newsroom/verify/", {"code": code})
    assert response.status_code == 302 and response.url == "/en/newsroom/home/"


def signed_in(member) -> Client:
    client = Client()
    sign_in(client, member)
    return client


def test_a_session_alone_cannot_regenerate_recovery_codes():
    member = make_member()
    client = signed_in(member)
    before = code_hashes(member)
    response = client.post(REGENERATE)
    assert response.status_code == 302
    assert response.url.startswith(CONFIRM + "?next=")
    assert code_hashes(member) == before
    assert not AccountEvent.objects.filter(kind=AccountEvent.Kind.RECOVERY_CODES).exists()
    assert shown_codes(client.get(CODES)) == []


def test_a_session_alone_cannot_add_a_passkey():
    client = signed_in(make_member())
    options = client.post("/en/newsroom/passkeys/options/")
    assert options.status_code == 403
    assert "Confirm it is you" in options.json()["error"]
    added = client.post(
        "/en/newsroom/passkeys/add/",
        {"credential": {}},
        content_type="application/json",
    )
    assert added.status_code == 403
    assert not Passkey.objects.exists()
    # The page offers the confirmation instead of the button.
    page = client.get("/en/newsroom/passkeys/")
    assert b'data-passkey="register"' not in page.content
    assert CONFIRM.encode() in page.content


def test_a_wrong_password_confirms_nothing_and_counts_as_a_failure():
    member = make_member()
    client = signed_in(member)
    response = client.post(CONFIRM, {"password": "a guess", "next": REGENERATE})
    assert response.status_code == 200 and b"That is not right" in response.content
    assert client.post("/en/newsroom/passkeys/options/").status_code == 403
    member.user.refresh_from_db()
    assert member.user.failed_logins == 1


def test_with_the_password_new_codes_are_made_recorded_and_told_at_the_next_sign_in():
    member = make_member()
    client = signed_in(member)
    before = code_hashes(member)
    response = client.post(CONFIRM, {"password": PASSWORD, "next": REGENERATE})
    assert (response.status_code, response.url) == (302, REGENERATE)
    assert client.get(REGENERATE).status_code == 200  # what will happen, and a button
    response = client.post(REGENERATE)
    assert response.url == CODES
    new_codes = shown_codes(client.get(CODES))
    assert len(new_codes) == 10
    assert code_hashes(member) != before
    event = AccountEvent.objects.get(kind=AccountEvent.Kind.RECOVERY_CODES)
    assert (event.member, event.detail) == (member.user, "confirmed with password")
    # The member's next sign-in (say, in the browser the session was stolen from) tells them.
    later = Client()
    sign_in_with_code(later, member, member.code(offset_steps=1))
    home = later.get("/en/newsroom/home/")
    assert b"Since your last sign-in, your account&#x27;s second factors changed" in home.content
    assert b"new recovery codes" in home.content
    # Told once: the sign-in after that has nothing new to say.
    again = Client()
    sign_in_with_code(again, member, new_codes[0])
    assert b"Since your last sign-in" not in again.get("/en/newsroom/home/").content


def test_a_fresh_code_confirms_too_and_a_passkey_may_then_be_started():
    member = make_member()
    client = signed_in(member)
    response = client.post(CONFIRM, {"code": member.code(offset_steps=1), "next": "/x"})
    assert response.status_code == 302
    options = client.post("/en/newsroom/passkeys/options/")
    assert options.status_code == 200 and options.json()["rp"]["id"] == "testserver"
    # A code is used once: the same one confirms nothing a second time.
    replay = client.post(CONFIRM, {"code": member.code(offset_steps=1)})
    assert replay.status_code == 200 and b"That is not right" in replay.content


def test_the_confirmation_lasts_minutes_and_only_for_that_member():
    member = make_member()
    client = signed_in(member)
    client.post(CONFIRM, {"password": PASSWORD})
    assert client.post("/en/newsroom/passkeys/options/").status_code == 200
    session = client.session
    session[reauth.SESSION_KEY] = {
        **session[reauth.SESSION_KEY],
        "at": time.time() - reauth.FRESH_SECONDS - 1,
    }
    session.save()
    assert client.post("/en/newsroom/passkeys/options/").status_code == 403
    assert client.post(REGENERATE).url.startswith(CONFIRM)


def test_confirming_never_sends_the_member_off_the_site():
    client = signed_in(make_member())
    response = client.post(CONFIRM, {"password": PASSWORD, "next": "https://evil.example/"})
    assert response.url == "/en/newsroom/home/"


# --- Issue 18, item 12: the recovery-codes page after it was shown -------------------------


def test_a_reload_of_new_codes_says_they_were_shown_once_and_what_to_do():
    member = make_member()
    client = signed_in(member)
    client.post(CONFIRM, {"password": PASSWORD})
    client.post(REGENERATE)
    assert len(shown_codes(client.get(CODES))) == 10
    reload = client.get(CODES)
    assert reload.status_code == 200
    assert shown_codes(reload) == []
    assert b"were shown once and cannot be shown again" in reload.content
    assert REGENERATE.encode() in reload.content  # where new ones are made
    assert "no-store" in reload["Cache-Control"]


def test_a_reload_during_the_first_sign_in_still_lets_the_member_finish():
    member = make_member(enrolled=False)
    client = Client()
    client.post("/newsroom/", {"username": "zhu", "password": PASSWORD})
    client.post("/newsroom/enrol/", {"code": member.code()})
    assert len(shown_codes(client.get("/newsroom/recovery-codes/"))) == 10
    reload = client.get("/newsroom/recovery-codes/")
    text = reload.content.decode()
    # In the reader's language (Simplified Chinese at /), with the way on.
    assert "恢复码只显示一次" in text and shown_codes(reload) == []
    assert 'action="/newsroom/finish/"' in text
    assert client.post("/newsroom/finish/").url == "/newsroom/home/"
