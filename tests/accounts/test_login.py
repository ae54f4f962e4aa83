"""Two-step sign-in: password, then TOTP or a recovery code; enrolment; lockout; expiry."""

from datetime import timedelta
from unittest import mock

import pyotp
import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone

from jiandu.accounts import actions, totp
from jiandu.accounts.models import User
from tests.factories import PASSWORD, make_member, sign_in

pytestmark = pytest.mark.django_db


def test_password_then_totp_signs_in(client):
    member = make_member()
    response = client.post("/en/newsroom/", {"username": "zhu", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == "/en/newsroom/verify/"
    # Password alone is not a login.
    assert client.get("/en/newsroom/home/").status_code == 302
    response = client.post("/en/newsroom/verify/", {"code": member.code()})
    assert response.status_code == 302
    page = client.get("/en/newsroom/home/")
    assert page.status_code == 200
    assert b"Welcome, zhu" in page.content


def test_wrong_totp_is_refused_and_counted(client):
    member = make_member()
    client.post("/en/newsroom/", {"username": "zhu", "password": PASSWORD})
    wrong = "000000" if member.code() != "000000" else "111111"
    response = client.post("/en/newsroom/verify/", {"code": wrong})
    assert response.status_code == 200
    assert b"That code is not right" in response.content
    assert client.get("/en/newsroom/home/").status_code == 302
    member.user.refresh_from_db()
    assert member.user.failed_logins == 1


def test_totp_code_cannot_be_replayed(client):
    member = make_member()
    code = member.code()
    sign_in(client, member)
    client.post("/en/newsroom/sign-out/")
    client.post("/en/newsroom/", {"username": "zhu", "password": PASSWORD})
    response = client.post("/en/newsroom/verify/", {"code": code})
    assert response.status_code == 200
    assert b"each code works only once" in response.content


def test_wrong_password_has_one_message_for_unknown_and_known_users(client):
    make_member()
    known = client.post("/en/newsroom/", {"username": "zhu", "password": "nope"})
    unknown = client.post("/en/newsroom/", {"username": "nobody", "password": "nope"})
    assert b"The username or password is not right" in known.content
    assert b"The username or password is not right" in unknown.content


def test_repeated_failures_guard_the_account_but_never_lock_it(client, settings):
    settings.JIANDU_LOGIN_MAX_FAILURES = 3
    member = make_member()
    for _ in range(3):
        client.post("/en/newsroom/", {"username": "zhu", "password": "wrong"})
    assert User.objects.get(username="zhu").failed_logins == 3
    # The right password and the right code still sign in, from another browser at once.
    other = Client()
    response = other.post("/en/newsroom/", {"username": "zhu", "password": PASSWORD})
    assert response.url == "/en/newsroom/verify/"
    assert other.post("/en/newsroom/verify/", {"code": member.code()}).status_code == 302
    assert other.get("/en/newsroom/home/").status_code == 200
    assert User.objects.get(username="zhu").failed_logins == 0


def test_recovery_code_signs_in_once(client):
    member = make_member()
    codes = actions.do_regenerate_recovery_codes(member.user)
    client.post("/en/newsroom/", {"username": "zhu", "password": PASSWORD})
    response = client.post("/en/newsroom/verify/", {"code": codes[0][:5] + "-" + codes[0][5:]})
    assert response.status_code == 302
    client.post("/en/newsroom/sign-out/")
    client.post("/en/newsroom/", {"username": "zhu", "password": PASSWORD})
    response = client.post("/en/newsroom/verify/", {"code": codes[0]})
    assert response.status_code == 200


def test_enrolment_shows_qr_confirms_and_gives_recovery_codes(client):
    member = make_member(enrolled=False)
    response = client.post("/en/newsroom/", {"username": "zhu", "password": PASSWORD})
    assert response.url == "/en/newsroom/enrol/"
    page = client.get("/en/newsroom/enrol/")
    assert b"<svg" in page.content  # QR rendered on the server
    assert b"http" not in page.content.split(b"<svg")[1].split(b"</svg>")[0]
    response = client.post("/en/newsroom/enrol/", {"code": member.code()})
    assert response.url == "/en/newsroom/recovery-codes/"
    codes_page = client.get("/en/newsroom/recovery-codes/")
    assert codes_page.content.count(b"<li>") >= 10
    # Shown once only: a reload says so, and shows no code (tests/accounts/test_reauth.py).
    reload = client.get("/en/newsroom/recovery-codes/")
    assert reload.status_code == 200 and reload.content.count(b"<li>") < 10
    response = client.post("/en/newsroom/finish/")
    assert response.status_code == 302
    assert client.get("/en/newsroom/home/").status_code == 200
    member.user.refresh_from_db()
    assert member.user.totp_confirmed


def test_verify_without_password_step_goes_back_to_login(client):
    make_member()
    response = client.post("/en/newsroom/verify/", {"code": "123456"})
    assert response.status_code == 302
    assert response.url == "/en/newsroom/"


def test_one_time_password_must_be_changed(client):
    created = actions.do_create_member("wang", "editor")
    secret = actions.do_start_totp_enrolment(created.user)
    User.objects.filter(pk=created.user.pk).update(totp_confirmed=True)
    client.post("/en/newsroom/", {"username": "wang", "password": created.one_time_password})
    response = client.post("/en/newsroom/verify/", {"code": pyotp.TOTP(secret).now()})
    assert response.url == "/en/newsroom/password/"
    assert client.get("/en/newsroom/home/").url == "/en/newsroom/password/"
    response = client.post(
        "/en/newsroom/password/",
        {
            "old_password": created.one_time_password,
            "new_password1": "plum blossom river lantern",
            "new_password2": "plum blossom river lantern",
        },
    )
    assert response.status_code == 302
    assert client.get("/en/newsroom/home/").status_code == 200


def test_idle_session_expires(client, settings):
    """Thirty idle minutes end a session; activity keeps it alive (whatever the engine)."""
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    member = make_member()
    sign_in(client, member)
    start = timezone.now()

    def get_home_at(minutes: int) -> int:
        with mock.patch(
            "django.utils.timezone.now", return_value=start + timedelta(minutes=minutes)
        ):
            return client.get("/en/newsroom/home/").status_code

    assert get_home_at(20) == 200
    assert get_home_at(45) == 200  # 25 minutes after the last activity
    assert get_home_at(45 + 31) == 302  # 31 idle minutes


def test_session_cookie_flags(client):
    response = client.get("/en/newsroom/")
    cookie = response.cookies["jiandu_session"]
    assert cookie["httponly"]
    assert cookie["secure"]
    assert cookie["samesite"] == "Strict"
    assert not cookie["max-age"]  # ends with the browser session


@pytest.mark.real_hasher
def test_passwords_are_hashed_with_argon2id():
    member = make_member()
    assert member.user.password.startswith("argon2$argon2id$")
    assert make_password("x").startswith("argon2$argon2id$")


def test_totp_window_and_format():
    secret = totp.new_secret()
    now = 1_700_000_000
    code = pyotp.TOTP(secret).at(now)
    assert totp.matching_step(secret, code, 0, now=now) == now // 30
    assert totp.matching_step(secret, code[:3] + " " + code[3:], 0, now=now) == now // 30
    assert totp.matching_step(secret, pyotp.TOTP(secret).at(now - 30), 0, now=now) is not None
    assert totp.matching_step(secret, pyotp.TOTP(secret).at(now - 90), 0, now=now) is None
    assert totp.matching_step(secret, code, now // 30, now=now) is None  # already used
    for hostile in ["", "abcdef", "1234567", "１２３４５６", "12345\x00", "9" * 1000]:
        assert totp.matching_step(secret, hostile, 0, now=now) is None
