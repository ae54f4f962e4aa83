"""The matching index of one member: the fingerprints of every analysed file they can read,
plus those of everything the newsroom published, opened with the keys in their session.

The fingerprints are stored encrypted (each analysis under its own key, sealed to its source's
public key), so the index can only be built by a process holding a member key, and it holds
only what that member may read: a member without a grant for a source never learns that a file
matches one of its files. It lives in this process's memory for `TTL` and is rebuilt when an
analysis is added (docs/crypto.md, "The fingerprint index").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

from django.apps import apps
from django.db.models import Max

from jiandu.accounts.models import User
from jiandu.forensics.membercache import MemberCache, opened_analyses, opened_sources
from jiandu.forensics.models import Analysis, PublishedFingerprint
from jiandu.vault.access import open_item

if TYPE_CHECKING:  # numpy: loaded where a match runs, not at web start-up (issue 22)
    from jiandu.forensics.fingerprints import Fingerprint
    from jiandu.forensics.matching import Index, Match

_cache: MemberCache[tuple[Index, dict[str, Label]]] = MemberCache()


@dataclass(frozen=True)
class Label:
    """What a match points at, in words the newsroom uses."""

    kind: str  # "evidence" or "published"
    name: str  # the file name (evidence) or the published reference
    source: str  # the source's designation ("" for a publication)
    item_id: int | None
    source_id: int | None
    # A studio render of `name` (redaction/matching.py): said as "render 2 (video) of ...".
    render_id: int | None = None
    render_kind: str = ""


class FingerprintRows(Protocol):
    """What a room above this one offers, on its AppConfig, to put its own fingerprints of
    newsroom files into the index (the redaction studio's renders, linked to their originals:
    `RedactionConfig.fingerprint_rows`). Found the way core finds `waiting()` and `on_serve()`
    (this room does not import the rooms above it), in the order of INSTALLED_APPS."""

    def fingerprint_signature(self, user: User) -> object:
        """Changes whenever `fingerprint_rows(user, ...)` would answer something else."""

    def fingerprint_rows(
        self, user: User, source_keys: dict[int, bytes]
    ) -> list[tuple[str, Fingerprint, Label]]:
        """(reference, fingerprint, label) of what this member may read, opened with the
        source keys they hold ({source id: source key})."""


def _rooms_with_fingerprints() -> list[FingerprintRows]:
    return [
        cast(FingerprintRows, config)
        for config in apps.get_app_configs()
        if hasattr(config, "fingerprint_rows") and hasattr(config, "fingerprint_signature")
    ]


def _signature(user: User) -> tuple[object, ...]:
    analyses = Analysis.objects.filter(
        state=Analysis.State.DONE, item__source__grants__member_key__user=user
    ).aggregate(latest=Max("pk"))
    published = PublishedFingerprint.objects.aggregate(latest=Max("pk"))
    return (
        analyses["latest"],
        Analysis.objects.filter(state=Analysis.State.DONE).count(),
        published["latest"],
        PublishedFingerprint.objects.count(),
        *(room.fingerprint_signature(user) for room in _rooms_with_fingerprints()),
    )


def get_member_index(user: User, member_private_key: bytes) -> tuple[Index, dict[str, Label]]:
    """The member's index (built, or from this process's memory when nothing changed)."""
    return _cache.get(user.pk, _signature(user), lambda: _build(user, member_private_key))


def forget_member_index(user_id: int) -> None:
    """Drop a member's index (at sign-out, or when their access ends)."""
    _cache.forget(user_id)


def _build(user: User, member_private_key: bytes) -> tuple[Index, dict[str, Label]]:
    from jiandu.forensics import fingerprints
    from jiandu.forensics.matching import Index

    index, labels = Index(), {}
    source_keys: dict[int, bytes] = {}
    for source, source_key in opened_sources(user, member_private_key):
        source_keys[source.pk] = source_key
        for analysis, opened in opened_analyses(source, source_key):
            ref = f"analysis:{analysis.pk}"
            index.add(ref, opened.fingerprint())
            name = str(open_item(source_key, analysis.item).meta.get("name", ""))
            labels[ref] = Label("evidence", name, source.designation, analysis.item_id, source.pk)
    for room in _rooms_with_fingerprints():
        for ref, fingerprint, label in room.fingerprint_rows(user, source_keys):
            index.add(ref, fingerprint)
            labels[ref] = label
    for row in PublishedFingerprint.objects.all():
        ref = f"published:{row.pk}"
        index.add(ref, fingerprints.from_bytes(row.sha256, bytes(row.fingerprint)))
        labels[ref] = Label("published", row.reference, "", None, None)
    return index.build(), labels


def find_matches(
    user: User, member_private_key: bytes, fingerprint, exclude: str = ""
) -> list[tuple[Match, Label]]:
    """Every file of the newsroom's evidence (that this member can read) and publications that
    the fingerprint matches, with what each one is."""
    index, labels = get_member_index(user, member_private_key)
    return [(match, labels[match.ref]) for match in index.query(fingerprint, exclude=exclude)]
