"""The inbox: newest activity first, unread counts, star, assignment, status, filters,
pagination, bulk actions with confirmation, CSV of non-content fields, custody records."""

import csv
import io
import secrets
from datetime import timedelta

import pytest
from django.test import Client, TestCase

from jiandu.ledger import chain
from jiandu.ledger.models import CustodyRecord
from jiandu.newsroom import inbox
from jiandu.newsroom.models import ReadMark, SourceState, Status
from jiandu.vault import actions as vault
from jiandu.vault import crypto
from jiandu.vault.models import Item, Source
from tests.factories import make_member, sign_in
from tests.tipline.helpers import make_reader

pytestmark = pytest.mark.django_db


def make_source(*texts: str, hours_ago: int = 0) -> Source:
    """A source with one message per text, through the vault's own actions."""
    source = vault.do_create_source(secrets.token_hex(32), crypto.new_keypair()[1])
    with TestCase.captureOnCommitCallbacks(execute=True):  # the submission's commit
        vault.do_store_submission(
            source, [vault.prepare_text(Item.Kind.MESSAGE, text) for text in texts or ("hello",)]
        )
    if hours_ago:
        Source.objects.filter(pk=source.pk).update(
            last_active_hour=vault.hour_now() - timedelta(hours=hours_ago)
        )
    return Source.objects.get(pk=source.pk)


@pytest.fixture
def newsroom():
    member, client = make_reader()
    client.get("/en/newsroom/sources/key/")  # the recovery key, shown once
    return member, client


@pytest.fixture
def editor_newsroom():
    """An editor (who may delete sources), signed in, past the recovery-key page."""
    member = make_member("chen", "editor")
    client = Client()
    sign_in(client, member)
    client.get("/en/newsroom/sources/key/")
    return member, client


