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


def django_template(urlset) -> str:
    from django.template import loader

    return loader.render_to_string("sitemap.xml", {"urlset": urlset})


def test_the_sitemap_is_written_with_the_bytes_and_headers_of_djangos_template(
    client, more_cases, rf
):
    from django.contrib.sitemaps.views import sitemap
    from django.utils import translation

    for language, path in (("zh-hans", "/cases/sitemap.xml"), ("en", "/en/cases/sitemap.xml")):
        ours = client.get(path)
        with translation.override(language):
            theirs = sitemap(rf.get(path), sitemaps=sitemaps.SITEMAPS).render()
        assert ours.content == theirs.content
        assert ours.get("Last-Modified") == theirs.get("Last-Modified")
        assert ours["X-Robots-Tag"] == theirs["X-Robots-Tag"]
        assert ours["Content-Type"] == theirs["Content-Type"] == "application/xml"


@pytest.mark.parametrize(
    "location",
    ["https://a.example/x?a=1&b=<2>", "https://a.example/\"q\" 'r'", "https://a.example/ sp "],
)
def test_hostile_values_are_escaped_as_the_template_escapes_them(location, settings):
    import datetime

    from django.utils.safestring import mark_safe

    settings.TIME_ZONE = "Asia/Shanghai"
    late = datetime.datetime(2026, 1, 1, 20, 30, tzinfo=datetime.UTC)  # 2 January in Shanghai
    urlset = [
        {
            "location": location,
            "lastmod": late,
            "changefreq": "weekly<",
            "priority": "",
            "alternates": [
                {"location": location + "/en", "lang_code": "en&"},
                {"location": mark_safe("https://a.example/&amp;"), "lang_code": "x-default"},
            ],
        },
        {"location": "/y", "lastmod": None, "changefreq": "", "priority": "0.5", "alternates": []},
    ]
    assert sitemaps.render_urlset(urlset) == django_template(urlset)
    assert "<lastmod>2026-01-02</lastmod>" in sitemaps.render_urlset(urlset)
    assert sitemaps.render_urlset([]) == django_template([])
