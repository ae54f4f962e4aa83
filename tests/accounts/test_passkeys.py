"""Passkey endpoints refuse what they should; the browser test covers the happy path."""

import json

import pytest

from jiandu.accounts import actions
from jiandu.accounts.models import Passkey, User
from tests.factories import PASSWORD, make_member, sign_in

pytestmark = pytest.mark.django_db


def with_passkey(member):
    return Passkey.objects.create(
        user=member.user, name="key", credential_id="Y3JlZA", public_key=b"not-a-key"
    )


def test_login_options_need_the_password_step(client):
    member = make_member()
    with_passkey(member)
    response = client.post("/en/newsroom/verify/passkey/options/")
    assert response.status_code == 400
    client.post("/en/newsroom/", {"username": "zhu", "password": PASSWORD})
    response = client.post("/en/newsroom/verify/passkey/options/")
    assert response.status_code == 200
    options = json.loads(response.content)
    assert options["rpId"] == "testserver"
    assert options["allowCredentials"][0]["id"] == "Y3JlZA"
    assert len(options["challenge"]) >= 40


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"credential": 5}',
        json.dumps({"credential": {"id": "Y3JlZA", "response": {}}}).encode(),
        b"{" * 70000,
    ],
    ids=["empty", "garbage", "list", "wrong-type", "incomplete", "huge"],
)
def test_hostile_assertions_are_refused_and_counted(client, body):
    member = make_member()
    with_passkey(member)
    client.post("/en/newsroom/", {"username": "zhu", "password": PASSWORD})
    client.post("/en/newsroom/verify/passkey/options/")
    response = client.post("/en/newsroom/verify/passkey/", body, content_type="application/json")
    assert response.status_code == 400
    assert "error" in json.loads(response.content)
    assert client.get("/en/newsroom/home/").status_code == 302
    assert User.objects.get(pk=member.user.pk).failed_logins == 1


def test_an_assertion_without_a_challenge_is_refused(client):
    member = make_member()
    with_passkey(member)
    client.post("/en/newsroom/", {"username": "zhu", "password": PASSWORD})
    response = client.post(
        "/en/newsroom/verify/passkey/",
        json.dumps({"credential": {"id": "Y3JlZA"}}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "expired" in json.loads(response.content)["error"]


def test_registration_needs_a_full_sign_in(client):
    assert client.post("/en/newsroom/passkeys/options/").status_code == 302
    sign_in(client, make_member())
    # A signed-in member confirms it is them first (issue 17, item 10; test_reauth.py).
    client.post("/en/newsroom/confirm/", {"password": PASSWORD})
    response = client.post("/en/newsroom/passkeys/options/")
    assert response.status_code == 200
    assert json.loads(response.content)["rp"]["id"] == "testserver"
    bad = client.post("/en/newsroom/passkeys/add/", b"{}", content_type="application/json")
    assert bad.status_code == 400


def test_members_remove_only_their_own_passkeys(client):
    owner = make_member("owner")
    key = with_passkey(owner)
    sign_in(client, make_member("other"))
    client.post(f"/en/newsroom/passkeys/{key.pk}/delete/")
    assert Passkey.objects.filter(pk=key.pk).exists()


def test_resetting_credentials_removes_passkeys():
    member = make_member()
    with_passkey(member)
    actions.do_reset_credentials(member.user)
    assert not Passkey.objects.filter(user=member.user).exists()
