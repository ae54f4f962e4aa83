"""Every write of the redaction studio: asking for a render, making it in the worker, cancelling
it, publishing it, and the newsroom-made renders of the demo.

The path of a render is the path of a preview (jiandu/forensics/handoff.py): a signed-in
journalist, whose session holds the source key, opens the one item key and seals it, with the
render's own new key, to the worker's in-memory key; the task carries only that sealed box. The
worker decrypts the original into memory, renders it in the sandbox (studio.py), and stores the
derivative encrypted under the render key, itself sealed to the source's public key: until an
editor publishes it, a derivative is as closed as its original. The original is only read.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import BinaryIO, cast

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from jiandu.accounts.models import User
from jiandu.cases import evidence as case_desk
from jiandu.cases.evidence import Derivative, EvidenceError
from jiandu.cases.models import Case, PublishedEvidence
from jiandu.conf import hour_now
from jiandu.forensics import handoff
from jiandu.forensics.actions import NoWorker
from jiandu.forensics.models import WorkerKey
from jiandu.ledger.actions import do_record_custody, subject_of
from jiandu.ledger.models import Action
from jiandu.redaction import identity, records, storage, studio
from jiandu.redaction.describe import describe_both
from jiandu.redaction.models import Render
from jiandu.redaction.orphans import orphaned_renders
from jiandu.redaction.recipe import Recipe, clock, parse
from jiandu.vault import binding, crypto
from jiandu.vault import storage as vault_storage
from jiandu.vault.models import Item

logger = logging.getLogger(__name__)
KEY = 32


def _check_member(user: User) -> None:
    if not user.has_perm("accounts.read_submissions"):
        raise PermissionDenied


def do_request_render(user: User, source_private_key: bytes, item: Item, recipe: Recipe) -> Render:
    """Ask the worker for a derivative of one file; the original is never changed.

    Raises NoWorker when no worker runs (nothing is written then), PermissionDenied without
    the right to read submissions.
    """
    _check_member(user)
    if item.kind != Item.Kind.FILE:
        raise ValueError("Only files have derivatives.")
    worker = handoff.target_worker_key()
    if worker is None:
        raise NoWorker
    # The numbers the journalist typed mean the faces of the earlier renders: the worker gets
    # where those faces were (never a track index of its own), sealed with the recipe.
    known = get_known_faces(source_private_key, item)
    kept = kept_numbers(recipe)
    meta: dict[str, object] = {
        "recipe": recipe.as_dict(),
        "known": known.as_dict(),
        "kept": sorted(kept),
        "references": {
            str(n): v for n, v in identity.references(known.samples, kept, recipe.ranges).items()
        },
    }
    item_key = crypto.unseal(source_private_key, bytes(item.sealed_key))
    render_key = crypto.random_key()
    sealed = handoff.seal_for_worker(worker, item_key + render_key)
    with transaction.atomic():
        render = Render.objects.create(
            item=item,
            kind=recipe.kind,
            created_by=user,
            created_hour=hour_now(),
            worker_key=worker,
            sealed_key=crypto.seal(bytes(item.source.public_key), render_key),
            meta=crypto.seal_meta(render_key, meta),
        )
        do_record_custody(user, Action.VIEW, subject_of("item", item.pk), reason="redaction")
        render_id = render.pk
        transaction.on_commit(lambda: _enqueue(render_id, worker, sealed))
    return render


def _enqueue(render_id: int, worker: WorkerKey, sealed: str) -> None:
    from jiandu.redaction.tasks import make_render

    make_render.using(queue_name=worker.queue_name).enqueue(
        render_id=render_id, worker_key_id=worker.pk, sealed_keys=sealed
    )


def do_cancel_render(user: User, render: Render) -> None:
    """Stop a render that has not finished (the worker checks between steps and while the
    tool runs); a finished one is left as it is."""
    _check_member(user)
    Render.objects.filter(
        pk=render.pk, state__in=[Render.State.PENDING, Render.State.RUNNING]
    ).update(cancel_requested=True)
    Render.objects.filter(pk=render.pk, state=Render.State.PENDING).update(
        state=Render.State.CANCELLED, worker_key=None
    )


def do_expire_orphaned_renders() -> int:
    """Mark expired every orphaned render (orphans.orphaned_renders): the studio's sweep
    (tasks.expire_orphaned_renders) and `jiandu serve`'s start, never a page. Returns how
    many."""
    return orphaned_renders().update(state=Render.State.EXPIRED, worker_key=None, seconds_left=None)


def do_make_render(render_id: int, worker_key_id: int, sealed_keys: str) -> str:
    """The task's body, in the worker. Returns the new state (no content). Never raises."""
    render = Render.objects.select_related("item__source").filter(pk=render_id).first()
    if render is None or render.state != Render.State.PENDING or render.item is None:
        return "gone"
    keys = handoff.open_in_worker(worker_key_id, sealed_keys)
    if keys is None or len(keys) != 2 * KEY:
        target = handoff.live_worker_keys().filter(pk=worker_key_id).first()
        if target is not None and handoff.current_worker_key_id() != worker_key_id:
            _enqueue(render_id, target, sealed_keys)
            return "rerouted"
        Render.objects.filter(pk=render_id, state=Render.State.PENDING).update(
            state=Render.State.EXPIRED, worker_key=None
        )
        return Render.State.EXPIRED
    item_key, render_key = keys[:KEY], keys[KEY:]
    try:
        binding.check_source_keys(render.item.source)
    except binding.KeyBindingError:
        Render.objects.filter(pk=render_id).update(state=Render.State.FAILED, worker_key=None)
        return Render.State.FAILED
    meta = crypto.open_meta(render_key, bytes(cast(bytes, render.meta)))  # set at creation
    recipe = parse(meta["recipe"])
    started = Render.objects.filter(pk=render_id, state=Render.State.PENDING).update(
        state=Render.State.RUNNING
    )
    if not started:
        return "gone"
    # The original is decrypted chunk by chunk straight into the sandbox's in-memory file (a
    # multi-GB video is held once, not twice), hashed on the way.
    digest = hashlib.sha256()
    try:
        with vault_storage.open_blob(render.item.blob) as handle:
            plaintext = crypto.PlaintextReader(crypto.decrypt_stream(item_key, handle), digest)
            given = meta.get("references")
            references = {int(n): v for n, v in given.items()} if isinstance(given, dict) else {}
            # A file that reads (io.RawIOBase), what _render hands the sandbox.
            output = _render(recipe, cast(BinaryIO, plaintext), render_id, references)
    except Exception as exc:  # a missing blob, a damaged stream: a reason, never a crash
        logger.error("render %s could not read its original: %s", render_id, type(exc).__name__)
        output = studio.Output(problem=studio.Problem.FAILED)
    meta["original_sha256"] = digest.hexdigest() if output.ok else ""
    return _finish(render_id, worker_key_id, render_key, recipe, meta, output)


