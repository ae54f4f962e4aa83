"""Everything public, for reuse: FollowTheMoney entities (JSON lines) and CSV.

FollowTheMoney (the data model of Aleph and OpenSanctions) is written here directly in its
documented JSON form, `{"id", "schema", "properties": {name: [values]}}`, with the schema and
property names of its model: Person, Organization, Position, Occupancy (a person holding a
post), Event (a case, and each dated event, with the people `involved`), Article (a cited
report) and Documentation (which report supports which event). Ids are stable hashes of our
slugs, so a re-import updates rather than duplicates. Dates carry their precision as FtM
prefixes: "2012", "2012-11", "2012-11-20", "2012-11-20T19". The output of the demo case was
checked against followthemoney 4.11.2's model (every schema and property name exists and every
value cleans); the package itself is not a dependency (it brings ICU, mypy, rdflib...).
"""

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from jiandu.cases import published
from jiandu.cases.metrics import local_zone
from jiandu.cases.models import EventType, PersonRole
from jiandu.core.csvcells import safe_cell

NAMESPACE = "jiandu"


def entity_id(*parts: str) -> str:
    digest = hashlib.sha1("/".join((NAMESPACE, *parts)).encode(), usedforsecurity=False)
    return f"{NAMESPACE}-{digest.hexdigest()[:24]}"


def ftm_date(iso: str | None, precision: str) -> str | None:
    if not iso:
        return None
    if "T" in iso:
        value = datetime.fromisoformat(iso).astimezone(local_zone())
        text = value.strftime("%Y-%m-%dT%H")
    else:
        text = iso
    return text[: {"year": 4, "month": 7, "day": 10, "hour": 13}[precision]]


def _names(pair: dict[str, str]) -> list[str]:
    return [v for v in (pair.get("zh"), pair.get("en")) if v]


def _entity(schema: str, id_: str, **properties: Any) -> dict[str, Any]:
    props = {}
    for key, value in properties.items():
        values = value if isinstance(value, list) else [value]
        values = [v for v in values if v not in (None, "")]
        if values:
            props[key] = values
    return {"id": id_, "schema": schema, "properties": props}


def _base() -> str:
    return settings.JIANDU_PUBLIC_BASE_URL.rstrip("/")


def ftm_entities() -> Iterator[dict[str, Any]]:
    seen: set[str] = set()

    def once(entity: dict[str, Any]) -> Iterator[dict[str, Any]]:
        if entity["id"] not in seen:
            seen.add(entity["id"])
            yield entity

    with translation.override("en"):
        for case in published.get_public_cases():
            s = case.snapshot
            case_url = _base() + reverse("public:case", args=[case.slug])
            case_id = entity_id("case", case.slug)
            person_ids = {p["slug"]: entity_id("person", p["slug"]) for p in s["people"]}
            for p in s["people"]:
                yield from once(
                    _entity(
                        "Person",
                        person_ids[p["slug"]],
                        name=_names(p["name"]),
                        summary=_names(p["summary"]),
                        topics="role.pep"
                        if p["role"] in (PersonRole.SUBJECT, PersonRole.OFFICIAL)
                        else None,
                        sourceUrl=_base() + reverse("public:person", args=[p["slug"]]),
                    )
                )
                for i, pos in enumerate(p["positions"]):
                    org_id = entity_id("organization", *(_names(pos["organisation"]) or ["?"]))
                    yield from once(
                        _entity(
                            "Organization", org_id, name=_names(pos["organisation"]), country="cn"
                        )
                    )
                    post_id = entity_id("position", p["slug"], str(i))
                    yield from once(
                        _entity(
                            "Position",
                            post_id,
                            name=_names(pos["title"]),
                            organization=org_id,
                            subnationalArea=_names(pos["place"]),
                            country="cn",
                        )
                    )
                    yield from once(
                        _entity(
                            "Occupancy",
                            entity_id("occupancy", p["slug"], str(i)),
                            holder=person_ids[p["slug"]],
                            post=post_id,
                            startDate=ftm_date(pos["start"], pos["start_precision"]),
                            endDate=ftm_date(pos["end"], pos["end_precision"]),
                            status="ended" if pos["end"] else None,
                        )
                    )
            yield _entity(
                "Event",
                case_id,
                name=_names(s["title"]),
                summary=_names(s["summary"]),
                description=_names(s["allegations"]),
                involved=list(person_ids.values()),
                sourceUrl=case_url,
                country="cn",
                notes="retracted: " + s.get("retraction", "")
                if s.get("status") == "retracted"
                else None,
            )
            article_ids = {}
            for c in s["citations"]:
                article_ids[c["n"]] = entity_id("article", case.slug, str(c["n"]))
                yield _entity(
                    "Article",
                    article_ids[c["n"]],
                    title=c["title"] or c["outlet"],
                    publisher=c["outlet"],
                    publishedAt=c["date"],
                    sourceUrl=c["url"],
                    summary=c["quote"],
                )
            for i, e in enumerate(s["events"]):
                event_id = entity_id("event", case.slug, str(i))
                label = (
                    str(EventType(e["type"]).label) if e["type"] in EventType.values else e["type"]
                )
                yield _entity(
                    "Event",
                    event_id,
                    name=f"{label}: " + (_names(s["title"]) or [""])[-1],
                    summary=_names(e["description"]),
                    date=ftm_date(e["at"], e["precision"]),
                    involved=[person_ids[p] for p in e["people"] if p in person_ids] + [case_id],
                    sourceUrl=case_url,
                    country="cn",
                )
                for n in e["citations"]:
                    yield _entity(
                        "Documentation",
                        entity_id("documentation", case.slug, str(i), str(n)),
                        document=article_ids[n],
                        entity=event_id,
                        role="source",
                    )


