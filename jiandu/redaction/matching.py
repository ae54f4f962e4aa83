"""Renders in the workbench's matching index: a derivative found later (on the web, in a new
submission) is linked to the file it was made from.

Offered to `jiandu.forensics.index` through this room's AppConfig (`fingerprint_rows`). Each
render's fingerprints are sealed under its own key (sealed to the source key), so only a member
who can read the original's source gets them into their index, like the originals' own
analyses.
"""

from __future__ import annotations

import base64
from typing import cast

from django.db.models import Count, Max

from jiandu.accounts.models import User
from jiandu.forensics import fingerprints
from jiandu.forensics.index import Label
from jiandu.redaction.models import Render
from jiandu.vault import crypto
from jiandu.vault.access import open_item
from jiandu.vault.models import Item


def signature(user: User) -> object:
    rows = Render.objects.filter(
        state=Render.State.DONE,
        fingerprint__isnull=False,
        item__source__grants__member_key__user=user,
    ).aggregate(latest=Max("pk"), count=Count("pk"))
    return ("renders", rows["latest"], rows["count"])


def rows(
    user: User, source_keys: dict[int, bytes]
) -> list[tuple[str, fingerprints.Fingerprint, Label]]:
    """(reference, fingerprint, label) of every indexed render whose source key is given."""
    found = []
    renders = Render.objects.filter(
        state=Render.State.DONE,
        fingerprint__isnull=False,
        item__source_id__in=list(source_keys),
    ).select_related("item__source")
    for render in renders:
        item = cast(Item, render.item)  # the filter keeps renders of an item only
        source_key = source_keys[item.source_id]
        try:
            key = crypto.unseal(source_key, bytes(cast(bytes, render.sealed_key)))
            data = crypto.open_meta(key, bytes(cast(bytes, render.fingerprint)))
            original = str(open_item(source_key, item).meta.get("name", ""))
        except (crypto.VaultCryptoError, ValueError, TypeError):
            continue
        fingerprint = fingerprints.from_bytes(
            str(data["sha256"]), base64.b64decode(cast(str, data["b"]))
        )
        label = Label(
            "evidence",
            original,
            item.source.designation,
            render.item_id,
            item.source_id,
            render_id=render.pk,
            render_kind=render.kind,
        )
        found.append((render.reference, fingerprint, label))
    return found
