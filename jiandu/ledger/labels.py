"""The custody log in words: what a record's subject and reason say, in the reader's language.

Records keep the stable strings the rooms write ("item:40", "evidence:2", "workbench report",
"checklist origin: confirmed"): the chain's MACs cover them, and an export or `jiandu
verify_custody` reads them as written. Pages show these labels instead, with the stored value
beside them in the markup (a `title`) for whoever must cite or filter by it. The ledger owns
this vocabulary because it owns the log; a reason it does not know is shown as written (a
deletion's reason is the member's own words).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

SUBJECT = re.compile(r"([a-z]+):(\d+)")
SUBJECTS: dict[str, Promise] = {
    "item": gettext_lazy("file %(n)s"),
    "source": gettext_lazy("source %(n)s"),
    "submission": gettext_lazy("submission %(n)s"),
    "questionnaire": gettext_lazy("questionnaire version %(n)s"),
    "evidence": gettext_lazy("published evidence %(n)s"),
    "render": gettext_lazy("render %(n)s"),
}
REASONS: dict[str, Promise] = {
    "redaction": gettext_lazy("opened in the redaction studio"),
    "redaction derivative": gettext_lazy("derivative viewed in the redaction studio"),
    "redaction face": gettext_lazy("face thumbnail shown in the redaction studio"),
    "redaction preview": gettext_lazy("live preview in the redaction studio"),
    "published derivative": gettext_lazy("derivative published to a case"),
    "automatic analysis": gettext_lazy("automatic analysis"),
    "workbench report": gettext_lazy("authentication report viewed"),
    "tag added": gettext_lazy("tag added"),
    "tag removed": gettext_lazy("tag removed"),
    "drafted": gettext_lazy("draft saved"),
    "deleted by the source": gettext_lazy("deleted by the source"),
    # A source's triage status (newsroom.models.Status), written as its value.
    "new": pgettext_lazy("source status", "new"),
    "in_review": pgettext_lazy("source status", "in review"),
    "authenticating": pgettext_lazy("source status", "authenticating"),
    "published": pgettext_lazy("source status", "published"),
    "closed": pgettext_lazy("source status", "closed"),
}
TOPICS: dict[str, Promise] = {
    "origin": gettext_lazy("origin"),
    "metadata": gettext_lazy("metadata"),
    "corroboration": gettext_lazy("corroboration"),
    "identified": gettext_lazy("people and places"),
    "official": gettext_lazy("official confirmation"),
}
OUTCOMES: dict[str, Promise] = {
    "confirmed": pgettext_lazy("checklist outcome", "confirmed"),
    "disputed": pgettext_lazy("checklist outcome", "disputed"),
    "open": pgettext_lazy("checklist outcome", "open"),
}


def subject_label(subject: str) -> str:
    """ "item:40" as "file 40"; "inbox:csv" as the inbox export; anything else as stored."""
    if subject == "inbox:csv":
        return _("the inbox (CSV export)")
    match = SUBJECT.fullmatch(subject)
    if match and match.group(1) in SUBJECTS:
        return str(SUBJECTS[match.group(1)]) % {"n": match.group(2)}
    return subject


def _subjects_in(text: str) -> str:
    """Each "kind:id" inside a reason (a submission's record lists its items) in words."""
    return SUBJECT.sub(lambda m: subject_label(m.group(0)), text)


PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"checklist (\w+): (\w+)"),
        lambda m: (
            _("checklist, %(topic)s: %(outcome)s")
            % {
                "topic": TOPICS.get(m.group(1), m.group(1)),
                "outcome": OUTCOMES.get(m.group(2), m.group(2)),
            }
        ),
    ),
    (
        re.compile(r"idle over (\d+) days"),
        lambda m: _("idle for over %(days)s days") % {"days": m.group(1)},
    ),
    (re.compile(r"note (\d+) added"), lambda m: _("note %(n)s added") % {"n": m.group(1)}),
    (re.compile(r"note (\d+) read"), lambda m: _("note %(n)s read") % {"n": m.group(1)}),
    (
        re.compile(r"withdrawn from (.+) \(moved to (.+)\)"),
        lambda m: (
            _("withdrawn from %(old)s (moved to %(new)s)") % {"old": m.group(1), "new": m.group(2)}
        ),
    ),
    (
        re.compile(r"approved as version (\d+) \(drafted by (.+)\)"),
        lambda m: (
            _("approved as version %(n)s (drafted by %(author)s)")
            % {"n": m.group(1), "author": m.group(2)}
        ),
    ),
    (
        re.compile(r"discarded \(drafted by (.+)\)"),
        lambda m: _("discarded (drafted by %(author)s)") % {"author": m.group(1)},
    ),
    (
        re.compile(r"(deleted by the source )?((?:[a-z]+:\d+ ?)+)"),
        lambda m: (
            (str(REASONS["deleted by the source"]) + _(": ") if m.group(1) else "")
            + _subjects_in(m.group(2).strip())
        ),
    ),
]


def reason_label(reason: str) -> str:
    """A stored reason in the reader's language; one the ledger does not know, as written."""
    if reason in REASONS:
        return str(REASONS[reason])
    for pattern, say in PATTERNS:
        if match := pattern.fullmatch(reason):
            return say(match)
    return reason
