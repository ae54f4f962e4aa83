"""The studio's pages: a file's form, a render's progress and side-by-side comparison, its
derivative (decrypted for the signed-in member only), cancel and publish. Thin: reads through
access, writes through actions. Every page works without JavaScript: the progress page
reloads itself (an HTTP Refresh header, which the reader can stop) while the worker runs."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiandu.accounts.http import MemberRequest
from jiandu.cases.access import get_cases_open_for_evidence
from jiandu.cases.evidence import EvidenceError
from jiandu.cases.text import localize
from jiandu.forensics.access import access_item_for_workbench, get_ready_preview
from jiandu.forensics.actions import NoWorker, do_request_preview
from jiandu.forensics.previews import sniff_kind
from jiandu.redaction import actions, orphans
from jiandu.redaction.access import access_render_by_id
from jiandu.redaction.forms import PublishForm, RecipeForm, initial_from
from jiandu.redaction.models import Render
from jiandu.redaction.recipe import clock, parse
from jiandu.redaction.waiting import FINISHED_FOR_THE_ASKER, get_renders_waiting
from jiandu.vault import crypto, session_keys
from jiandu.vault.access import open_item
from jiandu.vault.gate import vault_view
from jiandu.vault.models import Item

KINDS = {"image": "image", "video": "video", "pdf": "pdf"}


def _member_key(request: MemberRequest) -> bytes:
    key = session_keys.member_private_key(request)
    if key is None:
        raise PermissionDenied
    return key


@vault_view
def index(request: MemberRequest) -> HttpResponse:
    """The member's recent renders (one whose worker stopped reads as expired: orphans.py)."""
    renders = list(
        Render.objects.filter(item__source__grants__member_key__user=request.user).select_related(
            "item"
        )[:50]
    )
    expired = orphans.orphaned_ids(renders)
    for record in renders:  # shown, never saved: the sweep writes it
        if record.pk in expired:
            record.state = Render.State.EXPIRED
    return render(
        request,
        "redaction/index.html",
        {
            "renders": renders,
            "finished_states": FINISHED_FOR_THE_ASKER,
            "unseen": get_renders_waiting(request.user),
        },
    )


def _kind_of(source_key: bytes, item: Item) -> str:
    head = b""
    try:
        for chunk in open_item(source_key, item).stream():
            head = chunk[:512]
            break
    except crypto.VaultCryptoError:
        return ""
    kind = sniff_kind(head)
    return KINDS.get(str(kind), "") if kind else ""


@vault_view
def studio(request: MemberRequest, item_id: int) -> HttpResponse:
    """The form for one file (GET), or a new render of it (POST)."""
    item, source_key = access_item_for_workbench(request.user, _member_key(request), item_id)
    kind = _kind_of(source_key, item)
    form = RecipeForm(request.POST or None, kind=kind or "image")
    known = actions.get_known_faces(source_key, item)
    confirming = False
    if request.method == "POST" and kind and form.is_valid() and form.needs_confirmation():
        # Faces would stay visible: list them (with thumbnails) before anything is rendered.
        confirming = True
        form = RecipeForm(
            {**request.POST.dict(), "confirmed_keep": " ".join(map(str, form.kept_numbers()))},
            kind=kind,
        )
    elif request.method == "POST" and kind and form.is_valid():
        try:
            recipe = form.cleaned_data["recipe"]
            made = None
            # Stills of a video without a clip: one image render per moment.
            for moment in recipe.stills if kind == "video" and not recipe.ranges else ():
                still = {**recipe.as_dict(), "kind": "image", "format": "png"}
                still.update(stills=[moment], ranges=[], audio="keep")
                made = actions.do_request_render(request.user, source_key, item, parse(still))
            if made is None:
                made = actions.do_request_render(request.user, source_key, item, recipe)
            # The side-by-side comparison shows the original's safe preview: ask for it too.
            if get_ready_preview(item) is None:
                do_request_preview(request.user, source_key, item)
        except NoWorker:
            messages.error(
                request, _("No background worker is running; renders cannot be made now.")
            )
        else:
            return redirect("redaction:render", render_id=made.pk)
    renders = Render.objects.filter(item=item)[:20]
    return render(
        request,
        "redaction/studio.html",
        {
            "item": item,
            "kind": kind,
            "form": form,
            "renders": renders,
            "preview_ready": (get_ready_preview(item) is not None),
            "visible_faces": _visible_faces(form, known),
            "known_thumbs": _known_thumbs(known),
            "confirming": confirming,
        },
        status=400 if request.method == "POST" and not confirming else 200,
    )


