"""Deleting a source destroys its keys for good, so it needs `accounts.delete_sources`
(admins and editors), checked in access and in the action, not any reader's right."""

import secrets

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.test import Client

from jiandu.ledger import chain
from jiandu.ledger.models import Action, CustodyRecord
from jiandu.newsroom import actions
from jiandu.vault import actions as vault
from jiandu.vault import crypto
from jiandu.vault.access import access_source_for_deletion
from jiandu.vault.models import Item, Source, SourceGrant
from tests.factories import make_member, sign_in

pytestmark = pytest.mark.django_db

BULK = "/en/newsroom/sources/bulk/"


def _member(username: str, role: str):
    member = make_member(username, role)
    client = Client()
    sign_in(client, member)
    client.get("/en/newsroom/sources/key/")  # the recovery key, shown once
    return member, client


def _source() -> Source:
    source = vault.do_create_source(secrets.token_hex(32), crypto.new_keypair()[1])
    vault.do_store_submission(source, [vault.prepare_text(Item.Kind.MESSAGE, "evidence")])
    return source


def _delete(client: Client, source: Source, reason: str = "duplicate"):
    return client.post(
        BULK, {"action": "delete", "ids": [source.pk], "confirm": "1", "reason": reason}
    )


def test_a_journalist_cannot_delete_a_source():
    _journalist, client = _member("zhu", "journalist")
    source = _source()
    records = CustodyRecord.objects.count()
    assert client.post(BULK, {"action": "delete", "ids": [source.pk]}).status_code == 403
    assert _delete(client, source).status_code == 403
    assert Source.objects.filter(pk=source.pk).exists()
    assert SourceGrant.objects.filter(source=source).exists()
    assert CustodyRecord.objects.count() == records  # not even a record of the attempt
    assert not CustodyRecord.objects.filter(action=Action.DELETE).exists()
    # The inbox offers a journalist no delete button; marking read still works.
    inbox = client.get("/en/newsroom/sources/").content.decode()
    assert 'value="delete"' not in inbox and 'value="read"' in inbox
    assert client.post(BULK, {"action": "read", "ids": [source.pk]}).status_code == 302


def test_a_journalist_is_refused_before_any_lookup_of_the_ids():
    _journalist, client = _member("zhu", "journalist")
    hostile = {"action": "delete", "ids": ["999999", "-1", "x", ""], "confirm": "1", "reason": "r"}
    assert client.post(BULK, hostile).status_code == 403


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_an_editor_or_admin_deletes_with_a_reason(role, django_capture_on_commit_callbacks):
    _editor, client = _member("chen", role)
    source, other = _source(), _source()
    asked = client.post(BULK, {"action": "delete", "ids": [source.pk]})
    assert asked.status_code == 200 and "Delete for good" in asked.content.decode()
    assert _delete(client, source, reason="  ").status_code == 200  # a reason is required
    assert Source.objects.filter(pk=source.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert _delete(client, source, reason="spam, confirmed").status_code == 302
    assert not Source.objects.filter(pk=source.pk).exists()
    assert Source.objects.filter(pk=other.pk).exists()
    record = CustodyRecord.objects.get(action=Action.DELETE)
    assert record.subject == f"source:{source.pk}" and record.reason == "spam, confirmed"
    assert record.actor_name == "chen"
    assert chain.verify().ok
    assert 'value="delete"' in client.get("/en/newsroom/sources/").content.decode()


def test_the_permission_decides_not_the_role_name():
    journalist, client = _member("zhu", "journalist")
    journalist.user.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="delete_sources")
    )
    source = _source()
    assert _delete(client, source).status_code == 302
    assert not Source.objects.filter(pk=source.pk).exists()


def test_the_action_refuses_without_the_permission_too():
    journalist, _client = _member("zhu", "journalist")
    source = _source()
    with pytest.raises(PermissionDenied):
        actions.do_delete_sources(journalist.user, [source], "no right")
    with pytest.raises(PermissionDenied):
        access_source_for_deletion(journalist.user, source.pk)
    assert Source.objects.filter(pk=source.pk).exists()
    assert not CustodyRecord.objects.filter(action=Action.DELETE).exists()


def test_a_moderator_cannot_delete_either():
    _member("zhu", "journalist")  # a reader, so the tip line can take a source
    _moderator, client = _member("mod", "moderator")
    source = _source()
    assert _delete(client, source).status_code == 403
    assert Source.objects.filter(pk=source.pk).exists()
