"""Feeds, sitemap, JSON API, QR code and the FollowTheMoney and CSV exports."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
SLUG = "chongqing-lei-zhengfu"


@pytest.mark.parametrize(
    "url", ["/en/cases/feed/", f"/en/cases/{SLUG}/feed/", "/en/cases/people/lei-zhengfu/feed/"]
)
def test_atom_feeds_list_each_revision(client, demo, url):
    response = client.get(url)
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 - our own feed, not untrusted input
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert links[0].endswith(f"/en/cases/{SLUG}/revisions/2/")


def test_feeds_of_unknown_things_are_404(client, demo):
    assert client.get("/cases/nothing/feed/").status_code == 404
    assert client.get("/cases/people/nobody/feed/").status_code == 404


def test_sitemap_lists_cases_and_people_in_each_language(client, demo):
    xml = client.get("/cases/sitemap.xml").content.decode()
    assert f"/cases/{SLUG}/" in xml and f"/en/cases/{SLUG}/" in xml
    assert "/zh-hant/cases/people/lei-zhengfu/" in xml


def test_json_api(client, demo):
    listing = client.get("/cases/api/cases.json")
    assert listing["Access-Control-Allow-Origin"] == "*"
    assert [c["slug"] for c in listing.json()["cases"]] == [SLUG]
    case = client.get(f"/cases/api/cases/{SLUG}.json").json()
    assert case["metrics"]["to_removal"] == {
        "amount": 63,
        "unit": "hour",
        "exact": True,
        "low_hours": 63.0,
        "high_hours": 63.0,
    }
    assert case["case"]["title"]["zh"].startswith("重庆")
    assert [r["number"] for r in case["revisions"]] == [2, 1]
    person = client.get("/cases/api/people/lei-zhengfu.json").json()
    assert person["person"]["name"]["en"] == "Lei Zhengfu"
    assert client.get("/cases/api/cases/nothing.json").status_code == 404


def test_qr_code_is_an_svg_of_the_case_address(client, demo):
    response = client.get(f"/cases/{SLUG}/qr.svg")
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
    assert b"<script" not in response.content


def test_followthemoney_export(client, demo):
    lines = client.get("/cases/export/entities.ftm.json").content.decode().splitlines()
    entities = [json.loads(line) for line in lines]
    by_schema = {}
    for entity in entities:
        assert set(entity) == {"id", "schema", "properties"}
        assert all(isinstance(v, list) and v for v in entity["properties"].values())
        by_schema.setdefault(entity["schema"], []).append(entity)
    assert {"Person", "Organization", "Position", "Occupancy", "Event", "Article"} <= set(by_schema)
    ids = {e["id"] for e in entities}
    assert len(ids) == len(entities)
    lei = next(p for p in by_schema["Person"] if "Lei Zhengfu" in p["properties"]["name"])
    assert lei["properties"]["topics"] == ["role.pep"]
    occupancy = next(o for o in by_schema["Occupancy"] if o["properties"]["holder"] == [lei["id"]])
    assert occupancy["properties"]["endDate"] == ["2012-11-23"]
    assert occupancy["properties"]["post"][0] in ids
    dates = {d for e in by_schema["Event"] for d in e["properties"].get("date", [])}
    assert {"2012-11-20T19", "2012-11", "2007"} <= dates
    for doc in by_schema["Documentation"]:
        assert doc["properties"]["document"][0] in ids and doc["properties"]["entity"][0] in ids


@pytest.mark.parametrize("table", ["cases", "people", "events", "claims"])
def test_csv_exports(client, demo, table):
    response = client.get(f"/cases/export/{table}.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows)
    if table == "cases":
        assert rows[1][rows[0].index("to_removal_hours")] == "63"
    assert client.get("/cases/export/secrets.csv").status_code == 404


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_cannot_become_formulas(start):
    from jiandu.public import exports

    exports_rows = exports.csv_rows
    try:
        exports.csv_rows = lambda table: [["a"], [start + "HYPERLINK(1)"]]
        rows = list(csv.reader(io.StringIO(exports.csv_text("cases"))))
        assert rows[1] == ["'" + start + "HYPERLINK(1)"]
    finally:
        exports.csv_rows = exports_rows
