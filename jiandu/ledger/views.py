"""The custody log for admins: every record, newest first, and whether the chain holds."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from jiandu.accounts.http import MemberRequest
from jiandu.ledger import chain
from jiandu.ledger.access import access_custody_log
from jiandu.ledger.models import Action


@login_required
def custody_log(request: MemberRequest) -> HttpResponse:
    records = access_custody_log(request.user)
    action = request.GET.get("action", "")
    subject = request.GET.get("subject", "").strip()
    if action in Action.values:
        records = records.filter(action=action)
    if subject:
        records = records.filter(subject=subject)
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/custody_log.html",
        {
            "page": page,
            "report": chain.verify(),
            "actions": Action.choices,
            "action": action,
            "subject": subject,
        },
    )