def _render(
    recipe: Recipe, plaintext: BinaryIO, render_id: int, references: dict[int, list]
) -> studio.Output:
    if recipe.kind == "image":
        return studio.render_image(recipe, plaintext, references)
    if recipe.kind == "video":
        return studio.render_video(
            recipe, plaintext, _progress_writer(render_id), references=references
        )
    if recipe.kind == "pdf":
        return studio.render_pdf(recipe, plaintext)
    return studio.Output(problem=studio.Problem.UNSUPPORTED)


def _progress_writer(render_id: int, every: float = 1.0):
    """The worker's progress, written to the row at most once a second; False (stop) once
    someone pressed cancel."""
    last = [0.0]

    def write(percent: int, seconds_left: int | None) -> bool:
        now = time.monotonic()
        if now - last[0] < every and percent < 100:
            return True
        last[0] = now
        Render.objects.filter(pk=render_id, state=Render.State.RUNNING).update(
            progress=max(0, min(99, percent)), seconds_left=seconds_left
        )
        return not Render.objects.filter(pk=render_id, cancel_requested=True).exists()

    return write


def _finish(
    render_id: int,
    worker_key_id: int,
    render_key: bytes,
    recipe: Recipe,
    meta: dict,
    output: studio.Output,
) -> str:
    """Store the derivative (encrypted) and the result, unless cancelled or gone meanwhile."""
    if (
        output.problem == studio.Problem.CANCELLED
        or Render.objects.filter(pk=render_id, cancel_requested=True).exists()
    ):
        Render.objects.filter(pk=render_id).update(state=Render.State.CANCELLED, worker_key=None)
        return Render.State.CANCELLED
    blob = None
    digest = ""
    fingerprint = None
    if output.ok:
        blob = storage.write_blob(render_key, output.data)
        digest = hashlib.sha256(output.data).hexdigest()
        zh, en = describe_both(recipe, output.hidden_faces)
        meta.update(
            extension=output.extension,
            content_type=output.content_type,
            width=output.width,
            height=output.height,
            duration=output.duration,
            faces=[list(box) for box in output.faces],
            hidden_faces=output.hidden_faces,
            size=len(output.data),
            treatment_zh=zh,
            treatment_en=en,
            **output.extra,
        )
        meta.update(_numbered(render_id, render_key, meta, output))
        state = Render.State.DONE
        fingerprint = _fingerprint(render_key, output)
    else:
        meta["problem"] = str(output.problem)
        state = Render.State.FAILED
    updated = Render.objects.filter(
        pk=render_id, state=Render.State.RUNNING, worker_key_id=worker_key_id
    ).update(
        state=state,
        progress=100 if state == Render.State.DONE else 0,
        seconds_left=None,
        meta=crypto.seal_meta(render_key, meta),
        blob=blob,
        output_sha256=digest,
        fingerprint=fingerprint,
        worker_key=None,
    )
    if not updated:  # deleted meanwhile: this derivative is nobody's
        storage.remove_blobs([blob, meta.get("thumbs_blob")])
        return "gone"
    return state


