"""The newsroom's case desk: drafting, review, publication, retraction, evidence.

Thin views: each POST names one step, its form is checked, one `do_*` action runs. A form
with errors is shown again on the case's workspace page, in place, with what was typed.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from jiandu.accounts.http import MemberRequest
from jiandu.accounts.models import User
from jiandu.cases import actions
from jiandu.cases.access import access_case_by_id, access_held_case_by_id, access_person_by_id
from jiandu.cases.diff import get_case_diff
from jiandu.cases.forms import (
    CaseForm,
    CitationForm,
    ClaimForm,
    ClaimVersionForm,
    EventForm,
    LinkPersonForm,
    NewCaseForm,
    NoteForm,
    PersonForm,
    PolicyForm,
    PositionForm,
    RetractForm,
    StopHoldForm,
)
from jiandu.cases.models import Case, Citation, Claim, ClaimVersion, Event, Person, Position
from jiandu.cases.viewcounts import get_view_totals
from jiandu.core.middleware import csrf_protect

edit_required = permission_required("accounts.edit_cases", raise_exception=True)


@login_required
@edit_required
def case_list(request: MemberRequest) -> HttpResponse:
    cases = Case.objects.select_related("submitted_by", "current_revision").order_by("-updated_at")
    views = get_view_totals()
    with translation.override(settings.LANGUAGE_CODE):  # counted without a language prefix
        rows = [
            {"case": c, "views": views.get(reverse("public:case", args=[c.slug]), 0)} for c in cases
        ]
    context = {"rows": rows, "policy": actions.get_policy(), "holds": actions.get_waiting_holds()}
    return render(request, "cases/list.html", context)


@login_required
@edit_required
def case_new(request: MemberRequest) -> HttpResponse:
    form = NewCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = actions.do_create_case(request.user, **form.cleaned_data)
        return redirect("cases:workspace", case.pk)
    return render(request, "cases/case_form.html", {"form": form})


@login_required
@edit_required
def case_edit(request: MemberRequest, case_id: int) -> HttpResponse:
    case = access_case_by_id(request.user, case_id)
    form = CaseForm(request.POST or None, instance=case)
    if request.method == "POST" and form.is_valid():
        actions.do_update_case(request.user, case, **form.cleaned_data)
        return redirect("cases:workspace", case.pk)
    return render(request, "cases/case_form.html", {"form": form, "case": case})


def _forms(case: Case, bound: dict[str, Any] | None = None) -> dict[str, Any]:
    forms = {
        "link_form": LinkPersonForm(),
        "citation_form": CitationForm(),
        "event_form": EventForm(case=case),
        "claim_form": ClaimForm(),
        "version_form": ClaimVersionForm(case=case),
        "note_form": NoteForm(),
        "retract_form": RetractForm(),
    }
    forms.update(bound or {})
    return forms


def _review(user: User, case: Case) -> dict[str, Any]:
    """What the publisher reads before publishing: the changes since the last publication and
    who made them (each of them barred from publishing), shown while there is anything new."""
    if case.status == "retracted" or not case.has_unpublished_changes:
        return {}
    barred = actions.barred_from_publishing(case)
    return {
        "diff": get_case_diff(case),
        "editors": case.editors_since_publication.order_by("username"),
        "user_is_barred": user.pk in barred,
    }


def _workspace(
    request: MemberRequest, case: Case, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "case": case,
        "links": case.case_people.select_related("person"),
        "events": case.events.prefetch_related("people", "citations"),
        "citations": case.citations.all(),
        "claims": case.claims.prefetch_related("versions__citations"),
        "evidence": case.evidence.all(),
        "revisions": case.revisions.order_by("-number").prefetch_related("editors"),
        "can_publish": actions.can_publish(request.user, case),
        "policy": actions.get_policy(),
        "hold": actions.get_waiting_hold(case),
        "can_request": actions.can_request_held_publication(request.user, case),
        **_review(request.user, case),
        "can_retract": request.user.has_perm("accounts.publish_cases")
        and case.status == "published",
        **{
            f"{name}_url": reverse("cases:step", args=[case.pk, name])
            for name in ("link", "citation", "event", "claim", "submit", "request", "retract")
        },
        **_forms(case, bound),
    }
    return render(request, "cases/workspace.html", context, status=status)


@login_required
@edit_required
def workspace(request: MemberRequest, case_id: int) -> HttpResponse:
    return _workspace(request, access_case_by_id(request.user, case_id))


def _step(
    request: MemberRequest,
    case: Case,
    name: str,
    form: Any,
    run: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    if not form.is_valid():
        return _workspace(request, case, {name: form}, status=400)
    try:
        run(form.cleaned_data)
    except actions.WorkflowError as error:
        messages.error(request, str(error))
        return _workspace(request, case, {name: form}, status=400)
    messages.success(request, done)
    return redirect("cases:workspace", case.pk)


def _add_event(user: User, case: Case, d: dict[str, Any]) -> object:
    return actions.do_add_event(
        user,
        case,
        type=d["type"],
        occurred_at=d["occurred_at"],
        precision=d["precision"],
        description_zh=d["description_zh"],
        description_en=d["description_en"],
        people=list(d["people"]),
        citations=list(d["citations"]),
    )


@dataclass(frozen=True)
class Step:
    """One POST on a case: the form (by its name on the workspace), the action, the message."""

    form_name: str
    form: Callable[[MemberRequest, Case], Any]
    run: Callable[[User, Case, dict[str, Any]], object]
    done: str | Promise
    permission: str = "edit_cases"


STEPS = {
    "link": Step(
        "link_form",
        lambda r, c: LinkPersonForm(r.POST),
        lambda u, c, d: actions.do_link_person(u, c, **d),
        gettext_lazy("Person added to the case."),
    ),
    "citation": Step(
        "citation_form",
        lambda r, c: CitationForm(r.POST),
        lambda u, c, d: actions.do_add_citation(u, c, **d),
        gettext_lazy("Source added."),
    ),
    "event": Step(
        "event_form",
        lambda r, c: EventForm(r.POST, case=c),
        _add_event,
        gettext_lazy("Event added to the timeline."),
    ),
    "claim": Step(
        "claim_form",
        lambda r, c: ClaimForm(r.POST),
        lambda u, c, d: actions.do_add_claim(u, c, **d),
        gettext_lazy("Claim added."),
    ),
    "submit": Step(
        "note_form",
        lambda r, c: NoteForm(r.POST),
        lambda u, c, d: actions.do_submit_for_review(
            u, c, {"zh": d["note_zh"], "en": d["note_en"]}
        ),
        gettext_lazy("Submitted for review. Another editor can now publish it."),
    ),
    "request": Step(
        "note_form",
        lambda r, c: NoteForm(r.POST),
        lambda u, c, d: actions.do_request_held_publication(
            u, c, {"zh": d["note_zh"], "en": d["note_en"]}
        ),
        gettext_lazy(
            "Publication requested. Every member is notified; it goes public when the hold has "
            "passed, unless someone stops it or edits the case."
        ),
        permission="publish_cases",
    ),
    "publish": Step(
        "note_form",
        lambda r, c: NoteForm({"note_en": "-"}),  # nothing to fill in: the note was given at submit
        lambda u, c, d: actions.do_publish_case(u, c),
        gettext_lazy("Published."),
        permission="publish_cases",
    ),
    "retract": Step(
        "retract_form",
        lambda r, c: RetractForm(r.POST),
        lambda u, c, d: actions.do_retract_case(u, c, d["reason"]),
        gettext_lazy("The case is retracted; the reason is public."),
        permission="publish_cases",
    ),
}


@csrf_exempt  # checked by _case_step, once the upload handlers are chosen
@login_required
@edit_required
@require_POST
def case_step(request: MemberRequest, case_id: int, step: str) -> HttpResponseBase:
    """One editing or workflow step on a case, named by `step` (see STEPS).

    Evidence is read into memory only (never a temporary file, which Django's default
    handlers write in plaintext past 2.5 MB); the handlers must be set before anything reads
    the body, the CSRF check included, hence csrf_exempt here and csrf_protect below.
    """
    return _case_step(request, case_id, step)


@csrf_protect
def _case_step(request: MemberRequest, case_id: int, step: str) -> HttpResponse:
    user = request.user
    case = access_case_by_id(user, case_id)
    spec = STEPS.get(step)
    if spec is None or not user.has_perm(f"accounts.{spec.permission}"):
        raise PermissionDenied
    return _step(
        request,
        case,
        spec.form_name,
        spec.form(request, case),
        lambda data: spec.run(user, case, data),
        str(spec.done),
    )


@login_required
@edit_required
@require_POST
def claim_version(request: MemberRequest, case_id: int, claim_id: int) -> HttpResponse:
    case = access_case_by_id(request.user, case_id)
    claim = get_object_or_404(Claim, pk=claim_id, case=case)
    form = ClaimVersionForm(request.POST, case=case)

    def add(d: dict[str, Any]) -> object:
        citations = list(d.pop("citations"))
        return actions.do_add_claim_version(request.user, claim, citations=citations, **d)

    return _step(request, case, "version_form", form, add, _("Version added."))


@login_required
@edit_required
def event_edit(request: MemberRequest, case_id: int, event_id: int) -> HttpResponse:
    case = access_case_by_id(request.user, case_id)
    event = get_object_or_404(Event, pk=event_id, case=case)
    local = timezone.localtime(event.occurred_at)
    initial = {
        "type": event.type,
        "date": local.date(),
        "hour": local.hour if event.precision == "hour" else None,
        "precision": event.precision,
        "description_zh": event.description_zh,
        "description_en": event.description_en,
        "people": list(event.people.all()),
        "citations": list(event.citations.all()),
    }
    form = EventForm(request.POST or None, case=case, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        actions.do_update_event(
            request.user,
            event,
            type=d["type"],
            occurred_at=d["occurred_at"],
            precision=d["precision"],
            description_zh=d["description_zh"],
            description_en=d["description_en"],
            people=list(d["people"]),
            citations=list(d["citations"]),
        )
        messages.success(
            request, _("Event changed. The change goes public with the next revision.")
        )
        return redirect("cases:workspace", case.pk)
    return render(request, "cases/event_form.html", {"case": case, "form": form})


@login_required
@edit_required
@require_POST
def event_delete(request: MemberRequest, case_id: int, event_id: int) -> HttpResponse:
    case = access_case_by_id(request.user, case_id)
    actions.do_delete_event(request.user, get_object_or_404(Event, pk=event_id, case=case))
    messages.success(request, _("Event removed from the draft. Published revisions keep it."))
    return redirect("cases:workspace", case.pk)


@login_required
@edit_required
@require_POST
def item_delete(request: MemberRequest, case_id: int, kind: str, item_id: int) -> HttpResponse:
    """Remove a source, a claim or a claim's version from the draft."""
    case = access_case_by_id(request.user, case_id)
    if kind == "citation":
        actions.do_delete_citation(request.user, get_object_or_404(Citation, pk=item_id, case=case))
    elif kind == "claim":
        actions.do_delete_claim(request.user, get_object_or_404(Claim, pk=item_id, case=case))
    elif kind == "version":
        version = get_object_or_404(ClaimVersion, pk=item_id, claim__case=case)
        actions.do_delete_claim_version(request.user, version)
    else:
        raise PermissionDenied
    messages.success(request, _("Removed from the draft. Published revisions keep it."))
    return redirect("cases:workspace", case.pk)


