"""Fetching newsroom members with the permission check in the same call."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
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


def get_active_members() -> QuerySet[User]:
    """Active members by name (the vault-key status page's rows)."""
    return User.objects.filter(is_active=True).order_by("username")


def get_all_members() -> QuerySet[User]:
    """Every member, active or not, by name, with their role's group (the members page)."""
    return User.objects.order_by("username").prefetch_related("groups")
