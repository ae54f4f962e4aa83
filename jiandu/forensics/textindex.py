"""The text index of one member: the words read by OCR in every analysed file they can read
(scans, photos of documents, image-only PDFs), searchable, opened with the keys in their
session.

Like the matching index (index.py), the text is stored only inside each analysis's encrypted
report (its own key, sealed to its source's public key), so the index can only be built by a
process holding a member key, and it holds only what that member may read: a member without a
grant for a source never learns that one of its files mentions a name. It lives in this
process's memory for `TTL`, is rebuilt when an analysis is added, and is dropped at sign-out.

Search folds text and query alike (jiandu/sandbox/inside/ocr.py's `fold`: compatibility forms,
case, Traditional onto Simplified) and ignores spaces, so 陳志明 finds 陈志明, "zhang wei" finds
"ZHANG  WEI", and a name the OCR split over two lines is still found.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Max

from jiandu.accounts.models import User
from jiandu.forensics.membercache import MemberCache, opened_analyses, opened_sources
from jiandu.forensics.models import Analysis
from jiandu.sandbox.inside.ocr import fold
from jiandu.vault.access import open_item
from jiandu.vault.models import SourceGrant

MAX_QUERY = 200
MAX_RESULTS = 200
CONTEXT = 40  # characters shown on each side of a hit


@dataclass(frozen=True)
class _Page:
    """One page of one file's text: as read, and folded without spaces (with, for each folded
    character, its place in the text as read)."""

    item_id: int
    source_id: int
    source: str  # the source's designation
    name: str  # the file's name
    page: int  # from 1
    text: str
    folded: str
    places: tuple[int, ...]


_cache: MemberCache[list[_Page]] = MemberCache()


@dataclass(frozen=True)
class Hit:
    """Where a query was found: the file, the page, how often, and the first place in its
    context (the text as read, a slice of it)."""

    item_id: int
    source_id: int
    source: str
    name: str
    page: int
    count: int
    before: str
    found: str
    after: str


def folded(text: str) -> tuple[str, tuple[int, ...]]:
    """`text` folded for search, spaces left out, and where each folded character came from."""
    chars, places = [], []
    for place, char in enumerate(text):
        if not char.isspace():
            chars.append(fold(char))
            places.append(place)
    return "".join(chars), tuple(places)


def _signature(user: User) -> tuple[object, ...]:
    mine = Analysis.objects.filter(
        state=Analysis.State.DONE, item__source__grants__member_key__user=user
    )
    return (
        mine.aggregate(latest=Max("pk"))["latest"],
        mine.count(),
        SourceGrant.objects.filter(member_key__user=user).count(),
    )


def _build(user: User, member_private_key: bytes) -> list[_Page]:
    pages: list[_Page] = []
    for source, source_key in opened_sources(user, member_private_key):
        for analysis, opened in opened_analyses(source, source_key):
            report = opened.report()
            if not report.text:
                continue
            name = str(open_item(source_key, analysis.item).meta.get("name", ""))
            for number, text in enumerate(report.text, start=1):
                flat, places = folded(text)
                pages.append(
                    _Page(
                        analysis.item_id, source.pk, source.designation, name,
                        number, text, flat, places,
                    )
                )  # fmt: skip
    return pages


def get_member_pages(user: User, member_private_key: bytes) -> list[_Page]:
    """The member's text index (built, or from this process's memory when nothing changed)."""
    return _cache.get(user.pk, _signature(user), lambda: _build(user, member_private_key))


def forget_member_pages(user_id: int) -> None:
    """Drop a member's text index (at sign-out, or when their access ends)."""
    _cache.forget(user_id)


def search(user: User, member_private_key: bytes, query: str) -> list[Hit]:
    """Every page, of the files this member can read, whose OCR text holds the query."""
    wanted, _places = folded(query[:MAX_QUERY])
    if not wanted:
        return []
    hits = []
    for page in get_member_pages(user, member_private_key):
        first = page.folded.find(wanted)
        if first < 0:
            continue
        start = page.places[first]
        end = page.places[first + len(wanted) - 1] + 1
        hits.append(
            Hit(
                page.item_id, page.source_id, page.source, page.name, page.page,
                page.folded.count(wanted), page.text[max(0, start - CONTEXT) : start],
                page.text[start:end], page.text[end : end + CONTEXT],
            )
        )  # fmt: skip
        if len(hits) >= MAX_RESULTS:
            break
    return hits