def _fingerprint(render_key: bytes, output: studio.Output) -> bytes | None:
    """The derivative's fingerprints, made by the workbench's own sandboxed reader, sealed
    under the render key (None when it has none: a PDF)."""
    import base64

    from jiandu.forensics import fingerprints
    from jiandu.forensics.metadata import analyse_file

    try:
        report = analyse_file(io.BytesIO(output.data), f"render.{output.extension}")
        packed = fingerprints.to_bytes(fingerprints.from_report(report))
    except Exception as exc:  # a reading problem leaves the render unindexed, not failed
        logger.error("render fingerprint failed: %s", type(exc).__name__)
        return None
    return crypto.seal_meta(
        render_key, {"b": base64.b64encode(packed).decode(), "sha256": report.sha256}
    )


def kept_numbers(recipe: Recipe) -> set[int]:
    """The face numbers left visible, as the journalist typed them (the recipe counts from 0)."""
    return {n + 1 for n in recipe.keep}


def _numbered(render_id: int, render_key: bytes, meta: dict, output: studio.Output) -> dict:
    """The render's tracks numbered as the original's earlier renders numbered them
    (identity.number_tracks), their thumbnails stored encrypted under the render key, and the
    kept numbers no face was left visible as (told to the journalist)."""
    known = KnownFaces.from_dict(meta.get("known") or {})
    tracks = [list(map(list, track)) for track in output.samples]
    numbers, merged, next_number = identity.number_tracks(
        tracks, list(output.shown), known.samples, known.next_number
    )
    thumbs: dict[str, str] = {}
    for index, data in enumerate(output.thumbs):
        if data and index < len(numbers) and str(numbers[index]) not in thumbs:
            thumbs[str(numbers[index])] = base64.b64encode(data).decode()
    thumb_of = dict(known.thumb_of)
    blob = None
    if thumbs:
        blob = storage.write_blob(render_key, json.dumps(thumbs).encode())
        thumb_of.update({int(n): render_id for n in thumbs})
    found = {n for n in output.shown if n}
    return {
        "numbers": numbers,
        "known": KnownFaces(merged, next_number, thumb_of).as_dict(),
        "thumbs_blob": blob,
        "kept_missing": sorted(set(meta.get("kept") or ()) - found),
        "shown": list(output.shown),
    }


@dataclass(frozen=True)
class KnownFaces:
    """The face numbers an original's renders have given: where each face was (samples), the
    next free number, and which render holds each number's thumbnail."""

    samples: dict[int, list[list[float]]] = field(default_factory=dict)
    next_number: int = 1
    thumb_of: dict[int, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "samples": {str(n): v for n, v in self.samples.items()},
            "next": self.next_number,
            "thumb_of": {str(n): r for n, r in self.thumb_of.items()},
        }

    @classmethod
    def from_dict(cls, data: dict) -> KnownFaces:
        return cls(
            {int(n): v for n, v in (data.get("samples") or {}).items()},
            int(data.get("next") or 1),
            {int(n): int(r) for n, r in (data.get("thumb_of") or {}).items()},
        )


