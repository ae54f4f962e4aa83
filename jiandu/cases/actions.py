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

A newsroom of one or two chooses the other publishing policy (`PublishingPolicy`, set by an
admin, audited): "one person after a cooling-off period". An editor who edited may then
request publication; every member is notified, any member may stop it, any edit (evidence
too) cancels it, and the worker publishes it when the hold has passed
(`do_publish_due_hold`). Each revision records the policy it was published under, in public
and in its transparency-log entry, so readers know which promise the newsroom kept.
"""

from datetime import datetime, timedelta
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from jiandu.accounts.actions import do_record_policy_change
from jiandu.accounts.models import User
from jiandu.cases import published, search
from jiandu.cases.logentries import do_log_revision
from jiandu.cases.models import (
    HOLD_HOURS_MAX,
    HOLD_HOURS_MIN,
    Case,
    CasePerson,
    CaseStatus,
    Citation,
    Claim,
    ClaimVersion,
    Event,
    HoldState,
    Person,
    Policy,
    Position,
    PublicationHold,
    PublishingPolicy,
    Revision,
    RevisionKind,
)
from jiandu.cases.signals import case_published
from jiandu.cases.snapshot import take_snapshot
from jiandu.cases.text import pair_by_script
from jiandu.newsroom.notify import note_activity


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
    # A held one-person publication publishes what was there when it was requested: any edit,
    # evidence included, cancels it (nobody would have read the addition).
    held = _end_hold(case, actor, HoldState.CANCELLED)
    if withdraw_review or held:
        case.submitted_by = None
        fields.append("submitted_by")
    case.save(update_fields=fields)
    case.editors_since_publication.add(actor)


def unique_slug(model: type[Case] | type[Person], text: str, fallback: str) -> str:
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


# --- The publishing policy ------------------------------------------------------------------


def get_policy() -> PublishingPolicy:
    """The policy in force (the default, two people, until an admin changes it). Reads only:
    before the first change there is no row, and the default is what an unsaved row says."""
    return PublishingPolicy.objects.filter(pk=1).first() or PublishingPolicy(pk=1)


def _policy_for_update() -> PublishingPolicy:
    """The policy's one row, made on the first change and locked for it."""
    PublishingPolicy.objects.get_or_create(pk=1)
    return PublishingPolicy.objects.select_for_update().get(pk=1)


def _other_admins(actor: User) -> bool:
    return User.objects.filter(groups__name="admin", is_active=True).exclude(pk=actor.pk).exists()


def _describe(mode: str, hours: int) -> str:
    return "two-people" if mode == Policy.TWO_PEOPLE else f"one-person-{hours}h"


@transaction.atomic
def do_propose_policy(actor: User, mode: str, hold_hours: int) -> bool:
    """Change the publishing policy; returns True if it is in force now.

    Only an admin (`manage_newsroom`). Moving to the two-person rule takes effect at once: it
    only adds a check. The one-person policy (or another hold) weakens the review, so when
    another active admin exists it waits for a second admin to confirm it
    (`do_confirm_policy`); a newsroom with a single admin has nobody to ask. Each step is a
    row in the account audit, on the acting admin's history."""
    _require(actor, "manage_newsroom")
    if mode not in Policy.values:
        raise WorkflowError(_("Choose a publishing policy."))
    if not HOLD_HOURS_MIN <= hold_hours <= HOLD_HOURS_MAX:
        raise WorkflowError(_("The hold must be between 1 and 24 hours."))
    policy = _policy_for_update()
    if mode == Policy.TWO_PEOPLE:
        hold_hours = policy.hold_hours
    if mode == Policy.TWO_PEOPLE or not _other_admins(actor):
        _apply_policy(policy, actor, mode, hold_hours)
        do_record_policy_change(actor, f"publishing policy: {_describe(mode, hold_hours)}")
        return True
    policy.proposed_mode, policy.proposed_hold_hours = mode, hold_hours
    policy.proposed_by, policy.proposed_at = actor, timezone.now()
    policy.save()
    do_record_policy_change(
        actor,
        f"publishing policy proposed: {_describe(mode, hold_hours)} (a second admin confirms)",
    )
    return False


@transaction.atomic
def do_confirm_policy(actor: User) -> None:
    """A second admin puts the proposed policy in force (never the admin who proposed it)."""
    _require(actor, "manage_newsroom")
    policy = _policy_for_update()
    if not policy.proposed_mode:
        raise WorkflowError(_("No change of policy is waiting."))
    if policy.proposed_by_id == actor.pk:
        raise WorkflowError(_("Another admin must confirm the change you proposed."))
    mode, hours = policy.proposed_mode, policy.proposed_hold_hours or policy.hold_hours
    _apply_policy(policy, actor, mode, hours)
    do_record_policy_change(actor, f"publishing policy confirmed: {_describe(mode, hours)}")