@login_required
@edit_required
@require_POST
def person_unlink(request: MemberRequest, case_id: int, person_id: int) -> HttpResponse:
    case = access_case_by_id(request.user, case_id)
    actions.do_unlink_person(request.user, case, get_object_or_404(Person, pk=person_id))
    return redirect("cases:workspace", case.pk)


@login_required
@edit_required
def people(request: MemberRequest) -> HttpResponse:
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = actions.do_create_person(request.user, **form.cleaned_data)
        messages.success(request, _("Person added."))
        return redirect("cases:person", person.pk)
    return render(request, "cases/people.html", {"people": Person.objects.all(), "form": form})


@login_required
@edit_required
def person(request: MemberRequest, person_id: int) -> HttpResponse:
    person = access_person_by_id(request.user, person_id)
    form = PersonForm(instance=person)
    position_form = PositionForm()
    if request.method == "POST" and request.POST.get("step") == "position":
        position_form = PositionForm(request.POST)
        if position_form.is_valid():
            actions.do_add_position(request.user, person, **position_form.cleaned_data)
            messages.success(request, _("Position added."))
            return redirect("cases:person", person.pk)
    elif request.method == "POST" and request.POST.get("step") == "delete-position":
        position = get_object_or_404(Position, pk=request.POST.get("position"), person=person)
        actions.do_delete_position(request.user, position)
        return redirect("cases:person", person.pk)
    elif request.method == "POST":
        form = PersonForm(request.POST, instance=Person.objects.get(pk=person.pk))
        if form.is_valid():
            actions.do_update_person(request.user, person, **form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect("cases:person", person.pk)
    return render(
        request,
        "cases/person.html",
        {"person": person, "form": form, "position_form": position_form},
    )


# --- The publishing policy and one-person holds ---------------------------------------------


@login_required
def hold_stop(request: MemberRequest, case_id: int) -> HttpResponse:
    """Any member stops a held one-person publication, after confirming (GET shows what would
    be stopped; POST with the box ticked stops it, recorded on the hold)."""
    case = access_held_case_by_id(request.user, case_id)
    form = StopHoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.do_stop_held_publication(request.user, case, form.cleaned_data["reason"])
        messages.success(request, _("The publication is stopped. Nothing was published."))
        if request.user.has_perm("accounts.edit_cases"):
            return redirect("cases:workspace", case.pk)
        return redirect("cases:hold_stopped")
    hold = actions.get_waiting_hold(case)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "cases/hold_stop.html", {"case": case, "hold": hold, "form": form}, status=status
    )


