"""The questionnaire designer, in the newsroom: admins (`accounts.manage_newsroom`) edit the
questions sources are asked; saving makes a new version (jiandu.tipline.actions). Its own URL
namespace (`questionnaire`), outside the tip line's, so an onion-only tip line leaves it on the
newsroom's host."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from jiandu.tipline import actions, questionnaire
from jiandu.tipline.forms import BaseQuestionFormSet, QuestionFormSet, question_initial
from jiandu.tipline.models import QuestionnaireVersion


@never_cache
@login_required
def designer(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("accounts.manage_newsroom"):
        raise PermissionDenied
    current = questionnaire.current_version()
    initial = [question_initial(q) for q in questionnaire.questions(current)]
    formset = cast(
        BaseQuestionFormSet,
        QuestionFormSet(
            request.POST if request.method == "POST" else None, initial=initial, prefix="q"
        ),
    )
    if request.method == "POST" and formset.is_valid():
        version = actions.do_publish_questionnaire(formset.questions())
        messages.success(
            request,
            _("Saved as version %(number)s. Earlier answers keep the questions they answered.")
            % {"number": version.number},
        )
        return redirect("questionnaire:designer")
    versions = QuestionnaireVersion.objects.annotate(count=Count("questions"))[:20]
    return render(
        request,
        "tipline/designer.html",
        {"formset": formset, "current": current, "versions": versions},
        status=400 if formset.is_bound else 200,
    )