@transaction.atomic
def do_withdraw_policy_proposal(actor: User) -> None:
    """Drop a waiting proposal (any admin); the policy in force stays."""
    _require(actor, "manage_newsroom")
    policy = _policy_for_update()
    if policy.proposed_mode:
        _clear_proposal(policy)
        policy.save()
        do_record_policy_change(actor, "publishing policy proposal withdrawn")


def _clear_proposal(policy: PublishingPolicy) -> None:
    policy.proposed_mode, policy.proposed_hold_hours = "", None
    policy.proposed_by, policy.proposed_at = None, None


def _apply_policy(policy: PublishingPolicy, actor: User, mode: str, hours: int) -> None:
    policy.mode, policy.hold_hours = mode, hours
    policy.changed_by, policy.changed_at = actor, timezone.now()
    _clear_proposal(policy)
    policy.save()
    if mode == Policy.TWO_PEOPLE:
        # Holds made under the old policy end with it: their publication needs a second editor.
        for case in Case.objects.filter(holds__state=HoldState.WAITING):
            _end_hold(case, actor, HoldState.CANCELLED, reason="policy")


# --- One-person publication after a hold -----------------------------------------------------


def get_waiting_hold(case: Case) -> PublicationHold | None:
    return case.holds.filter(state=HoldState.WAITING).select_related("requested_by").first()


def get_waiting_holds() -> list[PublicationHold]:
    """Every waiting one-person publication, soonest first (the desk shows them all)."""
    return list(
        PublicationHold.objects.filter(state=HoldState.WAITING)
        .select_related("case", "requested_by")
        .order_by("publish_after")
    )


def _end_hold(case: Case, actor: User | None, state: str, reason: str = "") -> bool:
    """End the case's waiting hold, if any (inside the caller's transaction)."""
    ended = PublicationHold.objects.filter(case=case, state=HoldState.WAITING).update(
        state=state, ended_by=actor, ended_at=timezone.now(), reason=reason[:300]
    )
    return bool(ended)


def can_request_held_publication(actor: User, case: Case) -> bool:
    """Whether `actor` may ask for a one-person publication now: the policy allows it, they
    may publish, and the case has something to publish and no hold running."""
    return (
        get_policy().mode == Policy.ONE_PERSON
        and actor.has_perm("accounts.publish_cases")
        and case.status != CaseStatus.RETRACTED
        and case.has_unpublished_changes
        and get_waiting_hold(case) is None
    )


@transaction.atomic
def do_request_held_publication(
    actor: User, case: Case, note: str | dict[str, str]
) -> PublicationHold:
    """Under the one-person policy: ask for publication after the hold. Every member is told
    there is news (the newsroom's e-mail flag; the desk lists the hold), and the worker
    publishes at `publish_after` unless the hold ends first."""
    policy = get_policy()
    if policy.mode != Policy.ONE_PERSON:
        raise WorkflowError(_("The publishing policy asks a second editor to publish."))
    _require(actor, "publish_cases")
    do_submit_for_review(actor, case, note)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if get_waiting_hold(case) is not None:
        raise WorkflowError(_("A publication of this case is already waiting."))
    now = timezone.now()
    hold = PublicationHold.objects.create(
        case=case,
        requested_by=actor,
        requested_at=now,
        hold_hours=policy.hold_hours,
        publish_after=now + timedelta(hours=policy.hold_hours),
    )
    note_activity()
    transaction.on_commit(lambda: _enqueue_hold(hold))
    return hold


def _enqueue_hold(hold: PublicationHold) -> None:
    from jiandu.cases.tasks import publish_held_case  # the task module imports this one

    publish_held_case.using(run_after=hold.publish_after).enqueue(hold.pk)


