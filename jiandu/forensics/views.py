"""The authentication workbench's pages: an item's report and checklist, and "have we received
or published this before?" for a file a journalist drops in. Thin: reads through access/index,
writes through actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt

from jiandu.accounts.http import MemberRequest
from jiandu.core.middleware import csrf_protect
from jiandu.forensics import actions, checklist, findings, index
from jiandu.forensics.access import access_item_for_workbench
from jiandu.forensics.forms import (
    OUTCOME_LABELS,
    TOPIC_LABELS,
    CheckForm,
    LookupForm,
    TextSearchForm,
)
from jiandu.forensics.metadata import analyse_file
from jiandu.forensics.models import Analysis
from jiandu.forensics.previews import PROBLEM_TEXT
from jiandu.forensics.report_text import date_rows, fact_rows, match_name
from jiandu.vault import crypto, session_keys
from jiandu.vault.access import open_item
from jiandu.vault.gate import vault_view
from jiandu.vault.models import Item, Submission

View = Callable[..., HttpResponse]
LOOKUP_MAX_BYTES = 128 * 1024 * 1024  # held in memory (twice: upload, then the sandbox's copy)


def _when(source_key: bytes, item: Item) -> str:
    """The questionnaire's "when" of the item's submission, if there is one."""
    if item.submission_id is None:
        return ""
    submission = cast(Submission, item.submission)  # its id is set
    questionnaire = submission.items.filter(kind=Item.Kind.QUESTIONNAIRE).first()
    if questionnaire is None:
        return ""
    try:
        return str(open_item(source_key, questionnaire).answers().get("when", ""))
    except (crypto.VaultCryptoError, ValueError):
        return ""


def _match_lines(matches) -> list[dict[str, object]]:
    from jiandu.forensics.matching import clock  # numpy: not at web start-up (issue 22)

    lines = []
    for match, label in matches:
        lines.append(
            {
                "match": match,
                "label": label,
                "name": match_name(label.kind, label.name, label.render_id, label.render_kind),
                "target": f"{clock(match.target_start)}–{clock(match.target_end)}",
                "query": f"{clock(match.query_start)}–{clock(match.query_end)}",
            }
        )
    return lines


@vault_view
def report(request: MemberRequest, item_id: int) -> HttpResponse:
    """One file's report: type, findings, metadata, matches, contact sheet or waveform, and
    its checklist (a POST adds one entry). A file not analysed yet is handed to the worker by
    the page's button (a POST), never by looking at it."""
    private = session_keys.member_private_key(request) or b""
    item, source_key = access_item_for_workbench(request.user, private, item_id)
    if request.method == "POST" and "analyse" in request.POST:
        actions.do_request_analyses(request.user, private)
        return redirect("forensics:report", item_id=item.pk)
    form, posted_topic = None, request.POST.get("topic", "")
    if request.method == "POST" and posted_topic in TOPIC_LABELS:
        form = CheckForm(request.POST, prefix=posted_topic)
        if form.is_valid():
            actions.do_record_check(
                request.user,
                item,
                posted_topic,
                form.cleaned_data["outcome"],
                form.cleaned_data["note"],
            )
            return redirect("forensics:report", item_id=item.pk)
    actions.do_view_analysis(request.user, item)
    meta = open_item(source_key, item).meta
    analysis = Analysis.objects.filter(item=item).first()
    context: dict[str, object] = {"item": item, "meta": meta, "analysis": analysis}
    opened = actions.open_analysis(source_key, analysis) if analysis else None
    if opened is not None and analysis is not None:  # opened only when there is one
        file_report = opened.report()
        context.update(
            report=file_report,
            why=PROBLEM_TEXT[file_report.problem] if file_report.problem else "",
            findings=findings.find(file_report, _when(source_key, item), item.created_hour),
            facts=fact_rows(file_report),
            dates=date_rows(file_report),
            media=opened.media(),
            matches=_match_lines(
                index.find_matches(
                    request.user, private, opened.fingerprint(), exclude=f"analysis:{analysis.pk}"
                )
            ),
        )
    latest = checklist.get_latest_entries(item.pk)
    rows = []
    for topic, label in TOPIC_LABELS.items():
        entry = latest.get(topic)
        note = ""
        if entry is not None:
            try:
                note = crypto.unseal(source_key, bytes(entry.sealed_note)).decode()
            except crypto.VaultCryptoError:
                note = ""
        rows.append(
            {
                "topic": topic,
                "label": label,
                "entry": entry,
                "outcome": OUTCOME_LABELS.get(entry.outcome) if entry else None,
                "note": note,
                "form": form
                if form is not None and posted_topic == topic
                else CheckForm(prefix=topic),
            }
        )
    context.update(
        checklist=rows,
        status=checklist.get_verification_status(item.pk),
    )
    return render(request, "forensics/report.html", context)


class _MemoryOnly(MemoryFileUploadHandler):
    """Keeps a dropped file in memory only (never a temporary file), up to LOOKUP_MAX_BYTES."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.activated = 0 < content_length <= LOOKUP_MAX_BYTES


@csrf_exempt
def lookup(request: MemberRequest) -> HttpResponseBase:
    """ "Have we received or published this before?" The dropped file is read in the sandbox,
    fingerprinted, matched against this member's index, and forgotten (never stored).

    `csrf_exempt` here only so the upload handler is chosen before the body is read; the check
    itself is the project's `csrf_protect` below, the one the middleware runs everywhere else
    (Django's own would refuse the `Origin: null` of our no-referrer pages: every lookup 403)."""
    request.upload_handlers = [_MemoryOnly(request)]
    return _lookup(request)


@csrf_protect
@vault_view
def _lookup(request: MemberRequest) -> HttpResponse:
    form = LookupForm(request.POST or None, request.FILES or None)
    context: dict[str, object] = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        from jiandu.forensics import fingerprints  # numpy: not at web start-up

        file_report = analyse_file(upload, upload.name)
        private = session_keys.member_private_key(request) or b""
        context.update(
            report=file_report,
            why=PROBLEM_TEXT[file_report.problem] if file_report.problem else "",
            matches=_match_lines(
                index.find_matches(request.user, private, fingerprints.from_report(file_report))
            ),
            looked=True,
        )
    return render(request, "forensics/lookup.html", context)


@vault_view
def text_search(request: MemberRequest) -> HttpResponse:
    """Search the text read by OCR in the scans and photos of documents this member can read
    (textindex.py: built in memory from their keys). Each file shown is a view, logged."""
    from jiandu.forensics import textindex

    form = TextSearchForm(request.GET or None)
    context: dict[str, object] = {"form": form}
    if form.is_valid():
        private = session_keys.member_private_key(request) or b""
        hits = textindex.search(request.user, private, form.cleaned_data["q"])
        actions.do_record_text_search(request.user, [hit.item_id for hit in hits])
        context.update(hits=hits, searched=True)
    return render(request, "forensics/text_search.html", context)
