"""The questionnaire designer, in the newsroom: admins (`accounts.manage_newsroom`) edit the
questions sources are asked; saving makes a draft, which a second member, an admin or editor
(`accounts.publish_cases`, the permission to publish to the public), approves on the review
page before any source sees it; the author cannot (issue 17, item 2). Both pages show the draft
against the live version question by question. Its own URL namespace (`questionnaire`),
outside the tip line's, so an onion-only tip line leaves it on the newsroom's host."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from jiandu.accounts.http import MemberRequest
from jiandu.tipline import actions, questionnaire
from jiandu.tipline.forms import (
    BaseQuestionFormSet,
    QuestionFormSet,
    ReviewForm,
    question_initial,
)
from jiandu.tipline.models import QuestionnaireVersion

DESIGN_PERMISSION = "accounts.manage_newsroom"
REVIEW_PERMISSION = "accounts.publish_cases"


def _refusal(code: str) -> str:
    return {
        "draft_pending": _(
            "A draft is waiting for review. It must be approved or discarded before another "
            "change can be made."
        ),
        "not_pending": _("This draft was approved or discarded meanwhile; nothing was changed."),
        "own_draft": _(
            "You cannot approve your own draft: another admin or editor must review it."
        ),
    }[code]


@dataclass(frozen=True)
class Review:
    """What both pages show: the live version, the draft waiting (if any) and its changes."""

    current: QuestionnaireVersion | None
    draft: QuestionnaireVersion | None
    changes: list[questionnaire.QuestionChange]

    def context(self) -> dict[str, Any]:
        return {
            "current": self.current,
            "draft": self.draft,
            "changes": self.changes,
            "unchanged": [change.key for change in self.changes if change.status == "same"],
        }


def _review() -> Review:
    live = questionnaire.current_version()
    draft = questionnaire.pending_draft()
    changes = questionnaire.changes(live, draft) if draft is not None else []
    return Review(live, draft, changes)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def designer(request: MemberRequest) -> HttpResponse:
    """The questions to edit (the live version's), or, while a draft waits, that draft
    against the live version and a link to its review."""
    if not request.user.has_perm(DESIGN_PERMISSION):
        raise PermissionDenied
    shown = _review()
    initial = [question_initial(q) for q in questionnaire.questions(shown.current)]
    formset = cast(
        BaseQuestionFormSet,
        QuestionFormSet(
            request.POST if request.method == "POST" else None, initial=initial, prefix="q"
        ),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if formset.is_valid():
            try:
                actions.do_draft_questionnaire(formset.questions(), request.user)
            except actions.QuestionnaireRefused as exc:
                messages.error(request, _refusal(exc.code))
                shown = _review()
                status = 409
            else:
                messages.success(
                    request,
                    _(
                        "Saved as a draft. Sources see it once another admin or editor has "
                        "approved it."
                    ),
                )
                return redirect("questionnaire:designer")
    versions = QuestionnaireVersion.objects.annotate(count=Count("questions")).order_by("-pk")[:20]
    return render(
        request,
        "tipline/designer.html",
        {**shown.context(), "formset": formset, "versions": versions},
        status=status,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def review(request: MemberRequest) -> HttpResponse:
    """The draft against the live version, and the decision: approve (not by its author) or
    discard. A refusal keeps the page, with its reason, and changes nothing."""
    if not request.user.has_perm(REVIEW_PERMISSION):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if not form.is_valid():
            status = 400
            messages.error(request, _("Choose to approve or to discard the draft."))
        else:
            draft_id, decision = form.cleaned_data["draft"], form.cleaned_data["decision"]
            try:
                if decision == "approve":
                    version = actions.do_approve_questionnaire(draft_id, request.user)
                    messages.success(
                        request,
                        _("Approved: sources are asked version %(number)s from now on.")
                        % {"number": version.number},
                    )
                else:
                    actions.do_discard_questionnaire(draft_id, request.user)
                    messages.success(request, _("The draft was discarded; no source saw it."))
                return redirect("questionnaire:review")
            except actions.QuestionnaireRefused as exc:
                messages.error(request, _refusal(exc.code))
                status = 403 if exc.code == "own_draft" else 409
    shown = _review()
    own = shown.draft is not None and shown.draft.author_id == request.user.pk
    return render(request, "tipline/review.html", {**shown.context(), "own": own}, status=status)
