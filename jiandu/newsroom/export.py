"""The export bundle for `jiandu decrypt` (docs/crypto.md): still encrypted, never opened on
the server. A JSON line with the member's grant and the item's sealed key, a line with the
header's MAC, then the blob.

    "JDEXPORT2\n" | one line of JSON | "\n" | hex(MAC) | "\n" | the blob (vault stream)
    MAC = crypto.export_mac(member private key, "JDEXPORT2\n" + the JSON line)

The MAC is made with the member's private key (in their session while they are signed in), so
the offline tool can tell this server's bundle for this member from one anybody could forge
(anyone can seal a key to a public key) or alter (kind, lengths).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

from jiandu.vault import crypto, storage
from jiandu.vault.models import Item, MemberKey, SourceGrant

ITEM_MAGIC = b"JDEXPORT2\n"


def _b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode()


def authenticated_header(magic: bytes, header: dict[str, object], member_private: bytes) -> bytes:
    """magic | JSON line | hex MAC line, the MAC over magic and the JSON (without its newline)."""
    line = json.dumps(header, sort_keys=True).encode()
    mac = crypto.export_mac(member_private, magic + line)
    return magic + line + b"\n" + mac.hex().encode() + b"\n"


def item_bundle(grant: SourceGrant, item: Item, member_private: bytes) -> Iterator[bytes]:
    header = {
        "format": "jiandu-item",
        "version": 2,
        "kind": item.kind,
        "member_public_key": _b64(grant.member_key.public_key),
        "sealed_source_key": _b64(grant.sealed_private_key),
        "sealed_item_key": _b64(item.sealed_key),
        "meta": _b64(item.meta),
    }
    yield authenticated_header(ITEM_MAGIC, header, member_private)
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