def _visible_faces(form: RecipeForm, known: actions.KnownFaces) -> list[dict]:
    """The faces the form leaves visible, by number, each with its thumbnail when a render
    made one, or marked unknown (it will be blurred: no render has given that number)."""
    listed = []
    for number in form.kept_numbers():
        holder = known.thumb_of.get(number)
        thumb = reverse("redaction:face", args=[holder, number]) if holder else ""
        listed.append({"n": number, "thumb": thumb, "known": number in known.samples})
    return listed


@vault_view
@require_POST
def seen(request: MemberRequest, render_id: int) -> HttpResponse:
    """Open a finished render from the list of new ones: marked seen (a POST, so a GET never
    writes), then its page."""
    record, _key = access_render_by_id(request.user, _member_key(request), render_id)
    actions.do_mark_renders_seen(request.user, [record.pk])
    return redirect("redaction:render", render_id=record.pk)


@vault_view
@require_POST
def seen_all(request: MemberRequest) -> HttpResponse:
    """Every finished render of this member marked seen: the home's count goes to zero."""
    actions.do_mark_renders_seen(request.user)
    return redirect("redaction:index")


@vault_view
def render_page(request: MemberRequest, render_id: int) -> HttpResponse:
    """Progress (refreshing itself), then the original and the derivative side by side, the
    faces found (numbered, to leave one visible), and the publish form for editors."""
    record, source_key = access_render_by_id(request.user, _member_key(request), render_id)
    # A render whose worker stopped will not finish: the page says it expired (shown, never
    # saved here: the sweep writes it, orphans.py).
    record.state = orphans.shown_state(record)
    opened = actions.open_render(source_key, record)
    recipe = opened.recipe if opened else None
    form = RecipeForm(initial=initial_from(recipe), kind=record.kind)
    known = (
        actions.KnownFaces.from_dict(opened.meta.get("known") or {})
        if opened
        else actions.KnownFaces()
    )
    publish_form = None
    if request.user.has_perm("accounts.publish_cases") and record.state == Render.State.DONE:
        publish_form = PublishForm(cases=get_cases_open_for_evidence())
    refreshing = not record.finished and "still" not in request.GET
    response = render(
        request,
        "redaction/render.html",
        {
            "refreshing": refreshing,
            "record": record,
            "opened": opened,
            "recipe": recipe,
            "form": form,
            "publish_form": publish_form,
            "faces": _faces_found(opened, known),
            "kept_missing": opened.kept_missing if opened else [],
            "visible_faces": _visible_faces(form, known),
            "known_thumbs": _known_thumbs(known),
            "treatment": localize(opened.treatment if opened else None, get_language())[0],
        },
    )
    if refreshing:
        # Reloads without JavaScript (an HTTP header, which the reader can stop with ?still=1).
        response["Refresh"] = "2"
    return response


def _known_thumbs(known: actions.KnownFaces) -> str:
    """Every known number and its thumbnail's address ("" without one), for studio.js to
    list the faces left visible as the journalist types (JSON in a data attribute)."""
    return json.dumps(
        {
            str(n): reverse("redaction:face", args=[known.thumb_of[n], n])
            if n in known.thumb_of
            else ""
            for n in known.samples
        }
    )


def _faces_found(opened: actions.OpenRender | None, known: actions.KnownFaces) -> list[dict]:
    """The faces to list, by their own number (the one "faces left visible" takes, kept
    across renders of the original, identity.py), with a thumbnail: in an image every face
    found; in a video each steady track, with the moment it was first seen (the passing false
    detections are hidden too, and not listed). A number is listed once."""
    if opened is None:
        return []
    moments = opened.meta.get("faces_at") or []
    steady = opened.meta.get("steady") or []
    shown = opened.meta.get("shown") or []
    numbers = opened.numbers or [n + 1 for n in range(len(opened.faces))]
    listed: dict[int, dict] = {}
    for n, box in enumerate(opened.faces):
        if (n < len(steady) and not steady[n]) or n >= len(numbers):
            continue
        number = numbers[n]
        visible = bool(n < len(shown) and shown[n])
        if number in listed:
            listed[number]["kept"] = listed[number]["kept"] or visible
            continue
        holder = known.thumb_of.get(number)
        listed[number] = {
            "n": number,
            "box": [round(v * 100, 1) for v in box],
            "kept": visible,
            "at": clock(moments[n]) if n < len(moments) and opened.render.kind == "video" else "",
            "thumb": reverse("redaction:face", args=[holder, number]) if holder else "",
        }
    return sorted(listed.values(), key=lambda f: f["n"])


