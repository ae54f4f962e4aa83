"""What the publisher is asked to put in public: the working copy against the last publication.

The two-person rule is worth only what the second person reads. The review panel compares the
snapshot of the working copy (`take_snapshot`, exactly what publishing would store) with the
current revision's snapshot, so nothing that would go public escapes the comparison: a planted
sentence, an event changed, a person linked, a file attached after the request for review.

Text is compared per language, word by word for Latin script and character by character for
Chinese (which has no spaces between words), with difflib; the result is a list of segments the
template marks with <ins> and <del>, read on the server, no JavaScript. Timeline events carry no
identity in a snapshot, so an event whose type and date are unchanged but whose text or sources
changed reads as changed; any other difference reads as one removed and one added.
"""

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.utils.translation import gettext_lazy as _

from jiandu.cases.metrics import local_zone
from jiandu.cases.models import Case, EventType, Revision
from jiandu.cases.snapshot import take_snapshot

# A Latin word (letters, digits, apostrophes) or a run of spaces is one token; every other
# character (a Chinese character, a punctuation mark) is a token of its own.
TOKEN = re.compile(r"[0-9A-Za-z\u00c0-\u024f'’]+|\s+|.", re.DOTALL)

TEXT_FIELDS = (
    ("title", _("Title")),
    ("summary", _("Summary")),
    ("allegations", _("Allegations")),
)
DATE_FORMATS = {"hour": "%Y-%m-%d %H:00", "day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
LANGUAGES = (("zh", _("Chinese")), ("en", _("English")))


@dataclass(frozen=True)
class Segment:
    """A piece of one side of a compared text: "same", "ins" (only in this version) or "del"
    (only in the last published one)."""

    op: str
    text: str


@dataclass(frozen=True)
class TextChange:
    label: str
    language: str
    before: list[Segment]
    after: list[Segment]


@dataclass(frozen=True)
class EventChange:
    when: str
    type_label: str
    before: list[Segment]
    after: list[Segment]


@dataclass
class CaseDiff:
    """Everything that differs between the last publication and the working copy."""

    first_publication: bool
    texts: list[TextChange] = field(default_factory=list)
    events_added: list[dict[str, Any]] = field(default_factory=list)
    events_changed: list[EventChange] = field(default_factory=list)
    events_removed: list[dict[str, Any]] = field(default_factory=list)
    evidence_added: list[dict[str, Any]] = field(default_factory=list)
    evidence_removed: list[dict[str, Any]] = field(default_factory=list)
    people_added: list[str] = field(default_factory=list)
    people_removed: list[str] = field(default_factory=list)
    people_changed: list[str] = field(default_factory=list)
    sources_changed: bool = False
    claims_changed: bool = False

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.texts,
                self.events_added,
                self.events_changed,
                self.events_removed,
                self.evidence_added,
                self.evidence_removed,
                self.people_added,
                self.people_removed,
                self.people_changed,
                self.sources_changed,
                self.claims_changed,
            )
        )


def _segments(op: str, text: str) -> list[Segment]:
    """One changed run, its outer spaces kept outside the mark (a word inserted after a space
    reads as "<ins>word</ins>", not "<ins> word</ins>")."""
    core = text.strip()
    if not core:
        return [Segment("same", text)]
    start = text.index(core)
    parts = [Segment("same", text[:start])] if start else []
    parts.append(Segment(op, core))
    if text[start + len(core) :]:
        parts.append(Segment("same", text[start + len(core) :]))
    return parts


def compare_text(before: str, after: str) -> tuple[list[Segment], list[Segment]]:
    """The two sides of a text comparison, each a list of segments in reading order."""
    old, new = TOKEN.findall(before or ""), TOKEN.findall(after or "")
    left: list[Segment] = []
    right: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b = "".join(old[i1:i2]), "".join(new[j1:j2])
        if tag == "equal":
            left.append(Segment("same", a))
            right.append(Segment("same", b))
            continue
        if a:
            left += _segments("del", a)
        if b:
            right += _segments("ins", b)
    return left, right


