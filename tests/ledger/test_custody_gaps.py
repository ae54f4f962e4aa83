"""Custody records for what used to leave none: a submission received, a source deleting its
own submission, a key grant, a retention purge. Each is written in its action's transaction
(a failure on either side rolls both back), the chain still verifies, and a record written on
a source's action keeps the hour only and names the source by nothing but its row."""

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jiandu.ledger import chain
from jiandu.ledger.actions import CustodyLogBroken
from jiandu.ledger.models import Action, ChainHead, CustodyRecord
from jiandu.vault import actions as vault
from jiandu.vault import crypto, storage
from jiandu.vault.models import Item, Source, SourceGrant, Submission
from tests.factories import PASSWORD, make_member, sign_in
from tests.tipline.helpers import codename_of, make_reader, submit

pytestmark = pytest.mark.django_db

# A submission at 10:37:12.345678: nothing finer than 10:00 may reach the custody log.
EXACT = datetime(2026, 3, 4, 10, 37, 12, 345678, tzinfo=UTC)
HOUR = EXACT.replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def at_exact_time(monkeypatch):
    """Every `timezone.now()` (vault and ledger alike) answers EXACT."""
    monkeypatch.setattr(timezone, "now", lambda: EXACT)


def _source() -> Source:
    return vault.do_create_source(secrets.token_hex(32), crypto.new_keypair()[1])


def _texts(*texts: str) -> list[vault.PreparedItem]:
    return [vault.prepare_text(Item.Kind.MESSAGE, text) for text in texts]


def _vault_files() -> set:
    """Every blob and part file of the vault."""
    return {
        path
        for folder in (storage.blobs_dir(), storage.incoming_dir())
        for path in folder.glob("*")
    }


def test_a_stored_submission_is_received_with_the_hour_only(at_exact_time):
    make_reader()
    source = _source()
    submission = vault.do_store_submission(source, _texts("first", "second"))
    record = CustodyRecord.objects.get(action=Action.RECEIVE)
    items = sorted(submission.items.values_list("pk", flat=True))
    assert record.at == HOUR
    assert record.actor is None and record.actor_name == ""
    assert record.subject == f"source:{source.pk}"
    assert record.reason == f"submission:{submission.pk} " + " ".join(f"item:{i}" for i in items)
    assert source.designation not in str(record.__dict__)
    assert chain.verify().ok


def test_a_submission_through_the_tip_line_is_received_once_per_submission():
    make_reader()
    client = Client()
    submit(client, message="tape", files=[SimpleUploadedFile("雷 tape.mp4", b"bytes")])
    source = Source.objects.get()
    records = list(CustodyRecord.objects.filter(action=Action.RECEIVE))
    assert [r.subject for r in records] == [f"source:{source.pk}"]
    record = records[0]
    assert (record.at.minute, record.at.second, record.at.microsecond) == (0, 0, 0)
    assert "tape" not in record.reason and source.designation not in record.reason
    assert codename_of(client) not in record.reason
    assert chain.verify().ok


def test_a_failed_receive_record_leaves_no_submission(monkeypatch):
    make_reader()
    source = _source()
    before = _vault_files()
    ChainHead.objects.all().delete()  # with records present: the log refuses to append
    CustodyRecord.objects.create(at=timezone.now(), action="view", subject="item:1", mac="x" * 64)
    with pytest.raises(CustodyLogBroken):
        vault.do_store_submission(source, _texts("never stored"))
    assert not Submission.objects.exists() and not Item.objects.exists()
    assert _vault_files() == before  # the published blobs and the parts went too
    assert not CustodyRecord.objects.filter(action=Action.RECEIVE).exists()


def test_a_failed_submission_leaves_no_receive_record(monkeypatch):
    make_reader()
    source = _source()

    def broken_bulk_create(*args, **kwargs):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(Item.objects, "bulk_create", broken_bulk_create)
    with pytest.raises(RuntimeError):
        vault.do_store_submission(source, _texts("never stored"))
    assert not CustodyRecord.objects.filter(action=Action.RECEIVE).exists()
    assert chain.verify().ok


def test_a_source_deleting_its_submission_is_recorded_with_the_hour_only(at_exact_time):
    make_reader()
    source = _source()
    kept = vault.do_store_submission(source, _texts("keep"))
    gone = vault.do_store_submission(source, _texts("delete me", "me too"))
    gone_items = sorted(gone.items.values_list("pk", flat=True))
    assert vault.do_delete_submission(source, gone.pk)
    record = CustodyRecord.objects.get(action=Action.DELETE)
    assert record.at == HOUR and record.actor is None
    assert record.subject == f"source:{source.pk}"
    assert record.reason == (
        f"deleted by the source submission:{gone.pk} " + " ".join(f"item:{i}" for i in gone_items)
    )
    assert list(Submission.objects.all()) == [kept]
    assert chain.verify().ok


def test_a_source_cannot_delete_another_sources_submission_or_leave_a_record():
    make_reader()
    mine, theirs = _source(), _source()
    submission = vault.do_store_submission(theirs, _texts("not yours"))
    assert not vault.do_delete_submission(mine, submission.pk)
    assert not vault.do_delete_submission(mine, -1)
    assert Submission.objects.filter(pk=submission.pk).exists()
    assert not CustodyRecord.objects.filter(action=Action.DELETE).exists()