@login_required
def hold_stopped(request: MemberRequest) -> HttpResponse:
    """Where a member without the case desk lands after stopping a publication."""
    return render(request, "cases/hold_stopped.html")


@login_required
@permission_required("accounts.manage_newsroom", raise_exception=True)
def policy(request: MemberRequest) -> HttpResponse:
    """The admin's publishing policy page: choose, confirm another admin's proposal, withdraw."""
    current = actions.get_policy()
    form = PolicyForm(
        request.POST if request.POST.get("step") == "propose" else None,
        initial={"mode": current.mode, "hold_hours": current.hold_hours},
    )
    if request.method == "POST":
        step = request.POST.get("step")
        try:
            if step == "propose" and form.is_valid():
                data = form.cleaned_data
                if actions.do_propose_policy(request.user, data["mode"], data["hold_hours"]):
                    messages.success(request, _("The publishing policy is changed."))
                else:
                    messages.success(
                        request, _("Proposed. Another admin must confirm it before it applies.")
                    )
                return redirect("cases:policy")
            if step == "confirm":
                actions.do_confirm_policy(request.user)
                messages.success(request, _("The publishing policy is changed."))
                return redirect("cases:policy")
            if step == "withdraw":
                actions.do_withdraw_policy_proposal(request.user)
                return redirect("cases:policy")
        except actions.WorkflowError as error:
            messages.error(request, str(error))
    return render(request, "cases/policy.html", {"policy": current, "form": form})
