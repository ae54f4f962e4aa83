"""The editorial workflow: draft, review by a second editor, revisions, retraction."""

import pytest
from django.core.exceptions import PermissionDenied

from jiandu.cases import actions
from jiandu.cases.models import Case, CaseStatus, Revision, RevisionKind
from jiandu.cases.published import get_public_case
from tests.factories import make_member, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return {
        "writer": make_member("writer", "journalist").user,
        "editor": make_member("editor", "editor").user,
        "editor2": make_member("editor2", "editor").user,
        "moderator": make_member("mod", "moderator").user,
    }


def draft(user, **fields):
    fields.setdefault("title_en", "A case")
    fields.setdefault("summary_en", "What happened.")
    return actions.do_create_case(user, **fields)


def test_a_draft_is_not_public_until_a_second_editor_publishes_it(team):
    case = draft(team["writer"])
    assert get_public_case(case.slug) is None
    actions.do_submit_for_review(team["writer"], case, "First publication")
    assert get_public_case(case.slug) is None
    with pytest.raises(PermissionDenied):
        actions.do_publish_case(team["writer"], case)  # a journalist cannot publish at all
    revision = actions.do_publish_case(team["editor"], case)
    assert revision.number == 1 and revision.kind == RevisionKind.PUBLICATION
    assert get_public_case(case.slug).snapshot["title"]["en"] == "A case"


def test_the_author_cannot_publish_their_own_draft(team):
    case = draft(team["editor"])
    actions.do_submit_for_review(team["editor"], case, "Ready")
    with pytest.raises(actions.WorkflowError):
        actions.do_publish_case(team["editor"], case)
    case.refresh_from_db()
    assert not actions.can_publish(team["editor"], case)
    assert actions.can_publish(team["editor2"], case)


def test_the_last_editor_cannot_publish_what_someone_else_submitted(team):
    case = draft(team["writer"])
    actions.do_update_case(team["editor"], case, summary_en="Changed by the editor.")
    actions.do_submit_for_review(team["writer"], case, "Ready")
    with pytest.raises(actions.WorkflowError):
        actions.do_publish_case(team["editor"], case)
    actions.do_publish_case(team["editor2"], case)


def test_an_edit_withdraws_the_request_for_review(team):
    case = draft(team["writer"])
    actions.do_submit_for_review(team["writer"], case, "Ready")
    actions.do_update_case(team["writer"], case, summary_en="One more change.")
    case.refresh_from_db()
    assert case.submitted_by is None
    with pytest.raises(actions.WorkflowError):
        actions.do_publish_case(team["editor"], case)


def test_later_changes_are_new_public_revisions_and_old_ones_stay(team):
    case = draft(team["writer"])
    actions.do_submit_for_review(team["writer"], case, "First")
    actions.do_publish_case(team["editor"], case)
    actions.do_update_case(team["writer"], case, summary_en="Confirmed by the city.")
    # Until reviewed, the public still reads revision 1.
    assert get_public_case(case.slug).snapshot["summary"]["en"] == "What happened."
    actions.do_submit_for_review(team["writer"], case, "2012-11-23: confirmed by the city")
    actions.do_publish_case(team["editor"], case)
    revisions = list(Revision.objects.filter(case=case).order_by("number"))
    assert [r.kind for r in revisions] == [RevisionKind.PUBLICATION, RevisionKind.UPDATE]
    assert revisions[0].snapshot["summary"]["en"] == "What happened."
    assert revisions[1].note == "2012-11-23: confirmed by the city"
    assert get_public_case(case.slug).snapshot["summary"]["en"] == "Confirmed by the city."


def test_nothing_to_review_and_notes_are_required(team):
    case = draft(team["writer"])
    with pytest.raises(actions.WorkflowError):
        actions.do_submit_for_review(team["writer"], case, "  ")
    actions.do_submit_for_review(team["writer"], case, "First")
    actions.do_publish_case(team["editor"], case)
    with pytest.raises(actions.WorkflowError):
        actions.do_submit_for_review(team["writer"], case, "Again")


def test_retraction_is_a_public_revision_with_its_reason(team, client):
    case = draft(team["writer"])
    actions.do_submit_for_review(team["writer"], case, "First")
    actions.do_publish_case(team["editor"], case)
    with pytest.raises(PermissionDenied):
        actions.do_retract_case(team["writer"], case, "no")
    with pytest.raises(actions.WorkflowError):
        actions.do_retract_case(team["editor"], case, " ")
    actions.do_retract_case(team["editor"], case, "The documents were forged.")
    case.refresh_from_db()
    assert case.status == CaseStatus.RETRACTED
    assert case.revisions.count() == 2
    html = client.get(f"/en/cases/{case.slug}/").content.decode()
    assert "This case has been retracted." in html
    assert "The documents were forged." in html
    assert "Write a comment" not in html
    with pytest.raises(actions.WorkflowError):
        actions.do_submit_for_review(team["writer"], case, "Back")