def get_known_faces(source_private_key: bytes, item: Item) -> KnownFaces:
    """The face numbers of the item's latest finished render (each render carries all the
    numbers given before it); none before the first render."""
    for render in Render.objects.filter(item=item, state=Render.State.DONE).order_by("-pk")[:20]:
        opened = open_render(source_private_key, render)
        if opened is not None and "numbers" in opened.meta:
            return KnownFaces.from_dict(opened.meta.get("known") or {})
    return KnownFaces()


@dataclass
class OpenRender:
    """A render opened with the source key: its recipe, what it did, its bytes on demand."""

    render: Render
    key: bytes
    meta: dict

    @property
    def recipe(self) -> Recipe:
        return parse(self.meta["recipe"])

    @property
    def content_type(self) -> str:
        return str(self.meta.get("content_type", ""))

    @property
    def faces(self) -> list[list[float]]:
        return [list(box) for box in self.meta.get("faces", [])]

    @property
    def treatment(self) -> dict[str, str]:
        """What was done to the original, as the {"zh", "en"} pair made when it finished."""
        return {
            "zh": str(self.meta.get("treatment_zh", "")),
            "en": str(self.meta.get("treatment_en", "")),
        }

    @property
    def problem(self) -> str:
        return str(self.meta.get("problem", ""))

    def data(self) -> bytes:
        if not self.render.blob:
            return b""
        return b"".join(storage.read_blob(self.key, self.render.blob))

    @property
    def numbers(self) -> list[int]:
        """Each track's (or an image's each face's) number: what the journalist types."""
        return [int(n) for n in self.meta.get("numbers") or []]

    @property
    def kept_missing(self) -> list[int]:
        return [int(n) for n in self.meta.get("kept_missing") or []]

    def thumbnail(self, number: int) -> bytes:
        """The WebP thumbnail of one face number made by this render (b"" if none)."""
        name = self.meta.get("thumbs_blob")
        if not name:
            return b""
        thumbs = json.loads(b"".join(storage.read_blob(self.key, str(name))))
        return base64.b64decode(thumbs.get(str(number), ""))


def open_render(source_private_key: bytes, render: Render) -> OpenRender | None:
    """Open a render's record and derivative; None when it has no key (newsroom-made)."""
    if render.sealed_key is None or render.meta is None:
        return None
    key = crypto.unseal(source_private_key, bytes(render.sealed_key))
    return OpenRender(render=render, key=key, meta=crypto.open_meta(key, bytes(render.meta)))


def do_view_derivative(user: User, source_private_key: bytes, render: Render) -> OpenRender | None:
    """A finished render opened for a member to look at, written to the custody log like any
    other look at what came from a source: a derivative is still that source's evidence until it
    is published. None when there is nothing finished to show."""
    opened = open_render(source_private_key, render)
    if opened is None or render.state != Render.State.DONE or render.item_id is None:
        return None
    do_record_custody(
        user, Action.VIEW, subject_of("item", render.item_id), reason="redaction derivative"
    )
    return opened


def do_view_face_thumbnail(
    user: User, source_private_key: bytes, render: Render, number: int
) -> bytes:
    """One face's thumbnail from a finished render, for a member choosing which face to leave
    visible: a crop of the source's evidence, so each look is written to the custody log like
    a look at the derivative. Empty when the render has none for that number."""
    opened = open_render(source_private_key, render)
    if opened is None or render.state != Render.State.DONE or render.item_id is None:
        return b""
    data = opened.thumbnail(number)
    if data:
        do_record_custody(
            user, Action.VIEW, subject_of("item", render.item_id), reason="redaction face"
        )
    return data


def derivative_of(opened: OpenRender) -> Derivative:
    """The render as the case desk takes it (its bytes checked there against the record)."""
    render = opened.render
    return Derivative(
        reference=render.reference,
        original=f"item:{render.item_id}" if render.item_id else "",
        data=opened.data(),
        treatment_zh=opened.treatment["zh"],
        treatment_en=opened.treatment["en"],
        content_type=opened.content_type,
        width=int(opened.meta.get("width", 0)),
        height=int(opened.meta.get("height", 0)),
        provenance=provenance(opened.recipe, opened.meta),
    )


def provenance(recipe: Recipe, meta: dict) -> dict:
    """What the Content Credentials declare (credentials.actions_for): facts, no content."""
    clip = ", ".join(f"{clock(a)}-{clock(b)}" for a, b in recipe.ranges)
    return {
        "original_sha256": str(meta.get("original_sha256", "")),
        "hidden_faces": int(meta.get("hidden_faces", 0)),
        "regions": sum(1 for box in recipe.boxes if box.on) + int(meta.get("found", 0)),
        "cropped": bool(recipe.crop),
        "clip": clip if recipe.kind == "video" else "",
        "audio": recipe.audio if recipe.kind == "video" else "",
    }


