"""Fetching an evidence item for the workbench, with the permission check in the same call."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from jiandu.accounts.models import User
from jiandu.forensics.models import Preview
from jiandu.vault import crypto
from jiandu.vault.access import NoGrant, access_source_by_id, get_source_key_for_member
from jiandu.vault.models import Item


def access_item_for_workbench(
    user: User, member_private_key: bytes, item_id: int
) -> tuple[Item, bytes]:
    """A file this member may read, and its source's private key (from their grant).
    PermissionDenied without the right to read submissions or without a grant."""
    item = get_object_or_404(Item, pk=item_id, kind=Item.Kind.FILE)
    source = access_source_by_id(user, item.source_id)
    try:
        source_key = get_source_key_for_member(user, member_private_key, source)
    except (NoGrant, crypto.VaultCryptoError) as exc:
        raise PermissionDenied from exc
    item.source = source
    return item, source_key


def get_preview(item: Item) -> Preview | None:
    """The item's preview record, whatever its state (the source page's card)."""
    return Preview.objects.filter(item=item).first()


def get_ready_preview(item: Item) -> Preview | None:
    """The item's preview when it is ready to be shown."""
    return Preview.objects.filter(item=item, state=Preview.State.READY).first()
