"""The public form of a case: a JSON snapshot of the working copy, taken at publication.

Every public page, feed, export and API response reads snapshots, so nothing an editor types
is public before a second editor has published it, and every past revision stays readable.
Bilingual text is a {"zh": ..., "en": ...} pair; dates are ISO strings with their precision.
"""

from typing import Any, cast

from jiandu.cases.metrics import When
from jiandu.cases.models import Case, Event, Person
from jiandu.cases.verification import verification_status_of

SCHEMA_VERSION = 1


def pair(obj: object, name: str) -> dict[str, str]:
    return {"zh": getattr(obj, f"{name}_zh"), "en": getattr(obj, f"{name}_en")}


def person_data(person: Person) -> dict[str, Any]:
    return {
        "slug": person.slug,
        "name": pair(person, "name"),
        "summary": pair(person, "summary"),
        "positions": [
            {
                "title": pair(p, "title"),
                "organisation": pair(p, "organisation"),
                "place": pair(p, "place"),
                "start": p.start.isoformat() if p.start else None,
                "start_precision": p.start_precision,
                "end": p.end.isoformat() if p.end else None,
                "end_precision": p.end_precision,
            }
            for p in person.positions.all()
        ],
    }


def _timeline_order(event: Event) -> tuple:
    """Events in the order a reader expects: a date known only to the month or year goes after
    the more precise dates inside it ("November 2012" after "26 November 2012")."""
    start, end = When(event.occurred_at, event.precision).bounds()
    return (end, start, event.pk)


def take_snapshot(case: Case) -> dict[str, Any]:
    citations = list(case.citations.all())
    number = {c.pk: i for i, c in enumerate(citations, start=1)}
    people = []
    for link in case.case_people.select_related("person").order_by("pk"):
        data = person_data(link.person)
        data.update(role=link.role, note=pair(link, "note"))
        people.append(data)
    return {
        "schema": SCHEMA_VERSION,
        "slug": case.slug,
        "title": pair(case, "title"),
        "summary": pair(case, "summary"),
        "allegations": pair(case, "allegations"),
        "people": people,
        "citations": [
            {
                "n": number[c.pk],
                "outlet": c.outlet,
                "title": c.title,
                "date": c.published_on.isoformat() if c.published_on else None,
                "url": c.url,
                "quote": c.quote,
            }
            for c in citations
        ],
        "events": [
            {
                "type": e.type,
                "at": e.occurred_at.isoformat(),
                "precision": e.precision,
                "description": pair(e, "description"),
                "people": sorted(p.slug for p in e.people.all()),
                "citations": sorted(number[c.pk] for c in e.citations.all()),
            }
            for e in sorted(case.events.all(), key=_timeline_order)
        ],
        "claims": [
            {
                "question": pair(claim, "question"),
                "versions": [
                    {
                        "value": pair(v, "value"),
                        "statement": pair(v, "statement"),
                        "claimed_by": pair(v, "claimed_by"),
                        "citations": sorted(number[c.pk] for c in v.citations.all()),
                    }
                    for v in claim.versions.all()
                ],
            }
            for claim in case.claims.all()
        ],
        "evidence": [
            {
                "name": cast(str, ev.file.name).rsplit("/", 1)[-1],
                "sha256": ev.sha256,
                "content_type": ev.content_type,
                "size": ev.size,
                "width": ev.width,
                "height": ev.height,
                "caption": pair(ev, "caption"),
                "verification_status": verification_status_of(
                    ev.derived_from, ev.verification_status
                ),
                "verification_note": ev.verification_note,
                # What the redaction studio did to the original (clip, faces blurred, ...).
                "treatment": pair(ev, "treatment"),
                # A video's still, published with it under its own hash (None otherwise).
                "poster": {
                    "name": cast(str, ev.poster.name).rsplit("/", 1)[-1],
                    "sha256": ev.poster_sha256,
                }
                if ev.poster
                else None,
                # What its Content Credentials say, read back at publication ({} if none).
                "credentials": ev.credentials,
            }
            for ev in case.evidence.all()
        ],
    }
