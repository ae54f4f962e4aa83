"""Fetching cases and people for the newsroom, with the permission check in the same call."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from jiandu.accounts.models import User
from jiandu.cases.models import Case, Person


def access_case_by_id(actor: User, case_id: int) -> Case:
    if not actor.has_perm("accounts.edit_cases"):
        raise PermissionDenied
    return get_object_or_404(Case, pk=case_id)


def access_person_by_id(actor: User, person_id: int) -> Person:
    if not actor.has_perm("accounts.edit_cases"):
        raise PermissionDenied
    return get_object_or_404(Person, pk=person_id)
