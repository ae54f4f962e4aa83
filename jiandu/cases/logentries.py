"""The case desk's entries in the transparency log: what one published revision says there.

The log (jiandu/tlog) appends whatever entries it is given; which events a publication makes,
and what each says, is the case desk's business, so it is written here beside the revisions
it describes. Entries, one per event (canonical JSON: sorted keys, no whitespace, UTF-8):
- kind "page": the case page's revision; sha256 of the revision's canonical snapshot; action
  "publish" (first publication), "revise" (an update) or "retract" (a retraction); and, from
  issue 18 on, "policy": how it was reviewed ("two-people", or "one-person-6h": one editor
  after a six-hour hold), so the newsroom's claim about its review is in the signed log too;
- kind "evidence": a published file; sha256 of its bytes; "publish" when it first appears in
  a revision, "retract" when a revision drops it or the case is retracted.
"""

import hashlib
from datetime import datetime
from typing import Any

from django.db import transaction

from jiandu.tlog.actions import canonical_json, do_log_entries, log_time
from jiandu.tlog.models import LogEntry

PAGE_ACTIONS = {"publication": "publish", "update": "revise", "retraction": "retract"}


def snapshot_sha256(snapshot: dict[str, Any]) -> str:
    """What a reader recomputes from the JSON API's `case` object to check a page revision."""
    return hashlib.sha256(canonical_json(snapshot)).hexdigest()


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
    return do_log_entries(
        revision_entries(case, number, revision_kind, snapshot, previous, at, policy),
        subject=log_subject(case),
    )


def log_subject(case: str) -> str:
    """What the log files this case's entries under (its generic `subject` column)."""
    return f"case:{case}"
