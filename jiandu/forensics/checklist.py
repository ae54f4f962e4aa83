"""The verification checklist of one evidence item and the status it derives.

Five questions (origin and chain of custody, metadata consistency, corroboration, people and
places identified, official confirmation), each answered by entries with who, when and a note
(`actions.do_record_check`, which also writes the custody log). The latest entry per question
counts. The derived status is what the public tracker shows on published evidence, so nobody
picks "verified" by hand:

- disputed: any question's latest answer is "disputed";
- verified: every question is confirmed;
- partly verified: at least one is confirmed;
- unverified: none is.
"""

from __future__ import annotations

from collections.abc import Mapping

from jiandu.forensics.models import CheckEntry

VERIFIED, PARTLY, UNVERIFIED, DISPUTED = "verified", "partly", "unverified", "disputed"


def derive_status(latest: Mapping[str, str]) -> str:
    """The status from each question's latest outcome (topic → outcome)."""
    outcomes = [latest.get(topic, CheckEntry.Outcome.OPEN) for topic in CheckEntry.Topic.values]
    if CheckEntry.Outcome.DISPUTED in outcomes:
        return DISPUTED
    if all(outcome == CheckEntry.Outcome.CONFIRMED for outcome in outcomes):
        return VERIFIED
    if CheckEntry.Outcome.CONFIRMED in outcomes:
        return PARTLY
    return UNVERIFIED


def get_latest_entries(item_id: int) -> dict[str, CheckEntry]:
    """Each question's latest entry for one item."""
    latest: dict[str, CheckEntry] = {}
    for entry in CheckEntry.objects.filter(item_id=item_id).select_related("author"):
        latest[entry.topic] = entry  # ordered by time: the last one wins
    return latest


def get_verification_status(item_id: int) -> str:
    """The derived status of one evidence item (see the module docstring)."""
    return derive_status({t: e.outcome for t, e in get_latest_entries(item_id).items()})


def status_for_reference(reference: str) -> str | None:
    """The derived status of the vault item a published derivative comes from ("item:<id>",
    the `derived_from` of cases' PublishedEvidence); None when it names no item (an editor's
    own upload keeps the status chosen at publication)."""
    kind, _, number = (reference or "").partition(":")
    if kind != "item" or not number.isdigit():
        return None
    return get_verification_status(int(number))
