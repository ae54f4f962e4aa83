"""Reading the custody log: admins see all of it; anyone who may read submissions sees the
records of what they can read (rooms pass the subject)."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from jiandu.accounts.models import User
from jiandu.ledger.models import CustodyRecord


def access_custody_log(user: User) -> QuerySet[CustodyRecord]:
    if not user.has_perm("accounts.manage_newsroom"):
        raise PermissionDenied
    return CustodyRecord.objects.select_related("actor").order_by("-id")


def get_records_for(subjects: list[str]) -> QuerySet[CustodyRecord]:
    return CustodyRecord.objects.filter(subject__in=subjects).order_by("-id")
