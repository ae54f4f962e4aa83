"""Settings pages: a member's notifications; for admins, key status (with what uploads on
their way in hold on the disk), retention, and the members list with the add-member form
(the account and the sources the new member will work on, one action: actions.do_add_member)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiandu.accounts.access import get_active_members, get_all_members
from jiandu.accounts.actions import AccountError
from jiandu.accounts.forms import NewMemberForm
from jiandu.accounts.http import MemberRequest
from jiandu.accounts.roles import ROLE_LABELS
from jiandu.forensics.handoff import live_worker_keys
from jiandu.newsroom import actions
from jiandu.newsroom.forms import NotificationForm, RetentionForm
from jiandu.newsroom.models import Notification
from jiandu.vault import retention as vault_retention
from jiandu.vault import session_keys, staging
from jiandu.vault.access import (
    count_sources,
    get_grantable_sources,
    get_member_keys_with_grant_counts,
)


@login_required
@permission_required("accounts.read_submissions", raise_exception=True)
def notifications(request: MemberRequest) -> HttpResponse:
    current = Notification.objects.filter(user=request.user).first()
    initial = {"mode": current.mode if current else "off", "email": request.user.email}
    form = NotificationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actions.do_set_notification(
            request.user, form.cleaned_data["mode"], form.cleaned_data["email"]
        )
        messages.success(request, _("Saved."))
        return redirect("newsroom:notifications")
    return render(request, "newsroom/notifications.html", {"form": form})


@login_required
@permission_required("accounts.manage_newsroom", raise_exception=True)
def key_status(request: MemberRequest) -> HttpResponse:
    """Who holds a usable vault key, who needs recovery, who lacks grants; is a worker up; and
    what sources' uploads on their way in hold on the disk against the staging quota (totals
    only: nothing that names an upload or a source)."""
    sources = count_sources()
    keys = get_member_keys_with_grant_counts()
    rows = []
    for user in get_active_members():
        key, granted = keys.get(user.pk, (None, 0))
        if not user.has_perm("accounts.read_submissions"):
            state = "not_reader"
        elif key is None:
            state = "no_key"
        elif key.password_wrapped is None:
            state = "needs_recovery"
        elif granted < sources:
            state = "missing_grants"
        else:
            state = "ok"
        rows.append({"user": user, "key": key, "granted": granted, "state": state})
    return render(
        request,
        "newsroom/key_status.html",
        {
            "rows": rows,
            "sources": sources,
            "workers": live_worker_keys().count(),
            "staging": staging.get_staging_use(),
        },
    )


@login_required
@permission_required("accounts.manage_newsroom", raise_exception=True)
def retention(request: MemberRequest) -> HttpResponse:
    """The retention period. Lowering it shows what it would delete and asks once more."""
    current = vault_retention.effective_days()
    form = RetentionForm(request.POST or None, initial={"days": current})
    context: dict[str, object] = {
        "form": form,
        "days": current,
        "floor": vault_retention.FLOOR_DAYS,
    }
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["days"]
        try:
            actions.do_set_retention(
                request.user, days, confirmed_days=form.cleaned_data["confirmed_days"]
            )
        except vault_retention.RetentionRefused as refused:
            if refused.code != vault_retention.Refusal.NEEDS_CONFIRMATION:
                limits = {
                    "floor": vault_retention.FLOOR_DAYS,
                    "ceiling": vault_retention.CEILING_DAYS,
                }
                form.add_error("days", str(_REFUSALS[refused.code]) % limits)
                return render(request, "newsroom/retention.html", context)
            context["confirm"] = {
                "days": days,
                "doomed": vault_retention.get_sources_idle_over(days),
            }
            return render(request, "newsroom/retention.html", context)
        messages.success(request, _("Saved."))
        return redirect("newsroom:retention")
    return render(request, "newsroom/retention.html", context)


_REFUSALS = {
    vault_retention.Refusal.BELOW_FLOOR: gettext_lazy(
        "Retention cannot be shorter than the floor of %(floor)d days."
    ),
    vault_retention.Refusal.ABOVE_CEILING: gettext_lazy(
        "Retention cannot be longer than %(ceiling)d days."
    ),
}


@login_required
@permission_required("accounts.manage_newsroom", raise_exception=True)
def members(request: MemberRequest) -> HttpResponse:
    """The members list and the add-member form, which also gives the new member the sources
    they will work on: the ones the admin's own key opens (issue 18, item 7). This room owns
    the page because it may import both accounts and the vault; the write is one action."""
    choices = get_grantable_sources(request.user)
    form = NewMemberForm(request.POST or None, source_choices=choices)
    added = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = actions.do_add_member(
                request.user,
                session_keys.member_private_key(request) or b"",
                data["username"],
                data["role"],
                data["email"],
                [int(pk) for pk in data.get("sources") or []],
            )
        except AccountError as exc:
            form.add_error("username", str(exc))
        else:
            form = NewMemberForm(source_choices=choices)
    people = get_all_members()
    rows = [
        {"user": person, "role": ROLE_LABELS.get(person.role, person.role)} for person in people
    ]
    return render(
        request,
        "accounts/members.html",
        {
            "form": form,
            "rows": rows,
            "created": added.created if added else None,
            "recovery_key": added.recovery_key if added else "",
        },
    )
