"""A source's whole conversation as one archive for an air-gapped machine, never decrypted here.

The server streams what it already holds encrypted: the member's own grant (the source key
sealed to the member's public key), and for every item its sealed key, its encrypted metadata
and its encrypted blob. Only the member's key, opened with their password on the offline
machine, opens it: `jiandu decrypt ARCHIVE.jda --key ME.jdkey --out DIR` (docs/crypto.md).

    "JDARCHIVE2\n" | one line of JSON | "\n" | hex(MAC) | "\n" | the items' blobs, in order
    MAC = crypto.export_mac(member private key, "JDARCHIVE2\n" + the JSON line)
    JSON: {"format": "jiandu-source-archive", "version": 2, "designation": ...,
           "member_public_key": b64, "sealed_source_key": b64,
           "items": [{"id", "kind", "hour", "author", "sealed_item_key": b64, "meta": b64,
                      "length": bytes of its blob}, ...]}

The MAC (keyed by the member's private key, which is in their session) authenticates the whole
header: kinds, authors, hours, the item list, its order and the lengths. Blob lengths on disk
are padded (version-2 streams), so the archive tells no original's exact size either.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

from jiandu.newsroom.export import authenticated_header
from jiandu.vault import storage
from jiandu.vault.models import Source, SourceGrant

ARCHIVE_MAGIC = b"JDARCHIVE2\n"


def _b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode()


def source_archive(grant: SourceGrant, source: Source, member_private: bytes) -> Iterator[bytes]:
    items = list(source.items.select_related("author").order_by("created_hour", "pk"))
    header = {
        "format": "jiandu-source-archive",
        "version": 2,
        "designation": source.designation,
        "member_public_key": _b64(grant.member_key.public_key),
        "sealed_source_key": _b64(grant.sealed_private_key),
        "items": [
            {
                "id": item.pk,
                "kind": item.kind,
                "hour": item.created_hour.strftime("%Y-%m-%dT%H:00Z"),
                "author": item.author.get_username() if item.author else "",
                "sealed_item_key": _b64(item.sealed_key),
                "meta": _b64(item.meta),
                "length": storage.blob_size(item.blob),
            }
            for item in items
        ],
    }
    yield authenticated_header(ARCHIVE_MAGIC, header, member_private)
    for item in items:
        with storage.open_blob(item.blob) as handle:
            while chunk := handle.read(1024 * 1024):
                yield chunk
