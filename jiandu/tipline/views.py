"""The source's side. No view here reads a client address, sets a cookie of its own, or lets a
page be cached (`never_cache`, and the security middleware adds `no-store` once a session
exists). Upload views swap in the vault's encrypting upload handler before anything reads the
body, which is why they are `csrf_exempt` outside and `csrf_protect` inside, as Django's
documentation describes for changing upload handlers on the fly.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from itertools import groupby
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from jiandu.core.middleware import csrf_protect
from jiandu.tipline import actions, messages_text, questionnaire, throttle
from jiandu.tipline.codename import CodenameError
from jiandu.tipline.forms import CodenameForm, CodenameStyleForm, SubmissionForm
from jiandu.tipline.middleware import on_onion
from jiandu.tipline.models import QuestionnaireVersion
from jiandu.vault import actions as vault
from jiandu.vault import conf, crypto, resumable, session_keys, uploads
from jiandu.vault.access import get_source, open_own_item_for_source, open_reply_for_source
from jiandu.vault.models import Item, Source

NEW_CODENAME = "tipline_new_codename"
# A codename shown but not yet derived (every key-derivation slot was busy): it lives only in
# this (encrypted) session until _finish_codename binds it.
CODENAME_TO_FINISH = "tipline_codename_to_finish"
RECEIPT = "tipline_receipt"
# The source-side keys of what a pending source sent (item id -> base64), held in its own
# (encrypted) session until its codename key exists to seal them to (docs/crypto.md).
COPIES_TO_SEAL = "tipline_copies_to_seal"


def current_source(request: HttpRequest) -> Source | None:
    """The source signed in on this session, with the 120-minute idle limit renewed."""
    source_id = request.session.get(session_keys.SOURCE_ID)
    if source_id is None:
        return None
    source = get_source(source_id)
    if source is None:
        request.session.flush()
        return None
    request.session.set_expiry(conf.source_idle_seconds())
    return source


def _default_style() -> str:
    return {"zh-hans": "zh", "zh-hant": "zh-hant"}.get(get_language() or "", "en")


@never_cache
def landing(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "tipline/landing.html",
        {
            "ready": vault.readers_are_ready(),
            "source": current_source(request),
            "onion_address": "" if on_onion(request) else settings.ONION_ADDRESS,
        },
    )


REFUSAL_STATUS = {"source_limit": 429}


def _refused(request: HttpRequest, code: str, status: int) -> HttpResponse:
    response = render(
        request,
        "tipline/refused.html",
        {"reason": messages_text.refusal(code), "source": current_source(request)},
        status=status,
    )
    if status in {429, 503}:
        response["Retry-After"] = "60"
    return response


@csrf_exempt
@never_cache
def submit(request: HttpRequest) -> HttpResponseBase:
    if request.method != "POST":
        return _submit(request, None)
    return _receive(request, _submit)


@csrf_exempt
@never_cache
def reply(request: HttpRequest) -> HttpResponseBase:
    """The conversation's reply box: a message and files, the no-JavaScript multipart path of
    the tip line's form (the same encrypting handler and limits), never the questionnaire."""
    if current_source(request) is None:
        uploads.drain(request)
        return redirect("tipline:return")
    if request.method != "POST":
        return redirect("tipline:conversation")
    return _receive(request, _reply)


def _receive(
    request: HttpRequest,
    then: Callable[..., HttpResponseBase],
) -> HttpResponseBase:
    """Check a posted form's body before anything reads it, then parse it through the
    encrypting upload handler and hand it to `then(request, handler)`."""
    if not vault.readers_are_ready():
        uploads.drain(request)
        return _refused(request, "closed", 403)
    refusal = uploads.check_request(request)
    if refusal is not None:
        uploads.drain(request)
        return _refused(request, refusal.code, refusal.status)
    # Only stored submissions count toward these (see jiandu.tipline.throttle).
    limit = throttle.intake_refusal(current_source(request))
    if limit is not None:
        uploads.drain(request)
        return _refused(request, limit, REFUSAL_STATUS[limit])
    handler = uploads.EncryptingUploadHandler(request)
    request.upload_handlers = [handler]
    try:
        try:
            request.POST  # noqa: B018  (parse the body now, through the encrypting handler)
        except RequestDataTooBig:  # the text fields, not the files, are over Django's limit
            uploads.drain(request)
            return _refused(request, "text_too_long", 413)
        except (MultiPartParserError, TooManyFilesSent, UnreadablePostError):
            uploads.drain(request)
            return _refused(request, "broken", 400)
        return then(request, handler)
    finally:
        handler.discard_unpublished()
        uploads.release_memory()


