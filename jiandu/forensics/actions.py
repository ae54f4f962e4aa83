"""Every write about previews: requesting one, making it in the worker, retiring a worker.

A preview is requested by a signed-in journalist (whose session holds the source key), made by
the worker with the one item key handed to it (handoff.py), and stored encrypted under its own
random key sealed to the source's newsroom-side public key, so exactly the members who can open
the source can open its previews.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from jiandu.accounts.models import User
from jiandu.forensics import handoff, storage
from jiandu.forensics.models import Preview, WorkerKey
from jiandu.forensics.previews import Kind, Problem, make_preview, sniff_kind
from jiandu.ledger.actions import do_record_custody, subject_of
from jiandu.ledger.models import Action
from jiandu.vault import binding, crypto
from jiandu.vault import storage as vault_storage
from jiandu.vault.models import Item

logger = logging.getLogger(__name__)


class NoWorker(Exception):
    """No worker process is running to make previews."""


def hour_now():
    return timezone.now().replace(minute=0, second=0, microsecond=0)


def do_request_preview(user: User, source_private_key: bytes, item: Item) -> Preview:
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
                and handoff.live_worker_keys().filter(pk=preview.worker_key_id).exists()
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
        do_record_custody(user, Action.PREVIEW, subject_of("item", item.pk))
        transaction.on_commit(lambda: storage.remove_blobs([old_blob]))
        transaction.on_commit(lambda: _enqueue(preview.pk, worker, sealed))
    return preview


def _enqueue(preview_id: int, worker: WorkerKey, sealed: str) -> None:
    from jiandu.forensics.tasks import make_item_preview

    make_item_preview.using(queue_name=worker.queue_name).enqueue(
        preview_id=preview_id, worker_key_id=worker.pk, sealed_item_key=sealed
    )


class _Plaintext(io.RawIOBase):
    """A read-only file over the decrypting generator, so the sandbox can read it in pieces."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            self._pending = next(self._chunks, b"")
            if not self._pending:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


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
            reader = io.BufferedReader(_Plaintext(crypto.decrypt_stream(item_key, handle)))
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
    meta: dict[str, object]

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
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another task backend keeps its own queue
        return
    DBTaskResult.objects.filter(queue_name__in=queue_names).delete()


def do_clean_preview_leftovers() -> int:
    known = set(Preview.objects.exclude(blob=None).values_list("blob", flat=True))
    return storage.clean_leftovers(known)
