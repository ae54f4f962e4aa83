"""The cases room listens to the forensics room's domain signals."""

from typing import Any

from django.dispatch import receiver

from jiandu.cases.models import PublishedEvidence
from jiandu.forensics.signals import verification_changed


@receiver(verification_changed)
def follow_the_checklist(sender: Any, item_id: int, status: str, **kwargs: Any) -> None:
    """Published derivatives of a vault item show the status its verification checklist
    derives (the public record takes it with the case's next published revision)."""
    PublishedEvidence.objects.filter(derived_from=f"item:{item_id}").update(
        verification_status=status
    )
