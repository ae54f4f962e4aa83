"""A password change is one accounts action: the vault rewraps the member key in the same
transaction, or nothing changes (issue #8, item 8)."""

import pytest

from jiandu.accounts.models import AccountEvent, User
from jiandu.vault import crypto
from jiandu.vault.models import MemberKey
from tests.factories import PASSWORD, make_member, sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum blossom river lantern"


def change(client, old=PASSWORD, new=NEW_PASSWORD):
    return client.post(
        "/en/newsroom/password/",
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


@pytest.mark.parametrize("key_in_session", [True, False], ids=["session-key", "old-password"])
def test_a_busy_key_derivation_pool_leaves_password_and_key_as_they_were(
    client, monkeypatch, key_in_session
):
    member = make_member("zhu", "journalist")
    sign_in(client, member)
    wrapped = MemberKey.objects.get(user=member.user).password_wrapped
    if not key_in_session:
        session = client.session
        session.pop("vault_member_key")
        session.save()

    def busy(*args, **kwargs):
        raise crypto.KdfBusy

    monkeypatch.setattr(crypto, "argon2id_kdf", busy)
    response = change(client)
    assert response.status_code == 200
    assert b"The server is busy. Your password has not been changed" in response.content
    user = User.objects.get(pk=member.user.pk)
    assert user.check_password(PASSWORD) and not user.check_password(NEW_PASSWORD)
    assert bytes(MemberKey.objects.get(user=member.user).password_wrapped) == bytes(wrapped)
    assert not AccountEvent.objects.filter(kind=AccountEvent.Kind.PASSWORD).exists()
    # Still signed in; once the pool is free, the change goes through.
    monkeypatch.undo()
    assert change(client).status_code == 302
    key = MemberKey.objects.get(user=member.user)
    private = crypto.unwrap_with_password(key.password_wrapped, NEW_PASSWORD)
    assert crypto.unwrap_with_password(wrapped, PASSWORD) == private


def test_a_password_change_is_recorded_and_keeps_the_member_signed_in(client):
    member = make_member("zhu", "moderator")
    sign_in(client, member)
    assert change(client).url == "/en/newsroom/home/"
    assert client.get("/en/newsroom/home/").status_code == 200
    event = AccountEvent.objects.get(kind=AccountEvent.Kind.PASSWORD)
    assert event.member_id == event.actor_id == member.user.pk


def test_a_wrong_old_password_changes_nothing(client):
    member = make_member("zhu", "journalist")
    sign_in(client, member)
    response = change(client, old="not my password")
    assert response.status_code == 200
    assert User.objects.get(pk=member.user.pk).check_password(PASSWORD)
    assert not AccountEvent.objects.filter(kind=AccountEvent.Kind.PASSWORD).exists()
