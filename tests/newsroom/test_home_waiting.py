"""The newsroom home shows what waits (issue 18, item 9): new tips, unread replies from sources,
renders finished since the member last looked, reviews waiting for this member; each with its
count in the navigation of every newsroom page. The source page says a file is analysed once
its report exists, and previews are made without anyone clicking, as analyses are."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jiandu.cases import actions as cases
from jiandu.forensics import handoff
from jiandu.forensics.models import Analysis, Preview
from jiandu.redaction.models import Render
from jiandu.vault.models import Item, Source
from tests.factories import make_member, sign_in
from tests.forensics.conftest import run_tasks
from tests.tipline.helpers import codename_of, make_reader, submit

pytestmark = pytest.mark.django_db

HOME = "/en/newsroom/home/"


def nav_counts(html: str) -> dict[str, int]:
    """The counts the main navigation shows, by kind (its `data-waiting` name)."""
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S)
    assert nav is not None
    found = re.findall(
        r'data-waiting="([a-z]+)"[^>]*>.*?<span class="count"[^>]*>(\d+)</span>', nav.group(0), re.S
    )
    return {kind: int(count) for kind, count in found}


def test_new_tips_and_unread_replies_are_counted_in_the_navigation():
    _member, client = make_reader("zhu")
    client.get("/en/newsroom/sources/key/")  # the key page, seen once after enrolment
    source = Client()
    assert submit(source, message="The mayor's brother got the contract.").status_code == 302
    codename = codename_of(source)
    assert nav_counts(client.get(HOME).content.decode()).get("tips") == 1
    row = Source.objects.get()

    client.get(f"/en/newsroom/sources/{row.pk}/")  # opened: read up to its newest item
    counts = nav_counts(client.get(HOME).content.decode())
    assert "tips" not in counts and "replies" not in counts

    client.post(f"/en/newsroom/sources/{row.pk}/reply/", {"text": "Can you send the contract?"})
    returning = Client()
    assert returning.post("/en/return/", {"codename": codename}).status_code == 302
    assert submit(returning, message="Here is page one.").status_code == 302
    assert submit(returning, message="And page two.").status_code == 302
    page = client.get("/en/newsroom/sources/").content.decode()  # any newsroom page has the nav
    assert nav_counts(page).get("replies") == 2
    assert "Unread replies" in page
    # A colleague's reading does not count as this member's.
    other = make_member("li", "journalist")
    other_client = Client()
    sign_in(other_client, other)
    assert "tips" not in nav_counts(other_client.get(HOME).content.decode())  # no grant yet

    client.get(f"/en/newsroom/sources/{row.pk}/")
    assert "replies" not in nav_counts(client.get(HOME).content.decode())


def test_renders_finished_since_the_member_last_looked():
    member, client = make_reader("zhu")
    assert (
        submit(
            Client(), files=[SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\nxx", "image/png")]
        ).status_code
        == 302
    )
    item = Item.objects.get(kind=Item.Kind.FILE)
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    for state in (Render.State.DONE, Render.State.FAILED, Render.State.RUNNING):
        Render.objects.create(
            item=item, kind="image", state=state, created_by=member.user, created_hour=hour
        )
    other = make_member("li", "journalist")
    Render.objects.create(
        item=item, kind="image", state=Render.State.DONE, created_by=other.user, created_hour=hour
    )
    home = client.get(HOME).content.decode()
    assert nav_counts(home).get("renders") == 2  # this member's finished ones
    assert "Renders finished" in home
    # Looking is a POST (no write on a GET): opening one marks it seen, then all at once.
    done = Render.objects.get(state=Render.State.DONE, created_by=member.user)
    response = client.post(f"/en/newsroom/redaction/renders/{done.pk}/seen/")
    assert response.status_code == 302 and response["Location"].endswith(f"/renders/{done.pk}/")
    assert nav_counts(client.get(HOME).content.decode()).get("renders") == 1
    client.get("/en/newsroom/redaction/")  # a GET changes nothing
    assert nav_counts(client.get(HOME).content.decode()).get("renders") == 1
    assert client.post("/en/newsroom/redaction/seen/").status_code == 302
    assert "renders" not in nav_counts(client.get(HOME).content.decode())
    # Someone else's render cannot be marked through this member's door.
    theirs = Render.objects.get(created_by=other.user)
    client.post(f"/en/newsroom/redaction/renders/{theirs.pk}/seen/")
    theirs.refresh_from_db()
    assert not theirs.seen


def test_reviews_waiting_count_only_cases_this_member_may_publish():
    writer = make_member("writer", "journalist")
    editor = make_member("editor", "editor")
    other_editor = make_member("editor2", "editor")
    case = cases.do_create_case(writer.user, title_en="A case", summary_en="What happened.")
    cases.do_submit_for_review(writer.user, case, "First publication")
    mine = cases.do_create_case(editor.user, title_en="Mine", summary_en="Written by me.")
    cases.do_submit_for_review(editor.user, mine, "Ready")

    editor_client, writer_client, other_client = Client(), Client(), Client()
    sign_in(editor_client, editor)
    sign_in(writer_client, writer)
    sign_in(other_client, other_editor)
    assert nav_counts(editor_client.get(HOME).content.decode()).get("reviews") == 1
    assert nav_counts(other_client.get(HOME).content.decode()).get("reviews") == 2
    assert "reviews" not in nav_counts(writer_client.get(HOME).content.decode())  # cannot publish
    cases.do_publish_case(editor.user, case)
    assert nav_counts(other_client.get(HOME).content.decode()).get("reviews") == 1


def test_the_counts_on_chinese_pages_are_translated():
    _member, client = make_reader("zhu")
    submit(Client(), message="你好")
    page = client.get("/newsroom/home/").content.decode()
    assert nav_counts(page).get("tips") == 1
    assert "新线索" in page


def test_file_is_analysed_and_previewed_without_a_click(django_capture_on_commit_callbacks):
    member, _client = make_reader("zhu")
    photo = SimpleUploadedFile("street.png", _png(), "image/png")
    assert submit(Client(), message="A photo.", files=[photo]).status_code == 302
    item = Item.objects.get(kind=Item.Kind.FILE)
    handoff.start_worker_key()
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/en/newsroom/", {"username": "zhu", "password": member.password})
        # The sign-in hands new files to the worker (the next code: the first one was used).
        client.post("/en/newsroom/verify/", {"code": member.code(offset_steps=1)})
    run_tasks()
    assert Analysis.objects.get(item=item).state == Analysis.State.DONE
    assert Preview.objects.get(item=item).state == Preview.State.READY  # nobody clicked
    page = client.get(f"/en/newsroom/sources/{item.source_id}/").content.decode()
    assert "Not analysed yet" not in page
    assert "Analysed" in page and "Preview ready" in page


def test_a_file_arriving_during_a_session_is_previewed_from_the_inbox(
    django_capture_on_commit_callbacks,
):
    member, client = make_reader("zhu")
    client.get("/en/newsroom/sources/key/")
    handoff.start_worker_key()
    photo = SimpleUploadedFile("street.png", _png(), "image/png")
    assert submit(Client(), files=[photo]).status_code == 302
    item = Item.objects.get(kind=Item.Kind.FILE)
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/en/newsroom/sources/")  # the page's script posts its hand-off form:
        client.post("/en/newsroom/sources/hand-new-files/")
    run_tasks()
    assert Preview.objects.get(item=item).state == Preview.State.READY
    assert Preview.objects.get(item=item).requested_by == member.user


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()
