"""The export bundle for `jiandu decrypt` (docs/crypto.md): still encrypted, never opened on
the server. A JSON line with the member's grant and the item's sealed key, then the blob."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

from jiandu.vault import storage
from jiandu.vault.models import Item, MemberKey, SourceGrant

ITEM_MAGIC = b"JDEXPORT1\n"


def _b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode()


def item_bundle(grant: SourceGrant, item: Item) -> Iterator[bytes]:
    header = {
        "format": "jiandu-item",
        "version": 1,
        "kind": item.kind,
        "member_public_key": _b64(grant.member_key.public_key),
        "sealed_source_key": _b64(grant.sealed_private_key),
        "sealed_item_key": _b64(item.sealed_key),
        "meta": _b64(item.meta),
    }
    yield ITEM_MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n"
    with storage.open_blob(item.blob) as handle:
        while chunk := handle.read(1024 * 1024):
            yield chunk


def member_key_file(key: MemberKey) -> bytes:
    return json.dumps(
        {
            "format": "jiandu-member-key",
            "version": 1,
            "public_key": _b64(key.public_key),
            "password_wrapped": _b64(key.password_wrapped or b""),
        },
        indent=2,
    ).encode()
