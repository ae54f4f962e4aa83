"""The person-to-cases index (issue #11): filled in the publication's transaction from the new
snapshot only, so a person's page reads the cases that name them and not every public case,
and `reading_once` answers a static export from memory exactly as the database would."""

from unittest import mock

import pytest
from django.db import transaction

from jiandu.cases import actions, published
from jiandu.cases.models import PublicPersonCase, Revision
from tests.factories import make_member


@pytest.fixture
def team(db):
    return make_member("w", "journalist").user, make_member("e", "editor").user


def publish(team, case, note="Update"):
    writer, editor = team
    actions.do_submit_for_review(writer, case, note)
    return actions.do_publish_case(editor, case)


def indexed(case) -> set[str]:
    return set(PublicPersonCase.objects.filter(case=case).values_list("person_slug", flat=True))


def new_case(team, title, *people):
    writer, _editor = team
    case = actions.do_create_case(writer, title_en=title)
    for person in people:
        actions.do_link_person(writer, case, person, "subject")
    return case


def test_the_index_follows_each_published_revision_and_never_the_draft(team):
    writer, editor = team
    one = actions.do_create_person(writer, name_en="One Person")
    two = actions.do_create_person(writer, name_en="Two Person")
    case = new_case(team, "Watch", one, two)
    assert indexed(case) == set()  # a draft names no one in public
    publish(team, case, "First")
    assert indexed(case) == {one.slug, two.slug}

    actions.do_unlink_person(writer, case, two)
    assert indexed(case) == {one.slug, two.slug}  # unlinked in the draft only
    assert published.get_public_person(two.slug) is not None

    publish(team, case, "Two was named by mistake")
    assert indexed(case) == {one.slug}
    assert published.get_public_person(two.slug) is None

    actions.do_retract_case(editor, case, "Wrong")
    assert indexed(case) == {one.slug}  # a retracted case stays public, marked
    _details, cases = published.get_public_person(one.slug)
    assert [c.slug for c in cases] == [case.slug] and cases[0].retracted


def test_a_rolled_back_publication_leaves_the_index_as_it_was(team):
    writer, _editor = team
    one = actions.do_create_person(writer, name_en="One Person")
    case = new_case(team, "Watch")
    publish(team, case, "First")
    actions.do_link_person(writer, case, one, "subject")
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(team, case, "Names one")
        assert indexed(case) == {one.slug}
        raise RuntimeError
    assert indexed(case) == set()
    assert published.get_public_person(one.slug) is None


def test_a_person_page_reads_only_the_cases_that_name_the_person(team):
    """Before the index every person page read every public case's snapshot: people x cases."""
    writer, _editor = team
    person = actions.do_create_person(writer, name_en="Named Person")
    theirs = new_case(team, "Theirs", person)
    publish(team, theirs, "First")
    for i in range(8):
        publish(team, new_case(team, f"Other {i}"), "First")
    loaded = []
    original = Revision.from_db.__func__

    def counting(cls, *args, **kwargs):
        loaded.append(cls)
        return original(cls, *args, **kwargs)

    with mock.patch.object(Revision, "from_db", classmethod(counting)):
        _details, cases = published.get_public_person(person.slug)
    assert [c.slug for c in cases] == [theirs.slug]
    assert len(loaded) == 1  # the one current revision that names them


def test_reading_once_answers_as_the_database_with_a_fixed_number_of_queries(
    team, django_assert_max_num_queries
):
    writer, editor = team
    people = [actions.do_create_person(writer, name_en=f"Person {i}") for i in range(6)]
    cases = []
    for i in range(6):
        case = new_case(team, f"Case {i}", people[i], people[(i + 1) % 6])
        publish(team, case, "First")
        cases.append(case)
    actions.do_update_case(writer, cases[2], summary_en="Corrected")
    publish(team, cases[2], "Second")
    actions.do_retract_case(editor, cases[4], "Wrong")

    def answers() -> list:
        slugs = [c.slug for c in cases]
        return [
            [(c.slug, c.revision.pk) for c in published.get_public_cases()],
            [(c.slug, c.revision.pk) for c in published.get_public_cases([cases[3].pk, 999])],
            [published.get_public_case(s).revision.pk for s in slugs],
            published.get_public_case("no-such-case"),
            [[r.pk for r in published.get_revisions(s)] for s in slugs],
            [published.get_revision(s, n) for s in slugs for n in (1, 2, 3)],
            [r.pk for r in published.get_latest_revisions(limit=4)],
            [r.pk for r in published.get_latest_revisions(slugs=slugs[:3])],
            [
                (found[0], [c.slug for c in found[1]]) if found else None
                for found in map(published.get_public_person, [p.slug for p in people] + ["x"])
            ],
            published.get_public_people(),
        ]

    expected = answers()
    with published.reading_once(), django_assert_max_num_queries(5):
        assert answers() == expected
        assert answers() == expected  # asked again: still from memory


def test_the_migration_indexes_the_cases_already_public(team):
    """Migration 0004 fills the index for a database published before it existed."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("jiandu.cases.migrations.0004_public_person_index")
    writer, editor = team
    one = actions.do_create_person(writer, name_en="One Person")
    two = actions.do_create_person(writer, name_en="Two Person")
    public = new_case(team, "Public", one, two)
    publish(team, public, "First")
    retracted = new_case(team, "Retracted", two)
    publish(team, retracted, "First")
    actions.do_retract_case(editor, retracted, "Wrong")
    new_case(team, "Draft only", one)
    PublicPersonCase.objects.all().delete()

    migration.fill_index(apps, None)
    rows = set(PublicPersonCase.objects.values_list("person_slug", "case__slug"))
    assert rows == {
        (one.slug, public.slug),
        (two.slug, public.slug),
        (two.slug, retracted.slug),
    }
