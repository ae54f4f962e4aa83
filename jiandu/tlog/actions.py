"""Appending to the transparency log: the only writes to its tables.

Rooms call `do_log_revision` inside the transaction that publishes, so an entry exists if and
only if the publication committed. The log knows nothing of the cases room's models: it is
given the slug, the revision number and kind, and the snapshots (the import table stays
acyclic: cases imports ledger, never the reverse).

Entries (canonical JSON: sorted keys, no whitespace, UTF-8), one per event:
- kind "page": the case page's revision; sha256 of the revision's canonical snapshot; action
  "publish" (first publication), "revise" (an update) or "retract" (a retraction); and, from
  issue 18 on, "policy": how it was reviewed ("two-people", or "one-person-6h": one editor
  after a six-hour hold), so the newsroom's claim about its review is in the signed log too;
- kind "evidence": a published file; sha256 of its bytes; "publish" when it first appears in
  a revision, "retract" when a revision drops it or the case is retracted.
"""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Literal

from django.db import transaction

from jiandu.tlog import tasks, tlog
from jiandu.tlog.models import LogEntry, LogHash, LogHead, SplitView, SplitViewTally

PAGE_ACTIONS = {"publication": "publish", "update": "revise", "retraction": "retract"}


class TransparencyLogBroken(RuntimeError):
    """The log's head is missing while entries remain; appending would hide that."""


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def snapshot_sha256(snapshot: dict[str, Any]) -> str:
    """What a reader recomputes from the JSON API's `case` object to check a page revision."""
    return hashlib.sha256(canonical_json(snapshot)).hexdigest()


def log_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def revision_entries(
    case: str,
    number: int,
    revision_kind: str,
    snapshot: dict[str, Any],
    previous: dict[str, Any] | None,
    at: datetime,
    policy: str | None = None,
) -> list[dict[str, Any]]:
    """The log entries one published revision makes (pure: tested without a database)."""
    action = PAGE_ACTIONS[revision_kind]
    common = {"case": case, "revision": number, "time": log_time(at)}
    page = {**common, "action": action, "kind": "page", "sha256": snapshot_sha256(snapshot)}
    if policy:
        page["policy"] = policy
    entries = [page]
    now = {ev["sha256"]: ev for ev in snapshot.get("evidence", [])}
    before = {ev["sha256"] for ev in (previous or {}).get("evidence", [])}
    if action == "retract":
        changes = [(digest, "retract") for digest in now]
    else:
        changes = [(d, "publish") for d in now if d not in before]
        changes += [(d, "retract") for d in sorted(before - now.keys())]
    for digest, ev_action in changes:
        entry = {**common, "action": ev_action, "kind": "evidence", "sha256": digest}
        if digest in now:
            entry["name"] = now[digest]["name"]
        entries.append(entry)
    return entries


def _head() -> LogHead:
    head = LogHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        if LogEntry.objects.exists():
            raise TransparencyLogBroken("The transparency log's head is missing.")
        LogHead.objects.get_or_create(pk=1, defaults={"size": 0})
        head = LogHead.objects.select_for_update().get(pk=1)
    return head


@transaction.atomic
def do_append_entries(entries: list[dict[str, Any]]) -> list[LogEntry]:
    """Append `entries` in order; each gets the next index, its leaf hash, and every full
    tile hash it completes."""
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
                case=data["case"],
                kind=data["kind"],
                action=data["action"],
                revision=data["revision"],
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
def do_log_revision(
    case: str,
    number: int,
    revision_kind: str,
    snapshot: dict[str, Any],
    previous: dict[str, Any] | None,
    at: datetime,
    policy: str | None = None,
) -> list[LogEntry]:
    """Log a published revision of `case` (and its evidence). Call it inside the publishing
    transaction: a rolled-back publication leaves no entry and starts no background work
    (witnesses, mirror). `policy` is how the revision was reviewed (see the module's list)."""
    made = do_append_entries(
        revision_entries(case, number, revision_kind, snapshot, previous, at, policy)
    )
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
