"""The custody log is append-only in the interface and tamper-evident in the database."""

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from jiandu.ledger import chain
from jiandu.ledger.actions import do_record_custody, subject_of
from jiandu.ledger.models import Action, ChainHead, CustodyRecord
from tests.factories import make_member, sign_in

pytestmark = pytest.mark.django_db


def fill(user, n=5):
    return [do_record_custody(user, Action.VIEW, subject_of("item", i)) for i in range(1, n + 1)]


def test_records_chain_and_verify():
    user = make_member().user
    records = fill(user)
    report = chain.verify()
    assert report.ok and report.checked == 5
    assert records[-1].mac == ChainHead.objects.get().mac
    assert len({r.mac for r in records}) == 5


@pytest.mark.parametrize(
    "tamper",
    [
        lambda ids: CustodyRecord.objects.filter(pk=ids[2]).update(reason="edited"),
        lambda ids: CustodyRecord.objects.filter(pk=ids[2]).update(action="preview"),
        lambda ids: CustodyRecord.objects.filter(pk=ids[2]).update(actor_name="someone else"),
        lambda ids: CustodyRecord.objects.filter(pk=ids[2]).delete(),
    ],
    ids=["reason", "action", "actor", "delete-middle"],
)
def test_any_edit_in_the_database_is_detected(tamper):
    ids = [r.pk for r in fill(make_member().user)]
    tamper(ids)
    report = chain.verify()
    assert not report.ok
    assert report.first_bad_id in (ids[2], ids[3])


def test_removing_the_newest_records_is_detected():
    records = fill(make_member().user)
    CustodyRecord.objects.filter(pk=records[-1].pk).delete()
    report = chain.verify()
    assert not report.ok and "end of the log" in report.problem


def test_recomputing_the_chain_without_the_server_key_is_detected():
    records = fill(make_member().user)
    CustodyRecord.objects.filter(pk=records[1].pk).update(reason="quietly changed")
    with override_settings(SECRET_KEY="attacker-guess-" + "x" * 40):
        previous = chain.GENESIS
        for record in CustodyRecord.objects.order_by("id"):
            record.mac = chain.seal(previous, record)
            record.save(update_fields=["mac"])
            previous = record.mac
        ChainHead.objects.update(mac=previous)
    assert not chain.verify().ok


def test_deletion_needs_a_reason():
    with pytest.raises(ValueError):
        do_record_custody(make_member().user, Action.DELETE, subject_of("source", 1))
    record = do_record_custody(
        make_member("ed", "editor").user,
        Action.DELETE,
        subject_of("source", 1),
        reason="source asked",
    )
    assert record.reason == "source asked"


def test_verify_command_exit_status(capsys):
    records = fill(make_member().user, 3)
    call_command("verify_custody")
    assert "intact: 3 records" in capsys.readouterr().out
    CustodyRecord.objects.filter(pk=records[0].pk).update(subject="item:999")
    with pytest.raises(CommandError, match=f"BROKEN at record {records[0].pk}"):
        call_command("verify_custody")


def test_admin_page_shows_records_and_break(client):
    admin = make_member("boss", "admin")
    records = fill(admin.user, 3)
    sign_in(client, admin)
    page = client.get("/en/newsroom/custody/")
    assert page.status_code == 200
    assert b"Chain intact: 3 records verified." in page.content
    assert b"item:3" in page.content
    CustodyRecord.objects.filter(pk=records[1].pk).update(reason="x")
    page = client.get("/en/newsroom/custody/?action=view")
    assert b"Chain broken at record" in page.content
    # The interface offers no way to change a record.
    assert client.post("/en/newsroom/custody/", {"reason": "y"}).status_code == 200
    assert CustodyRecord.objects.get(pk=records[1].pk).reason == "x"


def test_only_admins_read_the_whole_log(client):
    sign_in(client, make_member("j", "journalist"))
    assert client.get("/en/newsroom/custody/").status_code == 403


def test_removing_the_chain_head_is_detected_and_not_papered_over():
    from jiandu.ledger.actions import CustodyLogBroken

    user = make_member().user
    records = fill(user, 3)
    ChainHead.objects.all().delete()
    CustodyRecord.objects.filter(pk=records[-1].pk).delete()
    report = chain.verify()
    assert not report.ok and "head" in report.problem
    with pytest.raises(CustodyLogBroken):
        do_record_custody(user, Action.VIEW, subject_of("item", 9))


def test_an_empty_log_without_head_starts_a_new_chain():
    ChainHead.objects.all().delete()
    do_record_custody(make_member().user, Action.VIEW, subject_of("item", 1))
    assert chain.verify().ok
