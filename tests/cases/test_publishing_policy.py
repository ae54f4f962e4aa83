"""The publishing policy an admin chooses (issue 18, item 5).

"Two people" (the default) keeps every rule of the two-person review. "One person after a
cooling-off period" lets an editor who edited request publication: every member is notified,
any member can stop it (a confirmed POST, recorded), any edit cancels it, and the worker
publishes it only once the hold has passed. The policy is said beside each revision in public
and written into its transparency-log entry. Before this, a newsroom of one could not publish.
"""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from jiandu.accounts.models import AccountEvent
from jiandu.cases import actions
from jiandu.cases.models import HoldState, Policy, PublicationHold
from jiandu.cases.tasks import publish_held_case
from jiandu.newsroom.models import Notification
from jiandu.redaction.actions import do_publish_evidence
from jiandu.tlog.models import LogEntry
from tests.cases.test_review_diff import png
from tests.factories import make_member, sign_in
from tests.redaction.helpers import rendered

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsroom():
    return {
        "admin": make_member("boss", "admin"),
        "editor": make_member("solo", "editor"),
        "moderator": make_member("mod", "moderator"),
    }


def one_person(admin, hours=6):
    assert actions.do_propose_policy(admin, Policy.ONE_PERSON, hours)


def requested(editor, **fields):
    fields.setdefault("title_en", "A case")
    fields.setdefault("title_zh", "一个案件")
    case = actions.do_create_case(editor, **fields)
    hold = actions.do_request_held_publication(editor, case, "First, by one editor")
    return case, hold


def test_the_default_is_two_people_and_one_editor_cannot_publish_alone(newsroom):
    editor = newsroom["editor"].user
    case = actions.do_create_case(editor, title_en="A case")
    assert actions.get_policy().mode == Policy.TWO_PEOPLE
    with pytest.raises(actions.WorkflowError):
        actions.do_request_held_publication(editor, case, "alone")
    assert not PublicationHold.objects.exists()


def test_an_admin_chooses_the_policy_through_the_page_and_the_audit_records_it(newsroom):
    client = Client()
    sign_in(client, newsroom["editor"])
    assert client.get("/en/newsroom/cases/policy/").status_code == 403
    assert (
        client.post(
            "/en/newsroom/cases/policy/",
            {"step": "propose", "mode": "one_person", "hold_hours": "6"},
        ).status_code
        == 403
    )
    admin = Client()
    sign_in(admin, newsroom["admin"])
    bad = admin.post(
        "/en/newsroom/cases/policy/", {"step": "propose", "mode": "one_person", "hold_hours": "48"}
    )
    assert bad.status_code == 200 and actions.get_policy().mode == Policy.TWO_PEOPLE
    response = admin.post(
        "/en/newsroom/cases/policy/", {"step": "propose", "mode": "one_person", "hold_hours": "6"}
    )
    assert response.status_code == 302
    policy = actions.get_policy()
    assert (policy.mode, policy.hold_hours) == (Policy.ONE_PERSON, 6)
    event = AccountEvent.objects.get(kind=AccountEvent.Kind.POLICY)
    assert event.actor == newsroom["admin"].user and "one-person-6h" in event.detail


def test_with_two_admins_the_weaker_policy_waits_for_the_second(newsroom):
    first, second = newsroom["admin"].user, make_member("boss2", "admin").user
    assert not actions.do_propose_policy(first, Policy.ONE_PERSON, 3)
    assert actions.get_policy().mode == Policy.TWO_PEOPLE
    with pytest.raises(actions.WorkflowError):
        actions.do_confirm_policy(first)  # not the admin who proposed it
    actions.do_confirm_policy(second)
    assert (actions.get_policy().mode, actions.get_policy().hold_hours) == (Policy.ONE_PERSON, 3)
    # Back to two people applies at once.
    assert actions.do_propose_policy(first, Policy.TWO_PEOPLE, 3)
    assert actions.get_policy().mode == Policy.TWO_PEOPLE
    details = list(AccountEvent.objects.filter(kind="policy").values_list("detail", flat=True))
    assert len(details) == 3 and "confirmed" in details[1]


def test_one_person_publication_happens_only_after_the_hold(newsroom):
    one_person(newsroom["admin"].user)
    Notification.objects.create(user=newsroom["moderator"].user, mode=Notification.Mode.EACH)
    editor = newsroom["editor"].user
    case, hold = requested(editor)
    # Every subscribed member is told there is news; the worker's task waits for the hold.
    assert Notification.objects.get(user=newsroom["moderator"].user).pending
    assert hold.publish_after - hold.requested_at == timedelta(hours=6)
    assert (
        actions.do_publish_due_hold(hold.pk, now=hold.publish_after - timedelta(seconds=1)) is None
    )
    assert publish_held_case.call(hold.pk) == 0  # the worker, now: too early
    case.refresh_from_db()
    assert case.current_revision is None
    revision = actions.do_publish_due_hold(hold.pk, now=hold.publish_after + timedelta(minutes=1))
    assert revision.number == 1 and revision.publisher == editor
    assert (revision.policy, revision.hold_hours) == (Policy.ONE_PERSON, 6)
    hold.refresh_from_db()
    assert hold.state == HoldState.PUBLISHED
    assert actions.do_publish_due_hold(hold.pk, now=hold.publish_after + timedelta(hours=1)) is None


