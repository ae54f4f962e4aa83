"""Fetching and opening vault objects, with the permission check in the same call.

`access_source_by_id` is the only way newsroom views get a source; opening anything then needs
the member's private key from their (encrypted) session.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404

from jiandu.accounts.models import User
from jiandu.vault import crypto, storage
from jiandu.vault.models import Item, MemberKey, Source, SourceGrant


class NoGrant(Exception):
    """The member may read submissions but holds no grant for this source (yet)."""


def access_source_by_id(user: User, source_id: int) -> Source:
    if not user.has_perm("accounts.read_submissions"):
        raise PermissionDenied
    return get_object_or_404(Source, pk=source_id)


def access_source_for_deletion(user: User, source_id: int) -> Source:
    """A source this member may delete for good: deletion destroys the only keys, so it needs
    `accounts.delete_sources` (admins and editors), not merely the right to read."""
    if not user.has_perm("accounts.delete_sources"):
        raise PermissionDenied
    return access_source_by_id(user, source_id)


def access_item_by_id(source: Source, item_id: int) -> Item:
    return get_object_or_404(Item, pk=item_id, source=source)


def get_source_key_for_member(user: User, member_private_key: bytes, source: Source) -> bytes:
    grant = SourceGrant.objects.filter(source=source, member_key__user=user).first()
    if grant is None:
        raise NoGrant
    return crypto.unseal(member_private_key, grant.sealed_private_key)


def get_grant(user: User, source: Source) -> SourceGrant | None:
    return SourceGrant.objects.filter(source=source, member_key__user=user).first()


def get_grantable_sources(actor: User) -> list[tuple[str, str]]:
    """The sources the actor's own key opens, as (id, designation) choices: what an admin can
    seal to a new member on the add-member page (issue 18, item 7), nothing they cannot."""
    grants = SourceGrant.objects.filter(member_key__user=actor).select_related("source")
    return sorted((str(g.source_id), g.source.designation) for g in grants)


def get_member_key(user: User) -> MemberKey | None:
    return MemberKey.objects.filter(user=user).first()


@dataclass
class OpenItem:
    item: Item
    key: bytes
    meta: dict[str, object]

    def text(self) -> str:
        with storage.open_blob(self.item.blob) as handle:
            return crypto.decrypt_bytes(self.key, handle).decode()

    def answers(self) -> dict[str, str]:
        return json.loads(self.text())

    def stream(self) -> Iterator[bytes]:
        with storage.open_blob(self.item.blob) as handle:
            yield from crypto.decrypt_stream(self.key, handle)


def open_item(source_private_key: bytes, item: Item) -> OpenItem:
    """Open an item with the source's newsroom-side private key."""
    key = crypto.unseal(source_private_key, item.sealed_key)
    return OpenItem(item=item, key=key, meta=crypto.open_meta(key, item.meta))


def open_reply_for_source(reply_private_key: bytes, item: Item) -> OpenItem:
    """Open a reply with the key the source derives from its codename."""
    if item.source_sealed_key is None:
        raise crypto.VaultCryptoError("Not readable by the source.")
    key = crypto.unseal(reply_private_key, item.source_sealed_key)
    return OpenItem(item=item, key=key, meta=crypto.open_meta(key, item.meta))


@dataclass
class OwnItem:
    """What a source's session opens of an item it sent: a message's text, a file's record."""

    item: Item
    meta: dict[str, object]
    text: str | None


def open_own_item_for_source(reply_private_key: bytes, item: Item) -> OwnItem:
    """Open a message or file the source sent, with the key it derives from its codename.
    A file's copy is its metadata subkey only (jiandu.vault.actions.source_copy_key), so the
    content stays closed; VaultCryptoError for an item with no copy (sent before copies
    existed, a questionnaire) or a wrong key."""
    if item.source_sealed_key is None or item.submission_id is None:
        raise crypto.VaultCryptoError("Not readable by the source.")
    key = crypto.unseal(reply_private_key, item.source_sealed_key)
    if item.kind == Item.Kind.FILE:
        return OwnItem(item=item, meta=crypto.open_meta_with(key, item.meta), text=None)
    if item.kind == Item.Kind.MESSAGE:
        opened = OpenItem(item=item, key=key, meta=crypto.open_meta(key, item.meta))
        return OwnItem(item=item, meta=opened.meta, text=opened.text())
    raise crypto.VaultCryptoError("Not readable by the source.")


# --- Reads for the newsroom's pages (counts and rows; nothing opened) ---------------------


def get_source(source_id: int) -> Source | None:
    """The source a tip-line session names (its own id, from its encrypted session)."""
    return Source.objects.filter(pk=source_id).first()


def count_sources() -> int:
    return Source.objects.count()


def get_member_keys_with_grant_counts() -> dict[int, tuple[MemberKey, int]]:
    """Each member's key by user id, with how many sources are sealed to it."""
    keys = MemberKey.objects.annotate(granted=Count("grants")).select_related("user")
    return {key.user_id: (key, key.granted) for key in keys}


def lacks_some_source(user: User) -> bool:
    """Whether some source is not sealed to this member's key (a grant is waiting)."""
    return Source.objects.exclude(grants__member_key__user=user).exists()


def get_exportable_member_key(user: User) -> MemberKey | None:
    """The member's key while its password wrap exists (what an export of the key holds)."""
    return MemberKey.objects.filter(user=user, password_wrapped__isnull=False).first()
