"""Issue 17, item 3: a flood of junk first submissions filled the inbox, and clearing it meant
ticking each source by hand, fifty to a page. The newsroom now sees the hours with first-contact
sources that sent no file and never came back, and clears one hour's worth in bulk: behind the
confirmation page that names each source, with a reason, one custody record per source, admins
and editors only. A source with a file, or one that came back, is never among them."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiandu.ledger.actions import subject_of
from jiandu.ledger.models import Action, CustodyRecord
from jiandu.vault.models import Source
from tests.factories import make_member, sign_in
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db

CLEAR = "/en/newsroom/sources/clear/"
BULK = "/en/newsroom/sources/bulk/"


def _member(username: str, role: str) -> Client:
    client = Client()
    sign_in(client, make_member(username, role))
    client.get("/en/newsroom/sources/key/")  # the recovery key, shown once
    return client


def test_an_editor_clears_an_hour_of_junk_first_contacts_with_custody_records():
    make_reader()
    for number in range(30):
        assert submit(Client(), message=f"junk {number}").status_code == 302
    with_file = Client()
    submit(with_file, message="the video", files=[SimpleUploadedFile("a.mp4", b"data")])
    came_back = Client()
    submit(came_back, message="first")
    submit(came_back, message="and more")
    keep = {Source.objects.get(pk=c.session["tipline_source"]).pk for c in (with_file, came_back)}
    editor = _member("bian", "editor")

    listing = editor.get(CLEAR)
    assert listing.status_code == 200
    hour = re.search(r'name="hour" value="([^"]+)"', listing.content.decode()).group(1)
    assert "30" in listing.content.decode()

    confirm = editor.post(CLEAR, {"hour": hour})
    assert confirm.status_code == 200
    page = confirm.content.decode()
    ids = [int(i) for i in re.findall(r'name="ids" value="(\d+)"', page)]
    assert len(ids) == 30 and not keep & set(ids)
    assert "Delete for good" in page  # the confirmation page, nothing deleted yet
    assert Source.objects.count() == 32

    done = editor.post(
        BULK, {"action": "delete", "confirm": "1", "ids": ids, "reason": "junk flood"}
    )
    assert done.status_code == 302
    assert set(Source.objects.values_list("pk", flat=True)) == keep
    records = CustodyRecord.objects.filter(action=Action.DELETE, reason="junk flood")
    assert sorted(records.values_list("subject", flat=True)) == sorted(
        subject_of("source", pk) for pk in ids
    )
    assert {r.actor_name for r in records} == {"bian"}


def test_a_journalist_cannot_clear_a_flood():
    make_reader()
    submit(Client(), message="junk")
    journalist = _member("lin", "journalist")
    assert journalist.get(CLEAR).status_code == 403
    hour = Source.objects.get().created_hour.isoformat()
    assert journalist.post(CLEAR, {"hour": hour}).status_code == 403
    assert Source.objects.count() == 1