def test_the_request_queues_the_worker_for_the_end_of_the_hold(
    newsroom, django_capture_on_commit_callbacks
):
    one_person(newsroom["admin"].user, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        _case, hold = requested(newsroom["editor"].user)
    row = DBTaskResult.objects.get(task_path="jiandu.cases.tasks.publish_held_case")
    assert row.run_after == hold.publish_after and row.args_kwargs["args"] == [hold.pk]


def test_any_member_stops_it_with_a_confirmation_and_it_is_recorded(newsroom):
    one_person(newsroom["admin"].user)
    case, hold = requested(newsroom["editor"].user)
    client = Client()
    sign_in(client, newsroom["moderator"])  # no case desk, but a member
    url = f"/en/newsroom/cases/{case.pk}/stop/"
    page = client.get(url)
    assert page.status_code == 200 and "Stop the publication" in page.content.decode()
    assert client.post(url, {"reason": "not ready"}).status_code == 400  # unconfirmed
    hold.refresh_from_db()
    assert hold.state == HoldState.WAITING
    assert client.post(url, {"confirm": "on", "reason": "not ready"}).status_code == 302
    hold.refresh_from_db()
    assert hold.state == HoldState.STOPPED and hold.ended_by == newsroom["moderator"].user
    assert hold.reason == "not ready"
    assert actions.do_publish_due_hold(hold.pk, now=hold.publish_after + timedelta(hours=1)) is None
    case.refresh_from_db()
    assert case.current_revision is None and case.submitted_by is None
    assert client.get(url).status_code == 404  # nothing waits any more
    anonymous = Client().post(url, {"confirm": "on"})
    assert anonymous.status_code == 302 and "/newsroom/" in anonymous["Location"]


def test_any_edit_during_the_hold_cancels_it_evidence_too(newsroom):
    one_person(newsroom["admin"].user)
    editor = newsroom["editor"].user
    case, hold = requested(editor)
    actions.do_update_case(editor, case, summary_en="A late change nobody read.")
    hold.refresh_from_db()
    assert hold.state == HoldState.CANCELLED
    assert actions.do_publish_due_hold(hold.pk, now=hold.publish_after + timedelta(hours=1)) is None
    _case2, hold2 = requested(editor, title_en="Another")
    case2 = hold2.case
    do_publish_evidence(case2, editor, rendered(editor, png()), "unverified", caption_en="Late")
    hold2.refresh_from_db()
    assert hold2.state == HoldState.CANCELLED
    case2.refresh_from_db()
    assert case2.submitted_by is None and case2.current_revision is None


def test_a_second_editor_may_still_publish_during_the_hold_as_two_people(newsroom):
    one_person(newsroom["admin"].user)
    case, hold = requested(newsroom["editor"].user)
    revision = actions.do_publish_case(make_member("second", "editor").user, case)
    assert revision.policy == Policy.TWO_PEOPLE and revision.hold_hours is None
    hold.refresh_from_db()
    assert hold.state == HoldState.PUBLISHED


def test_the_two_person_rule_keeps_its_protections_under_either_policy(newsroom):
    one_person(newsroom["admin"].user)
    editor = newsroom["editor"].user
    case, _hold = requested(editor)
    with pytest.raises(actions.WorkflowError):
        actions.do_publish_case(editor, case)  # the requester cannot skip the hold


@pytest.mark.parametrize(
    ("prefix", "two", "one"),
    [
        ("/en", "reviewed by a second editor", "published by one editor after a 6-hour hold"),
        ("", "经第二位编辑审阅", "由一位编辑在6小时冷静期后发布"),
        ("/zh-hant", "經第二位編輯審閱", "由一位編輯在6小時冷靜期後發布"),
    ],
)
def test_the_public_page_and_the_log_name_the_policy(newsroom, prefix, two, one):
    editor = newsroom["editor"].user
    case = actions.do_create_case(editor, title_en="A case", title_zh="一个案件")
    actions.do_submit_for_review(editor, case, "First")
    actions.do_publish_case(make_member("second", "editor").user, case)
    one_person(newsroom["admin"].user)
    actions.do_update_case(editor, case, summary_en="More.")
    hold = actions.do_request_held_publication(editor, case, "Second")
    actions.do_publish_due_hold(hold.pk, now=hold.publish_after)
    page = Client().get(f"{prefix}/cases/{case.slug}/").content.decode()
    assert two in page and one in page
    entries = [
        json.loads(e)
        for e in LogEntry.objects.filter(kind="page", subject=f"case:{case.slug}")
        .order_by("index")
        .values_list("entry", flat=True)
    ]
    assert [e["policy"] for e in entries] == ["two-people", "one-person-6h"]
