"""Team features (issue 18, item 8), through HTTP: tags sealed to the source key and
filterable, internal notes sealed and written to custody (each write and each read), reply
attribution inside the newsroom only, and reassignment of a leaving member's work."""

import secrets

import pytest
from django.db import connection
from django.test import Client, TestCase

from jiandu.accounts.models import AccountEvent
from jiandu.ledger.models import CustodyRecord
from jiandu.newsroom.models import Note, SourceState, SourceTag
from jiandu.vault import actions as vault
from jiandu.vault import crypto
from jiandu.vault.models import Item, Source, SourceGrant
from tests.factories import make_member, sign_in
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db

TAG = "土地征收 land-grab"
NOTE_ON_SOURCE = "Caller sounds like the deputy's driver; check the plates."
NOTE_ON_ITEM = "第二段视频的时间戳与会议记录不符"


def _database_copy() -> str:
    """Every row of every table as text, bytes as hex: what a stolen database holds (on SQLite
    and PostgreSQL alike)."""

    def text(value: object) -> str:
        if isinstance(value, memoryview | bytes | bytearray):
            return bytes(value).hex().upper()
        return str(value)

    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows += [" ".join(text(value) for value in row) for row in cursor.fetchall()]
    return "\n".join(rows)


def _hidden(text: str, dump: str) -> bool:
    return text not in dump and text.encode().hex().upper() not in dump.upper()


def _source(message: str = "The mayor's land deal.") -> Source:
    source = vault.do_create_source(secrets.token_hex(32), crypto.new_keypair()[1])
    with TestCase.captureOnCommitCallbacks(execute=True):  # the submission's commit
        vault.do_store_submission(source, [vault.prepare_text(Item.Kind.MESSAGE, message)])
    return source


def _open(client: Client) -> None:
    """Past the recovery key shown once after the first sign-in."""
    client.get("/en/newsroom/sources/key/")


def test_tags_are_sealed_and_filter_the_inbox():
    _member, newsroom = make_reader("zhu")
    _open(newsroom)
    tagged, other = _source(), _source("Something else.")
    url = f"/en/newsroom/sources/{tagged.pk}/"
    response = newsroom.post(url + "triage/", {"status": "in_review", "assignee": "", "tag": TAG})
    assert response.status_code == 302
    # The same tag again, in another case, is not added twice.
    newsroom.post(url + "triage/", {"status": "in_review", "tag": TAG.upper()})
    assert SourceTag.objects.filter(source=tagged).count() == 1
    assert TAG in newsroom.get(url).content.decode()
    dump = _database_copy()
    assert _hidden(TAG, dump) and _hidden("land-grab", dump)
    # Filtering decrypts the member's sources' tags: any case finds it, others are left out.
    page = newsroom.get("/en/newsroom/sources/", {"tag": "土地征收 LAND-GRAB"}).content.decode()
    assert tagged.designation in page and other.designation not in page
    page = newsroom.get("/en/newsroom/sources/", {"tag": "nothing"}).content.decode()
    assert tagged.designation not in page
    csv = b"".join(
        newsroom.get("/en/newsroom/sources/export.csv", {"tag": TAG}).streaming_content
    ).decode()
    assert tagged.designation in csv and other.designation not in csv
    # Removing it is recorded, without the text.
    tag = SourceTag.objects.get()
    assert newsroom.post(f"{url}tags/{tag.pk}/remove/").status_code == 302
    assert not SourceTag.objects.exists()
    reasons = list(CustodyRecord.objects.values_list("reason", flat=True))
    assert "tag added" in reasons and "tag removed" in reasons
    assert all(TAG not in reason for reason in reasons)


def test_a_member_without_access_to_the_source_adds_no_tag_and_sees_none():
    _member, newsroom = make_reader("zhu")
    _open(newsroom)
    source = _source()
    newsroom.post(f"/en/newsroom/sources/{source.pk}/triage/", {"status": "new", "tag": TAG})
    late = make_member("wang", "journalist")
    client = Client()
    sign_in(client, late)
    _open(client)  # wang's key is new: no grant for the source
    client.post(f"/en/newsroom/sources/{source.pk}/triage/", {"status": "new", "tag": "x"})
    assert SourceTag.objects.count() == 1
    page = client.get("/en/newsroom/sources/", {"tag": TAG}).content.decode()
    assert source.designation not in page
    tag = SourceTag.objects.get()
    assert client.post(f"/en/newsroom/sources/{source.pk}/tags/{tag.pk}/remove/").status_code == 403