@transaction.atomic
def do_stop_held_publication(actor: User, case: Case, reason: str = "") -> PublicationHold:
    """Any member stops a waiting one-person publication; the case stays unpublished and
    whoever asked must ask again (or a second editor publish). Recorded on the hold."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    hold = get_waiting_hold(case)
    if hold is None:
        raise WorkflowError(_("No publication of this case is waiting."))
    _end_hold(case, actor, HoldState.STOPPED, reason=reason.strip())
    case.submitted_by = None
    case.save(update_fields=["submitted_by", "updated_at"])
    hold.refresh_from_db()
    return hold


@transaction.atomic
def do_publish_due_hold(hold_id: int, now: datetime | None = None) -> Revision | None:
    """The worker's step: publish the held case if its hold is still waiting and has passed.
    Returns None (and changes nothing) when it was stopped, cancelled or is not due yet, or
    when the policy is no longer the one-person policy."""
    hold = PublicationHold.objects.select_for_update().filter(pk=hold_id).first()
    now = now or timezone.now()
    if hold is None or hold.state != HoldState.WAITING or hold.publish_after > now:
        return None
    if get_policy().mode != Policy.ONE_PERSON:
        _end_hold(hold.case, None, HoldState.CANCELLED, reason="policy")
        return None
    case = Case.objects.select_for_update().get(pk=hold.case_id)
    if case.status == CaseStatus.RETRACTED or case.submitted_by_id != hold.requested_by_id:
        _end_hold(case, None, HoldState.CANCELLED)
        return None
    revision = _publish(case, hold.requested_by, Policy.ONE_PERSON, hold.hold_hours)
    PublicationHold.objects.filter(pk=hold.pk).update(
        state=HoldState.PUBLISHED, ended_at=revision.published_at
    )
    return revision


def get_due_holds(now: datetime | None = None) -> list[int]:
    """Waiting holds whose time has passed (the hourly sweep's list, should a task be lost)."""
    return list(
        PublicationHold.objects.filter(
            state=HoldState.WAITING, publish_after__lte=now or timezone.now()
        ).values_list("pk", flat=True)
    )


# --- Review, publication, retraction ------------------------------------------------------


@transaction.atomic
def do_submit_for_review(actor: User, case: Case, note: str | dict[str, str]) -> None:
    """Ask a second editor to publish; `note` becomes the public revision note: a pair
    {"zh", "en"} (one side may be empty: the reader of the other language then sees it
    marked with its language), or one text, put on the side of the script it is written in
    (jiandu.cases.text.pair_by_script)."""
    _require(actor, "edit_cases")
    pair = pair_by_script(note) if isinstance(note, str) else note
    zh, en = (pair.get("zh") or "").strip(), (pair.get("en") or "").strip()
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == CaseStatus.RETRACTED:
        raise WorkflowError(_("A retracted case cannot be published again."))
    if not case.has_unpublished_changes:
        raise WorkflowError(_("Nothing has changed since the last published revision."))
    if not (zh or en):
        raise WorkflowError(_("Write a note for the public history of this case."))
    if not (case.title_zh or case.title_en):
        raise WorkflowError(_("The case needs a title before it can be reviewed."))
    case.submitted_by = actor
    case.submission_note_zh, case.submission_note_en = zh, en
    case.save(
        update_fields=["submitted_by", "submission_note_zh", "submission_note_en", "updated_at"]
    )


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
    case: Case,
    kind: str,
    note: dict[str, str],
    snapshot: dict[str, Any],
    author: User,
    publisher: User,
    policy: str = Policy.TWO_PEOPLE,
    hold_hours: int | None = None,
) -> Revision:
    # current_revision is set whenever its id is.
    previous = cast(Revision, case.current_revision).snapshot if case.current_revision_id else None
    revision = Revision.objects.create(
        case=case,
        number=_next_number(case),
        kind=kind,
        note_zh=note.get("zh", ""),
        note_en=note.get("en", ""),
        snapshot=snapshot,
        author=author,
        publisher=publisher,
        published_at=timezone.now(),
        policy=policy,
        hold_hours=hold_hours if policy == Policy.ONE_PERSON else None,
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
    do_log_revision(
        case.slug,
        revision.number,
        kind,
        snapshot,
        previous,
        at=revision.published_at,
        policy=revision.log_policy if kind != RevisionKind.RETRACTION else None,
    )
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
    # A second editor may publish during a one-person hold: the review the hold stood in for.
    _end_hold(case, actor, HoldState.PUBLISHED, reason="second editor")
    return _publish(case, actor, Policy.TWO_PEOPLE, None)


def _publish(case: Case, publisher: User, policy: str, hold_hours: int | None) -> Revision:
    """The revision of the submitted working copy (the case row is locked by the caller)."""
    first = case.current_revision_id is None
    case.status = CaseStatus.PUBLISHED
    snapshot = take_snapshot(case)
    snapshot["status"] = CaseStatus.PUBLISHED
    editors = list(case.editors_since_publication.all())
    revision = _append_revision(
        case,
        RevisionKind.PUBLICATION if first else RevisionKind.UPDATE,
        {"zh": case.submission_note_zh, "en": case.submission_note_en},
        snapshot,
        author=cast(User, case.submitted_by),  # a case under review has its submitter
        publisher=publisher,
        policy=policy,
        hold_hours=hold_hours,
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
        case,
        RevisionKind.RETRACTION,
        pair_by_script(reason),
        snapshot,
        author=actor,
        publisher=actor,
    )
