"""OWASP ASVS 4.0.3 level 2 rows that no other test held (docs/security-testing.md lists every
row and its test): session fixation and sign-out for members and sources, the password
policy, redirects that cannot leave the site, one source reaching another's submission, and
originals served only as attachments."""

import time
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiandu.accounts.models import User
from jiandu.vault.models import Item, Source, Submission
from tests.factories import make_member, sign_in
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db

SESSION = "jiandu_session"


def _cookie(client: Client) -> str:
    return client.cookies[SESSION].value


def test_v3_2_1_a_member_gets_a_new_session_at_sign_in():
    """Session fixation: the session an attacker planted before sign-in is not the signed-in
    one, and it opens nothing afterwards."""
    member = make_member()
    client = Client()
    client.get("/en/newsroom/")  # a session exists before the sign-in
    client.session.save()
    planted = client.session.session_key
    sign_in(client, member)
    assert _cookie(client) != planted
    attacker = Client()
    attacker.cookies[SESSION] = planted
    response = attacker.get("/en/newsroom/home/")
    assert response.status_code == 302 and response["Location"].startswith("/en/newsroom/")


def test_v3_2_1_a_source_gets_a_new_session_with_its_codename():
    make_reader()
    source = Client()
    source.get("/en/submit/")
    source.session.save()
    planted = source.session.session_key
    submit(source, message="hello")
    assert _cookie(source) != planted
    attacker = Client()
    attacker.cookies[SESSION] = planted
    assert attacker.get("/en/conversation/")["Location"].endswith("/en/return/")


def test_v3_3_1_sign_out_ends_the_session_on_the_server():
    member = make_member()
    client = Client()
    sign_in(client, member)
    old = _cookie(client)
    assert client.post("/en/newsroom/sign-out/").status_code == 302
    replay = Client()
    replay.cookies[SESSION] = old
    response = replay.get("/en/newsroom/home/")
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/en/newsroom/"  # the sign-in page


def test_v3_3_1_a_source_signing_out_ends_its_session_on_the_server():
    make_reader()
    source = Client()
    submit(source, message="hello")
    source.post("/en/codename/noted/", {"noted": "1"})
    old = _cookie(source)
    assert source.post("/en/conversation/sign-out/").status_code == 302
    replay = Client()
    replay.cookies[SESSION] = old
    assert replay.get("/en/conversation/")["Location"].endswith("/en/return/")


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("short one 1", False),  # 11 characters (2.1.1: at least 12)
        ("twelve chars", True),
        ("x" * 20 + " a long passphrase " * 4, True),  # 96 characters (2.1.2: 64 allowed)
        ("password1234", False),  # a common password (2.1.7)
        ("123456789012345", False),  # all digits
        ("only lower case words", True),  # no composition rules (2.1.9)
        ("密码是一句很长的中文句子", True),  # any Unicode (2.1.4)
    ],
)
def test_v2_1_password_policy(password, accepted):
    user = User(username="someone")
    try:
        validate_password(password, user)
    except ValidationError:
        assert not accepted
    else:
        assert accepted


def test_v5_1_5_sign_in_never_follows_a_next_to_another_site():
    member = make_member()
    client = Client()
    client.post(
        "/en/newsroom/?next=https://evil.example/",
        {"username": member.user.username, "password": member.password},
    )
    response = client.post("/en/newsroom/verify/?next=//evil.example/", {"code": member.code()})
    assert response.status_code == 302
    assert response["Location"] == "/en/newsroom/home/"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:x"]
)
def test_v5_1_5_the_inbox_never_redirects_off_the_site(target):
    _member, newsroom = make_reader()
    newsroom.get("/en/newsroom/sources/key/")  # the first visit shows the recovery key
    response = newsroom.post("/en/newsroom/sources/bulk/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == "/en/newsroom/sources/"


def test_v4_2_1_a_source_cannot_delete_another_sources_submission():
    make_reader()
    victim, attacker = Client(), Client()
    submit(victim, message="victim's message")
    theirs = Submission.objects.get()
    submit(attacker, message="attacker's message")
    attacker.post("/en/codename/noted/", {"noted": "1"})
    response = attacker.post(f"/en/conversation/delete/{theirs.pk}/")
    assert response.status_code == 302
    assert Submission.objects.filter(pk=theirs.pk).exists()
    assert Submission.objects.count() == 2


def test_v12_5_2_originals_are_served_only_as_attachments():
    _member, newsroom = make_reader()
    source = Client()
    upload = SimpleUploadedFile("page.html", b"<script>alert(1)</script>", "text/html")
    submit(source, message="", files=[upload])
    newsroom.get("/en/newsroom/sources/key/")
    row = Source.objects.get()
    item = row.items.get(kind=Item.Kind.FILE)
    response = newsroom.get(f"/en/newsroom/sources/{row.pk}/items/{item.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "text/html" not in response["Content-Type"]


def test_v3_3_2_a_busy_session_still_ends_after_twelve_hours(client):
    """Activity renews the idle limit, never the session's absolute lifetime."""
    from unittest import mock

    member = make_member()
    sign_in(client, member)
    start = time.time()
    for hours in (0, 6, 10.9):
        with mock.patch("time.time", return_value=start + hours * 3600):
            assert client.get("/en/newsroom/home/").status_code == 200, hours
    with mock.patch("time.time", return_value=start + 12 * 3600):
        response = client.get("/en/newsroom/home/")
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/en/newsroom/"
    # Signed out for good: the next request, at any time, is not signed in either.
    assert client.get("/en/newsroom/home/").status_code == 302


def test_v3_3_3_a_password_change_ends_the_members_other_sessions():
    member = make_member("zhu", "moderator")  # no vault key, so no rewrap to wait for
    here, elsewhere = Client(), Client()
    sign_in(here, member)
    elsewhere.post("/en/newsroom/", {"username": member.user.username, "password": member.password})
    elsewhere.post("/en/newsroom/verify/", {"code": member.code(1)})  # the next TOTP step
    assert elsewhere.get("/en/newsroom/home/").status_code == 200
    new = "a brand new passphrase 42"
    response = here.post(
        "/en/newsroom/password/",
        {"old_password": member.password, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert here.get("/en/newsroom/home/").status_code == 200
    assert elsewhere.get("/en/newsroom/home/").status_code == 302
