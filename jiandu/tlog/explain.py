"""The verify page's answer in plain words, in the reader's language.

A reader who brings a file wants to know what was checked and what it means, not to read
log entries: "this file is exactly the one the newsroom published on 1 December 2026; its
fingerprint is entry 12 of the newsroom's public log, and the log's signed summary includes
it". The entries and proofs stay on the page below the words, for whoever checks by hand;
the words say only what this server's checks established (`read.get_answer` checked every
inclusion proof against the signed checkpoint before anything here is said).

The log knows cases by their address only (it knows nothing of the cases room), so the words
name a case by its address and link to its page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.utils import formats
from django.utils.translation import gettext as _

from jiandu.tlog import client
from jiandu.tlog.labels import log_event_label, log_policy_label


@dataclass(frozen=True)
class EventLine:
    """One log entry as a reader reads it."""

    index: int
    time: datetime | None
    label: str
    policy: str
    case: str
    revision: int | None
    stored: str  # the entry's own "action kind", kept in the markup for citing


@dataclass
class Explanation:
    """The answer: a headline, its tone ("ok", "earlier", "withdrawn", "absent"), the
    sentences that say what was checked and what it means, and the events in words."""

    headline: str
    tone: str
    sentences: list[str] = field(default_factory=list)
    events: list[EventLine] = field(default_factory=list)


def _when(stamp: str) -> datetime | None:
    try:
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def day(stamp: str) -> str:
    """A log time ("2026-12-01T10:00:00Z") as a date in the reader's language (UTC)."""
    when = _when(stamp)
    return formats.date_format(when, "DATE_FORMAT") if when else stamp


def event_lines(answer: client.Answer) -> list[EventLine]:
    return [
        EventLine(
            index=e.index,
            time=_when(e.data.get("time", "")),
            label=log_event_label(e.data.get("action", ""), e.data.get("kind", "")),
            policy=log_policy_label(e.data.get("policy", "")),
            case=e.data.get("case", ""),
            revision=e.data.get("revision"),
            stored=f"{e.data.get('action', '')} {e.data.get('kind', '')}",
        )
        for e in answer.events
    ]


def explain(answer: client.Answer) -> Explanation:
    """What the checks of `answer` established, said for a reader."""
    size = answer.checkpoint.size
    summary = _(
        "The log's signed summary (its checkpoint, %(size)s entries, signed with the "
        "newsroom's key) includes it: this page checked the proof of that."
    ) % {"size": size}
    only_added = _(
        "Anyone holding an older summary can check that the log was only added to, never rewritten."
    )
    if answer.cosigners:
        only_added += " " + _(
            "Independent witnesses (%(names)s) checked that too before countersigning it."
        ) % {"names": ", ".join(answer.cosigners)}
    if not answer.found:
        return Explanation(
            headline=_("Not in the newsroom's public log"),
            tone="absent",
            sentences=[
                _("No entry in the newsroom's public log has this fingerprint (SHA-256)."),
                _(
                    "So this exact file is not one the newsroom published. If it looks like "
                    "a published file, it has been changed: a re-saved, cropped or "
                    "re-compressed copy has another fingerprint, even when it looks the same."
                ),
                _(
                    "Checked against the log's signed summary of %(size)s entries, the one "
                    "every reader is shown."
                )
                % {"size": size},
            ],
        )
    first = answer.events[0]
    data = first.data
    facts = {
        "date": day(data.get("time", "")),
        "index": first.index,
        "case": data.get("case", ""),
        "revision": data.get("revision", ""),
    }
    if data.get("kind") == "page":
        headline = _("This is exactly a page the newsroom published")
        opening = _(
            "This is exactly revision %(revision)s of the case page “%(case)s” as the "
            "newsroom published it on %(date)s."
        )
    else:
        headline = _("This file is exactly one the newsroom published")
        opening = _(
            "This file is exactly the one the newsroom published on %(date)s, with "
            "revision %(revision)s of the case “%(case)s”."
        )
    sentences = [
        opening % facts,
        _("Its fingerprint (SHA-256) is entry %(index)s of the newsroom's public log.") % facts,
        summary,
        only_added,
    ]
    last = answer.events[-1]
    if answer.status == "current":
        tone = "ok"
        sentences.append(
            _("It is still current: nothing published since has replaced or withdrawn it.")
        )
    elif answer.status == "superseded":
        tone = "earlier"
        sentences.append(
            _(
                "A later revision of the page has been published since; this one stays in "
                "the log and on the case's history, as it was."
            )
        )
    elif last.data.get("action") != "retract":  # the case was retracted by a later entry
        tone = "withdrawn"
        sentences.append(
            _(
                "The newsroom has since retracted the case; the retraction is in the log "
                "too, and the case page says why."
            )
        )
    else:
        tone = "withdrawn"
        sentences.append(
            _(
                "The newsroom withdrew it on %(date)s (entry %(index)s); the withdrawal is "
                "in the log too, and the case page says why."
            )
            % {"date": day(last.data.get("time", "")), "index": last.index}
        )
    return Explanation(headline, tone, sentences, event_lines(answer))
