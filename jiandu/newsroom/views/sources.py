"""Newsroom pages for the tip line. Every view needs a signed-in member with
`accounts.read_submissions`; opening anything needs the member's key from their encrypted
session, so the one gate (jiandu.vault.gate.vault_view_recovery_key_first) sends members whose
key is locked, new or waiting to be restored to the key page first.

The inbox list decrypts nothing; a source's page decrypts its conversation. Every view,
preview, download, export, status change, reply and deletion is written to the custody log by
the actions these views call."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from jiandu.accounts.http import MemberRequest
from jiandu.core.csvcells import safe_cell
from jiandu.forensics import actions as forensics
from jiandu.forensics.access import get_preview, get_ready_preview
from jiandu.forensics.models import Preview
from jiandu.forensics.previews import PROBLEM_TEXT
from jiandu.ledger.access import get_records_for
from jiandu.ledger.actions import subject_of
from jiandu.newsroom import actions, archive, export, inbox, tags
from jiandu.newsroom.forms import (
    ClearFloodForm,
    DeleteForm,
    NoteForm,
    ReassignForm,
    ReplyForm,
    RestoreKeyForm,
    TriageForm,
)
from jiandu.newsroom.models import SourceTag, Status
from jiandu.vault import access as vault_reads
from jiandu.vault import actions as vault
from jiandu.vault import crypto, session_keys
from jiandu.vault.access import (
    NoGrant,
    access_item_by_id,
    access_source_by_id,
    access_source_for_deletion,
    get_grant,
    get_member_key,
    get_source_key_for_member,
    open_item,
)
from jiandu.vault.gate import vault_view_recovery_key_first
from jiandu.vault.models import Item, Source

View = Callable[..., HttpResponse]


# --- The inbox ---------------------------------------------------------------------------


def _filter_form(request: MemberRequest) -> inbox.InboxFilterForm:
    return inbox.InboxFilterForm(request.GET or None, members=vault.readers())


def _filters(request: MemberRequest, form: inbox.InboxFilterForm) -> dict[str, object]:
    """The cleaned filters; a tag becomes the ids of the sources (that this member can open)
    carrying it, found by decrypting their tags (newsroom.tags)."""
    data = dict(form.cleaned_data) if form.is_valid() else {}
    if data.get("tag"):
        data["tagged"] = tags.sources_tagged(
            request.user, session_keys.member_private_key(request) or b"", str(data["tag"])
        )
    return data


@vault_view_recovery_key_first
def sources(request: MemberRequest) -> HttpResponse:
    """The inbox: newest activity first, filtered, paginated; counts without decryption.
    Writes nothing: files that arrived since sign-in are counted, and the page's form hands
    them to the worker (a POST its script sends at once, `hand_new_files`)."""
    form = _filter_form(request)
    data = _filters(request, form)
    result = inbox.inbox_page(request.user, data, request.GET.get("page"))
    keyed = {k.user_id for k in vault.reader_keys()}
    waiting = [
        user
        for user in vault.readers()
        if user.pk in keyed and vault_reads.lacks_some_source(user) and user.pk != request.user.pk
    ]
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    rows = [
        {"source": row, "counts": result.counts[row.pk], "no_access": row.pk in result.no_access}
        for row in result.page.object_list
    ]
    return render(
        request,
        "newsroom/sources.html",
        {
            "form": form,
            "page": result.page,
            "rows": rows,
            "waiting": waiting,
            "files_to_hand": forensics.count_files_to_hand(request.user),
            "query": urlencode(query),
            "filtered": bool(query),
        },
    )


@vault_view_recovery_key_first
@require_POST
def bulk(request: MemberRequest) -> HttpResponse:
    """Bulk actions on ticked sources: mark read at once; delete after a confirmation page
    that asks for the reason (custody log). The star toggle of a row posts here too."""
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts=None) or not back.startswith("/"):
        back = reverse("newsroom:sources")
    if "toggle_star" in request.POST:
        row = access_source_by_id(request.user, _int(request.POST["toggle_star"]))
        state = actions.state_of(row)
        actions.do_set_star(request.user, row, not state.starred)
        return redirect(back)
    action = request.POST.get("action")
    ids = [_int(value) for value in request.POST.getlist("ids")]
    # Deleting destroys the keys: it needs its own permission, checked before anything else.
    fetch = access_source_for_deletion if action == "delete" else access_source_by_id
    chosen = [fetch(request.user, pk) for pk in ids if pk]
    if not chosen:
        messages.warning(request, _("Tick at least one source first."))
        return redirect(back)
    if action == "read":
        count = actions.do_mark_read(request.user, chosen)
        messages.success(request, _("Marked as read: %(count)d source(s).") % {"count": count})
        return redirect(back)
    if action == "delete":
        form = DeleteForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            count = actions.do_delete_sources(request.user, chosen, form.cleaned_data["reason"])
            messages.success(request, _("Deleted: %(count)d source(s).") % {"count": count})
            return redirect(back)
        return render(
            request, "newsroom/confirm_delete.html", {"form": form, "chosen": chosen, "next": back}
        )
    return redirect(back)


@vault_view_recovery_key_first
def clear_flood(request: MemberRequest) -> HttpResponse:
    """Clearing a flood of junk first submissions: the hours with first-contact sources that
    sent no file and never came back (GET), then one hour's worth (at most
    inbox.CLEAR_BATCH) on the bulk action's own confirmation page, which names each source
    and asks for the reason; the deletion itself is the bulk action's (one custody record per
    source). Deleting destroys keys, so only members who may delete see any of it."""
    if not request.user.has_perm("accounts.delete_sources"):
        raise PermissionDenied
    hours = inbox.flood_hours()
    form = ClearFloodForm(
        request.POST if request.method == "POST" else None,
        hours=[(hour.isoformat(), hour.isoformat()) for hour, _count in hours],
    )
    if request.method == "POST" and form.is_valid():
        hour = dt.datetime.fromisoformat(form.cleaned_data["hour"])
        ids = list(
            inbox.first_contacts_without_files(hour).values_list("pk", flat=True)[
                : inbox.CLEAR_BATCH
            ]
        )
        chosen = [access_source_for_deletion(request.user, pk) for pk in ids]
        return render(
            request,
            "newsroom/confirm_delete.html",
            {
                "form": DeleteForm(initial={"reason": _("Junk first contacts (flood)")}),
                "chosen": chosen,
                "next": reverse("newsroom:clear_flood"),
                "flood_hour": hour,
            },
        )
    return render(
        request,
        "newsroom/clear_flood.html",
        {"hours": hours, "form": form, "batch": inbox.CLEAR_BATCH},
        status=400 if form.is_bound else 200,
    )


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


@vault_view_recovery_key_first
def export_csv(request: MemberRequest) -> HttpResponseBase:
    """The inbox's workflow fields as CSV for reporting: no content, no file names."""
    form = _filter_form(request)
    data = _filters(request, form)
    rows = inbox.filtered_sources(request.user, data)
    actions.do_record_inbox_export(request.user)
    response = StreamingHttpResponse(
        _csv_lines(request.user, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="jiandu-inbox.csv"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(user, rows) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(
        [
            "designation",
            "status",
            "starred",
            "assignee",
            "first_seen_hour",
            "last_active_hour",
            "messages",
            "files",
            "replies",
            "unread_for_me",
        ]
    )
    batch = 500
    for start in range(0, rows.count(), batch):
        chunk = list(rows[start : start + batch])
        counts = inbox.counts_for(user, [row.pk for row in chunk])
        for row in chunk:
            state = getattr(row, "inbox", None)
            c = counts[row.pk]
            yield writer.writerow(
                safe_cell(value)
                for value in [
                    row.designation,
                    state.status if state else Status.NEW,
                    "yes" if state and state.starred else "",
                    state.assignee.username if state and state.assignee else "",
                    row.created_hour.strftime("%Y-%m-%d %H:00"),
                    row.last_active_hour.strftime("%Y-%m-%d %H:00"),
                    c.messages,
                    c.files,
                    c.replies,
                    c.unread,
                ]
            )


@vault_view_recovery_key_first
@require_POST
def grant(request: MemberRequest) -> HttpResponse:
    made = vault.do_grant_missing(request.user, session_keys.member_private_key(request) or b"")
    messages.success(request, _("Access granted: %(count)d key(s) sealed.") % {"count": made})
    return redirect("newsroom:sources")


# --- A source ----------------------------------------------------------------------------


def _source_key(request: MemberRequest, source: Source) -> bytes | None:
    try:
        return get_source_key_for_member(
            request.user, session_keys.member_private_key(request) or b"", source
        )
    except (NoGrant, crypto.VaultCryptoError):
        return None


@vault_view_recovery_key_first
def source(
    request: MemberRequest,
    source_id: int,
    form: ReplyForm | None = None,
    note_form: NoteForm | None = None,
) -> HttpResponse:
    """A source's one working page: the conversation, triage with tags, internal notes and the
    reply, each form posting back here, so a source is handled without leaving it."""
    row = access_source_by_id(request.user, source_id)
    key = _source_key(request, row)
    state = actions.state_of(row)
    entries = []
    opened_tags: list[tags.OpenTag] = []
    notes = tags.SourceNotes(on_source=[], on_items={})
    if key is not None:
        items = list(row.items.select_related("author", "preview", "analysis"))
        notes = tags.get_notes(key, row)
        for item in items:
            opened = open_item(key, item)
            entry: dict[str, Any] = {
                "item": item,
                "meta": opened.meta,
                "notes": notes.on_items.get(item.pk, []),
            }
            if item.kind == Item.Kind.QUESTIONNAIRE:
                entry["answers"] = _labelled(opened.answers())
            elif item.kind != Item.Kind.FILE:
                entry["text"] = opened.text()
            else:
                entry["analysis"] = _analysis(key, item)
            entries.append(entry)
        opened_tags = tags.get_tags(key, row)
        actions.do_view_source(request.user, row, items)
        actions.do_record_notes_read(request.user, notes.all())
    triage = TriageForm(
        initial={
            "status": state.status,
            "assignee": str(state.assignee_id or ""),
            "starred": state.starred,
        },
        members=vault.readers(),
    )
    custody = None
    if request.user.has_perm("accounts.manage_newsroom"):
        subjects = [subject_of("source", row.pk)] + [
            subject_of("item", e["item"].pk) for e in entries
        ]
        custody = list(get_records_for(subjects)[:100])
    return render(
        request,
        "newsroom/source.html",
        {
            "source": row,
            "state": state,
            "entries": entries,
            "locked": key is None,
            "form": form or ReplyForm(),
            "triage": triage,
            "tags": opened_tags,
            "notes": notes.on_source,
            "note_form": note_form or NoteForm(items=_note_targets(entries)),
            "custody": custody,
        },
    )


def _note_targets(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The items a note can be about, as the note form's choices."""
    labels = {
        Item.Kind.MESSAGE: _("Message"),
        Item.Kind.FILE: _("File"),
        Item.Kind.QUESTIONNAIRE: _("Answers to the questions"),
        Item.Kind.REPLY: _("Reply"),
    }
    choices = []
    for entry in entries:
        item = entry["item"]
        name = entry["meta"].get("name") if item.kind == Item.Kind.FILE else ""
        label = f"{labels.get(item.kind, item.kind)} {item.created_hour:%Y-%m-%d %H:00}"
        choices.append((str(item.pk), f"{label} · {name}" if name else label))
    return choices


def _analysis(key: bytes, item: Item) -> dict[str, object]:
    """The file's card: its workbench analysis (`report`: none, pending, done, expired; made
    without a click) and its preview (`state`: none, pending, ready (kind) or failed (why)).
    The two are separate: a report can exist before anyone asks for a preview."""
    analysis = getattr(item, "analysis", None)
    report = analysis.state if analysis is not None else "none"
    preview = getattr(item, "preview", None)
    if preview is None:
        return {"state": "none", "report": report}
    result: dict[str, object] = {"state": preview.state, "report": report}
    opened = forensics.open_preview(key, preview)
    if opened is not None:
        result["kind"] = str(opened.kind or "")
        if opened.problem is not None:
            result["why"] = PROBLEM_TEXT[opened.problem]
    return result


def _labelled(answers: dict[str, str]) -> list[tuple[str, str]]:
    """With the questions of the questionnaire version the source answered (issue #12)."""
    from jiandu.tipline.questionnaire import labelled

    return labelled(answers)


@vault_view_recovery_key_first
@require_POST
def triage(request: MemberRequest, source_id: int) -> HttpResponse:
    """Status, assignee, star and a new tag in one submission. A tag is sealed to the source's
    public key, but telling a repeated tag needs the source key: without a grant, no tag."""
    row = access_source_by_id(request.user, source_id)
    readers = vault.readers()
    key = _source_key(request, row)
    existing = [t.text for t in tags.get_tags(key, row)] if key is not None else []
    form = TriageForm(request.POST, members=readers, tags=existing)
    if form.is_valid():
        data = form.cleaned_data
        assignee = next((m for m in readers if str(m.pk) == data["assignee"]), None)
        actions.do_triage(request.user, row, data["status"], assignee, data["starred"])
        if data["tag"] and key is not None:
            actions.do_add_tag(request.user, row, data["tag"])
        messages.success(request, _("Saved."))
    return redirect("newsroom:source", source_id=row.pk)


@vault_view_recovery_key_first
@require_POST
def untag(request: MemberRequest, source_id: int, tag_id: int) -> HttpResponse:
    row = access_source_by_id(request.user, source_id)
    if _source_key(request, row) is None:  # only a member who can read a tag removes it
        raise PermissionDenied
    tag = SourceTag.objects.filter(pk=tag_id, source=row).first()
    if tag is not None:
        actions.do_remove_tag(request.user, tag)
        messages.success(request, _("Tag removed."))
    return redirect("newsroom:source", source_id=row.pk)


@vault_view_recovery_key_first
@require_POST
def note(request: MemberRequest, source_id: int) -> HttpResponseBase:
    """An internal note on the source or one of its items; the page again on an error."""
    row = access_source_by_id(request.user, source_id)
    if _source_key(request, row) is None:
        raise PermissionDenied
    targets = [(str(pk), str(pk)) for pk in row.items.values_list("pk", flat=True)]
    form = NoteForm(request.POST, items=targets)
    if not form.is_valid():
        return source(request, source_id, note_form=form)
    about = form.cleaned_data["about"]
    item = access_item_by_id(row, int(about)) if about else None
    actions.do_add_note(request.user, row, form.cleaned_data["text"], item)
    messages.success(request, _("Note saved. Only the newsroom sees it."))
    return redirect(f"{reverse('newsroom:source', args=[row.pk])}#notes")


@vault_view_recovery_key_first
@require_POST
def reply(request: MemberRequest, source_id: int) -> HttpResponseBase:
    row = access_source_by_id(request.user, source_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return source(request, source_id, form=form)
    if vault.codename_pending(row):  # no codename key to seal a reply to yet
        messages.error(
            request,
            _(
                "This source's codename is not set up yet (it was sent while the tip line was "
                "busy), so a reply cannot reach them. Try again after they return."
            ),
        )
        return redirect("newsroom:source", source_id=row.pk)
    actions.do_reply(request.user, row, form.cleaned_data["text"])
    messages.success(request, _("Reply sent. The source sees it next time they sign in."))
    return redirect("newsroom:source", source_id=row.pk)


def _attachment(name: str) -> str:
    ascii_name = "".join(
        ch if (ch.isascii() and ch.isalnum()) or ch in "._-" else "_" for ch in name
    )
    return f"attachment; filename=\"{ascii_name or 'file'}\"; filename*=UTF-8''{quote(name)}"


@vault_view_recovery_key_first
def download(request: MemberRequest, source_id: int, item_id: int) -> HttpResponseBase:
    """The file decrypted as it streams: one 64 KiB chunk in memory at a time."""
    row = access_source_by_id(request.user, source_id)
    item = access_item_by_id(row, item_id)
    key = _source_key(request, row)
    if key is None or item.kind != Item.Kind.FILE:
        return redirect("newsroom:source", source_id=row.pk)
    opened = open_item(key, item)
    actions.do_record_item_access(request.user, item, "download")
    response = StreamingHttpResponse(opened.stream(), content_type="application/octet-stream")
    response["Content-Disposition"] = _attachment(str(opened.meta.get("name", "file")))
    response["Content-Length"] = str(opened.meta.get("size", ""))
    return response


@vault_view_recovery_key_first
def export_item(request: MemberRequest, source_id: int, item_id: int) -> HttpResponseBase:
    """The item still encrypted, with this member's grant, for `jiandu decrypt` offline."""
    row = access_source_by_id(request.user, source_id)
    item = access_item_by_id(row, item_id)
    grant_row = get_grant(request.user, row)
    if grant_row is None:
        return redirect("newsroom:source", source_id=row.pk)
    actions.do_record_item_access(request.user, item, "export")
    response = StreamingHttpResponse(
        export.item_bundle(grant_row, item, session_keys.member_private_key(request) or b""),
        content_type="application/octet-stream",
    )
    response["Content-Disposition"] = _attachment(f"item-{item.pk}.jdx")
    return response


@vault_view_recovery_key_first
def export_source(request: MemberRequest, source_id: int) -> HttpResponseBase:
    """The whole conversation, still encrypted to this member's key, as one archive."""
    row = access_source_by_id(request.user, source_id)
    grant_row = get_grant(request.user, row)
    if grant_row is None:
        return redirect("newsroom:source", source_id=row.pk)
    actions.do_record_source_export(request.user, row)
    response = StreamingHttpResponse(
        archive.source_archive(grant_row, row, session_keys.member_private_key(request) or b""),
        content_type="application/octet-stream",
    )
    response["Content-Disposition"] = _attachment(f"source-{row.pk}.jda")
    return response


# --- Previews ----------------------------------------------------------------------------


@vault_view_recovery_key_first
def preview(request: MemberRequest, source_id: int, item_id: int) -> HttpResponse:
    """A file's preview page (POST asks the worker for it, again if it failed)."""
    row = access_source_by_id(request.user, source_id)
    item = access_item_by_id(row, item_id)
    key = _source_key(request, row)
    if key is None or item.kind != Item.Kind.FILE:
        return redirect("newsroom:source", source_id=row.pk)
    if request.method == "POST":
        try:
            forensics.do_request_preview(request.user, key, item)
        except forensics.NoWorker:
            messages.error(
                request, _("No background worker is running; previews cannot be made now.")
            )
        return redirect("newsroom:preview", source_id=row.pk, item_id=item.pk)
    record = get_preview(item)
    opened = forensics.open_preview(key, record) if record else None
    meta = open_item(key, item).meta
    if opened is not None and record is not None and record.state == Preview.State.READY:
        actions.do_record_item_access(request.user, item, "preview")
    return render(
        request,
        "newsroom/preview.html",
        {
            "source": row,
            "item": item,
            "meta": meta,
            "record": record,
            "opened": opened,
            "why": PROBLEM_TEXT[opened.problem] if opened and opened.problem else "",
            "parts": range(len(opened.sizes)) if opened else range(0),
        },
    )


@vault_view_recovery_key_first
@require_POST
def hand_new_files(request: MemberRequest) -> HttpResponse:
    """Files that arrived since sign-in go to the worker for analysis and a preview
    (forensics.do_hand_new_files), opened with this member's key. The inbox's script posts
    here as soon as the page loads (204); without the script, its button does (back to the
    inbox)."""
    handed = forensics.count_files_to_hand(request.user)
    forensics.do_hand_new_files(request.user, session_keys.member_private_key(request) or b"")
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)
    messages.success(
        request,
        ngettext(
            "%(count)d file handed to the worker for analysis and a preview.",
            "%(count)d files handed to the worker for analysis and a preview.",
            handed,
        )
        % {"count": handed},
    )
    return redirect("newsroom:sources")


@vault_view_recovery_key_first
@require_POST
def preview_all(request: MemberRequest, source_id: int) -> HttpResponse:
    """Ask the worker for the preview of every file of the source that has none yet."""
    row = access_source_by_id(request.user, source_id)
    key = _source_key(request, row)
    if key is None:
        return redirect("newsroom:source", source_id=row.pk)
    asked = 0
    try:
        for item in row.items.filter(kind=Item.Kind.FILE).select_related("preview"):
            record = getattr(item, "preview", None)
            if record is None or record.state in (Preview.State.FAILED, Preview.State.EXPIRED):
                forensics.do_request_preview(request.user, key, item)
                asked += 1
    except forensics.NoWorker:
        messages.error(request, _("No background worker is running; previews cannot be made now."))
    else:
        messages.success(request, _("Previews asked for: %(count)d file(s).") % {"count": asked})
    return redirect("newsroom:source", source_id=row.pk)


@vault_view_recovery_key_first
def preview_part(
    request: MemberRequest, source_id: int, item_id: int, part: int
) -> HttpResponseBase:
    """The bytes of a ready preview (never the original), decrypted on the way out; honours a
    byte range, so a browser can seek in a video."""
    row = access_source_by_id(request.user, source_id)
    item = access_item_by_id(row, item_id)
    key = _source_key(request, row)
    record = get_ready_preview(item)
    opened = forensics.open_preview(key, record) if key and record else None
    if opened is None or not 0 <= part < len(opened.sizes):
        raise PermissionDenied
    response: HttpResponseBase
    if len(opened.sizes) > 1:
        response = HttpResponse(opened.part(part), content_type=opened.content_type)
    else:
        response = _ranged(request, opened)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "no-store"
    return response


def _ranged(request: MemberRequest, opened: forensics.OpenPreview) -> HttpResponseBase:
    total = opened.sizes[0]
    header = request.headers.get("Range", "")
    start, end = 0, total - 1
    partial = False
    if header.startswith("bytes=") and "," not in header:
        first, _sep, last = header[6:].partition("-")
        try:
            if first:
                start = int(first)
                end = min(int(last), total - 1) if last else total - 1
            elif last:
                start = max(total - int(last), 0)
            partial = start <= end and start < total
        except ValueError:
            partial = False
        if not partial:
            refused = HttpResponse(status=416)
            refused["Content-Range"] = f"bytes */{total}"
            return refused
    response = StreamingHttpResponse(
        _slice(opened.stream(), start, end + 1), content_type=opened.content_type
    )
    response["Accept-Ranges"] = "bytes"
    response["Content-Length"] = str(end - start + 1)
    if partial:
        response.status_code = 206
        response["Content-Range"] = f"bytes {start}-{end}/{total}"
    return response


def _slice(chunks: Iterator[bytes], start: int, stop: int) -> Iterator[bytes]:
    position = 0
    for chunk in chunks:
        begin, finish = position, position + len(chunk)
        position = finish
        if finish <= start:
            continue
        if begin >= stop:
            return
        yield chunk[max(start - begin, 0) : min(stop, finish) - begin]


# --- The member's key --------------------------------------------------------------------


@login_required
@permission_required("accounts.read_submissions", raise_exception=True)
def key(request: MemberRequest) -> HttpResponse:
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
def export_key(request: MemberRequest) -> HttpResponse:
    member_key = vault_reads.get_exportable_member_key(request.user)
    if member_key is None:
        return redirect("newsroom:key")
    response = HttpResponse(export.member_key_file(member_key), content_type="application/json")
    response["Content-Disposition"] = _attachment(f"{request.user.username}.jdkey")
    return response


# --- Reassignment --------------------------------------------------------------------------


@vault_view_recovery_key_first
def reassign(request: MemberRequest) -> HttpResponse:
    """An admin moves a leaving member's assignments and access to another member in one
    action (actions.do_reassign_member). Re-wrapping source keys needs the admin's own unlocked
    key, which the gate guarantees is in the session."""
    if not request.user.has_perm("accounts.manage_newsroom"):
        raise PermissionDenied
    members = vault.readers()
    initial = {"leaving": request.GET.get("member"), "withdraw": True}
    form = ReassignForm(request.POST or None, members=members, initial=initial)
    if request.method == "POST" and form.is_valid():
        by_pk = {member.pk: member for member in members}
        leaving = by_pk[form.cleaned_data["leaving"]]
        successor = by_pk[form.cleaned_data["successor"]]
        try:
            done = actions.do_reassign_member(
                request.user,
                session_keys.member_private_key(request) or b"",
                leaving,
                successor,
                withdraw=form.cleaned_data["withdraw"],
            )
        except vault.VaultError:
            form.add_error(
                "successor", _("Both members need a vault key: they must have signed in once.")
            )
        else:
            messages.success(
                request,
                _(
                    "Moved to %(name)s: %(assigned)d assignment(s); access sealed to them for "
                    "%(granted)d source(s), taken from %(leaving)s for %(withdrawn)d."
                )
                % {
                    "name": successor.username,
                    "leaving": leaving.username,
                    "assigned": done.assignments,
                    "granted": done.grants.granted,
                    "withdrawn": done.grants.withdrawn,
                },
            )
            if done.grants.kept:
                messages.warning(
                    request,
                    _(
                        "%(count)d source(s) stay with %(leaving)s: you hold no access to them, "
                        "so you cannot hand them on. Ask a member who has it to grant it."
                    )
                    % {"count": done.grants.kept, "leaving": leaving.username},
                )
            return redirect("newsroom:reassign")
    return render(
        request,
        "newsroom/reassign.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )
