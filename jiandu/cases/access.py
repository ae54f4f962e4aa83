"""Fetching cases and people for the newsroom, with the permission check in the same call."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from jiandu.accounts.models import User
from jiandu.cases.models import Case, CaseStatus, Person


def access_case_by_id(actor: User, case_id: int) -> Case:
    if not actor.has_perm("accounts.edit_cases"):
        raise PermissionDenied
    return get_object_or_404(Case, pk=case_id)


def access_person_by_id(actor: User, person_id: int) -> Person:
    if not actor.has_perm("accounts.edit_cases"):
        raise PermissionDenied
    return get_object_or_404(Person, pk=person_id)


def access_held_case_by_id(actor: User, case_id: int) -> Case:
    """A case with a waiting one-person publication, for any active member to stop: the hold
    is the newsroom's chance to object, so the right is not limited to those who edit."""
    from jiandu.cases.models import HoldState

    if not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied
    return get_object_or_404(Case, pk=case_id, holds__state=HoldState.WAITING)


def get_cases_open_for_evidence() -> QuerySet[Case]:
    """The cases a render may be published to: every case but a retracted one."""
    return Case.objects.exclude(status=CaseStatus.RETRACTED)