@csrf_protect
def _submit(request: HttpRequest, handler: uploads.EncryptingUploadHandler | None) -> HttpResponse:
    source = current_source(request)
    posted = request.method == "POST"
    version = questionnaire.current_version()
    form = SubmissionForm(
        request.POST if posted else None, questions=questionnaire.questions(version)
    )
    style_form = CodenameStyleForm(
        request.POST if posted else None, initial={"style": _default_style()}
    )
    problems = [messages_text.problem(p) for p in handler.problems] if handler else []
    # Files the page's JavaScript could not send (its messages are ours, in this language).
    problems += [text[:300] for text in request.POST.getlist("upload_problems")[:20]]
    if handler is not None:
        uploads.release_memory()  # before a codename derivation's 64 MiB
    if posted and form.is_valid() and style_form.is_valid():
        if form.cleaned_data["website"]:
            return _refused(request, "honeypot", 400)
        # Everything is checked before anything is prepared or taken from the session: a
        # refusal keeps the finished uploads listed, and leaves no encrypted part behind.
        message = form.cleaned_data["message"].strip()
        answers = _answers_to_store(request, form, version)
        # Every file went through the encrypting handler (jiandu.vault.uploads.SealedUpload).
        sealed = [cast(uploads.SealedUpload, f) for f in request.FILES.getlist("files")]
        finished = _finished_uploads(request)
        # A returning source is never sent back through the questionnaire.
        missing = _missing_page(answers, version) if source is None else None
        if missing:
            form.add_error(
                None,
                _("Please answer the required questions on page %(page)s first.")
                % {"page": missing},
            )
        elif not (message or answers or sealed or finished):
            form.add_error(
                None,
                _("Nothing was received: write a message, answer a question or choose a file."),
            )
        else:
            return _store(request, source, style_form, message, answers, sealed, finished, problems)
    return render(
        request,
        "tipline/submit.html",
        {
            "form": form,
            "style_form": style_form,
            "source": source,
            "problems": problems,
            "max_file_bytes": conf.max_file_bytes(),
            "max_files": conf.max_files_per_submission(),
            "ready": vault.readers_are_ready(),
            "held_uploads": [
                upload | {"url": reverse("tipline:upload_piece", args=[upload["id"]])}
                for upload in resumable.held(request.session)
            ],
            "upload_chunk_bytes": conf.upload_piece_bytes(),
            "review": _review(request, version),
            "question_pages": len(questionnaire.groups(version)),
        },
    )


def _finished_uploads(request: HttpRequest) -> list[str]:
    """The ids named by the form's `uploads` field of this session's finished uploads."""
    done = {upload["id"] for upload in resumable.held(request.session) if upload["done"]}
    return [i for i in upload_ids(request.POST.getlist("uploads")) if i in done]


def _store(
    request: HttpRequest,
    source: Source | None,
    style_form: CodenameStyleForm,
    message: str,
    answers: dict[str, Any],
    sealed: list[uploads.SealedUpload],
    finished: list[str],
    problems: list[str],
) -> HttpResponse:
    """Prepare and store a checked submission; a first one makes the codename. Nothing here
    refuses for others' load: a first submission that finds the key derivation busy is stored
    under a pending source and its codename finished later from this session."""
    prepared = []
    if message:
        prepared.append(vault.prepare_text(Item.Kind.MESSAGE, message))
    if answers:
        prepared.append(vault.prepare_questionnaire(answers))
    files = [upload.prepared() for upload in sealed]
    files += resumable.take(request.session, finished)
    prepared.extend(files)
    if source is None:
        new = actions.do_first_submission(
            style_form.cleaned_data["style"] or _default_style(), prepared
        )
        session_keys.sign_in_source(request, new.source.pk, new.reply_private_key or b"")
        request.session[NEW_CODENAME] = new.codename
        if new.reply_private_key is None:
            request.session[CODENAME_TO_FINISH] = new.codename
        request.session.set_expiry(conf.source_idle_seconds())
        source = new.source
    else:
        vault.do_store_submission(source, prepared)
    _hold_source_copies(request, source, prepared)
    throttle.count_stored(source)
    request.session[RECEIPT] = {
        "message": len(message),
        "questionnaire": bool(answers),
        "files": [f.receipt for f in files],
        "problems": problems,
    }
    request.session.pop(ANSWERS, None)
    return redirect("tipline:receipt")


