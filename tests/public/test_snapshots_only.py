"""Nothing public reads the working copy: a journalist's edit to a person, a post or a case's
people changes no public page, feed, export, API answer, sitemap or search result until an
editor publishes it."""

import datetime

import pytest

from jiandu.cases import actions
from jiandu.cases.models import Case, Person
from jiandu.cases.published import get_public_person
from tests.factories import make_member

SLUG = "chongqing-lei-zhengfu"
PERSON = "lei-zhengfu"
NEW_NAME = "Renamedbyjournalist Zzq"
NEW_POST = "Unreviewedpost Xqv"

# Every public surface that names a person, as (URL, what to decode it as).
PUBLIC_URLS = [
    f"/en/cases/people/{PERSON}/",
    f"/en/cases/people/{PERSON}/feed/",
    f"/en/cases/api/people/{PERSON}.json",
    f"/en/cases/api/cases/{SLUG}.json",
    "/en/cases/api/cases.json",
    f"/en/cases/{SLUG}/",
    f"/en/cases/{SLUG}/feed/",
    "/en/cases/feed/",
    "/en/cases/",
    "/en/cases/export/entities.ftm.json",
    "/en/cases/export/people.csv",
    "/en/cases/export/cases.csv",
    "/en/cases/export/events.csv",
    "/en/cases/sitemap.xml",
    "/en/cases/search/?q=Renamedbyjournalist",
    "/en/cases/search/?q=Lei",
]


@pytest.fixture
def team(db):
    return {
        "writer": make_member("writer", "journalist").user,
        "editor": make_member("editor", "editor").user,
    }


def public_text(client) -> dict[str, str]:
    pages = {}
    for url in PUBLIC_URLS:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response) if response.streaming else response.content
        pages[url] = body.decode()
    return pages


def journalist_edits(writer) -> Person:
    person = Person.objects.get(slug=PERSON)
    actions.do_update_person(writer, person, name_en=NEW_NAME, summary_en="Unreviewed summary")
    actions.do_add_position(
        writer,
        person,
        title_en=NEW_POST,
        organisation_en="Unreviewed organisation",
        start=datetime.date(2020, 1, 1),
    )
    return person


def test_a_journalists_person_edit_changes_nothing_public(client, demo, team):
    before = public_text(client)
    assert "Lei Zhengfu" in before[f"/en/cases/people/{PERSON}/"]

    journalist_edits(team["writer"])

    after = public_text(client)
    for url in PUBLIC_URLS:
        assert after[url] == before[url], url
        assert NEW_NAME not in after[url] and NEW_POST not in after[url], url
    assert 'content="Lei Zhengfu"' in after[f"/en/cases/people/{PERSON}/"]  # og:title


def test_a_reviewed_and_published_person_edit_reaches_the_public(client, demo, team):
    journalist_edits(team["writer"])
    case = Case.objects.get(slug=SLUG)
    assert case.has_unpublished_changes
    actions.do_submit_for_review(team["writer"], case, "Name corrected")
    actions.do_publish_case(team["editor"], case)

    after = public_text(client)
    person_page = after[f"/en/cases/people/{PERSON}/"]
    assert NEW_NAME in person_page and NEW_POST in person_page
    assert f'content="{NEW_NAME}"' in person_page  # og:title
    assert NEW_NAME in after[f"/en/cases/api/people/{PERSON}.json"]
    assert NEW_NAME in after["/en/cases/export/people.csv"]
    assert NEW_NAME in after["/en/cases/export/entities.ftm.json"]
    assert f"/en/cases/{SLUG}/" in after["/en/cases/search/?q=Renamedbyjournalist"]


def test_unlinking_a_person_in_the_draft_keeps_their_public_page(client, demo, team):
    case = Case.objects.get(slug=SLUG)
    person = Person.objects.get(slug=PERSON)
    before = client.get(f"/en/cases/people/{PERSON}/").content
    actions.do_unlink_person(team["writer"], case, person)
    assert client.get(f"/en/cases/people/{PERSON}/").content == before
    assert client.get(f"/en/cases/api/people/{PERSON}.json").status_code == 200


def test_a_new_slug_in_the_draft_is_not_public_and_the_old_one_stays(client, demo, team):
    person = Person.objects.get(slug=PERSON)
    actions.do_update_person(team["writer"], person, slug="renamed-slug")
    assert client.get(f"/en/cases/people/{PERSON}/").status_code == 200
    assert client.get("/en/cases/people/renamed-slug/").status_code == 404
    assert client.get("/en/cases/api/people/renamed-slug.json").status_code == 404


def test_a_person_linked_only_in_a_draft_has_no_public_page(client, demo, team):
    person = actions.do_create_person(team["writer"], slug="draft-only", name_en="Draft Only")
    actions.do_link_person(team["writer"], Case.objects.get(slug=SLUG), person, "official")
    assert get_public_person("draft-only") is None
    assert client.get("/en/cases/people/draft-only/").status_code == 404
    assert "draft-only" not in client.get("/en/cases/sitemap.xml").content.decode()


def test_the_person_page_shows_the_newest_published_record(demo, team):
    """Two cases name the person; the one published last holds the current reviewed record."""
    writer, editor = team["writer"], team["editor"]
    person = Person.objects.get(slug=PERSON)
    actions.do_update_person(writer, person, name_en=NEW_NAME)
    other = actions.do_create_case(writer, title_en="Another case")
    actions.do_link_person(writer, other, person, "official")
    actions.do_submit_for_review(writer, other, "First publication")
    actions.do_publish_case(editor, other)

    details, cases = get_public_person(PERSON)
    assert details["name"]["en"] == NEW_NAME
    assert "role" not in details and "note" not in details
    assert [c.slug for c in cases] == [other.slug, SLUG]
