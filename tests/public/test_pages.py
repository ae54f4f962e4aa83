"""The public pages: the demo case with its timeline, conflicts, metric, people and history."""

import pytest

pytestmark = pytest.mark.django_db

CASE = "/cases/chongqing-lei-zhengfu/"


def test_case_page_shows_timeline_conflicts_and_the_63_hour_metric(client, demo):
    response = client.get("/en" + CASE)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Chongqing: the Beibei district sex-tape case" in html
    assert "63 hours" in html and "about 1 day" in html
    for value in ("5", "10", "11", "A police insider", "A member of the ring", "Three days"):
        assert f'<p class="claim-value">{value}</p>' in html
    assert "20 November 2012, 19:00" in html  # known to the hour
    assert "January 2013" in html  # known to the month, and shown so
    assert "Revision 2" in html and "Revision 1" in html
    assert 'property="og:title"' in html and 'name="twitter:card"' in html
    assert "SHA-256" in html


def test_case_page_is_cookieless_and_cacheable(client, demo):
    response = client.get(CASE)
    assert not response.cookies
    assert response["Cache-Control"] == "public, max-age=60"
    assert "csrfmiddlewaretoken" not in response.content.decode()


def test_chinese_scripts_follow_the_reader(client, demo):
    simplified = client.get(CASE).content.decode()
    traditional = client.get("/zh-hant" + CASE).content.decode()
    assert "重庆北碚区委书记雷政富" in simplified
    assert "重慶北碚區委書記雷政富" in traditional


def test_english_reader_sees_chinese_only_content_marked_with_its_language(client, demo):
    from jiandu.cases.models import Case

    # The published record of this person has no English summary.
    revision = Case.objects.get(slug="chongqing-lei-zhengfu").current_revision
    for person in revision.snapshot["people"]:
        if person["slug"] == "wang-lijun":
            person["summary"]["en"] = ""
    revision.save(update_fields=["snapshot"])
    html = client.get("/en/cases/people/wang-lijun/").content.decode()
    assert '<span lang="zh-Hans">时任重庆市公安局局长。</span>' in html


def test_home_lists_the_case_with_metrics_and_an_accessible_chart(client, demo):
    html = client.get("/en/cases/").content.decode()
    assert CASE in html
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in html
    assert "<table>" in html  # the chart's text alternative
    assert "Median across cases" in html
    assert "<script" not in html


def test_person_page_lists_positions_and_cases(client, demo):
    html = client.get("/en/cases/people/lei-zhengfu/").content.decode()
    assert "Party secretary" in html and "Beibei district, Chongqing" in html
    assert "23 November 2012" in html
    assert CASE in html


def test_unknown_and_unpublished_pages_are_404(client, demo):
    assert client.get("/cases/no-such-case/").status_code == 404
    assert client.get("/cases/people/nobody/").status_code == 404
    assert client.get(CASE + "revisions/9/").status_code == 404


def test_earlier_revision_is_readable_as_published(client, demo):
    html = client.get("/en" + CASE + "revisions/1/").content.decode()
    assert "You are reading revision 1" in html
    assert "Lei is sentenced to 13 years" not in html  # added in revision 2
