"""Appending to the transparency log: the only writes to its tables.

The log knows no room's models: an entry is canonical JSON with a "kind", a "sha256" and a
"time", and whatever else its caller adds; the caller names the `subject` its entries are about
("case:<slug>"), which the log keeps beside them (generic columns: kind, subject, sha256) to
find a subject's later entries. The rooms that publish build their own entries (the case
desk's page and evidence entries: jiandu/cases/logentries.py) and call `do_log_entries`
inside the transaction that publishes, so an entry exists if and only if the publication
committed (the import table stays acyclic: cases imports tlog, never the reverse).
"""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Literal

from django.db import transaction

from jiandu.tlog import tasks, tlog
from jiandu.tlog.models import LogEntry, LogHash, LogHead, SplitView, SplitViewTally


class TransparencyLogBroken(RuntimeError):
    """The log's head is missing while entries remain; appending would hide that."""


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def log_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _head() -> LogHead:
    head = LogHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        if LogEntry.objects.exists():
            raise TransparencyLogBroken("The transparency log's head is missing.")
        LogHead.objects.get_or_create(pk=1, defaults={"size": 0})
        head = LogHead.objects.select_for_update().get(pk=1)
    return head


@transaction.atomic
def do_append_entries(entries: list[dict[str, Any]], subject: str = "") -> list[LogEntry]:
    """Append `entries` (all about `subject`) in order; each gets the next index, its leaf
    hash, and every full tile hash it completes."""
    head = _head()
    made = []
    for data in entries:
        raw = canonical_json(data)
        if len(raw) > 0xFFFF:
            raise ValueError("log entry too long")
        index = head.size
        made.append(
            LogEntry.objects.create(
                index=index,
                entry=raw.decode(),
                sha256=data["sha256"],
                subject=subject,
                kind=data["kind"],
                time=datetime.strptime(data["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
            )
        )
        LogHash.objects.create(level=0, index=index, hash=tlog.leaf_hash(raw))
        level, done = 1, index + 1
        while done % tlog.TILE_WIDTH**level == 0:
            block = done // tlog.TILE_WIDTH**level - 1
            below = LogHash.objects.filter(
                level=level - 1,
                index__gte=block * tlog.TILE_WIDTH,
                index__lt=(block + 1) * tlog.TILE_WIDTH,
            ).order_by("index")
            hashes = [bytes(h.hash) for h in below]
            LogHash.objects.create(level=level, index=block, hash=tlog.perfect_hash(hashes))
            level += 1
        head.size += 1
    head.save(update_fields=["size"])
    return made


@transaction.atomic
def do_log_entries(entries: list[dict[str, Any]], subject: str) -> list[LogEntry]:
    """Append one publication's `entries` about `subject` and, once it commits, ask the
    witnesses to cosign and the mirror to follow. Call it inside the publishing transaction: a
    rolled-back publication leaves no entry and starts no background work."""
    made = do_append_entries(entries, subject)
    if tasks.has_work():
        transaction.on_commit(tasks.after_publication.enqueue)
    return made


SplitViewRecord = Literal["kept", "known", "first_not_kept", "not_kept"]


def checkpoint_sha256(text: str) -> str:
    """The SHA-256 of a checkpoint's signed text (up to its blank line): the same checkpoint
    with other or more signature lines is the same statement."""
    return hashlib.sha256((text.split("\n\n", 1)[0] + "\n").encode()).hexdigest()


@transaction.atomic
def do_record_split_view(
    origin: str,
    seen_by: str,
    old_checkpoint: str,
    new_checkpoint: str,
    detail: str,
    *,
    cap: int,
    proof: str = "",
) -> SplitViewRecord:
    """Keep one piece of split-view evidence: "kept" when new, "known" when the pair of
    checkpoints was kept before, and past `cap` rows a count in `SplitViewTally` instead
    ("first_not_kept" the first time, so the caller says once that the table is full).

    Why a cap and a count: only the log's key makes evidence, but a log that forks on purpose
    can make as much as it likes; the table must not grow without end, and the operator must
    still learn how much more there was. The tally row is locked first, so concurrent
    requests keep the count exact and the cap."""
    SplitViewTally.objects.get_or_create(pk=1)
    tally = SplitViewTally.objects.select_for_update().get(pk=1)
    pair = {
        "old_sha256": checkpoint_sha256(old_checkpoint),
        "new_sha256": checkpoint_sha256(new_checkpoint),
    }
    if SplitView.objects.filter(**pair).exists():
        return "known"
    if SplitView.objects.count() >= cap:
        tally.not_kept += 1
        tally.save(update_fields=["not_kept"])
        return "first_not_kept" if tally.not_kept == 1 else "not_kept"
    SplitView.objects.create(
        origin=origin,
        seen_by=seen_by,
        old_checkpoint=old_checkpoint,
        new_checkpoint=new_checkpoint,
        proof=proof,
        detail=detail,
        **pair,
    )
    return "kept"
