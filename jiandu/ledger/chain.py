"""The MAC chain over custody records: how a record is sealed and how the chain is checked.

mac_n = HMAC-SHA256(K, mac_{n-1} || canonical(record_n)), mac_0 = 64 zeros, where K is derived
from the server's secret key (a file in the data dir, not in the database). canonical() is a
sorted-key JSON of id, time (UTC, microseconds), actor id and name, action, subject and reason.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC

from django.conf import settings

from jiandu.ledger.models import CustodyRecord

GENESIS = "0" * 64


def _key() -> bytes:
    return hashlib.sha256(b"jiandu.ledger.custody\x00" + settings.SECRET_KEY.encode()).digest()


def canonical(record: CustodyRecord) -> bytes:
    return json.dumps(
        {
            "id": record.pk,
            "at": record.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": record.actor_id,
            "actor_name": record.actor_name,
            "action": record.action,
            "subject": record.subject,
            "reason": record.reason,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def seal(previous_mac: str, record: CustodyRecord) -> str:
    return hmac.new(_key(), previous_mac.encode() + canonical(record), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""


def verify() -> ChainReport:
    """Walk the whole chain; report the first record that does not follow from the last."""
    from jiandu.ledger.models import ChainHead

    previous = GENESIS
    checked = 0
    last_id = 0
    for record in CustodyRecord.objects.order_by("id").iterator(chunk_size=2000):
        if not hmac.compare_digest(seal(previous, record), record.mac):
            return ChainReport(
                False, checked, record.pk, "record altered or a record before it removed"
            )
        previous, last_id, checked = record.mac, record.pk, checked + 1
    head = ChainHead.objects.first()
    if head is None and checked:
        return ChainReport(False, checked, last_id, "the chain head was removed")
    if head is not None and (head.mac != previous or head.count != checked):
        return ChainReport(
            False, checked, last_id or None, "records removed from the end of the log"
        )
    return ChainReport(True, checked)
