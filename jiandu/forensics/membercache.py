"""What the member's in-memory indexes share: the workbench's matching index (index.py) and its
index of scanned text (textindex.py).

Both are built from what only the member's key opens (the sources sealed to it, then each
finished analysis), so neither can be stored: each lives in this process's memory, for a few
members at a time, for `TTL` seconds while nothing it was built from changed (a signature of
the rows, cheap to read), and goes at sign-out (receivers.py).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator

from jiandu.accounts.models import User
from jiandu.forensics.actions import OpenAnalysis, open_analysis
from jiandu.forensics.models import Analysis
from jiandu.vault import crypto
from jiandu.vault.models import Source, SourceGrant


class MemberCache[T]:
    """One built value per member, reused while its signature holds and it is younger than
    `ttl`; at most `keep` members, the least recently used leaving first."""

    def __init__(self, ttl: float = 600.0, keep: int = 8) -> None:
        self.ttl, self.keep = ttl, keep
        self._lock = threading.Lock()
        self._entries: OrderedDict[int, tuple[Hashable, float, T]] = OrderedDict()

    def get(self, user_id: int, signature: Hashable, build: Callable[[], T]) -> T:
        with self._lock:
            cached = self._entries.get(user_id)
            if cached and cached[0] == signature and time.monotonic() - cached[1] < self.ttl:
                self._entries.move_to_end(user_id)
                return cached[2]
        value = build()  # outside the lock: building decrypts, and may take a while
        with self._lock:
            self._entries[user_id] = (signature, time.monotonic(), value)
            while len(self._entries) > self.keep:
                self._entries.popitem(last=False)
        return value

    def forget(self, user_id: int) -> None:
        with self._lock:
            self._entries.pop(user_id, None)

    def clear(self) -> None:
        """Forget every member (a test's fresh process; rows and their ids start again)."""
        with self._lock:
            self._entries.clear()

    def __contains__(self, user_id: object) -> bool:
        with self._lock:
            return user_id in self._entries


def opened_sources(user: User, member_private_key: bytes) -> Iterator[tuple[Source, bytes]]:
    """Each source sealed to this member's key, with its private key (a grant that does not
    open is skipped)."""
    for grant in SourceGrant.objects.filter(member_key__user=user).select_related("source"):
        try:
            yield grant.source, crypto.unseal(member_private_key, bytes(grant.sealed_private_key))
        except crypto.VaultCryptoError:
            continue


def opened_analyses(source: Source, source_key: bytes) -> Iterator[tuple[Analysis, OpenAnalysis]]:
    """Each finished analysis of the source's files, opened."""
    rows = Analysis.objects.filter(item__source=source, state=Analysis.State.DONE)
    for analysis in rows.select_related("item"):
        opened = open_analysis(source_key, analysis)
        if opened is not None:
            yield analysis, opened
