"""Writing to the custody log: the only way records are made."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from jiandu.accounts.models import User
from jiandu.ledger import chain
from jiandu.ledger.models import Action, ChainHead, CustodyRecord


class CustodyLogBroken(RuntimeError):
    """The log cannot be appended to without hiding tampering."""


def subject_of(kind: str, object_id: int | str) -> str:
    """The canonical subject string, e.g. subject_of("item", 40) == "item:40"."""
    return f"{kind}:{object_id}"


@transaction.atomic
def do_record_custody(
    actor: User | None,
    action: Action | str,
    subject: str,
    *,
    reason: str = "",
    at: datetime | None = None,
) -> CustodyRecord:
    """Append one record. Call it inside the transaction of the change it records, so that
    the change and its record commit together or not at all."""
    if action == Action.DELETE and not reason.strip():
        raise ValueError("A deletion needs a reason in the custody log.")
    head = ChainHead.objects.select_for_update().filter(pk=1).first()  # made by migration 0002
    if head is None:
        if CustodyRecord.objects.exists():
            # Records without a head: someone removed it, perhaps with the newest records.
            # Rebuilding it here would hide that, so refuse until an admin has looked.
            raise CustodyLogBroken(
                "The custody log's chain head is missing; run `jiandu verify_custody`."
            )
        # An empty log without a head: a flushed database (transactional tests, a restore).
        ChainHead.objects.get_or_create(pk=1, defaults={"mac": chain.GENESIS, "count": 0})
        head = ChainHead.objects.select_for_update().get(pk=1)
    record = CustodyRecord.objects.create(
        at=at or timezone.now(),
        actor=actor,
        actor_name=actor.get_username() if actor else "",
        action=str(action),
        subject=subject,
        reason=reason,
        mac="pending:" + head.mac[:40] + str(head.count),
    )
    record.refresh_from_db(fields=["at"])  # the database's own rounding of the time
    record.mac = chain.seal(head.mac, record)
    record.save(update_fields=["mac"])
    head.mac = record.mac
    head.count += 1
    head.save(update_fields=["mac", "count"])
    return record
