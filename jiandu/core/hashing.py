"""A bounded pool for memory-hard hashing, so that anonymous guesses cannot take the server.

Why (issue 17, item 6): every anonymous newsroom sign-in runs a 100 MiB Argon2id hash (Django's
hasher, eight lanes), known name or not. Fifteen parallel attempts held fifteen request threads
and every core, and the tip line's landing page, served by the same processes, took 4 s. Here
at most `size` hashes of one pool run at once in a process; a request that finds no free slot
within `wait` seconds is refused (HashBusy: the caller answers "busy, try again in a few
seconds", 503 with Retry-After) and its thread is free again at once. It never queues.

`run()` also takes the hash off the request thread: the pool's own `size` threads compute it at
a lower CPU priority (nice JIANDU_HASH_NICE, default 10, on Linux, where a thread's niceness is
its own and the threads libargon2 starts inherit it), so a page that needs a few milliseconds of
CPU is served before a hash that needs a third of a second. The function it runs must be pure
(no database: the pool's threads hold no connection of the request's); `slot()` bounds a hash
the caller must make in its own thread.

A pool is named by its purpose, one per purpose and per process, so that one purpose flooded
never refuses another: the newsroom's passwords use `password_slots()`, sized by
JIANDU_HASH_SLOTS (default 2) and waiting JIANDU_HASH_WAIT_SECONDS (default 0.2). The tip
line's codename sign-in derives its keys through the vault's own pool
(jiandu.vault.crypto.argon2id_kdf, JIANDU_KDF_CONCURRENCY), so a flood of the newsroom's
sign-in never makes a source wait. `HashSlots` holds no Django, so a Django-free module may use
it too. docs/operations.md ("Sign-in under load") sizes the pools against gunicorn's threads.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from django.conf import settings

from jiandu.conf import env_int, env_str

DEFAULT_SLOTS = 2
DEFAULT_WAIT_SECONDS = 0.2
DEFAULT_NICE = 10
# What a refusal suggests in Retry-After: a hash takes well under a second.
RETRY_AFTER_SECONDS = 5

T = TypeVar("T")


class HashBusy(Exception):
    """Every slot of the pool is taken: answer "busy, try again in a few seconds"."""


def _lower_priority(nice: int) -> None:
    """Make the calling thread (and the threads it starts) yield the CPU to request threads.
    Linux only: elsewhere setpriority would reach the whole process."""
    if sys.platform != "linux" or nice <= 0:
        return
    # In a sandbox without the call the hash still runs, at normal priority.
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


class HashSlots:
    """At most `size` holders at once; `slot()` and `run()` wait at most `wait` seconds for one.
    `run()` computes in the pool's own threads, at niceness `nice`."""

    def __init__(self, size: int, wait: float, nice: int = DEFAULT_NICE) -> None:
        if size < 1:
            raise ValueError("A hashing pool needs at least one slot.")
        self.size = size
        self.wait = max(0.0, wait)
        self.nice = nice
        self._semaphore = threading.BoundedSemaphore(size)
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

    def _threads(self) -> ThreadPoolExecutor:
        # Made at first use, in the process that hashes (never in a parent before a fork).
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.size,
                    thread_name_prefix="jiandu-hash",
                    initializer=_lower_priority,
                    initargs=(self.nice,),
                )
            return self._executor

    def run(self, function: Callable[..., T], *args: object) -> T:
        """`function(*args)` in one of the pool's threads, holding a slot; HashBusy if none
        came free in time. The caller's thread waits for the result without using the CPU."""
        with self.slot():
            return self._threads().submit(function, *args).result()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the hash inside the block; HashBusy if none came free in time."""
        acquired = (
            self._semaphore.acquire(timeout=self.wait)
            if self.wait
            else self._semaphore.acquire(blocking=False)
        )
        if not acquired:
            raise HashBusy
        try:
            yield
        finally:
            self._semaphore.release()


_pools: dict[tuple[str, int, float, int], HashSlots] = {}
_pools_lock = threading.Lock()


def pool(name: str, size: int, wait: float, nice: int = DEFAULT_NICE) -> HashSlots:
    """The process-wide pool for `name`, made on first use. A pool is kept per size, wait and
    niceness, so a test that changes the settings gets a pool of the new size (production
    never does)."""
    key = (name, size, wait, nice)
    with _pools_lock:
        found = _pools.get(key)
        if found is None:
            found = _pools[key] = HashSlots(size, wait, nice)
        return found


def password_slots() -> HashSlots:
    """The pool for the newsroom's password hashing (sign-in, re-authentication, change)."""
    size = getattr(settings, "JIANDU_HASH_SLOTS", None)
    if size is None:
        size = env_int("JIANDU_HASH_SLOTS", DEFAULT_SLOTS)
    wait = getattr(settings, "JIANDU_HASH_WAIT_SECONDS", None)
    if wait is None:
        wait = float(env_str("JIANDU_HASH_WAIT_SECONDS", str(DEFAULT_WAIT_SECONDS)))
    nice = env_int("JIANDU_HASH_NICE", DEFAULT_NICE)
    return pool("password", int(size), float(wait), nice)