def test_moderators_cannot_edit_cases(team):
    with pytest.raises(PermissionDenied):
        draft(team["moderator"])


def test_reserved_words_never_become_case_addresses(team):
    assert draft(team["writer"], title_en="Search").slug == "search-2"


def test_the_newsroom_pages_draft_submit_and_publish(client, team):
    writer = make_member("w2", "journalist")
    sign_in(client, writer)
    response = client.post(
        "/en/newsroom/cases/new/",
        {"slug": "", "title_zh": "测试案", "title_en": "Test case", "summary_en": "S"},
    )
    assert response.status_code == 302
    case = Case.objects.get(slug="test-case")
    base = f"/en/newsroom/cases/{case.pk}/"
    assert client.post(base + "citation/", {"outlet": "Xinhua"}).status_code == 302
    citation = case.citations.get()
    response = client.post(
        base + "event/",
        {
            "type": "evidence_published",
            "date": "2012-11-20",
            "hour": "",
            "precision": "hour",
            "description_en": "Published.",
            "citations": [citation.pk],
        },
    )
    assert response.status_code == 400  # hour precision without an hour
    assert "Give the hour" in response.content.decode()
    response = client.post(
        base + "event/",
        {
            "type": "evidence_published",
            "date": "2012-11-20",
            "hour": "19",
            "precision": "hour",
            "description_en": "Published.",
            "citations": [citation.pk],
        },
    )
    assert response.status_code == 302
    assert case.events.get().occurred_at.hour == 11  # 19:00 in Chongqing is 11:00 UTC
    assert client.post(base + "claim/", {"question_en": "How many?"}).status_code == 302
    claim = case.claims.get()
    response = client.post(
        base + f"claims/{claim.pk}/versions/", {"value_en": "5", "citations": [citation.pk]}
    )
    assert response.status_code == 302
    assert client.post(base + "submit/", {"note_en": "First"}).status_code == 302
    html = client.get(base).content.decode()
    assert "Another editor with the right to publish" in html
    # The writer (a journalist) cannot publish; an editor can.
    assert client.post(base + "publish/").status_code == 403
    client.logout()
    sign_in(client, make_member("ed3", "editor"))
    assert client.post(base + "publish/").status_code == 302
    assert get_public_case("test-case").revision.number == 1
    html = client.get("/en/newsroom/cases/").content.decode()
    assert "Test case" in html


def test_sources_claims_and_versions_can_be_removed_from_the_draft(client, team):
    case = draft(team["writer"])
    citation = actions.do_add_citation(team["writer"], case, outlet="RFA")
    claim = actions.do_add_claim(team["writer"], case, question_en="How many?")
    version = actions.do_add_claim_version(
        team["writer"], claim, value_en="5", citations=[citation]
    )
    sign_in(client, make_member("w9", "journalist"))
    base = f"/en/newsroom/cases/{case.pk}/"
    assert client.post(base + f"version/{version.pk}/remove/").status_code == 302
    assert client.post(base + f"claim/{claim.pk}/remove/").status_code == 302
    assert client.post(base + f"citation/{citation.pk}/remove/").status_code == 302
    assert not case.citations.exists() and not case.claims.exists()
    assert client.post(base + f"secret/{citation.pk}/remove/").status_code == 403
    other = draft(team["writer"], title_en="Other")
    foreign = actions.do_add_citation(team["writer"], other, outlet="SCMP")
    assert client.post(base + f"citation/{foreign.pk}/remove/").status_code == 404


def test_an_event_is_corrected_in_the_draft_and_public_with_the_next_revision(client, team):
    from datetime import datetime

    from jiandu.cases.metrics import local_zone

    case = draft(team["writer"])
    event = actions.do_add_event(
        team["writer"],
        case,
        type="removed",
        occurred_at=datetime(2012, 11, 22, tzinfo=local_zone()),
        precision="day",
        description_en="Removed.",
    )
    actions.do_submit_for_review(team["writer"], case, "First")
    actions.do_publish_case(team["editor"], case)
    sign_in(client, make_member("w8", "journalist"))
    url = f"/en/newsroom/cases/{case.pk}/events/{event.pk}/"
    assert 'value="2012-11-22"' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "type": "removed",
            "date": "2012-11-23",
            "hour": "10",
            "precision": "hour",
            "description_en": "Removed from his post.",
        },
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.occurred_at.astimezone(local_zone()).hour, event.precision) == (10, "hour")
    assert get_public_case(case.slug).snapshot["events"][0]["description"]["en"] == "Removed."
    case.refresh_from_db()
    assert case.has_unpublished_changes
