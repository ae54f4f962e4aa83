"""Handing one item key from a journalist's request to the worker, and to nothing else.

The worker that makes previews must decrypt a file, but it holds no member key, no grant and no
source key, and the queue and the database must never hold a key it could use after the fact.
So each worker process makes an X25519 key pair when it starts and keeps the private half in
its own memory only (this module's `_current`); the public half is a `WorkerKey` row. A request
from a signed-in journalist, who has the source key in their session, opens the one item key it
needs and seals it to that public key; the task (in the queue, in the database) carries only
that sealed box and is routed to that worker's own queue. Only that process can open it, and
only while it runs: when it stops, its row and its queue go, and a copy of the database or the
disk holds a sealed box whose private key no longer exists anywhere. docs/crypto.md has the
whole design.
"""

from __future__ import annotations

import base64
import threading
from datetime import timedelta

from django.db.models import QuerySet
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django.tasks.backends.immediate import ImmediateBackend
from django.utils import timezone

from jiandu.forensics.models import WorkerKey
from jiandu.vault import binding, crypto

# A worker proves it is alive by touching its row this often; rows silent for STALE are dead.
HEARTBEAT = timedelta(seconds=30)
STALE = timedelta(minutes=3)
# Live worker rows looked at when choosing one (rows failing their MAC are skipped).
MAX_CANDIDATES = 20

_lock = threading.Lock()
_current: tuple[int, bytes] | None = None  # (WorkerKey id, private key), this process only


def start_worker_key() -> WorkerKey:
    """Make this process's key pair (private half in memory) and publish the public half."""
    global _current
    private, public = crypto.new_keypair()
    row = WorkerKey.objects.create(
        public_key=public, key_mac=binding.worker_key_mac(public), seen=timezone.now()
    )
    with _lock:
        _current = (row.pk, private)
    return row


def stop_worker_key() -> int | None:
    """Forget the private key; returns the id it had, for `actions.do_retire_worker` to remove
    the row and expire what was waiting for it."""
    global _current
    with _lock:
        current, _current = _current, None
    return current[0] if current else None


def current_worker_key_id() -> int | None:
    with _lock:
        return _current[0] if _current else None


def heartbeat() -> None:
    worker_id = current_worker_key_id()
    if worker_id is not None:
        WorkerKey.objects.filter(pk=worker_id).update(seen=timezone.now())


def runs_in_process() -> bool:
    """With the immediate backend the task runs inside the request's own process."""
    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], ImmediateBackend)


def target_worker_key() -> WorkerKey | None:
    """The worker to hand a task to: this process (immediate backend), else the live worker
    that started last whose key carries this server's MAC (a row someone put in the database
    is skipped, and logged by `binding`); None when no such worker runs."""
    if runs_in_process():
        worker_id = current_worker_key_id()
        row = WorkerKey.objects.filter(pk=worker_id).first() if worker_id else None
        return row or start_worker_key()
    for row in live_worker_keys().order_by("-pk")[:MAX_CANDIDATES]:
        try:
            binding.check_worker_key(row)
        except binding.KeyBindingError:
            continue
        return row
    return None


def live_worker_keys() -> QuerySet[WorkerKey]:
    return WorkerKey.objects.filter(seen__gte=timezone.now() - STALE)


def seal_for_worker(worker_key: WorkerKey, item_key: bytes) -> str:
    """The item key sealed to the worker; binding.KeyBindingError (logged) if the row's
    public key was not written by this server."""
    binding.check_worker_key(worker_key)
    return base64.b64encode(crypto.seal(bytes(worker_key.public_key), item_key)).decode()


def open_in_worker(worker_key_id: int, sealed: str) -> bytes | None:
    """The item key, if this process is the worker it was sealed to; None otherwise."""
    with _lock:
        current = _current
    if current is None or current[0] != worker_key_id:
        return None
    try:
        return crypto.unseal(current[1], base64.b64decode(sealed))
    except (crypto.VaultCryptoError, ValueError):
        return None
