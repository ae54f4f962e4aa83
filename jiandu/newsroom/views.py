"""Newsroom pages for the tip line. Every view needs a signed-in member with
`accounts.read_submissions`; opening anything needs the member's key from their encrypted
session, so `vault_view` sends members whose key is locked or new to the key page first."""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiandu.newsroom import export
from jiandu.newsroom.forms import ReplyForm, RestoreKeyForm
from jiandu.vault import actions as vault
from jiandu.vault import crypto, session_keys
from jiandu.vault.access import (
    NoGrant,
    access_item_by_id,
    access_source_by_id,
    get_grant,
    get_member_key,
    get_source_key_for_member,
    open_item,
)
from jiandu.vault.models import Item, MemberKey, Source

View = Callable[..., HttpResponse]


def vault_view(view: View) -> View:
    @login_required
    @permission_required("accounts.read_submissions", raise_exception=True)
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.session.get(session_keys.NEW_RECOVERY) or request.session.get(
            session_keys.NEEDS_RECOVERY
        ):
            return redirect("newsroom:key")
        if session_keys.member_private_key(request) is None:
            return redirect("newsroom:key")
        return view(request, *args, **kwargs)

    return wrapper


@vault_view
def sources(request: HttpRequest) -> HttpResponse:
    mine = set(
        Source.objects.filter(grants__member_key__user=request.user).values_list("pk", flat=True)
    )
    rows = Source.objects.annotate(
        files=Count("items", filter=Q(items__kind=Item.Kind.FILE)),
        messages_count=Count("items", filter=Q(items__kind=Item.Kind.MESSAGE)),
        replies=Count("items", filter=Q(items__kind=Item.Kind.REPLY)),
    ).order_by("-last_active_hour", "-pk")
    keyed = {k.user_id for k in vault.reader_keys()}
    waiting = [
        user
        for user in vault.readers()
        if user.pk in keyed
        and Source.objects.exclude(grants__member_key__user=user).exists()
        and user.pk != request.user.pk
    ]
    return render(
        request,
        "newsroom/sources.html",
        {"rows": rows, "mine": mine, "waiting": waiting},
    )


@vault_view
@require_POST
def grant(request: HttpRequest) -> HttpResponse:
    made = vault.do_grant_missing(request.user, session_keys.member_private_key(request) or b"")
    messages.success(request, _("Access granted: %(count)d key(s) sealed.") % {"count": made})
    return redirect("newsroom:sources")


def _source_key(request: HttpRequest, source: Source) -> bytes | None:
    try:
        return get_source_key_for_member(
            request.user, session_keys.member_private_key(request) or b"", source
        )
    except (NoGrant, crypto.VaultCryptoError):
        return None


@vault_view
def source(request: HttpRequest, source_id: int, form: ReplyForm | None = None) -> HttpResponse:
    row = access_source_by_id(request.user, source_id)
    key = _source_key(request, row)
    entries = []
    if key is not None:
        for item in row.items.select_related("author"):
            opened = open_item(key, item)
            entry: dict[str, object] = {"item": item, "meta": opened.meta}
            if item.kind == Item.Kind.QUESTIONNAIRE:
                entry["answers"] = _labelled(opened.answers())
            elif item.kind != Item.Kind.FILE:
                entry["text"] = opened.text()
            entries.append(entry)
    return render(
        request,
        "newsroom/source.html",
        {"source": row, "entries": entries, "locked": key is None, "form": form or ReplyForm()},
    )


def _labelled(answers: dict[str, str]) -> list[tuple[str, str]]:
    from jiandu.tipline.forms import QUESTIONS

    labels = dict(QUESTIONS)
    return [(str(labels.get(name, name)), text) for name, text in answers.items()]


@vault_view
@require_POST
def reply(request: HttpRequest, source_id: int) -> HttpResponse:
    row = access_source_by_id(request.user, source_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return source(request, source_id, form=form)
    vault.do_add_reply(row, request.user, form.cleaned_data["text"])
    messages.success(request, _("Reply sent. The source sees it next time they sign in."))
    return redirect("newsroom:source", source_id=row.pk)


def _attachment(name: str) -> str:
    ascii_name = "".join(
        ch if (ch.isascii() and ch.isalnum()) or ch in "._-" else "_" for ch in name
    )
    return f"attachment; filename=\"{ascii_name or 'file'}\"; filename*=UTF-8''{quote(name)}"


@vault_view
def download(request: HttpRequest, source_id: int, item_id: int) -> HttpResponse:
    """The file decrypted as it streams: one 64 KiB chunk in memory at a time."""
    row = access_source_by_id(request.user, source_id)
    item = access_item_by_id(row, item_id)
    key = _source_key(request, row)
    if key is None or item.kind != Item.Kind.FILE:
        return redirect("newsroom:source", source_id=row.pk)
    opened = open_item(key, item)
    response = StreamingHttpResponse(opened.stream(), content_type="application/octet-stream")
    response["Content-Disposition"] = _attachment(str(opened.meta.get("name", "file")))
    response["Content-Length"] = str(opened.meta.get("size", ""))
    return response


@vault_view
def export_item(request: HttpRequest, source_id: int, item_id: int) -> HttpResponse:
    """The item still encrypted, with this member's grant, for `jiandu decrypt` offline."""
    row = access_source_by_id(request.user, source_id)
    item = access_item_by_id(row, item_id)
    grant_row = get_grant(request.user, row)
    if grant_row is None:
        return redirect("newsroom:source", source_id=row.pk)
    response = StreamingHttpResponse(
        export.item_bundle(grant_row, item), content_type="application/octet-stream"
    )
    response["Content-Disposition"] = _attachment(f"item-{item.pk}.jdx")
    return response


@login_required
@permission_required("accounts.read_submissions", raise_exception=True)
def key(request: HttpRequest) -> HttpResponse:
    """The member's vault key: the recovery key shown once, restoring after a reset."""
    recovery_key = request.session.pop(session_keys.NEW_RECOVERY, None)
    needs_recovery = bool(request.session.get(session_keys.NEEDS_RECOVERY))
    form = RestoreKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data["password"]
        if not request.user.check_password(password):
            form.add_error("password", _("That is not your password."))
        elif "new_key" in request.POST:
            outcome = vault.do_replace_member_key(request.user, password)
            session_keys.unlock(request, outcome)
            messages.warning(
                request, _("You have a new key. Ask a colleague to grant you access to sources.")
            )
            return redirect("newsroom:key")
        else:
            try:
                private = vault.do_restore_member_key(
                    request.user, form.cleaned_data["recovery_key"], password
                )
            except crypto.VaultCryptoError:
                form.add_error("recovery_key", _("That recovery key does not open your key."))
            else:
                session_keys.unlock(request, vault.Unlocked(private_key=private))
                messages.success(request, _("Your key is restored."))
                return redirect("newsroom:sources")
    member_key = get_member_key(request.user)
    return render(
        request,
        "newsroom/key.html",
        {
            "recovery_key": recovery_key,
            "needs_recovery": needs_recovery,
            "unlocked": session_keys.member_private_key(request) is not None,
            "member_key": member_key,
            "form": form,
        },
    )


@login_required
@permission_required("accounts.read_submissions", raise_exception=True)
def export_key(request: HttpRequest) -> HttpResponse:
    member_key = MemberKey.objects.filter(user=request.user, password_wrapped__isnull=False).first()
    if member_key is None:
        return redirect("newsroom:key")
    response = HttpResponse(export.member_key_file(member_key), content_type="application/json")
    response["Content-Disposition"] = _attachment(f"{request.user.username}.jdkey")
    return response
