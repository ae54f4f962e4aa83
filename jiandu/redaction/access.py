"""Fetching a render with the permission check in the same call."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from jiandu.accounts.models import User
from jiandu.forensics.access import access_item_for_workbench
from jiandu.redaction.models import Render


def access_render_by_id(
    user: User, member_private_key: bytes, render_id: int
) -> tuple[Render, bytes]:
    """A render of a file this member may read, and the source key that opens it.
    PermissionDenied without the right to read submissions, a grant, or for a newsroom-made
    render (it has nothing to open)."""
    render = get_object_or_404(Render.objects.select_related("item__source"), pk=render_id)
    if render.item_id is None:
        raise PermissionDenied
    item, source_key = access_item_for_workbench(user, member_private_key, render.item_id)
    render.item = item
    return render, source_key
