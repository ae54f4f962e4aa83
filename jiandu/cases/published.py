"""The read side of what has been published: the public site, feeds, exports and the API all
come through these `get_*` functions, which read revision snapshots only."""

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.db.models import Q, QuerySet
from django.db.models.fields.files import FieldFile

from jiandu.cases import metrics
from jiandu.cases.models import (
    Case,
    CaseStatus,
    PersonRole,
    PublicPersonCase,
    PublishedEvidence,
    Revision,
)

PUBLIC_STATUSES = (CaseStatus.PUBLISHED, CaseStatus.RETRACTED)


@dataclass
class _Reads:
    """What `reading_once` has read so far (each part loaded on first use)."""

    cases: list["PublicCase"] | None = None
    by_slug: dict[str, "PublicCase"] = field(default_factory=dict)
    position: dict[int, int] = field(default_factory=dict)  # case id -> index in `cases`
    revisions: dict[str, list[Revision]] | None = None  # slug -> newest first
    latest: list[Revision] | None = None  # every public revision, newest first
    people: dict[str, list[int]] | None = None  # person slug -> case ids


_reads: ContextVar[_Reads | None] = ContextVar("jiandu_published_reads", default=None)


@contextmanager
def reading_once() -> Iterator[None]:
    """Inside this block the `get_*` functions read the published cases, revisions and the
    people index once and answer from memory.

    For a static export (jiandu.public.mirror enters it), which renders tens of thousands of
    pages from the same snapshots and would otherwise read them again for every page. A
    request never runs inside it, so the live site always reads the current state. What is
    kept is what the database held when each part was first read: use it for one export, then
    leave it.
    """
    token = _reads.set(_Reads())
    try:
        yield
    finally:
        _reads.reset(token)


def _all_revisions(reads: _Reads) -> list[Revision]:
    if reads.latest is None:
        reads.latest = list(
            Revision.objects.filter(case__status__in=PUBLIC_STATUSES)
            .select_related("case")
            .order_by("-published_at", "-pk")
        )
    return reads.latest


def _revisions_by_slug(reads: _Reads) -> dict[str, list[Revision]]:
    if reads.revisions is None:
        grouped: dict[str, list[Revision]] = defaultdict(list)
        for revision in _all_revisions(reads):
            grouped[revision.case.slug].append(revision)
        for revisions in grouped.values():
            revisions.sort(key=lambda r: -r.number)
        reads.revisions = dict(grouped)
    return reads.revisions


def timeline_events(snapshot: dict[str, Any]) -> list[metrics.TimelineEvent]:
    return [
        metrics.TimelineEvent(
            type=e["type"],
            when=metrics.When(datetime.fromisoformat(e["at"]), e["precision"]),
            people=frozenset(e["people"]),
        )
        for e in snapshot["events"]
    ]


def case_metrics_from_snapshot(snapshot: dict[str, Any]) -> metrics.CaseMetrics:
    officials = [p["slug"] for p in snapshot["people"] if p["role"] == PersonRole.SUBJECT]
    return metrics.case_metrics(timeline_events(snapshot), officials)


@dataclass(frozen=True)
class PublicCase:
    slug: str
    revision: Revision
    snapshot: dict[str, Any]
    first_published_at: datetime

    @property
    def retracted(self) -> bool:
        return self.snapshot.get("status") == CaseStatus.RETRACTED

    def metrics(self) -> metrics.CaseMetrics:
        return case_metrics_from_snapshot(self.snapshot)


def _public_cases() -> QuerySet[Case]:
    return Case.objects.filter(status__in=PUBLIC_STATUSES, current_revision__isnull=False)


def _first_published(case_ids: list[int]) -> dict[int, datetime]:
    rows = Revision.objects.filter(case_id__in=case_ids, number=1).values_list(
        "case_id", "published_at"
    )
    return dict(rows)


def get_public_cases(case_ids: list[int] | None = None) -> list[PublicCase]:
    """Published and retracted cases, most recently published first."""
    reads = _reads.get()
    if reads is not None:
        if reads.cases is None:
            reads.cases = _read_public_cases(None)
            reads.by_slug = {c.slug: c for c in reads.cases}
            reads.position = {c.revision.case_id: n for n, c in enumerate(reads.cases)}
        if case_ids is None:
            return list(reads.cases)
        found = {i: reads.position[i] for i in case_ids if i in reads.position}
        return [reads.cases[n] for n in sorted(found.values())]
    return _read_public_cases(case_ids)


def _read_public_cases(case_ids: list[int] | None) -> list[PublicCase]:
    cases = _public_cases().select_related("current_revision")
    if case_ids is not None:
        cases = cases.filter(pk__in=case_ids)
    rows = list(cases.order_by("-current_revision__published_at"))
    first = _first_published([c.pk for c in rows])
    return [  # a public case always has its current revision
        PublicCase(
            c.slug,
            cast(Revision, c.current_revision),
            cast(Revision, c.current_revision).snapshot,
            first[c.pk],
        )
        for c in rows
    ]


def get_public_case(slug: str) -> PublicCase | None:
    if _reads.get() is not None:
        get_public_cases()
        return _reads.get().by_slug.get(slug)  # type: ignore[union-attr]
    case = _public_cases().filter(slug=slug).select_related("current_revision").first()
    if case is None:
        return None
    first = _first_published([case.pk])
    revision = cast(Revision, case.current_revision)  # a public case always has one
    return PublicCase(case.slug, revision, revision.snapshot, first[case.pk])


