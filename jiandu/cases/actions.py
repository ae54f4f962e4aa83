"""Every write to a case: drafting, review, publication, revisions, retraction.

The rules of the editorial workflow live here and nowhere else:
- members with `edit_cases` write drafts and ask for review (with a note for the public log);
- a *second* member with `publish_cases` publishes: never the one who asked for review, never
  anyone who changed the case since its last publication (`Case.editors_since_publication`:
  text, timeline, claims, sources, people, evidence), so nobody publishes words only they have
  read, not even by letting someone else fix a typo and submit after them;
- each publication appends a `Revision` holding a snapshot; the public reads only snapshots;
- a retraction is a revision too, with its reason public; nothing public is ever deleted.
Any edit after a request for review withdraws the request, except attaching evidence, which
joins what the publisher reviews (editors attach it in the studio, often after the request).
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from jiandu.accounts.models import User
from jiandu.cases import published, search
from jiandu.cases.models import (
    Case,
    CasePerson,
    CaseStatus,
    Citation,
    Claim,
    ClaimVersion,
    Event,
    Person,
    Position,
    Revision,
    RevisionKind,
)
from jiandu.cases.signals import case_published
from jiandu.cases.snapshot import take_snapshot
from jiandu.ledger.logactions import do_log_revision


class WorkflowError(ValueError):
    """A step the workflow does not allow now; the message is shown to the member."""


def _require(actor: User, permission: str) -> None:
    if not actor.has_perm(f"accounts.{permission}"):
        raise PermissionDenied


def record_edit(case: Case, actor: User, *, withdraw_review: bool = True) -> None:
    """Record an edit: the working copy now differs from the public one and `actor` joins the
    editors who may not publish it. Review starts over unless `withdraw_review` is False (an
    addition the publisher reads in the diff, such as evidence, keeps the request standing).

    Called by every action that changes what the next revision will show, inside its
    transaction; the case row is written here, so a publication running at the same moment
    (which locks it) either sees the whole edit or none of it.
    """
    case.last_edited_by = actor
    case.has_unpublished_changes = True
    fields = ["last_edited_by", "has_unpublished_changes", "updated_at"]
    if withdraw_review:
        case.submitted_by = None
        fields.append("submitted_by")
    case.save(update_fields=fields)
    case.editors_since_publication.add(actor)


def unique_slug(model: type, text: str, fallback: str) -> str:
    from jiandu.cases.forms import RESERVED_SLUGS

    base = slugify(text)[:60] or fallback
    slug, n = base, 2
    while slug in RESERVED_SLUGS or model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# --- People -------------------------------------------------------------------------------


@transaction.atomic
def do_create_person(actor: User, **fields: Any) -> Person:
    _require(actor, "edit_cases")
    slug = fields.pop("slug", "") or unique_slug(
        Person, fields.get("name_en", ""), f"person-{Person.objects.count() + 1}"
    )
    return Person.objects.create(slug=slug, **fields)


@transaction.atomic
def do_update_person(actor: User, person: Person, **fields: Any) -> None:
    """Correct a person in the working copy. The public reads people from published snapshots
    only (jiandu.cases.published), so the change is public once an editor publishes a case
    naming them; each such case is marked as changed to put the edit in front of an editor."""
    _require(actor, "edit_cases")
    for name, value in fields.items():
        setattr(person, name, value)
    person.save()
    for case in person.cases.all():
        record_edit(case, actor)


@transaction.atomic
def do_add_position(actor: User, person: Person, **fields: Any) -> Position:
    _require(actor, "edit_cases")
    position = Position.objects.create(person=person, **fields)
    for case in person.cases.all():
        record_edit(case, actor)
    return position


@transaction.atomic
def do_delete_position(actor: User, position: Position) -> None:
    _require(actor, "edit_cases")
    for case in position.person.cases.all():
        record_edit(case, actor)
    position.delete()


# --- Cases (the working copy) ---------------------------------------------------------------


@transaction.atomic
def do_create_case(actor: User, **fields: Any) -> Case:
    _require(actor, "edit_cases")
    slug = fields.pop("slug", "") or unique_slug(
        Case, fields.get("title_en", ""), f"case-{Case.objects.count() + 1}"
    )
    case = Case.objects.create(slug=slug, created_by=actor, last_edited_by=actor, **fields)
    case.editors_since_publication.add(actor)  # the first draft's words are the creator's
    return case


@transaction.atomic
def do_update_case(actor: User, case: Case, **fields: Any) -> None:
    _require(actor, "edit_cases")
    for name, value in fields.items():
        setattr(case, name, value)
    # Only the edited fields: the workflow's fields are the workflow actions' alone.
    case.save(update_fields=[*fields, "updated_at"])
    record_edit(case, actor)


@transaction.atomic
def do_link_person(
    actor: User, case: Case, person: Person, role: str, note_zh: str = "", note_en: str = ""
) -> CasePerson:
    _require(actor, "edit_cases")
    link, _created = CasePerson.objects.update_or_create(
        case=case, person=person, defaults={"role": role, "note_zh": note_zh, "note_en": note_en}
    )
    record_edit(case, actor)
    return link


@transaction.atomic
def do_unlink_person(actor: User, case: Case, person: Person) -> None:
    _require(actor, "edit_cases")
    CasePerson.objects.filter(case=case, person=person).delete()
    record_edit(case, actor)


@transaction.atomic
def do_add_citation(actor: User, case: Case, **fields: Any) -> Citation:
    _require(actor, "edit_cases")
    citation = Citation.objects.create(case=case, **fields)
    record_edit(case, actor)
    return citation


@transaction.atomic
def do_add_event(
    actor: User,
    case: Case,
    *,
    type: str,
    occurred_at: datetime,
    precision: str,
    description_zh: str = "",
    description_en: str = "",
    people: list[Person] | None = None,
    citations: list[Citation] | None = None,
) -> Event:
    _require(actor, "edit_cases")
    event = Event.objects.create(
        case=case,
        type=type,
        occurred_at=occurred_at,
        precision=precision,
        description_zh=description_zh,
        description_en=description_en,
    )
    event.people.set(people or [])
    event.citations.set([c for c in citations or [] if c.case_id == case.pk])
    record_edit(case, actor)
    return event


@transaction.atomic
def do_update_event(
    actor: User,
    event: Event,
    *,
    people: list[Person] | None = None,
    citations: list[Citation] | None = None,
    **fields: Any,
) -> None:
    """Correct an event in the working copy; the change goes public with the next revision."""
    _require(actor, "edit_cases")
    for name, value in fields.items():
        setattr(event, name, value)
    event.save()
    event.people.set(people or [])
    event.citations.set([c for c in citations or [] if c.case_id == event.case_id])
    record_edit(event.case, actor)


@transaction.atomic
def do_delete_event(actor: User, event: Event) -> None:
    """Drop an event from the working copy; past revisions keep it in their snapshots."""
    _require(actor, "edit_cases")
    case = event.case
    event.delete()
    record_edit(case, actor)


@transaction.atomic
def do_add_claim(actor: User, case: Case, question_zh: str = "", question_en: str = "") -> Claim:
    _require(actor, "edit_cases")
    claim = Claim.objects.create(case=case, question_zh=question_zh, question_en=question_en)
    record_edit(case, actor)
    return claim


@transaction.atomic
def do_add_claim_version(
    actor: User, claim: Claim, *, citations: list[Citation] | None = None, **fields: Any
) -> ClaimVersion:
    _require(actor, "edit_cases")
    version = ClaimVersion.objects.create(claim=claim, **fields)
    version.citations.set([c for c in citations or [] if c.case_id == claim.case_id])
    record_edit(claim.case, actor)
    return version


@transaction.atomic
def do_delete_citation(actor: User, citation: Citation) -> None:
    """Drop a source from the working copy (and from the events and claims citing it)."""
    _require(actor, "edit_cases")
    case = citation.case
    citation.delete()
    record_edit(case, actor)


@transaction.atomic
def do_delete_claim(actor: User, claim: Claim) -> None:
    _require(actor, "edit_cases")
    case = claim.case
    claim.delete()
    record_edit(case, actor)


@transaction.atomic
def do_delete_claim_version(actor: User, version: ClaimVersion) -> None:
    _require(actor, "edit_cases")
    case = version.claim.case
    version.delete()
    record_edit(case, actor)


# --- Review, publication, retraction ------------------------------------------------------


@transaction.atomic
def do_submit_for_review(actor: User, case: Case, note: str) -> None:
    """Ask a second editor to publish; `note` becomes the public revision note."""
    _require(actor, "edit_cases")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == CaseStatus.RETRACTED:
        raise WorkflowError(_("A retracted case cannot be published again."))
    if not case.has_unpublished_changes:
        raise WorkflowError(_("Nothing has changed since the last published revision."))
    if not note.strip():
        raise WorkflowError(_("Write a note for the public history of this case."))
    if not (case.title_zh or case.title_en):
        raise WorkflowError(_("The case needs a title before it can be reviewed."))
    case.submitted_by = actor
    case.submission_note = note.strip()
    case.save(update_fields=["submitted_by", "submission_note", "updated_at"])


def barred_from_publishing(case: Case) -> set[int]:
    """The members who may not publish the working copy: whoever asked for review and whoever
    changed anything since the last publication (the last editor too, by the older record)."""
    barred = set(case.editors_since_publication.values_list("pk", flat=True))
    barred.update(pk for pk in (case.submitted_by_id, case.last_edited_by_id) if pk is not None)
    return barred


def can_publish(actor: User, case: Case) -> bool:
    return (
        actor.has_perm("accounts.publish_cases")
        and case.submitted_by_id is not None
        and actor.pk not in barred_from_publishing(case)
        and case.status != CaseStatus.RETRACTED
    )


def _next_number(case: Case) -> int:
    return (case.revisions.aggregate(n=Max("number"))["n"] or 0) + 1


def _append_revision(
    case: Case, kind: str, note: str, snapshot: dict[str, Any], author: User, publisher: User
) -> Revision:
    previous = case.current_revision.snapshot if case.current_revision_id else None
    revision = Revision.objects.create(
        case=case,
        number=_next_number(case),
        kind=kind,
        note=note,
        snapshot=snapshot,
        author=author,
        publisher=publisher,
        published_at=timezone.now(),
    )
    case.current_revision = revision
    case.has_unpublished_changes = False
    case.submitted_by = None
    case.save(
        update_fields=[
            "current_revision",
            "has_unpublished_changes",
            "submitted_by",
            "status",
            "updated_at",
        ]
    )
    search.index_case(case.pk, snapshot)
    published.index_public_people(case, snapshot)  # person pages find their cases by it
    # The public transparency log, in this transaction: no entry for a rolled-back publication.
    do_log_revision(case.slug, revision.number, kind, snapshot, previous, at=revision.published_at)
    transaction.on_commit(lambda: case_published.send(Case, case=case, revision=revision))
    return revision


@transaction.atomic
def do_publish_case(actor: User, case: Case) -> Revision:
    """Publish the reviewed working copy as the case's next public revision."""
    _require(actor, "publish_cases")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.submitted_by_id is None:
        raise WorkflowError(_("This case has not been submitted for review."))
    if actor.pk in barred_from_publishing(case):
        raise WorkflowError(
            _(
                "A second editor must publish: you changed or submitted this version since "
                "the last publication."
            )
        )
    if case.status == CaseStatus.RETRACTED:
        raise WorkflowError(_("A retracted case cannot be published again."))
    first = case.current_revision_id is None
    case.status = CaseStatus.PUBLISHED
    snapshot = take_snapshot(case)
    snapshot["status"] = CaseStatus.PUBLISHED
    editors = list(case.editors_since_publication.all())
    revision = _append_revision(
        case,
        RevisionKind.PUBLICATION if first else RevisionKind.UPDATE,
        case.submission_note,
        snapshot,
        author=case.submitted_by,
        publisher=actor,
    )
    # The record moves to the revision; the next round of edits starts with nobody barred.
    revision.editors.set(editors)
    case.editors_since_publication.clear()
    return revision


@transaction.atomic
def do_retract_case(actor: User, case: Case, reason: str) -> Revision:
    """Withdraw a published case in public: the page stays, marked retracted, with the reason."""
    _require(actor, "publish_cases")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != CaseStatus.PUBLISHED or case.current_revision is None:
        raise WorkflowError(_("Only a published case can be retracted."))
    if not reason.strip():
        raise WorkflowError(_("Give the reason for the retraction; it is shown in public."))
    snapshot = dict(case.current_revision.snapshot)
    snapshot["status"] = CaseStatus.RETRACTED
    snapshot["retraction"] = reason.strip()
    case.status = CaseStatus.RETRACTED
    return _append_revision(
        case, RevisionKind.RETRACTION, reason.strip(), snapshot, author=actor, publisher=actor
    )
