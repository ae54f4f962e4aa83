"""The two-person rule counts every editor since the last publication, and the publisher sees
what changed (issue 17 item 1, issue 18 item 6).

Editor E plants a sentence, journalist J fixes a typo and submits, E publishes: before, only the
submitter and the *last* editor were barred, so E published words no second person had read.
"""

import io

import pytest
from django.test import Client
from PIL import Image

from jiandu.cases import actions
from jiandu.cases.models import Case
from jiandu.redaction.actions import do_publish_evidence
from tests.factories import make_member, sign_in
from tests.redaction.helpers import rendered

pytestmark = pytest.mark.django_db

PLANTED = "The mayor took a bribe."


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def published_case(writer, editor, **fields) -> Case:
    fields.setdefault("title_en", "A case")
    fields.setdefault("title_zh", "一个案件")
    fields.setdefault("summary_en", "What happened.")
    case = actions.do_create_case(writer, **fields)
    actions.do_submit_for_review(writer, case, "First")
    actions.do_publish_case(editor, case)
    case.refresh_from_db()
    return case


def edit_form(case: Case, **changes) -> dict:
    data = {
        name: getattr(case, name)
        for name in (
            "title_zh",
            "title_en",
            "summary_zh",
            "summary_en",
            "allegations_zh",
            "allegations_en",
        )
    }
    data.update(changes)
    return data


def signed_in(member) -> Client:
    """A browser of its own per member: a TOTP code is accepted once, so no second sign-in."""
    client = Client()
    sign_in(client, member)
    return client


def test_an_editor_cannot_publish_a_version_he_edited_before_someone_else_submitted():
    """The attack of issue 17 item 1, through the desk's pages."""
    editor = signed_in(make_member("e", "editor"))
    journalist = make_member("j", "journalist")
    case = published_case(journalist.user, make_member("first", "editor").user)
    base = f"/en/newsroom/cases/{case.pk}/"

    planted = edit_form(case, summary_en=f"What happened. {PLANTED}")
    assert editor.post(base + "edit/", planted).status_code == 302

    writer = signed_in(journalist)
    case.refresh_from_db()
    fixed = edit_form(case, title_en="A case (typo fixed)")
    assert writer.post(base + "edit/", fixed).status_code == 302
    assert writer.post(base + "submit/", {"note_en": "Typo fixed"}).status_code == 302

    page = editor.get(base).content.decode()
    assert "Publish this version" not in page
    response = editor.post(base + "publish/")
    assert response.status_code == 400
    assert case.revisions.count() == 1
    case.refresh_from_db()
    assert PLANTED not in str(case.current_revision.snapshot)

    # A member who did not edit reads the change (the planted sentence marked as inserted)
    # and the list of who edited it, then publishes; the revision records both editors.
    second = signed_in(make_member("second", "editor"))
    page = second.get(base).content.decode()
    assert "Publish this version" in page
    assert f"<ins>{PLANTED}</ins>" in page
    assert '<li class="editor">e</li>' in page and '<li class="editor">j</li>' in page
    assert second.post(base + "publish/").status_code == 302
    revision = case.revisions.get(number=2)
    assert {u.username for u in revision.editors.all()} == {"e", "j"}
    case.refresh_from_db()
    assert not case.editors_since_publication.exists()


@pytest.mark.parametrize(
    "edit",
    [
        "event",
        "claim",
        "citation",
        "link_person",
        "unlink_person",
        "delete_event",
        "person",
    ],
)
def test_every_kind_of_edit_bars_its_author_from_publishing(edit):
    from datetime import datetime

    from jiandu.cases.metrics import local_zone

    writer = make_member("w", "journalist").user
    editor = make_member("e", "editor").user
    lei = actions.do_create_person(writer, name_en="Lei")
    case = actions.do_create_case(writer, title_en="Case")
    actions.do_link_person(writer, case, lei, "subject")
    event = actions.do_add_event(
        writer,
        case,
        type="removed",
        occurred_at=datetime(2012, 11, 23, tzinfo=local_zone()),
        precision="day",
    )
    actions.do_submit_for_review(writer, case, "First")
    actions.do_publish_case(make_member("e0", "editor").user, case)
    run = {
        "event": lambda: actions.do_add_event(
            editor,
            case,
            type="denial",
            occurred_at=datetime(2012, 11, 21, tzinfo=local_zone()),
            precision="day",
        ),
        "claim": lambda: actions.do_add_claim(editor, case, question_en="How many?"),
        "citation": lambda: actions.do_add_citation(editor, case, outlet="RFA"),
        "link_person": lambda: actions.do_link_person(
            editor, case, actions.do_create_person(editor, name_en="Wang"), "other"
        ),
        "unlink_person": lambda: actions.do_unlink_person(editor, case, lei),
        "delete_event": lambda: actions.do_delete_event(editor, event),
        "person": lambda: actions.do_update_person(editor, lei, summary_en="Changed."),
    }[edit]
    run()
    actions.do_update_case(writer, case, summary_en="Typo fixed.")
    actions.do_submit_for_review(writer, case, "Second")
    case.refresh_from_db()
    assert not actions.can_publish(editor, case)
    with pytest.raises(actions.WorkflowError):
        actions.do_publish_case(editor, case)