def _event_key(event: dict[str, Any]) -> tuple[str, str, str]:
    return (event["type"], event["at"], event["precision"])


def _event_text(event: dict[str, Any]) -> str:
    description = event.get("description", {})
    return "\n".join(t for t in (description.get("zh", ""), description.get("en", "")) if t)


def when_text(at: str, precision: str) -> str:
    """An event's date as the newsroom typed it: local time, no finer than its precision."""
    local = datetime.fromisoformat(at).astimezone(local_zone())
    return local.strftime(DATE_FORMATS.get(precision, "%Y-%m-%d"))


def _type_label(value: str) -> str:
    try:
        return str(EventType(value).label)
    except ValueError:
        return value


def _labelled(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            **e,
            "type_label": _type_label(e["type"]),
            "text": _event_text(e),
            "when": when_text(e["at"], e["precision"]),
        }
        for e in events
    ]


def _compare_events(diff: CaseDiff, before: list[dict], after: list[dict]) -> None:
    old = [e for e in before if e not in after]
    new = [e for e in after if e not in before]
    changed_keys = {_event_key(e) for e in old} & {_event_key(e) for e in new}
    for key in sorted(changed_keys, key=lambda k: (k[1], k[0])):
        was = next(e for e in old if _event_key(e) == key)
        now = next(e for e in new if _event_key(e) == key)
        left, right = compare_text(_event_text(was), _event_text(now))
        diff.events_changed.append(
            EventChange(
                when_text(now["at"], now["precision"]), _type_label(now["type"]), left, right
            )
        )
        old.remove(was)
        new.remove(now)
    diff.events_added = _labelled(new)
    diff.events_removed = _labelled(old)


def _person_name(person: dict[str, Any]) -> str:
    name = person.get("name", {})
    return " / ".join(n for n in (name.get("zh"), name.get("en")) if n) or person["slug"]


def compare_snapshots(before: dict[str, Any] | None, after: dict[str, Any]) -> CaseDiff:
    """The difference between two snapshots (`before` is None for a first publication)."""
    diff = CaseDiff(first_publication=before is None)
    before = before or {}
    for name, label in TEXT_FIELDS:
        for language, language_label in LANGUAGES:
            was = before.get(name, {}).get(language, "")
            now = after.get(name, {}).get(language, "")
            if was != now:
                left, right = compare_text(was, now)
                diff.texts.append(TextChange(str(label), str(language_label), left, right))
    _compare_events(diff, before.get("events", []), after.get("events", []))
    old_evidence = {e["sha256"]: e for e in before.get("evidence", [])}
    new_evidence = {e["sha256"]: e for e in after.get("evidence", [])}
    diff.evidence_added = [e for h, e in new_evidence.items() if h not in old_evidence]
    diff.evidence_removed = [e for h, e in old_evidence.items() if h not in new_evidence]
    old_people = {p["slug"]: p for p in before.get("people", [])}
    new_people = {p["slug"]: p for p in after.get("people", [])}
    diff.people_added = [_person_name(p) for s, p in new_people.items() if s not in old_people]
    diff.people_removed = [_person_name(p) for s, p in old_people.items() if s not in new_people]
    diff.people_changed = [
        _person_name(p) for s, p in new_people.items() if s in old_people and old_people[s] != p
    ]
    diff.sources_changed = before.get("citations", []) != after.get("citations", [])
    diff.claims_changed = before.get("claims", []) != after.get("claims", [])
    return diff


def get_case_diff(case: Case) -> CaseDiff:
    """The working copy of `case` against its current public revision (reads only)."""
    # current_revision is set whenever its id is.
    previous = cast(Revision, case.current_revision).snapshot if case.current_revision_id else None
    return compare_snapshots(previous, take_snapshot(case))