def do_publish_evidence(
    case: Case,
    actor: User,
    derivative: Derivative,
    verification_status: str,
    *,
    caption_zh: str = "",
    caption_en: str = "",
    verification_note: str = "",
) -> PublishedEvidence:
    """Publish a render of this studio as evidence of `case`: the one door through which a
    file reaches the public site, one action in order (docs/architecture.md, "How a
    publication flows").

    1. Only a finished render record is accepted (`records.is_render_record`: the record
       exists, is done, names this original and produced exactly these bytes); an upload, a
       stream or bytes no render made are refused.
    2. The case desk prepares the bytes (`cases.evidence.prepare_evidence`: an image is
       re-encoded in the sandbox), outside any transaction: SQLite holds its one write lock
       for a whole transaction, and every other writer would wait for the decoder.
    3. The newsroom signs the Content Credentials (`records.add_credentials`) and, for a
       video, the poster is made from the signed bytes (sandboxed too).
    4. One `transaction.atomic()`: the case desk attaches the evidence
       (`cases.evidence.do_attach_evidence`, which records the edit for review) and the
       custody log records the export of the original item, together or not at all.

    The file goes public with the case's next published revision, after a second editor's
    review like every other change.
    """
    if not actor.has_perm("accounts.publish_cases"):
        raise PermissionDenied
    if not isinstance(derivative, Derivative) or not records.is_render_record(derivative):
        raise EvidenceError(_("Only a render of the redaction studio can be published."))
    status = case_desk.checked_status(derivative.original, verification_status)
    prepared = case_desk.prepare_evidence(derivative)
    signed, credentials = records.add_credentials(derivative, prepared.data, prepared.content_type)
    prepared = replace(prepared, data=signed)
    poster = b""
    if prepared.content_type in case_desk.VIDEO_TYPES:
        poster = case_desk.video_poster(prepared.data)
    with transaction.atomic():
        evidence = case_desk.do_attach_evidence(
            case,
            actor,
            derivative,
            prepared,
            status,
            caption_zh=caption_zh,
            caption_en=caption_en,
            verification_note=verification_note,
            credentials=credentials,
            poster=poster,
        )
        if derivative.original.startswith("item:"):
            do_record_custody(
                actor, Action.EXPORT, derivative.original, reason="published derivative"
            )
    return evidence


def do_publish_render(
    user: User,
    source_private_key: bytes,
    render: Render,
    case: Case,
    *,
    caption_zh: str = "",
    caption_en: str = "",
    verification_note: str = "",
) -> PublishedEvidence:
    """Attach a finished render to a case (public with the case's next reviewed revision).

    The derivative is decrypted here with the source key in the member's session, then goes
    through `do_publish_evidence` like any render, which re-checks it against this record
    and records the export of the item it was made from in the same transaction.
    """
    if render.state != Render.State.DONE:
        raise PermissionDenied
    opened = open_render(source_private_key, render)
    if opened is None:
        raise PermissionDenied
    return do_publish_evidence(
        case,
        user,
        derivative_of(opened),
        "unverified",
        caption_zh=caption_zh,
        caption_en=caption_en,
        verification_note=verification_note,
    )


def do_render_newsroom_image(user: User, data: bytes, recipe: Recipe) -> Derivative:
    """Render an image the newsroom made itself (the demo's generated frame), at once, in the
    sandbox like any file. The record keeps no key: the derivative exists only in the answer,
    for publishing in the same breath. Never for a source's file (those go through
    `do_request_render`, encrypted)."""
    if not user.has_perm("accounts.publish_cases"):
        raise PermissionDenied
    output = studio.render_image(recipe, io.BytesIO(data))
    if not output.ok:
        raise ValueError(f"the render failed: {output.problem}")
    zh, en = describe_both(recipe, output.hidden_faces)
    render = Render.objects.create(
        kind=Render.Kind.IMAGE,
        state=Render.State.DONE,
        progress=100,
        created_by=user,
        created_hour=hour_now(),
        output_sha256=hashlib.sha256(output.data).hexdigest(),
    )
    facts = {
        "original_sha256": hashlib.sha256(data).hexdigest(),
        "hidden_faces": output.hidden_faces,
    }
    return Derivative(render.reference, "", output.data, zh, en, provenance=facts)


