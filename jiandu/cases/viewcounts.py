"""How often each published case page is read: buffered counters, written in batches.

The public site's fast path (jiandu.public.pagecache) calls `count_view` for every public HTML
page it serves; the newsroom's case list reads `get_view_totals`. The counts live here, beside
the cases they count, so the public room imports this room and this room never imports the
public one (docs/architecture.md).

Counts are buffered in memory and written to the database at most every
JIANDU_VIEWCOUNT_FLUSH_SECONDS (and at exit), so counting costs no write per request. Nothing
about the reader is looked at: the page path (language prefix removed) and the date only.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import time
from collections import Counter
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

_counts: Counter[tuple[str, date]] = Counter()
_counts_lock = threading.Lock()
_last_flush = [time.monotonic()]
_today: list[Any] = [0.0, None]  # [valid until (epoch seconds), the local date]


def today() -> date:
    """The newsroom's local date, recomputed once a day rather than on every hit."""
    now = time.time()
    if now >= _today[0]:
        local = timezone.localtime()
        midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        _today[0], _today[1] = min(now + 3600, midnight.timestamp()), local.date()
    return _today[1]


def count_view(path: str, flush_seconds: float | None = None) -> None:
    """Add one read of `path` (no language prefix) today; flush when the buffer is old enough."""
    if flush_seconds is None:
        flush_seconds = settings.JIANDU_VIEWCOUNT_FLUSH_SECONDS
    with _counts_lock:
        _counts[(path, today())] += 1
        due = time.monotonic() - _last_flush[0] >= flush_seconds
    if due:
        flush_view_counts()


def flush_view_counts() -> None:
    """Add the buffered counts to the database, one row per page and day."""
    from jiandu.cases.models import PageView  # the fast path imports this before apps load

    with _counts_lock:
        pending = dict(_counts)
        _counts.clear()
        _last_flush[0] = time.monotonic()
    for (path, day), n in pending.items():
        for _attempt in range(2):
            try:
                with transaction.atomic():
                    updated = PageView.objects.filter(path=path, day=day).update(
                        count=F("count") + n
                    )
                    if not updated:
                        PageView.objects.create(path=path, day=day, count=n)
                break
            except IntegrityError:  # another process created the row first: add to it
                continue


def _flush_at_exit() -> None:
    # The process is ending; counts are best effort.
    with contextlib.suppress(Exception):
        flush_view_counts()


atexit.register(_flush_at_exit)


def get_view_totals() -> dict[str, int]:
    """All-time views per public path (language prefix removed), for the newsroom's lists."""
    from jiandu.cases.models import PageView

    return {
        row["path"]: row["total"]
        for row in PageView.objects.values("path").annotate(total=Sum("count"))
    }