def test_evidence_added_after_submit_joins_the_diff_and_bars_its_adder(client):
    writer = make_member("w", "journalist")
    editor = make_member("e", "editor")
    case = published_case(writer.user, make_member("first", "editor").user)
    actions.do_update_case(writer.user, case, summary_en="Confirmed by the city.")
    actions.do_submit_for_review(writer.user, case, "Confirmed")
    do_publish_evidence(
        case, editor.user, rendered(editor.user, png()), "unverified", caption_en="A frame"
    )
    case.refresh_from_db()
    # The request for review stands; the evidence joins what the publisher reads.
    assert case.submitted_by == writer.user
    assert not actions.can_publish(editor.user, case)

    sign_in(client, make_member("second", "editor"))
    base = f"/en/newsroom/cases/{case.pk}/"
    page = client.get(base).content.decode()
    assert "Evidence added" in page and "A frame" in page
    assert "Publish this version" in page
    assert client.post(base + "publish/").status_code == 302
    assert len(case.revisions.get(number=2).snapshot["evidence"]) == 1


def test_the_diff_reads_in_english_and_chinese(client):
    from datetime import datetime

    from jiandu.cases.metrics import local_zone

    writer = make_member("w", "journalist")
    case = published_case(
        writer.user, make_member("first", "editor").user, summary_zh="雷政富被免职。"
    )
    event = actions.do_add_event(
        writer.user,
        case,
        type="removed",
        occurred_at=datetime(2012, 11, 23, tzinfo=local_zone()),
        precision="day",
        description_en="Removed.",
    )
    actions.do_update_case(writer.user, case, summary_zh="雷政富于十一月被免职。")
    actions.do_submit_for_review(writer.user, case, "Removal")
    sign_in(client, make_member("second", "editor"))

    en = client.get(f"/en/newsroom/cases/{case.pk}/").content.decode()
    assert "Changes since the last publication" in en
    assert "Last published" in en and "This version" in en
    assert "<ins>于十一月</ins>" in en
    assert "Timeline events added" in en and "Removed." in en
    assert "Edited since the last publication by" in en

    zh = client.get(f"/newsroom/cases/{case.pk}/").content.decode()  # zh-Hans: no prefix
    assert "自上次发布以来的改动" in zh
    assert "上次发布的版本" in zh and "本版本" in zh
    assert "<ins>于十一月</ins>" in zh
    assert "新增的时间线事件" in zh
    assert "自上次发布以来编辑过的成员" in zh
    assert "Changes since the last publication" not in zh

    # A changed event reads as changed, with its text's difference; a removed one as removed.
    actions.do_update_event(
        writer.user,
        event,
        type="removed",
        occurred_at=event.occurred_at,
        precision="day",
        description_en="Removed from his post.",
    )
    actions.do_submit_for_review(writer.user, case, "Removal")
    actions.do_publish_case(make_member("third", "editor").user, case)
    actions.do_update_event(
        writer.user,
        event,
        type="removed",
        occurred_at=event.occurred_at,
        precision="day",
        description_en="Removed from his post in Beibei.",
    )
    en = client.get(f"/en/newsroom/cases/{case.pk}/").content.decode()
    assert "Timeline events changed" in en and "<ins>in Beibei</ins>" in en
    actions.do_delete_event(writer.user, event)
    en = client.get(f"/en/newsroom/cases/{case.pk}/").content.decode()
    assert "Timeline events removed" in en