PREVIEW_EDGE = 640  # the live preview's longest side: enough to judge a blur, quick to make
# The live preview decrypts the original in the web process, chunk by chunk into the sandbox's
# memory file: not a feature-length video (the studio's renders, made by the worker, take up
# to studio.VIDEO_MAX_BYTES).
PREVIEW_MAX_BYTES = 256 * 1024 * 1024
# A preview still puts its original in RAM (the memfd) and holds a thread while it is made:
# one at a time per member, across processes (the shared cache). The lock outlives a process
# that died holding it by a minute at most after the preview's own time limit.
PREVIEW_LOCK_SECONDS = studio.PREVIEW_SECONDS + 60


class PreviewBusy(Exception):
    """The member already has a live preview being made."""


@contextmanager
def one_preview_per_member(user: User) -> Iterator[None]:
    """Hold the member's one live-preview slot, or raise PreviewBusy."""
    key = f"jiandu:redaction:preview:{user.pk}"
    if not cache.add(key, 1, timeout=PREVIEW_LOCK_SECONDS):
        raise PreviewBusy
    try:
        yield
    finally:
        cache.delete(key)


@dataclass(frozen=True)
class PreviewFace:
    """A face in a live preview: its number (0 when no render has numbered it yet), where it
    is (fractions x, y, w, h), and whether it is left visible."""

    number: int
    box: tuple[float, float, float, float]
    visible: bool


def do_preview_frame(
    user: User, source_private_key: bytes, item: Item, recipe: Recipe, at: float
) -> tuple[bytes, list[PreviewFace]]:
    """One frame with the recipe's regions hidden, as WebP, for the studio's live preview: a
    video's frame at `at` seconds, or the image. Made at once in the sandbox like a still
    (faces found at full resolution, the boxes that apply at that moment), stored nowhere, and
    recorded in the custody log as a preview of the item, with each face's number (the one
    the renders gave it: the face at the same place at that moment). Empty when it could not
    be made, or
    when the original is over PREVIEW_MAX_BYTES (render a still instead). PreviewBusy when
    the member already has one being made (one_preview_per_member).

    The caller has checked the member's access (access_item_for_workbench); the original is
    decrypted in memory only, as for the workbench's previews."""
    if item.kind != Item.Kind.FILE or recipe.kind not in ("image", "video"):
        raise ValueError("Only images and videos have a frame preview.")
    still = {**recipe.as_dict(), "kind": "image", "format": "webp", "edge": PREVIEW_EDGE}
    still.update(crop=None, ranges=[], audio="keep", stills=[at] if recipe.kind == "video" else [])
    known = get_known_faces(source_private_key, item)
    moment = at if recipe.kind == "video" else 0.0
    references = identity.references(known.samples, kept_numbers(recipe), [(moment, moment)])
    item_key = crypto.unseal(source_private_key, bytes(item.sealed_key))
    with one_preview_per_member(user):
        do_record_custody(
            user, Action.PREVIEW, subject_of("item", item.pk), reason="redaction preview"
        )
        with vault_storage.open_blob(item.blob) as handle:
            plaintext = crypto.decrypt_stream(item_key, handle)
            output = studio.render_preview(parse(still), plaintext, PREVIEW_MAX_BYTES, references)
    if not output.ok or output.content_type != "image/webp":
        return b"", []
    corners = [(x, y, x + w, y + h) for x, y, w, h in output.faces]
    numbers = identity.match_moment(corners, known.samples, moment)
    faces = [
        PreviewFace(shown or number or 0, box, bool(shown))
        for box, shown, number in zip(output.faces, output.shown, numbers, strict=True)
    ]
    return output.data, faces


def do_mark_renders_seen(user: User, render_ids: list[int] | None = None) -> int:
    """The member has looked at their finished renders (these, or all of them): they leave the
    count of renders finished on the newsroom home. Only a POST calls this, never a GET, and only
    the member's own renders change. No custody record: nothing of a source is opened here (the
    render page's derivative records its own view). Returns how many were marked."""
    from jiandu.redaction.waiting import FINISHED_FOR_THE_ASKER

    with transaction.atomic():
        rows = Render.objects.filter(created_by=user, seen=False, state__in=FINISHED_FOR_THE_ASKER)
        if render_ids is not None:
            rows = rows.filter(pk__in=render_ids)
        return rows.update(seen=True)