def test_notes_are_sealed_and_every_write_and_read_is_in_custody():
    member, newsroom = make_reader("zhu")
    _open(newsroom)
    source = _source()
    item = source.items.get()
    url = f"/en/newsroom/sources/{source.pk}/"
    for about, text in (("", NOTE_ON_SOURCE), (item.pk, NOTE_ON_ITEM)):
        assert (
            newsroom.post(url + "notes/", {"note-about": about, "note-text": text}).status_code
            == 302
        )
    on_source, on_item = Note.objects.order_by("pk")
    assert on_item.item_id == item.pk and on_source.item_id is None
    dump = _database_copy()
    assert _hidden(NOTE_ON_SOURCE, dump) and _hidden(NOTE_ON_ITEM, dump)
    added = CustodyRecord.objects.filter(reason__endswith="added", actor=member.user)
    assert {(r.subject, r.reason) for r in added} == {
        (f"source:{source.pk}", f"note {on_source.pk} added"),
        (f"item:{item.pk}", f"note {on_item.pk} added"),
    }
    page = newsroom.get(url).content.decode()
    assert NOTE_ON_SOURCE.replace("'", "&#x27;") in page and NOTE_ON_ITEM in page
    reads = CustodyRecord.objects.filter(action="view", reason__endswith="read")
    assert {r.reason for r in reads} == {f"note {on_source.pk} read", f"note {on_item.pk} read"}
    # A note about another source's item is refused; the source never sees notes.
    stranger = _source("Other.").items.get()
    response = newsroom.post(
        url + "notes/", {"note-about": stranger.pk, "note-text": "wrong place"}
    )
    assert response.status_code == 200 and Note.objects.count() == 2


def test_the_source_sees_the_newsroom_the_newsroom_sees_the_member():
    _member, newsroom = make_reader("zhu_reporter")
    _open(newsroom)
    source_client = Client()
    assert submit(source_client, message="Here is what I saw.").status_code == 302
    source_client.post("/en/codename/noted/", {"noted": "1"})
    row = Source.objects.get()
    newsroom.post(f"/en/newsroom/sources/{row.pk}/reply/", {"text": "Thank you, we read it."})
    newsroom.post(
        f"/en/newsroom/sources/{row.pk}/notes/", {"note-about": "", "note-text": NOTE_ON_SOURCE}
    )
    inside = newsroom.get(f"/en/newsroom/sources/{row.pk}/").content.decode()
    assert "Reply by zhu_reporter" in inside
    for prefix in ("/en", "", "/zh-hant"):
        page = source_client.get(f"{prefix}/conversation/").content.decode()
        assert "Thank you, we read it." in page
        assert "zhu_reporter" not in page and "zhu" not in page
        assert "deputy" not in page  # an internal note never reaches the source


def _signed_in(username: str, role: str) -> tuple:
    member = make_member(username, role)
    client = Client()
    sign_in(client, member)
    _open(client)
    return member, client


def test_reassignment_moves_assignments_and_grants_in_one_recorded_action():
    admin, admin_client = _signed_in("chen", "admin")
    leaving, _leaving_client = _signed_in("li", "journalist")
    sources = [_source(f"Tip {n}") for n in range(3)]
    for source in sources[:2]:
        SourceState.objects.filter(source=source).update(assignee=leaving.user)
    successor, successor_client = _signed_in("wang", "journalist")  # after: no grants yet
    assert not SourceGrant.objects.filter(member_key__user=successor.user).exists()
    # Only an admin may do it.
    response = successor_client.post(
        "/en/newsroom/sources/reassign/",
        {"leaving": leaving.user.pk, "successor": successor.user.pk, "withdraw": "on"},
    )
    assert response.status_code == 403
    response = admin_client.post(
        "/en/newsroom/sources/reassign/",
        {"leaving": leaving.user.pk, "successor": successor.user.pk, "withdraw": "on"},
    )
    assert response.status_code == 302
    assert set(
        SourceState.objects.filter(assignee=successor.user).values_list("pk", flat=True)
    ) == {s.pk for s in sources[:2]}
    assert not SourceState.objects.filter(assignee=leaving.user).exists()
    assert SourceGrant.objects.filter(member_key__user=successor.user).count() == 3
    assert not SourceGrant.objects.filter(member_key__user=leaving.user).exists()
    assert SourceGrant.objects.filter(member_key__user=admin.user).count() == 3
    # The successor really opens the sources with their own key.
    page = successor_client.get(f"/en/newsroom/sources/{sources[2].pk}/").content.decode()
    assert "Tip 2" in page
    custody = CustodyRecord.objects.filter(actor=admin.user)
    assert custody.filter(action="assign", reason="wang").count() == 2
    assert custody.filter(action="grant", reason="wang").count() == 3
    assert custody.filter(action="grant", reason__startswith="withdrawn from li").count() == 3
    event = AccountEvent.objects.get(kind="reassign")
    assert event.member == leaving.user and event.actor == admin.user
    assert "to wang: 2 assignment(s), 3 grant(s) sealed, 3 withdrawn" in event.detail
    history = admin_client.get(f"/en/newsroom/members/{leaving.user.pk}/").content.decode()
    assert "work moved to another member" in history


def test_reassignment_keeps_what_the_admin_cannot_open():
    leaving, _client = _signed_in("li", "journalist")
    source = _source("Only li has it.")
    admin, admin_client = _signed_in("chen", "admin")  # signed in after: no grant for it
    successor, _s = _signed_in("wang", "journalist")
    response = admin_client.post(
        "/en/newsroom/sources/reassign/",
        {"leaving": leaving.user.pk, "successor": successor.user.pk, "withdraw": "on"},
        follow=True,
    )
    assert "1 source(s) stay with li" in response.content.decode()
    assert SourceGrant.objects.filter(source=source, member_key__user=leaving.user).exists()
    assert not SourceGrant.objects.filter(source=source, member_key__user=successor.user).exists()
    assert not SourceGrant.objects.filter(member_key__user=admin.user).exists()