def page(client, query: str = "") -> str:
    response = client.get(f"/en/newsroom/sources/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_newest_activity_first_with_unread_counts(newsroom):
    member, client = newsroom
    old = make_source("message-uno", "message-dos", hours_ago=5)
    new = make_source("message-tres")
    html = page(client)
    assert html.index(new.designation) < html.index(old.designation)
    counts = inbox.counts_for(member.user, [old.pk, new.pk])
    assert (counts[old.pk].messages, counts[old.pk].unread) == (2, 2)
    assert "message-" not in html  # nothing decrypted on the list

    client.get(f"/en/newsroom/sources/{old.pk}/")  # reading it marks it read
    assert inbox.counts_for(member.user, [old.pk])[old.pk].unread == 0
    vault.do_store_submission(old, [vault.prepare_text(Item.Kind.MESSAGE, "four")])
    assert inbox.counts_for(member.user, [old.pk])[old.pk].unread == 1
    assert CustodyRecord.objects.filter(action="view", subject=f"source:{old.pk}").exists()


def test_every_source_gets_a_triage_row(newsroom):
    source = make_source()
    assert SourceState.objects.get(source=source).status == Status.NEW


def test_a_source_whose_triage_row_is_not_made_yet_reads_as_new_and_nothing_is_written(newsroom):
    """The row comes from the vault's signal after the commit (issue 20, item 5): a source
    seen before it (or if it never came) is new, unassigned, unstarred, and reading the inbox
    or the source's page makes no row."""
    _member, client = newsroom
    source = vault.do_create_source(secrets.token_hex(32), crypto.new_keypair()[1])
    vault.do_store_submission(source, [vault.prepare_text(Item.Kind.MESSAGE, "early")])
    assert not SourceState.objects.filter(source=source).exists()
    assert source.designation in page(client, "?status=new")
    assert source.designation in page(client, "?assignee=none")
    assert client.get(f"/en/newsroom/sources/{source.pk}/").status_code == 200
    assert not SourceState.objects.filter(source=source).exists()
    client.post("/en/newsroom/sources/bulk/", {"toggle_star": source.pk})
    assert SourceState.objects.get(source=source).starred


def test_triage_status_assignee_star_with_custody(newsroom):
    _member, client = newsroom
    colleague = make_member("wang", "journalist")
    source = make_source()
    response = client.post(
        f"/en/newsroom/sources/{source.pk}/triage/",
        {"status": "authenticating", "assignee": str(colleague.user.pk), "starred": "on"},
    )
    assert response.status_code == 302
    state = SourceState.objects.get(source=source)
    assert (state.status, state.assignee, state.starred) == (
        "authenticating",
        colleague.user,
        True,
    )
    actions = set(
        CustodyRecord.objects.filter(subject=f"source:{source.pk}").values_list("action", flat=True)
    )
    assert {"status", "assign"} <= actions


def test_filters(newsroom):
    member, client = newsroom
    a, b, c = make_source(), make_source(hours_ago=24 * 40), make_source()
    SourceState.objects.filter(source=a).update(status="published", starred=True)
    SourceState.objects.filter(source=c).update(assignee=member.user)
    only = lambda html: {s.designation for s in (a, b, c) if s.designation in html}  # noqa: E731
    assert only(page(client, "?status=published")) == {a.designation}
    assert only(page(client, "?starred=on")) == {a.designation}
    assert only(page(client, "?assignee=me")) == {c.designation}
    assert only(page(client, "?assignee=none")) == {a.designation, b.designation}
    since = (vault.hour_now() - timedelta(days=7)).date().isoformat()
    assert only(page(client, f"?since={since}")) == {a.designation, c.designation}
    until = (vault.hour_now() - timedelta(days=30)).date().isoformat()
    assert only(page(client, f"?until={until}")) == {b.designation}
    assert "No source matches these filters." in page(client, "?status=closed")


def test_pagination_keeps_the_filters(newsroom):
    _member, client = newsroom
    for _ in range(inbox.PER_PAGE + 3):
        make_source()
    first = page(client, "?status=new")
    assert "Page 1 of 2" in first
    assert "?status=new&amp;page=2" in first
    assert first.count('name="ids"') == inbox.PER_PAGE
    assert page(client, "?status=new&page=2").count('name="ids"') == 3


def test_star_toggle_from_the_list(newsroom):
    _member, client = newsroom
    source = make_source()
    client.post("/en/newsroom/sources/bulk/", {"toggle_star": source.pk, "next": "/en/"})
    assert SourceState.objects.get(source=source).starred
    client.post("/en/newsroom/sources/bulk/", {"toggle_star": source.pk})
    assert not SourceState.objects.get(source=source).starred


def test_bulk_mark_read(newsroom):
    member, client = newsroom
    a, b = make_source("x"), make_source("y")
    response = client.post("/en/newsroom/sources/bulk/", {"action": "read", "ids": [a.pk, b.pk]})
    assert response.status_code == 302
    assert ReadMark.objects.filter(user=member.user).count() == 2
    assert inbox.counts_for(member.user, [a.pk])[a.pk].unread == 0


def test_bulk_delete_asks_for_confirmation_and_a_reason(
    editor_newsroom, django_capture_on_commit_callbacks
):
    _member, client = editor_newsroom
    a, b = make_source(), make_source()
    asked = client.post("/en/newsroom/sources/bulk/", {"action": "delete", "ids": [a.pk]})
    assert asked.status_code == 200
    assert "Delete for good" in asked.content.decode() and a.designation in asked.content.decode()
    assert Source.objects.filter(pk=a.pk).exists()  # nothing deleted yet
    no_reason = client.post(
        "/en/newsroom/sources/bulk/",
        {"action": "delete", "ids": [a.pk], "confirm": "1", "reason": " "},
    )
    assert no_reason.status_code == 200 and Source.objects.filter(pk=a.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/en/newsroom/sources/bulk/",
            {"action": "delete", "ids": [a.pk], "confirm": "1", "reason": "duplicate, spam"},
        )
    assert done.status_code == 302
    assert not Source.objects.filter(pk=a.pk).exists() and Source.objects.filter(pk=b.pk).exists()
    record = CustodyRecord.objects.get(action="delete", subject=f"source:{a.pk}")
    assert record.reason == "duplicate, spam"


def test_csv_export_has_no_content(newsroom):
    member, client = newsroom
    source = make_source("a secret message")
    SourceState.objects.filter(source=source).update(status="in_review", assignee=member.user)
    response = client.get("/en/newsroom/sources/export.csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows == [
        {
            "designation": source.designation,
            "status": "in_review",
            "starred": "",
            "assignee": member.user.username,
            "first_seen_hour": source.created_hour.strftime("%Y-%m-%d %H:00"),
            "last_active_hour": source.last_active_hour.strftime("%Y-%m-%d %H:00"),
            "messages": "1",
            "files": "0",
            "replies": "0",
            "unread_for_me": "1",
        }
    ]
    assert "secret" not in body
    assert CustodyRecord.objects.filter(action="export", subject="inbox:csv").exists()


def test_reply_is_in_custody(newsroom):
    _member, client = newsroom
    source = make_source()
    client.post(f"/en/newsroom/sources/{source.pk}/reply/", {"text": "thanks"})
    reply = source.items.get(kind=Item.Kind.REPLY)
    assert CustodyRecord.objects.filter(action="reply", subject=f"item:{reply.pk}").exists()


def test_custody_log_edit_is_detected(newsroom):
    _member, client = newsroom
    source = make_source()
    client.get(f"/en/newsroom/sources/{source.pk}/")
    assert chain.verify().ok
    record = CustodyRecord.objects.filter(action="view").last()
    CustodyRecord.objects.filter(pk=record.pk).update(actor_name="someone else")
    report = chain.verify()
    assert not report.ok and report.first_bad_id == record.pk


def test_admins_see_custody_on_the_source_page(newsroom):
    _member, client = newsroom
    source = make_source()
    assert "Custody of this source" not in page(client, f"{source.pk}/")
    admin = make_member("chief", "admin")
    admin_client = Client()
    sign_in(admin_client, admin)
    admin_client.get("/en/newsroom/sources/key/")
    html = admin_client.get(f"/en/newsroom/sources/{source.pk}/").content.decode()
    assert "Custody of this source" in html and f"source:{source.pk}" in html


def test_bulk_redirects_only_to_this_site(newsroom):
    _member, client = newsroom
    source = make_source()
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        response = client.post(
            "/en/newsroom/sources/bulk/", {"action": "read", "ids": [source.pk], "next": evil}
        )
        assert response["Location"] == "/en/newsroom/sources/"
    kept = client.post(
        "/en/newsroom/sources/bulk/",
        {"action": "read", "ids": [source.pk], "next": "/en/newsroom/sources/?status=new"},
    )
    assert kept["Location"] == "/en/newsroom/sources/?status=new"


def test_csv_cells_never_start_a_formula(newsroom):
    from jiandu.accounts.models import User

    _member, client = newsroom
    odd = make_member("=HYPERLINK(1)", "journalist")
    source = make_source()
    SourceState.objects.filter(source=source).update(assignee=odd.user)
    body = b"".join(client.get("/en/newsroom/sources/export.csv").streaming_content).decode()
    assert "'=HYPERLINK(1)" in body
    assert User.objects.filter(username="=HYPERLINK(1)").exists()