def ftm_lines() -> str:
    return "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in ftm_entities())


CSV_TABLES = ("cases", "people", "events", "claims")


def csv_rows(table: str) -> list[list[str]]:
    cases = published.get_public_cases()
    if table == "cases":
        rows = [
            [
                "slug",
                "status",
                "revision",
                "title_zh",
                "title_en",
                "summary_zh",
                "summary_en",
                "to_first_response_hours",
                "to_confirmation_hours",
                "to_removal_hours",
                "officials_still_in_post",
            ]
        ]
        for c in cases:
            m = c.metrics()
            spans = [m.to_first_response, m.to_confirmation, m.to_removal]
            rows.append(
                [
                    c.slug,
                    c.snapshot.get("status", ""),
                    str(c.revision.number),
                    c.snapshot["title"]["zh"],
                    c.snapshot["title"]["en"],
                    c.snapshot["summary"]["zh"],
                    c.snapshot["summary"]["en"],
                    *[f"{s.hours:g}" if s else "" for s in spans],
                    " ".join(m.officials_still_in_post),
                ]
            )
        return rows
    if table == "people":
        rows = [["slug", "name_zh", "name_en", "case", "role", "positions"]]
        for c in cases:
            for p in c.snapshot["people"]:
                posts = "; ".join(
                    " / ".join(_names(pos["title"]))
                    + " @ "
                    + " / ".join(_names(pos["organisation"]))
                    for pos in p["positions"]
                )
                rows.append([p["slug"], p["name"]["zh"], p["name"]["en"], c.slug, p["role"], posts])
        return rows
    if table == "events":
        rows = [
            [
                "case",
                "date",
                "precision",
                "type",
                "description_zh",
                "description_en",
                "people",
                "sources",
            ]
        ]
        for c in cases:
            outlets = {x["n"]: x["outlet"] for x in c.snapshot["citations"]}
            for e in c.snapshot["events"]:
                rows.append(
                    [
                        c.slug,
                        ftm_date(e["at"], e["precision"]) or "",
                        e["precision"],
                        e["type"],
                        e["description"]["zh"],
                        e["description"]["en"],
                        " ".join(e["people"]),
                        "; ".join(outlets[n] for n in e["citations"]),
                    ]
                )
        return rows
    rows = [
        ["case", "question_zh", "question_en", "value", "claimed_by_en", "statement_en", "sources"]
    ]
    for c in cases:
        outlets = {x["n"]: x["outlet"] for x in c.snapshot["citations"]}
        for claim in c.snapshot["claims"]:
            for v in claim["versions"]:
                rows.append(
                    [
                        c.slug,
                        claim["question"]["zh"],
                        claim["question"]["en"],
                        " / ".join(_names(v["value"])),
                        v["claimed_by"]["en"],
                        v["statement"]["en"],
                        "; ".join(outlets[n] for n in v["citations"]),
                    ]
                )
    return rows


def csv_text(table: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in csv_rows(table):
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()
