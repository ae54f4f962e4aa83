"""Fetching newsroom members with the permission check in the same call."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from jiandu.accounts.models import User


def access_member_by_id(actor: User, member_id: int) -> User:
    if not actor.has_perm("accounts.manage_newsroom"):
        raise PermissionDenied
    return get_object_or_404(User, pk=member_id)


def get_pending_user(user_id: int | None) -> User | None:
    """The member who has given a correct password and not yet a second factor."""
    if user_id is None:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()