def _finish_codename(request: HttpRequest, source: Source) -> bool:
    """Bind a pending source's codename (held in this session since the first submission);
    True once the codename works. False while the derivation is busy: nothing is lost, the
    session still holds the codename."""
    codename = request.session.get(CODENAME_TO_FINISH)
    if not codename or not vault.codename_pending(source):
        request.session.pop(CODENAME_TO_FINISH, None)
        _seal_held_copies(request, source)
        return True
    try:
        reply_key = actions.do_finish_codename(source, codename)
    except crypto.KdfBusy:
        return False
    session_keys.sign_in_source(request, source.pk, reply_key)  # keeps the session's data
    request.session.pop(CODENAME_TO_FINISH, None)
    _seal_held_copies(request, source)
    return True


def _hold_source_copies(
    request: HttpRequest, source: Source, prepared: list[vault.PreparedItem]
) -> None:
    """A pending source has no codename key yet: keep the source-side keys of what it just
    sent in its own session, so its conversation can show them once the codename works."""
    if not vault.codename_pending(source):
        return
    held = dict(request.session.get(COPIES_TO_SEAL) or {})
    for item_id, key in vault.source_copies_to_hold(prepared).items():
        held[str(item_id)] = base64.b64encode(key).decode()
    request.session[COPIES_TO_SEAL] = held


def _seal_held_copies(request: HttpRequest, source: Source) -> None:
    held = request.session.get(COPIES_TO_SEAL)
    if not held or vault.codename_pending(source):
        return
    vault.do_seal_source_copies(
        source, {int(item_id): base64.b64decode(key) for item_id, key in held.items()}
    )
    request.session.pop(COPIES_TO_SEAL, None)


# The answers of the step-by-step pages, kept in the (encrypted) session until sending:
# {"version": number, "answers": {key: value}}.
ANSWERS = "tipline_answers"


def _held_answers(request: HttpRequest) -> tuple[int | None, dict[str, Any]]:
    held = request.session.get(ANSWERS)
    if not isinstance(held, dict) or not isinstance(held.get("answers"), dict):
        return None, {}
    return held.get("version"), held["answers"]


def _answers_to_store(
    request: HttpRequest, form: SubmissionForm, version: QuestionnaireVersion | None
) -> dict[str, Any]:
    """The pages' answers with the version they answered (which may be older than the current
    one if the newsroom edited it meanwhile); else answers posted with the form itself."""
    number, held = _held_answers(request)
    if held and questionnaire.version_numbered(number) is not None:
        return {questionnaire.VERSION_KEY: number, **held}
    if form.answers() and version is not None:
        return questionnaire.payload(version, form.answers())
    return {}


def _missing_page(answers: dict[str, Any], version: QuestionnaireVersion | None) -> int | None:
    """The page with a required question left unanswered, for answers to the current version
    (answers to an older version were checked against it when given)."""
    if version is None or answers.get(questionnaire.VERSION_KEY, version.number) != version.number:
        return None
    return questionnaire.missing_required(version, answers)


def _review(request: HttpRequest, version: QuestionnaireVersion | None) -> list[dict[str, Any]]:
    """The answers given so far, page by page, for the review before sending."""
    number, held = _held_answers(request)
    if not held:
        return []
    shown = questionnaire.version_numbered(number)
    pages = []
    for step, page in enumerate(questionnaire.groups(shown), start=1):
        pairs = [
            (questionnaire.label(q), questionnaire.shown_value(q, held[q.key]))
            for q in page
            if held.get(q.key)
        ]
        pages.append({"step": step, "pairs": pairs, "current": shown == version})
    return pages


