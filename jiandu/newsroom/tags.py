"""Reading tags and internal notes: both are sealed to the source's public key, so they are
read with the source key that the member's own grant opens (docs/crypto.md, "Tags and internal
notes").

Filtering the inbox by tag happens here, after decryption, over the tagged sources the member
holds a grant for; the result narrows the inbox's one indexed query by id. No keyed hash of a
tag is stored: with a small vocabulary of tags, anyone holding the hash key could test guesses,
and even without it equal hashes would show which sources share a tag. The cost is one unseal
per tagged source the member can open (about 0.1 ms each), paid only when a tag filter is set.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from jiandu.accounts.models import User
from jiandu.newsroom.models import Note, SourceTag
from jiandu.vault import crypto
from jiandu.vault.models import Source, SourceGrant

MAX_TAG = 40


def normalise(text: str) -> str:
    """A tag as stored and shown: spaces collapsed, at most MAX_TAG characters."""
    return " ".join(text.split())[:MAX_TAG]


def same_tag(a: str, b: str) -> bool:
    return normalise(a).casefold() == normalise(b).casefold()


def _open(source_private: bytes, sealed: bytes | memoryview) -> str | None:
    try:
        return crypto.unseal(source_private, bytes(sealed)).decode()
    except (crypto.VaultCryptoError, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class OpenTag:
    tag: SourceTag
    text: str


def get_tags(source_private: bytes, source: Source) -> list[OpenTag]:
    """The source's tags, opened with its key (a tag that does not open is left out)."""
    opened = []
    for tag in source.tags.all():
        text = _open(source_private, tag.sealed_text)
        if text is not None:
            opened.append(OpenTag(tag=tag, text=text))
    return opened


@dataclass(frozen=True)
class OpenNote:
    note: Note
    text: str


@dataclass
class SourceNotes:
    on_source: list[OpenNote]
    on_items: dict[int, list[OpenNote]]

    def all(self) -> list[Note]:
        notes = [entry.note for entry in self.on_source]
        for entries in self.on_items.values():
            notes.extend(entry.note for entry in entries)
        return notes


def get_notes(source_private: bytes, source: Source) -> SourceNotes:
    """The source's internal notes opened, those on the source and those on each item."""
    on_source: list[OpenNote] = []
    on_items: dict[int, list[OpenNote]] = defaultdict(list)
    for note in source.notes.select_related("author"):
        text = _open(source_private, note.sealed_text)
        if text is None:
            continue
        entry = OpenNote(note=note, text=text)
        if note.item_id:
            on_items[note.item_id].append(entry)
        else:
            on_source.append(entry)
    return SourceNotes(on_source=on_source, on_items=dict(on_items))


def sources_tagged(user: User, member_private: bytes, wanted: str) -> set[int]:
    """Ids of the sources this member can open that carry the tag `wanted` (any case)."""
    tagged = SourceTag.objects.values_list("source_id", "sealed_text")
    by_source: dict[int, list[bytes]] = defaultdict(list)
    for source_id, sealed in tagged:
        by_source[source_id].append(bytes(sealed))
    grants = SourceGrant.objects.filter(
        member_key__user=user, source_id__in=list(by_source)
    ).values_list("source_id", "sealed_private_key")
    found = set()
    for source_id, sealed_key in grants:
        source_private = _open_key(member_private, sealed_key)
        if source_private is None:
            continue
        for sealed in by_source[source_id]:
            text = _open(source_private, sealed)
            if text is not None and same_tag(text, wanted):
                found.add(source_id)
                break
    return found


def _open_key(member_private: bytes, sealed_key: bytes) -> bytes | None:
    try:
        return crypto.unseal(member_private, bytes(sealed_key))
    except crypto.VaultCryptoError:
        return None
