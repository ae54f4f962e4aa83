"""Member keys through the real sign-in: made at a reader's first sign-in, unwrapped into the
encrypted session, rewrapped on a password change, restorable after an admin reset; sessions
stored under a hash of the cookie and unreadable without it."""

import json

import pytest
from django.contrib.sessions.models import Session

from jiandu.newsroom import actions as member_flows
from jiandu.vault import actions, crypto, session_keys
from jiandu.vault.models import MemberKey
from jiandu.vault.sessions import SessionStore, storage_key
from tests.factories import make_member, sign_in

pytestmark = pytest.mark.django_db


def test_first_sign_in_makes_a_wrapped_key_and_puts_it_in_the_session(client):
    member = make_member("zhu", "journalist")
    sign_in(client, member)
    key = MemberKey.objects.get(user=member.user)
    private = crypto.unwrap_with_password(key.password_wrapped, member.password)
    assert session_keys.member_private_key(_request(client)) == private
    assert client.session[session_keys.NEW_RECOVERY]
    recovery = client.session[session_keys.NEW_RECOVERY]
    assert crypto.unwrap_with_recovery_key(key.recovery_wrapped, recovery) == private


def test_members_without_read_access_get_no_key(client):
    member = make_member("mod", "moderator")
    sign_in(client, member)
    assert not MemberKey.objects.filter(user=member.user).exists()


def test_session_rows_are_keyed_by_a_hash_and_encrypted(client):
    member = make_member("zhu", "journalist")
    sign_in(client, member)
    cookie = client.cookies["jiandu_session"].value
    assert not Session.objects.filter(session_key=cookie).exists()
    row = Session.objects.get(session_key=storage_key(cookie))
    private = session_keys.member_private_key(_request(client))
    import base64

    for needle in (base64.b64encode(private).decode(), "vault_member_key", "_auth_user_id"):
        assert needle not in row.session_data
    with pytest.raises(ValueError):
        json.loads(bytes.fromhex(row.session_data))
    # Without the cookie value the data does not open: another key decodes to nothing.
    assert SessionStore("x" * 32).decode(row.session_data) == {}
    assert SessionStore(cookie).decode(row.session_data)["_auth_user_id"] == str(member.user.pk)


def test_session_cookie_never_outlives_the_browser_even_with_an_idle_limit():
    store = SessionStore()
    store.set_expiry(7200)
    assert store.get_expire_at_browser_close() is True
    assert store.get_expiry_age() == 7200


def test_password_change_rewraps_the_key(client):
    member = make_member("zhu", "journalist")
    sign_in(client, member)
    before = crypto.unwrap_with_password(
        MemberKey.objects.get(user=member.user).password_wrapped, member.password
    )
    new_password = "a much longer new passphrase"
    response = client.post(
        "/en/newsroom/password/",
        {
            "old_password": member.password,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    assert response.status_code == 302
    wrapped = MemberKey.objects.get(user=member.user).password_wrapped
    assert crypto.unwrap_with_password(wrapped, new_password) == before
    with pytest.raises(crypto.WrongSecret):
        crypto.unwrap_with_password(wrapped, member.password)


def test_credentials_reset_keeps_the_recovery_wrap_only(client, django_capture_on_commit_callbacks):
    member = make_member("zhu", "journalist")
    sign_in(client, member)
    recovery = client.session[session_keys.NEW_RECOVERY]
    private = session_keys.member_private_key(_request(client))
    with django_capture_on_commit_callbacks(execute=True):
        reset = member_flows.do_reset_credentials(member.user)
    key = MemberKey.objects.get(user=member.user)
    assert key.password_wrapped is None
    outcome = actions.do_unlock_member_key(member.user, reset.one_time_password)
    assert outcome.needs_recovery and outcome.private_key is None
    assert actions.do_restore_member_key(member.user, recovery, "new password 12345") == private
    again = actions.do_unlock_member_key(member.user, "new password 12345")
    assert again.private_key == private


def _request(client):
    class Request:
        session = client.session

    return Request()


def test_a_busy_key_derivation_pool_does_not_break_sign_in(client, monkeypatch):
    member = make_member("zhu", "journalist")

    def busy(*args, **kwargs):
        raise crypto.KdfBusy

    monkeypatch.setattr(crypto, "argon2id_kdf", busy)
    sign_in(client, member)
    assert session_keys.member_private_key(_request(client)) is None
    page = client.get("/en/newsroom/sources/key/", follow=True).content.decode()
    assert "Sign out and sign in again to unlock it." in page
