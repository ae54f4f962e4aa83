"""The verification status a published derivative shows, computed here and nowhere else.

A derivative of a vault item shows what the item's verification checklist derives
(jiandu/forensics/checklist.py), never a status picked by hand; a newsroom-made file (no item
behind it) keeps the status chosen when it was attached. Used when evidence is attached
(`evidence.do_attach_evidence`) and when a case's public snapshot is taken (`snapshot.py`).
"""

from jiandu.forensics.checklist import status_for_reference


def verification_status_of(derived_from: str, chosen: str) -> str:
    """The status of evidence made from `derived_from` ("item:<id>" or ""), `chosen` when the
    reference names no item (checked against `VerificationStatus` where it is attached)."""
    return status_for_reference(derived_from) or chosen
