"""The transparency log's entries in words: what an entry's "action" and "kind" say, and how
a page revision was reviewed, in the reader's language (the proof in words, explain.py).

The log stores stable strings (the signed entries must not change with the reader's language);
pages show these labels instead.
"""

from __future__ import annotations

import re

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

LOG_EVENTS: dict[tuple[str, str], Promise] = {
    ("publish", "page"): gettext_lazy("case page first published"),
    ("revise", "page"): gettext_lazy("case page revised"),
    ("retract", "page"): gettext_lazy("case retracted"),
    ("publish", "evidence"): gettext_lazy("evidence file published"),
    ("retract", "evidence"): gettext_lazy("evidence file withdrawn"),
}
LOG_POLICY = re.compile(r"one-person-(\d+)h")


def log_event_label(action: str, kind: str) -> str:
    """A log entry's "action" and "kind" ("publish", "evidence") in words; the stored pair
    as written where the ledger does not know it (a newer log read by an older page)."""
    label = LOG_EVENTS.get((action, kind))
    return str(label) if label is not None else f"{action} {kind}"


def log_policy_label(policy: str) -> str:
    """How a page revision was reviewed, as its log entry says ("two-people",
    "one-person-6h"); empty for entries from before issue 18, which did not say."""
    if policy == "two-people":
        return _("reviewed by a second editor")
    if match := LOG_POLICY.fullmatch(policy):
        return _("published by one editor after a %(hours)s-hour hold") % {"hours": match[1]}
    return policy