def get_public_cases_by_slug(slugs: list[str]) -> list[PublicCase]:
    ids = list(_public_cases().filter(slug__in=slugs).values_list("pk", flat=True))
    return get_public_cases(ids)


def get_revisions(slug: str) -> list[Revision]:
    """The public history of a case, newest first (without the snapshots: a list needs none)."""
    reads = _reads.get()
    if reads is not None:
        return list(_revisions_by_slug(reads).get(slug, []))
    return list(
        Revision.objects.filter(case__slug=slug, case__status__in=PUBLIC_STATUSES)
        .defer("snapshot")
        .order_by("-number")
    )


def get_revision(slug: str, number: int) -> Revision | None:
    reads = _reads.get()
    if reads is not None:
        return next(
            (r for r in _revisions_by_slug(reads).get(slug, []) if r.number == number), None
        )
    return Revision.objects.filter(
        case__slug=slug, case__status__in=PUBLIC_STATUSES, number=number
    ).first()


def get_latest_revisions(limit: int = 50, slugs: list[str] | None = None) -> list[Revision]:
    reads = _reads.get()
    if reads is not None:
        if slugs is None:
            return _all_revisions(reads)[:limit]
        by_slug = _revisions_by_slug(reads)
        chosen = [r for slug in set(slugs) for r in by_slug.get(slug, [])]
        return sorted(chosen, key=lambda r: (r.published_at, r.pk), reverse=True)[:limit]
    revisions = Revision.objects.filter(case__status__in=PUBLIC_STATUSES)
    if slugs is not None:
        revisions = revisions.filter(case__slug__in=slugs)
    return list(revisions.select_related("case").order_by("-published_at", "-pk")[:limit])


def get_public_person(slug: str) -> tuple[dict[str, Any], list[PublicCase]] | None:
    """A person named in at least one public case: their details and those cases.

    Everything comes from the snapshots, never from the `Person` row or the live links of the
    working copy: a journalist's edit to a name, a post or a case's people reaches the public
    only when an editor publishes a case that names the person (every case naming them is
    marked as changed by the edit). The details are those of the most recently published
    snapshot that names the person, so the newest reviewed version of the record is shown.
    """
    reads = _reads.get()
    if reads is not None:
        if reads.people is None:
            index: dict[str, list[int]] = defaultdict(list)
            for person, case_id in PublicPersonCase.objects.values_list("person_slug", "case_id"):
                index[person].append(case_id)
            reads.people = dict(index)
        ids = reads.people.get(slug, [])
    else:
        ids = list(
            PublicPersonCase.objects.filter(person_slug=slug).values_list("case_id", flat=True)
        )
    # The index names candidates; the snapshots decide (an index row never adds a case).
    cases = [
        c for c in get_public_cases(ids) if any(p["slug"] == slug for p in c.snapshot["people"])
    ]
    if not cases:
        return None
    return snapshot_person(cases[0].snapshot, slug), cases


def index_public_people(case: Case, snapshot: dict[str, Any]) -> None:
    """Record who `snapshot` (the case's new current public revision) names, replacing what
    its previous revision named. Called in the publication's transaction, so the index and
    the current revision change together or not at all."""
    slugs = sorted({p["slug"] for p in snapshot.get("people", [])})
    PublicPersonCase.objects.filter(case=case).exclude(person_slug__in=slugs).delete()
    have = set(PublicPersonCase.objects.filter(case=case).values_list("person_slug", flat=True))
    PublicPersonCase.objects.bulk_create(
        [PublicPersonCase(case=case, person_slug=s) for s in slugs if s not in have]
    )


def snapshot_person(snapshot: dict[str, Any], slug: str) -> dict[str, Any]:
    """The person `slug` as a snapshot recorded them, without the case-specific role and note."""
    entry = next(p for p in snapshot["people"] if p["slug"] == slug)
    return {k: v for k, v in entry.items() if k not in ("role", "note")}


def get_public_people() -> list[dict[str, Any]]:
    """Everyone named in a public case, as in the latest snapshots (for sitemaps and exports)."""
    people: dict[str, dict[str, Any]] = {}
    for case in get_public_cases():
        for person in case.snapshot["people"]:
            if person["slug"] not in people:
                people[person["slug"]] = snapshot_person(case.snapshot, person["slug"])
    return [people[k] for k in sorted(people)]


def get_public_file(name: str) -> tuple[PublishedEvidence, FieldFile, str] | None:
    """The published file `name` (an evidence file or a video's poster, "<sha256>.<ext>"),
    with its evidence record and content type, if a public revision of its case lists it."""
    # "<sha256>.<ext>", or "<sha256>_<suffix>.<ext>" where storage had to rename a second copy
    # (the same file published in two cases).
    sha256 = name[:64]
    if len(sha256) != 64:
        return None
    for evidence in PublishedEvidence.objects.filter(
        Q(sha256=sha256) | Q(poster_sha256=sha256), case__status__in=PUBLIC_STATUSES
    ).select_related("case"):
        listed = Revision.objects.filter(case_id=evidence.case_id).values_list(
            "snapshot", flat=True
        )
        for snapshot in listed:
            for entry in snapshot["evidence"]:
                if entry["name"] == name and evidence.sha256 == sha256:
                    return evidence, evidence.file, evidence.content_type
                poster = entry.get("poster") or {}
                if poster.get("name") == name and evidence.poster_sha256 == sha256:
                    return evidence, evidence.poster, "image/jpeg"
    return None
