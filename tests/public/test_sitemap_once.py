"""The sitemap works out each address once per language (issue #11: the static mirror's
sitemap of a thousand cases reversed every URL five times), and says exactly what Django's own
sitemap code says."""

import pytest
from django.contrib.sitemaps import Sitemap
from django.urls import base as urls_base

from jiandu.cases import actions, published
from jiandu.public import sitemaps
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def more_cases(demo):
    writer, editor = make_member("w2", "journalist").user, make_member("e2", "editor").user
    for i in range(3):
        case = actions.do_create_case(writer, title_en=f"Case {i}")
        person = actions.do_create_person(writer, name_en=f"Official {i}")
        actions.do_link_person(writer, case, person, "subject")
        actions.do_submit_for_review(writer, case, "First")
        actions.do_publish_case(editor, case)


def test_the_sitemap_is_what_djangos_code_makes_with_one_reversal_per_address(
    client, more_cases, monkeypatch
):
    calls = []
    real = urls_base.reverse

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(sitemaps, "reverse", counting)
    fast = client.get("/cases/sitemap.xml").content
    addresses = fast.count(b"<loc>")  # one entry per item and language
    people = len(published.get_public_people())
    assert addresses == 3 * (1 + 4 + people)  # home, four cases, the people, in 3 languages
    assert len(calls) == addresses

    calls.clear()
    monkeypatch.setattr(sitemaps._I18nSitemap, "_location", Sitemap._location)
    assert client.get("/cases/sitemap.xml").content == fast
    assert len(calls) == addresses * 5  # Django's way: entry, three alternates, x-default
