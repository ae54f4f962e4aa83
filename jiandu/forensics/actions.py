"""Every write about previews: requesting one, making it in the worker, retiring a worker.

A preview is requested by a signed-in journalist (whose session holds the source key), made by
the worker with the one item key handed to it (handoff.py), and stored encrypted under its own
random key sealed to the source's newsroom-side public key, so exactly the members who can open
the source can open its previews.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jiandu.accounts.models import User
from jiandu.conf import hour_now
from jiandu.core import taskqueue
from jiandu.forensics import handoff, storage
from jiandu.forensics.models import Analysis, Preview, WorkerKey
from jiandu.forensics.previews import Kind, Problem, make_preview, sniff_kind
from jiandu.ledger.actions import do_record_custody, subject_of
from jiandu.ledger.models import Action
from jiandu.vault import binding, crypto
from jiandu.vault import storage as vault_storage
from jiandu.vault.models import Item

logger = logging.getLogger(__name__)


class NoWorker(Exception):
    """No worker process is running to make previews."""


def do_request_preview(
    user: User, source_private_key: bytes, item: Item, *, reason: str = ""
) -> Preview:
    """Ask the worker for the preview of one file (again, if it failed or expired).

    Opens the item key with the source key from the member's session and seals it to the
    worker's in-memory key; the task is queued after the commit, on that worker's own queue.
    Raises NoWorker when no worker runs (nothing is written then).
    """
    if item.kind != Item.Kind.FILE:
        raise ValueError("Only files have previews.")
    worker = handoff.target_worker_key()
    if worker is None:
        raise NoWorker
    item_key = crypto.unseal(source_private_key, item.sealed_key)
    sealed = handoff.seal_for_worker(worker, item_key)
    with transaction.atomic():
        preview, created = Preview.objects.select_for_update().get_or_create(
            item=item,
            defaults={"requested_by": user, "requested_hour": hour_now(), "worker_key": worker},
        )
        if not created and (
            preview.state == Preview.State.READY
            or (
                preview.state == Preview.State.PENDING
                and handoff.live_worker_keys().filter(pk=preview.worker_key_id).exists()  # type: ignore[misc]  # pk=None matches no row
            )
        ):
            return preview  # already made, or on its way
        old_blob = preview.blob
        if not created:
            Preview.objects.filter(pk=preview.pk).update(
                state=Preview.State.PENDING,
                requested_by=user,
                requested_hour=hour_now(),
                worker_key=worker,
                sealed_key=None,
                meta=None,
                blob=None,
            )
            preview.refresh_from_db()
        do_record_custody(user, Action.PREVIEW, subject_of("item", item.pk), reason=reason)
        transaction.on_commit(lambda: storage.remove_blobs([old_blob]))
        transaction.on_commit(lambda: _enqueue(preview.pk, worker, sealed))
    return preview


def _enqueue(preview_id: int, worker: WorkerKey, sealed: str) -> None:
    from jiandu.forensics.tasks import make_item_preview

    make_item_preview.using(queue_name=worker.queue_name).enqueue(
        preview_id=preview_id, worker_key_id=worker.pk, sealed_item_key=sealed
    )


def do_make_preview(preview_id: int, worker_key_id: int, sealed_item_key: str) -> str:
    """The task's body, in the worker. Returns the new state (stored by the queue: no content).

    Never raises: whatever the file does, the row ends ready, failed or expired.
    """
    preview = Preview.objects.select_related("item__source").filter(pk=preview_id).first()
    if preview is None or preview.state != Preview.State.PENDING:
        return "gone"
    item_key = handoff.open_in_worker(worker_key_id, sealed_item_key)
    if item_key is None:
        target = handoff.live_worker_keys().filter(pk=worker_key_id).first()
        if target is not None and handoff.current_worker_key_id() != worker_key_id:
            # Picked up by another worker (one that serves every queue): send it on.
            _enqueue(preview_id, target, sealed_item_key)
            return "rerouted"
        Preview.objects.filter(pk=preview_id, state=Preview.State.PENDING).update(
            state=Preview.State.EXPIRED, worker_key=None
        )
        return Preview.State.EXPIRED
    try:  # the preview key is sealed to the source's public key: only one the server wrote
        binding.check_source_keys(preview.item.source)
    except binding.KeyBindingError:  # logged by binding, with the row id only
        Preview.objects.filter(pk=preview_id, state=Preview.State.PENDING).update(
            state=Preview.State.FAILED, worker_key=None
        )
        return Preview.State.FAILED
    try:
        with vault_storage.open_blob(preview.item.blob) as handle:
            reader = io.BufferedReader(
                crypto.PlaintextReader(crypto.decrypt_stream(item_key, handle))
            )
            kind = sniff_kind(reader.peek(512)[:512])
            result = make_preview(kind, reader) if kind else None
    except Exception as exc:  # a missing blob, a damaged stream: a reason, never a crash
        logger.error("preview %s could not read its file: %s", preview_id, type(exc).__name__)
        result = None
        kind = None
    preview_key = crypto.random_key()
    meta: dict[str, object] = {"kind": str(kind) if kind else ""}
    blob = None
    if result is not None and result.ok:
        blob = storage.write_blob(preview_key, result.parts)
        meta.update(content_type=result.content_type, sizes=[len(p) for p in result.parts])
        state = Preview.State.READY
    else:
        problem = result.problem if result is not None else Problem.UNSUPPORTED
        meta["problem"] = str(problem)
        state = Preview.State.FAILED
    updated = Preview.objects.filter(
        pk=preview_id, state=Preview.State.PENDING, worker_key_id=worker_key_id
    ).update(
        state=state,
        sealed_key=crypto.seal(bytes(preview.item.source.public_key), preview_key),
        meta=crypto.seal_meta(preview_key, meta),
        blob=blob,
    )
    if not updated:  # deleted or asked again meanwhile: this result is nobody's
        storage.remove_blobs([blob])
        return "gone"
    return state


@dataclass
class OpenPreview:
    """A preview opened with the source key: what it is, and its parts on demand."""

    preview: Preview
    key: bytes
    meta: dict[str, Any]

    @property
    def content_type(self) -> str:
        return str(self.meta.get("content_type", ""))

    @property
    def sizes(self) -> list[int]:
        return [int(size) for size in self.meta.get("sizes", [])]

    @property
    def problem(self) -> Problem | None:
        code = self.meta.get("problem")
        return Problem(code) if code else None

    @property
    def kind(self) -> Kind | None:
        return Kind(self.meta["kind"]) if self.meta.get("kind") else None

    def stream(self) -> Iterator[bytes]:
        """Every part, decrypted chunk by chunk."""
        if not self.preview.blob:
            return
        with storage.open_blob(self.preview.blob) as handle:
            yield from crypto.decrypt_stream(self.key, handle)

    def part(self, index: int) -> bytes:
        """One part (a PDF page) whole: pages are small."""
        sizes = self.sizes
        if not 0 <= index < len(sizes):
            raise IndexError(index)
        start = sum(sizes[:index])
        data = b"".join(self.stream())
        return data[start : start + sizes[index]]


def open_preview(source_private_key: bytes, preview: Preview) -> OpenPreview | None:
    """Open a finished preview; None while it is pending or expired."""
    if preview.sealed_key is None or preview.meta is None:
        return None
    key = crypto.unseal(source_private_key, bytes(preview.sealed_key))
    return OpenPreview(preview=preview, key=key, meta=crypto.open_meta(key, bytes(preview.meta)))


def do_retire_worker(worker_key_id: int | None) -> None:
    """When a worker stops: its pending previews expire and its queue's rows go (they hold
    item keys sealed to a key that no longer exists)."""
    if worker_key_id is None:
        return
    Preview.objects.filter(worker_key_id=worker_key_id, state=Preview.State.PENDING).update(
        state=Preview.State.EXPIRED, worker_key=None
    )
    from jiandu.forensics.models import Analysis

    Analysis.objects.filter(worker_key_id=worker_key_id, state=Analysis.State.PENDING).update(
        state=Analysis.State.EXPIRED, worker_key=None
    )
    _drop_queue_rows([f"preview-{worker_key_id}"])
    WorkerKey.objects.filter(pk=worker_key_id).delete()


def do_expire_stale_workers() -> int:
    """Retire workers that stopped without saying so (killed, machine off). Returns how many."""
    stale = list(
        WorkerKey.objects.filter(seen__lt=timezone.now() - handoff.STALE).values_list(
            "pk", flat=True
        )
    )
    for worker_key_id in stale:
        do_retire_worker(worker_key_id)
    return len(stale)


def _drop_queue_rows(queue_names: list[str]) -> None:
    for queue_name in queue_names:
        taskqueue.drop_queue(queue_name)


def do_clean_preview_leftovers() -> int:
    known = cast(  # blob=None excluded
        "set[str]", set(Preview.objects.exclude(blob=None).values_list("blob", flat=True))
    )
    return storage.clean_leftovers(known)


# ---- the authentication workbench: analyses and the verification checklist ------------------

# Items handed to the worker per call (sign-in, a newsroom page): the rest follow next time.
ANALYSIS_BATCH = 200


def _with_source_keys(
    user: User, member_private_key: bytes, items: list[Item]
) -> Iterator[tuple[Item, bytes]]:
    """Each item with its source's private key, opened once per source from this member's
    grant; an item whose grant is gone or does not open is passed over (the next sign-in,
    or a colleague's, hands it)."""
    from jiandu.vault.models import SourceGrant

    source_keys: dict[int, bytes | None] = {}
    for item in items:
        if item.source_id not in source_keys:
            grant = SourceGrant.objects.filter(
                source_id=item.source_id, member_key__user=user
            ).first()
            try:
                source_keys[item.source_id] = (
                    crypto.unseal(member_private_key, bytes(grant.sealed_private_key))
                    if grant is not None
                    else None
                )
            except crypto.VaultCryptoError:
                source_keys[item.source_id] = None
        source_key = source_keys[item.source_id]
        if source_key is not None:
            yield item, source_key


def do_request_analyses(user: User, member_private_key: bytes) -> int:
    """Hand the worker every file this member can read that has no analysis yet (or whose
    worker stopped first), so analysis runs without anyone clicking.

    Called at sign-in (once the member key is unlocked) and by the inbox's hand-off form (a
    POST) as items arrive. For each item, its key is opened with the member's source key and sealed
    to the worker's in-memory key (handoff.py, the same path as previews); the queue and the
    database never see it in the clear. Returns how many were handed over (0 when no worker
    runs: they wait for the next call). The custody log records each hand-over.
    """
    from jiandu.forensics.models import Analysis

    waiting = _analyses_wanted(user)
    if not waiting:
        return 0
    worker = handoff.target_worker_key()
    if worker is None:
        return 0
    handed = 0
    for item, source_key in _with_source_keys(user, member_private_key, waiting):
        try:
            item_key = crypto.unseal(source_key, bytes(item.sealed_key))
        except crypto.VaultCryptoError:
            continue
        sealed = handoff.seal_for_worker(worker, item_key)
        with transaction.atomic():
            analysis, _created = Analysis.objects.select_for_update().get_or_create(
                item=item,
                defaults={"requested_by": user, "requested_hour": hour_now(), "worker_key": worker},
            )
            Analysis.objects.filter(pk=analysis.pk).update(
                state=Analysis.State.PENDING,
                requested_by=user,
                requested_hour=hour_now(),
                worker_key=worker,
            )
            do_record_custody(
                user, Action.VIEW, subject_of("item", item.pk), reason="automatic analysis"
            )
            analysis_id = analysis.pk
            transaction.on_commit(
                lambda analysis_id=analysis_id, sealed=sealed: _enqueue_analysis(  # type: ignore[misc]  # defaults bind the loop's values
                    analysis_id, worker, sealed
                )
            )
        handed += 1
    return handed


def _analyses_wanted(user: User) -> list[Item]:
    """Files this member can read with no analysis yet, or whose pending analysis lost its
    worker (it is handed again); one batch of each."""
    from jiandu.forensics.models import Analysis

    if not user.has_perm("accounts.read_submissions"):
        return []
    mine = Item.objects.filter(kind=Item.Kind.FILE, source__grants__member_key__user=user)
    waiting = list(
        mine.exclude(analysis__state__in=[Analysis.State.PENDING, Analysis.State.DONE])
        .select_related("source")
        .order_by("pk")[:ANALYSIS_BATCH]
    )
    waiting += list(
        mine.filter(analysis__state=Analysis.State.PENDING)
        .exclude(analysis__worker_key__in=handoff.live_worker_keys())
        .select_related("source")
        .order_by("pk")[:ANALYSIS_BATCH]
    )
    return waiting


def _previews_wanted(user: User) -> list[Item]:
    """Files this member can read with no preview yet, or an expired one, or a pending one
    whose worker stopped; one batch of each."""
    if not user.has_perm("accounts.read_submissions"):
        return []
    mine = Item.objects.filter(kind=Item.Kind.FILE, source__grants__member_key__user=user)
    live = handoff.live_worker_keys()
    waiting = list(
        mine.filter(preview__isnull=True).select_related("source").order_by("pk")[:ANALYSIS_BATCH]
    )
    waiting += list(
        mine.filter(
            Q(preview__state=Preview.State.EXPIRED)
            | (Q(preview__state=Preview.State.PENDING) & ~Q(preview__worker_key__in=live))
        )
        .select_related("source")
        .order_by("pk")[:ANALYSIS_BATCH]
    )
    return waiting


def count_files_to_hand(user: User) -> int:
    """How many files wait for the worker (analysis or preview) that this member could hand
    over now (`do_hand_new_files`); 0 when no worker runs. A read, for the inbox's notice and
    the form that posts the hand-off (issue 20, item 6: a GET hands nothing)."""
    if handoff.target_worker_key() is None:
        return 0
    return len({item.pk for item in _analyses_wanted(user) + _previews_wanted(user)})


def do_request_previews(user: User, member_private_key: bytes) -> int:
    """Hand the worker every file this member can read that has no preview yet (or whose
    worker stopped first), so previews are made without anyone clicking, as analyses are.

    The same path as `do_request_analyses`: called at sign-in and by the inbox's hand-off
    form; each item key is opened with the member's source key and sealed to the worker's
    in-memory key (handoff.py), never stored or queued in the clear. A preview that failed is
    not asked again (the source page's button does that). Returns how many were handed over
    (0 when no worker runs: they wait for the next call). Each hand-over is in the custody log
    as a preview, like one asked for by hand."""

    waiting = _previews_wanted(user)
    if not waiting:
        return 0
    worker = handoff.target_worker_key()
    if worker is None:
        return 0
    handed = 0
    for item, source_key in _with_source_keys(user, member_private_key, waiting):
        try:
            do_request_preview(user, source_key, item, reason="automatic preview")
        except crypto.VaultCryptoError:
            continue
        handed += 1
    return handed


def do_hand_new_files(user: User, member_private_key: bytes) -> int:
    """Everything the worker does for new files: analysis and preview. Called at sign-in (the
    sign-in flow, newsroom.actions.do_open_session) and by the inbox's hand-off form (a POST,
    sent by the page's script as soon as it loads, or by hand). Returns the hand-overs."""
    return do_request_analyses(user, member_private_key) + do_request_previews(
        user, member_private_key
    )


def _enqueue_analysis(analysis_id: int, worker: WorkerKey, sealed: str) -> None:
    from jiandu.forensics.tasks import analyse_item

    analyse_item.using(queue_name=worker.queue_name).enqueue(
        analysis_id=analysis_id, worker_key_id=worker.pk, sealed_item_key=sealed
    )


def do_analyse_item(analysis_id: int, worker_key_id: int, sealed_item_key: str) -> str:
    """The task's body, in the worker: type, metadata, fingerprints, contact sheet or
    waveform, all encrypted under a new key sealed to the source's public key. Never raises:
    a file that cannot be analysed gets a report that says why (and is kept as it was)."""
    from jiandu.forensics import fingerprints
    from jiandu.forensics.metadata import FileReport, analyse_file
    from jiandu.forensics.models import Analysis

    analysis = Analysis.objects.select_related("item__source").filter(pk=analysis_id).first()
    if analysis is None or analysis.state != Analysis.State.PENDING:
        return "gone"
    item_key = handoff.open_in_worker(worker_key_id, sealed_item_key)
    if item_key is None:
        target = handoff.live_worker_keys().filter(pk=worker_key_id).first()
        if target is not None and handoff.current_worker_key_id() != worker_key_id:
            _enqueue_analysis(analysis_id, target, sealed_item_key)
            return "rerouted"
        Analysis.objects.filter(pk=analysis_id, state=Analysis.State.PENDING).update(
            state=Analysis.State.EXPIRED, worker_key=None
        )
        return Analysis.State.EXPIRED
    item = analysis.item
    try:
        name = str(crypto.open_meta(item_key, bytes(item.meta)).get("name", ""))
        with vault_storage.open_blob(item.blob) as handle:
            reader = io.BufferedReader(
                crypto.PlaintextReader(crypto.decrypt_stream(item_key, handle))
            )
            report = analyse_file(reader, name, text=True)
    except Exception as exc:  # a missing blob, a damaged stream: a reason, never a crash
        logger.error("analysis %s could not read its file: %s", analysis_id, type(exc).__name__)
        from jiandu.forensics.detect import Detected, Family

        report = FileReport("", 0, Detected("unknown", Family.UNKNOWN, "", False, False))
        report.problem = Problem.FAILED
    key = crypto.random_key()
    fingerprint = fingerprints.from_report(report)
    updated = Analysis.objects.filter(
        pk=analysis_id, state=Analysis.State.PENDING, worker_key_id=worker_key_id
    ).update(
        state=Analysis.State.DONE,
        sealed_key=crypto.seal(bytes(item.source.public_key), key),
        report=crypto.seal_meta(key, report.as_dict()),
        fingerprint=crypto.seal_meta(
            key, {"b": base64.b64encode(fingerprints.to_bytes(fingerprint)).decode()}
        ),
        media=crypto.seal_meta(key, {"sheet": report.sheet, "waveform": report.waveform}),
    )
    return Analysis.State.DONE if updated else "gone"


@dataclass
class OpenAnalysis:
    """An analysis opened with the source key."""

    analysis: Analysis
    key: bytes

    def report(self):
        from jiandu.forensics.metadata import FileReport

        return FileReport.from_dict(
            crypto.open_meta(self.key, bytes(cast(bytes, self.analysis.report)))
        )

    def fingerprint(self):
        from jiandu.forensics import fingerprints

        data = crypto.open_meta(self.key, bytes(cast(bytes, self.analysis.fingerprint)))
        sha = self.report().sha256
        return fingerprints.from_bytes(sha, base64.b64decode(cast(str, data["b"])))

    def media(self) -> dict[str, str]:
        media = crypto.open_meta(self.key, bytes(cast(bytes, self.analysis.media)))
        return {str(k): str(v) for k, v in media.items()}


def open_analysis(source_private_key: bytes, analysis) -> OpenAnalysis | None:
    """Open a finished analysis; None while it is pending or expired."""
    if analysis.sealed_key is None or analysis.report is None:
        return None
    key = crypto.unseal(source_private_key, bytes(analysis.sealed_key))
    return OpenAnalysis(analysis=analysis, key=key)


def do_record_check(user: User, item: Item, topic: str, outcome: str, note: str) -> object:
    """Add one checklist entry (who, when, what, a note sealed to the source's public key) and
    its custody record, in one transaction. The item's derived status follows from the entries
    (checklist.derived_status)."""
    from jiandu.forensics.models import CheckEntry

    if topic not in CheckEntry.Topic.values or outcome not in CheckEntry.Outcome.values:
        raise ValueError("Unknown checklist topic or outcome.")
    if not user.has_perm("accounts.read_submissions"):
        raise PermissionError
    with transaction.atomic():
        entry = CheckEntry.objects.create(
            item=item,
            topic=topic,
            outcome=outcome,
            author=user,
            created=timezone.now(),
            sealed_note=crypto.seal(bytes(item.source.public_key), note.strip()[:4000].encode()),
        )
        do_record_custody(
            user,
            Action.STATUS,
            subject_of("item", item.pk),
            reason=f"checklist {topic}: {outcome}",
        )
        transaction.on_commit(lambda: _announce_status(item.pk))
    return entry


def _announce_status(item_id: int) -> None:
    from jiandu.forensics.checklist import get_verification_status
    from jiandu.forensics.models import CheckEntry
    from jiandu.forensics.signals import verification_changed

    verification_changed.send(
        sender=CheckEntry, item_id=item_id, status=get_verification_status(item_id)
    )


def do_fingerprint_published(reference: str, storage_name: str) -> str:
    """Fingerprint one published derivative (a public file in the media storage), read in the
    sandbox like any file, so "have we published this before?" finds it. Returns the state."""
    from django.core.files.storage import default_storage

    from jiandu.forensics import fingerprints
    from jiandu.forensics.metadata import analyse_file
    from jiandu.forensics.models import PublishedFingerprint

    try:
        with default_storage.open(storage_name, "rb") as handle:
            report = analyse_file(cast(BinaryIO, handle), storage_name)
    except OSError:
        return "missing"
    fingerprint = fingerprints.from_report(report)
    PublishedFingerprint.objects.update_or_create(
        reference=reference,
        defaults={
            "sha256": report.sha256,
            "fingerprint": fingerprints.to_bytes(fingerprint),
            "created": timezone.now(),
        },
    )
    return "done"


def do_request_published_fingerprint(reference: str, storage_name: str) -> None:
    """Called by the room that publishes (cases), inside its transaction: the fingerprint is
    made in the background after the commit."""
    from jiandu.forensics.tasks import fingerprint_published

    transaction.on_commit(
        lambda: fingerprint_published.enqueue(reference=reference, storage_name=storage_name)
    )


def do_record_text_search(user: User, item_ids: list[int]) -> None:
    """A text search shows words of the files it finds: a view of each of them, in the
    custody log (the query itself is not written: it may be a source's name)."""
    with transaction.atomic():
        for item_id in sorted(set(item_ids)):
            do_record_custody(
                user, Action.VIEW, subject_of("item", item_id), reason="workbench text search"
            )


def do_view_analysis(user: User, item: Item) -> None:
    """Opening an item's authentication report is a view of the evidence: custody log."""
    do_record_custody(user, Action.VIEW, subject_of("item", item.pk), reason="workbench report")