def test_a_failed_deletion_by_the_source_leaves_no_record(monkeypatch):
    make_reader()
    source = _source()
    submission = vault.do_store_submission(source, _texts("stays"))

    def broken_delete(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Submission, "delete", broken_delete)
    with pytest.raises(RuntimeError):
        vault.do_delete_submission(source, submission.pk)
    assert Submission.objects.filter(pk=submission.pk).exists()
    assert not CustodyRecord.objects.filter(action=Action.DELETE).exists()
    assert chain.verify().ok


def test_the_tip_lines_delete_button_writes_the_record(django_capture_on_commit_callbacks):
    make_reader()
    first = Client()
    submit(first, message="one")
    codename = codename_of(first)
    returning = Client()
    assert returning.post("/en/return/", {"codename": codename}).status_code == 302
    submit(returning, message="two")
    submission = Submission.objects.order_by("pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        assert returning.post(f"/en/conversation/delete/{submission.pk}/").status_code == 302
    record = CustodyRecord.objects.get(action=Action.DELETE)
    assert f"submission:{submission.pk}" in record.reason
    assert (record.at.minute, record.at.second, record.at.microsecond) == (0, 0, 0)
    assert chain.verify().ok


def _two_readers_one_grant():
    """zhu holds a grant for a source; wang signed in after it arrived and holds none."""
    zhu, _client = make_reader("zhu")
    source = _source()
    vault.do_store_submission(source, _texts("hello"))
    wang = make_member("wang", "journalist")
    sign_in(Client(), wang)
    private = vault.do_unlock_member_key(zhu.user, PASSWORD).private_key
    assert private is not None
    return zhu, wang, source, private


def test_a_key_grant_is_recorded_with_who_gave_it_to_whom():
    zhu, wang, source, private = _two_readers_one_grant()
    assert vault.do_grant_missing(zhu.user, private) == 1
    assert SourceGrant.objects.filter(source=source, member_key__user=wang.user).exists()
    record = CustodyRecord.objects.get(action=Action.GRANT)
    assert record.actor == zhu.user and record.actor_name == "zhu"
    assert record.subject == f"source:{source.pk}" and record.reason == "wang"
    assert vault.do_grant_missing(zhu.user, private) == 0  # nothing new: no new record
    assert CustodyRecord.objects.filter(action=Action.GRANT).count() == 1
    assert chain.verify().ok


def test_a_grant_whose_record_fails_is_not_made(monkeypatch):
    zhu, wang, _source_row, private = _two_readers_one_grant()

    def broken(*args, **kwargs):
        raise CustodyLogBroken("head missing")

    monkeypatch.setattr(vault, "do_record_custody", broken)
    with pytest.raises(CustodyLogBroken):
        vault.do_grant_missing(zhu.user, private)
    assert not SourceGrant.objects.filter(member_key__user=wang.user).exists()


def test_grant_view_records_custody():
    zhu, client = make_reader("zhu")
    client.get("/en/newsroom/sources/key/")  # the recovery key page, shown once
    source = _source()
    vault.do_store_submission(source, _texts("hello"))
    wang = make_member("wang", "journalist")
    sign_in(Client(), wang)
    assert client.post("/en/newsroom/sources/grant/").status_code == 302
    assert CustodyRecord.objects.filter(
        action=Action.GRANT, actor=zhu.user, subject=f"source:{source.pk}", reason="wang"
    ).exists()


def _idle_source(days: int) -> Source:
    source = _source()
    vault.do_store_submission(source, _texts("old"))
    Source.objects.filter(pk=source.pk).update(
        last_active_hour=vault.hour_now() - timedelta(days=days)
    )
    return source


def test_a_purge_is_recorded_for_each_source(settings, django_capture_on_commit_callbacks):
    settings.JIANDU_RETENTION_DAYS = 30
    make_reader()
    old, recent = _idle_source(31), _idle_source(2)
    with django_capture_on_commit_callbacks(execute=True):
        assert vault.do_purge_idle_sources() == 1
    record = CustodyRecord.objects.get(action=Action.PURGE)
    assert record.subject == f"source:{old.pk}" and record.actor is None
    assert record.reason == "idle over 30 days"
    assert list(Source.objects.all()) == [recent]
    assert chain.verify().ok


def test_a_purge_that_fails_leaves_the_source_and_no_record(settings, monkeypatch):
    settings.JIANDU_RETENTION_DAYS = 30
    make_reader()
    old = _idle_source(31)

    def broken(source):
        Source.objects.filter(pk=source.pk).delete()  # half done, then the failure
        raise RuntimeError("disk full")

    monkeypatch.setattr(vault, "do_delete_source", broken)
    with pytest.raises(RuntimeError):
        vault.do_purge_idle_sources()
    assert Source.objects.filter(pk=old.pk).exists()
    assert not CustodyRecord.objects.filter(action=Action.PURGE).exists()
    assert chain.verify().ok


def test_a_purge_whose_record_fails_deletes_nothing(settings, monkeypatch):
    settings.JIANDU_RETENTION_DAYS = 30
    make_reader()
    old = _idle_source(31)

    def broken(*args, **kwargs):
        raise CustodyLogBroken("head missing")

    monkeypatch.setattr(vault, "do_record_custody", broken)
    with pytest.raises(CustodyLogBroken):
        vault.do_purge_idle_sources()
    assert Source.objects.filter(pk=old.pk).exists()
    assert SourceGrant.objects.filter(source=old).exists()
