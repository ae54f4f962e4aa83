"""Revision notes are pairs like the case's other texts (issue 19, item 10): asked for in two
fields, shown in the reader's language and script, the other language marked where it falls
back; old single notes moved to the side of the script they are written in."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from jiandu.cases import actions
from jiandu.cases.models import Revision
from jiandu.cases.text import pair_by_script
from tests.factories import make_member, sign_in

pytestmark = pytest.mark.django_db


def _published_through_the_form(client, note_zh: str, note_en: str):
    writer = make_member("writer", "journalist")
    case = actions.do_create_case(writer.user, title_en="A case", summary_en="What happened.")
    sign_in(client, writer)
    base = f"/en/newsroom/cases/{case.pk}/"
    response = client.post(base + "submit/", {"note_zh": note_zh, "note_en": note_en})
    assert response.status_code == 302
    client.logout()
    sign_in(client, make_member("editor", "editor"))
    assert client.post(base + "publish/").status_code == 302
    client.logout()
    return case


def _history(client, url: str) -> str:
    html = client.get(url).content.decode()
    return html[html.index('id="history"') :]


def test_a_note_pair_is_shown_in_each_readers_language_and_script(client):
    case = _published_through_the_form(client, "补充判决与获释。", "Added the sentence.")
    revision = Revision.objects.get(case=case)
    assert (revision.note_zh, revision.note_en) == ("补充判决与获释。", "Added the sentence.")
    path = f"/cases/{case.slug}/"
    assert "补充判决与获释。" in _history(client, path)
    hant = _history(client, "/zh-hant" + path)
    assert "補充判決與獲釋。" in hant and "补充判决" not in hant  # converted, not copied
    en = _history(client, "/en" + path)
    assert "Added the sentence." in en and "补充" not in en


def test_an_empty_side_falls_back_to_the_other_language_marked_with_it(client):
    case = _published_through_the_form(client, "", "Typo fixed.")
    zh = _history(client, f"/cases/{case.slug}/")
    assert '<span class="revision-note"><span lang="en">Typo fixed.</span></span>' in zh
    en = _history(client, f"/en/cases/{case.slug}/")
    assert '<span class="revision-note">Typo fixed.</span>' in en


def test_the_form_asks_for_one_language_at_least(client):
    writer = make_member("writer", "journalist")
    case = actions.do_create_case(writer.user, title_en="A case", summary_en="What happened.")
    sign_in(client, writer)
    html = client.get(f"/en/newsroom/cases/{case.pk}/").content.decode()
    assert 'name="note_zh"' in html and 'name="note_en"' in html
    client.post(f"/en/newsroom/cases/{case.pk}/submit/", {"note_zh": " ", "note_en": ""})
    case.refresh_from_db()
    assert case.submitted_by is None


def test_one_text_goes_to_the_side_of_its_script():
    assert pair_by_script("Added the sentence.") == {"zh": "", "en": "Added the sentence."}
    assert pair_by_script("2012-11-23：经C2PA核实") == {"zh": "2012-11-23：经C2PA核实", "en": ""}
    mixed = "首次发布。 First publication: timeline and sources."
    assert pair_by_script(mixed) == {"zh": mixed, "en": mixed}


@pytest.mark.django_db(transaction=True)
def test_old_notes_move_to_the_side_of_the_language_they_are_written_in():
    before = [("cases", "0006_publishing_policy")]
    after = [("cases", "0007_note_pairs")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    executor = MigrationExecutor(connection)  # the state of every app as it now stands
    old = executor.loader.project_state(list(executor.loader.applied_migrations)).apps
    user = old.get_model("accounts", "User").objects.create(username="old-editor")
    Case = old.get_model("cases", "Case")
    OldRevision = old.get_model("cases", "Revision")
    notes = {
        1: "补充判决与获释。",
        2: "Typo fixed.",
        3: "首次发布。 First publication: timeline and sources.",
    }
    case = Case.objects.create(
        slug="old",
        title_en="Old",
        created_by=user,
        last_edited_by=user,
        submitted_by=user,
        submission_note="再次核实",
    )
    for number, note in notes.items():
        OldRevision.objects.create(
            case=case,
            number=number,
            kind="update",
            note=note,
            snapshot={},
            author=user,
            publisher=user,
            published_at=date(2026, 1, number).isoformat() + "T00:00:00Z",
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    moved = dict(
        (n, (zh, en))
        for n, zh, en in new.get_model("cases", "Revision")
        .objects.order_by("number")
        .values_list("number", "note_zh", "note_en")
    )
    assert moved == {1: (notes[1], ""), 2: ("", notes[2]), 3: (notes[3], notes[3])}
    waiting = new.get_model("cases", "Case").objects.get(slug="old")
    assert (waiting.submission_note_zh, waiting.submission_note_en) == ("再次核实", "")

    executor = MigrationExecutor(connection)
    executor.migrate(before)  # and back: one note again
    back = executor.loader.project_state(before).apps.get_model("cases", "Revision")
    assert list(back.objects.order_by("number").values_list("note", flat=True)) == [
        notes[1],
        notes[2],
        notes[3],
    ]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the database as it was


def test_the_demos_notes_are_pairs_shown_in_the_pages_language(client):
    from jiandu.cases.demo import SLUG, load_demo_case

    load_demo_case()
    en = _history(client, f"/en/cases/{SLUG}/")
    assert "Added the sentence and the 2024 release." in en and "补充判决" not in en
    zh = _history(client, f"/cases/{SLUG}/")
    assert "补充判决与2024年获释。" in zh and "Added the sentence" not in zh