@never_cache
def questions_step(request: HttpRequest, step: int) -> HttpResponse:
    """One page of the questionnaire (no JavaScript needed); its answers go into the session
    and the last page leads to the review and sending page."""
    version = questionnaire.current_version()
    pages = questionnaire.groups(version)
    if not pages or not vault.readers_are_ready():
        return redirect("tipline:submit")
    if not 1 <= step <= len(pages):
        return redirect("tipline:questions", step=1)
    number, held = _held_answers(request)
    stored = held if version is not None and number == version.number else {}
    page = pages[step - 1]
    if request.method == "POST" and "back" in request.POST:
        if step == 1:
            return redirect("tipline:landing")
        return redirect("tipline:questions", step=step - 1)
    form = questionnaire.StepForm(
        request.POST if request.method == "POST" else None,
        questions=page,
        initial=questionnaire.initial_for(stored, page),
    )
    if request.method == "POST" and form.is_valid() and version is not None:
        keys = {q.key for q in page}
        kept = {k: v for k, v in stored.items() if k not in keys}
        request.session[ANSWERS] = {"version": version.number, "answers": kept | form.answers()}
        request.session.set_expiry(conf.source_idle_seconds())
        if step < len(pages):
            return redirect("tipline:questions", step=step + 1)
        return redirect("tipline:submit")
    return render(
        request,
        "tipline/questions.html",
        {
            "form": form,
            "step": step,
            "steps": len(pages),
            "last": step == len(pages),
            "version": version,  # when its questions last changed (to the day)
            "source": current_source(request),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


UPLOAD_ID = re.compile(r"([0-9a-f]{32})/?\Z")


def upload_ids(values: list[str]) -> list[str]:
    """The upload ids named by the form's `uploads` field: one tus upload URL (absolute or a
    path, any language prefix) or bare id per line. Anything else is ignored; an id that is
    not this session's is ignored later (jiandu.vault.resumable.take)."""
    found: list[str] = []
    for value in values[:10]:
        for line in value.splitlines()[: conf.max_files_per_submission() * 2]:
            try:
                match = UPLOAD_ID.search(urlsplit(line.strip()).path)
            except ValueError:  # e.g. "http://[" is not a URL
                continue
            if match and match.group(1) not in found:
                found.append(match.group(1))
    return found


@never_cache
def receipt(request: HttpRequest) -> HttpResponse:
    source = current_source(request)
    data = request.session.get(RECEIPT)
    codename = request.session.get(NEW_CODENAME)
    if source is None or data is None:
        return redirect("tipline:landing")
    return render(
        request,
        "tipline/receipt.html",
        {
            "receipt": data,
            "codename": codename,
            "pending": bool(request.session.get(CODENAME_TO_FINISH)),
            "codename_lang": "en"
            if codename and codename.isascii()
            else ("zh-hant" if get_language() == "zh-hant" else "zh-hans"),
            "source": source,
        },
    )


@never_cache
@require_POST
def codename_noted(request: HttpRequest) -> HttpResponse:
    source = current_source(request)
    if source is None:
        return redirect("tipline:landing")
    if not request.POST.get("noted"):
        messages.error(request, _("Tick the box once you have written your codename down."))
        return redirect("tipline:receipt")
    if not _finish_codename(request, source):
        messages.error(request, messages_text.codename_unfinished())
        return redirect("tipline:receipt")
    request.session.pop(NEW_CODENAME, None)
    return redirect("tipline:conversation")


@never_cache
def return_with_codename(request: HttpRequest) -> HttpResponse:
    form = CodenameForm(request.POST or None)
    status = 200
    wait = throttle.signin_wait_seconds(request) if request.method == "POST" else 0
    if wait:  # refused before any key derivation, so a hurried script costs us nothing
        form.is_valid()
        form.add_error("codename", messages_text.signin_wait(wait))
        status = 429
    elif request.method == "POST" and form.is_valid():
        try:
            source, reply_key = actions.do_sign_in_source(form.cleaned_data["codename"])
        except CodenameError as exc:
            if exc.code == "not_found":
                throttle.count_signin_failure(request)
            form.add_error("codename", messages_text.codename_error(exc))
        except crypto.KdfBusy:
            return _refused(request, "signin_busy", 503)
        else:
            session_keys.sign_in_source(request, source.pk, reply_key)
            request.session.set_expiry(conf.source_idle_seconds())
            return redirect("tipline:conversation")
    return render(request, "tipline/return.html", {"form": form}, status=status)


@never_cache
def conversation(request: HttpRequest) -> HttpResponse:
    source = current_source(request)
    if source is None:
        return redirect("tipline:return")
    if request.session.get(NEW_CODENAME):
        return redirect("tipline:receipt")
    return _conversation_page(request, source, SubmissionForm(questions=[]), [])


def _conversation_page(
    request: HttpRequest,
    source: Source,
    form: SubmissionForm,
    problems: list[str],
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "tipline/conversation.html",
        {
            "source": source,
            "entries": _conversation(source, session_keys.source_reply_key(request)),
            "form": form,
            "problems": problems,
            "max_file_bytes": conf.max_file_bytes(),
            "max_files": conf.max_files_per_submission(),
            "upload_chunk_bytes": conf.upload_piece_bytes(),
        },
        status=status,
    )


def _conversation(source: Source, reply_key: bytes | None) -> list[dict[str, Any]]:
    """What the source sent and the newsroom's replies, oldest first (by the hour the server
    keeps, then by arrival), each opened with the codename key in this session: a message's
    text, a file's name and size (never its content); a reply's text."""
    items = source.items.filter(Q(kind=Item.Kind.REPLY) | Q(submission__isnull=False)).order_by(
        "created_hour", "pk"
    )
    entries: list[dict[str, Any]] = []
    for key, group in groupby(items, key=lambda item: item.submission_id or -item.pk):
        rows = list(group)
        first = rows[0]
        if first.kind == Item.Kind.REPLY:
            entries.append(
                {"reply": True, "hour": first.created_hour, "text": _text(reply_key, first)}
            )
            continue
        entry: dict[str, Any] = {
            "reply": False,
            "id": key,
            "hour": first.created_hour,
            "messages": [],
            "files": [],
            "questionnaire": False,
            "closed": 0,  # sent before own copies existed: counted, not shown
        }
        for item in rows:
            if item.kind == Item.Kind.QUESTIONNAIRE:
                entry["questionnaire"] = True
                continue
            try:
                own = open_own_item_for_source(reply_key or b"", item)
            except (crypto.VaultCryptoError, TypeError, ValueError):
                entry["closed"] += 1
                continue
            if item.kind == Item.Kind.MESSAGE:
                entry["messages"].append(own.text)
            else:
                entry["files"].append(
                    {
                        "name": own.meta.get("name", ""),
                        "size": own.meta.get("size", 0),
                        "sha256": own.meta.get("sha256", ""),
                    }
                )
        entries.append(entry)
    return entries


def _text(reply_key: bytes | None, item: Item) -> str | None:
    try:
        return _reply_text(reply_key, item)
    except (crypto.VaultCryptoError, TypeError):
        return None


def _reply_text(reply_key: bytes | None, item: Item) -> str:
    if reply_key is None:
        raise crypto.VaultCryptoError("No reply key in this session.")
    return open_reply_for_source(reply_key, item).text()


@csrf_protect
def _reply(request: HttpRequest, handler: uploads.EncryptingUploadHandler) -> HttpResponse:
    source = current_source(request)
    if source is None:
        return redirect("tipline:return")
    form = SubmissionForm(request.POST, questions=[])
    problems = [messages_text.problem(p) for p in handler.problems]
    problems += [text[:300] for text in request.POST.getlist("upload_problems")[:20]]
    uploads.release_memory()
    if form.is_valid():
        if form.cleaned_data["website"]:
            return _refused(request, "honeypot", 400)
        message = form.cleaned_data["message"].strip()
        sealed = [cast(uploads.SealedUpload, f) for f in request.FILES.getlist("files")]
        finished = _finished_uploads(request)
        if message or sealed or finished:
            prepared = [vault.prepare_text(Item.Kind.MESSAGE, message)] if message else []
            prepared += [upload.prepared() for upload in sealed]
            prepared += resumable.take(request.session, finished)
            vault.do_store_submission(source, prepared)
            _hold_source_copies(request, source, prepared)
            throttle.count_stored(source)
            messages.success(request, _("Sent. It is below, with what you sent before."))
            for problem in problems:
                messages.warning(request, problem)
            return redirect(reverse("tipline:conversation") + "#latest")
        form.add_error(None, _("Nothing was received: write a message or choose a file."))
    return _conversation_page(request, source, form, problems, status=400)


@never_cache
def delete_submission(request: HttpRequest, submission_id: int) -> HttpResponse:
    """GET: what would be deleted, and a button to confirm (no script needed); POST: delete."""
    source = current_source(request)
    if source is None:
        return redirect("tipline:return")
    if request.method == "POST":
        if vault.do_delete_submission(source, submission_id):
            messages.success(request, _("That submission is deleted, with its files."))
        return redirect("tipline:conversation")
    reply_key = session_keys.source_reply_key(request)
    entry = next(
        (
            e
            for e in _conversation(source, reply_key)
            if not e["reply"] and e["id"] == submission_id
        ),
        None,
    )
    if entry is None:
        return redirect("tipline:conversation")
    return render(request, "tipline/delete.html", {"source": source, "entry": entry})


@never_cache
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    source = current_source(request)
    if source is not None and not _finish_codename(request, source):
        # Signing out now would lose the only copy of a codename that does not work yet.
        messages.error(request, messages_text.codename_unfinished())
        return redirect("tipline:receipt")
    resumable.discard_all(request.session)
    request.session.flush()
    return redirect("tipline:landing")