@vault_view
def output(request: MemberRequest, render_id: int) -> HttpResponse:
    """The derivative itself, decrypted for this member (never cached, never the original),
    each fetch in the custody log."""
    record, source_key = access_render_by_id(request.user, _member_key(request), render_id)
    opened = actions.do_view_derivative(request.user, source_key, record)
    if opened is None:
        raise PermissionDenied
    response = HttpResponse(opened.data(), content_type=opened.content_type)
    response["Content-Disposition"] = "inline"
    return response


@vault_view
def face(request: MemberRequest, render_id: int, number: int) -> HttpResponse:
    """One face's thumbnail (a small WebP the sandboxed worker made from decoded pixels,
    stored encrypted with the render): for members who may open the render, recorded in the
    custody log, never cached."""
    record, source_key = access_render_by_id(request.user, _member_key(request), render_id)
    data = actions.do_view_face_thumbnail(request.user, source_key, record, number)
    if not data:
        raise Http404
    response = HttpResponse(data, content_type="image/webp")
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = "inline"
    return response


@vault_view
@require_POST
def cancel(request: MemberRequest, render_id: int) -> HttpResponse:
    record, _key = access_render_by_id(request.user, _member_key(request), render_id)
    actions.do_cancel_render(request.user, record)
    return redirect("redaction:render", render_id=record.pk)


@vault_view
@require_POST
def publish(request: MemberRequest, render_id: int) -> HttpResponse:
    """An editor attaches the derivative to a case (public with its next reviewed revision)."""
    if not request.user.has_perm("accounts.publish_cases"):
        raise PermissionDenied
    record, source_key = access_render_by_id(request.user, _member_key(request), render_id)
    form = PublishForm(request.POST, cases=get_cases_open_for_evidence())
    if not form.is_valid():
        messages.error(request, _("Choose a case."))
        return redirect("redaction:render", render_id=record.pk)
    d = form.cleaned_data
    try:
        actions.do_publish_render(
            request.user,
            source_key,
            record,
            d["case"],
            caption_zh=d["caption_zh"],
            caption_en=d["caption_en"],
            verification_note=d["verification_note"],
        )
    except EvidenceError as error:
        messages.error(request, str(error))
        return redirect("redaction:render", render_id=record.pk)
    messages.success(request, _("Evidence added. It goes public with the next published revision."))
    return redirect("cases:workspace", d["case"].pk)


@vault_view
@require_POST
def frame_preview(request: MemberRequest, item_id: int) -> HttpResponse:
    """The live preview (studio.js, after a change in the form): the frame at `at` seconds (a
    video) or the image, with the form's regions hidden, made now in the sandbox, as WebP.
    400 for a form or moment that does not parse, 422 when the sandbox could not make it, 429
    while the member's previous preview is still being made (one at a time per member)."""
    item, source_key = access_item_for_workbench(request.user, _member_key(request), item_id)
    kind = _kind_of(source_key, item)
    form = RecipeForm(request.POST, kind=kind or "image")
    try:
        at = float(request.POST.get("at") or 0)
    except ValueError:
        at = -1.0
    if kind not in ("image", "video") or not form.is_valid() or not 0 <= at <= 24 * 3600:
        return HttpResponse(status=400)
    try:
        data, faces = actions.do_preview_frame(
            request.user, source_key, item, form.cleaned_data["recipe"], at
        )
    except actions.PreviewBusy:
        busy = HttpResponse(
            _("A preview is already being made."),
            status=429,
            content_type="text/plain; charset=utf-8",
        )
        busy["Retry-After"] = "2"
        return busy
    if not data:
        return HttpResponse(status=422)
    response = HttpResponse(data, content_type="image/webp")
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = "inline"
    # Each face's number and place, for studio.js to draw on the preview (numbers only).
    response["X-Jiandu-Faces"] = json.dumps(
        [[f.number, *(round(v, 4) for v in f.box), int(f.visible)] for f in faces]
    )
    return response
