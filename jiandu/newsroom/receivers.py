"""The newsroom hears of each new submission from the vault's domain signal, after its commit:
the source gets its triage row (a source without one reads as "new", so a row made late or
never loses nothing), and members who asked to hear of new activity are told (the e-mail says
only that there is new activity)."""

from django.dispatch import receiver

from jiandu.newsroom.models import SourceState
from jiandu.vault.signals import submission_stored


@receiver(submission_stored)
def triage_new_submission(sender: type, source_id: int, **kwargs: object) -> None:
    from jiandu.newsroom.notify import note_activity

    SourceState.objects.get_or_create(source_id=source_id)
    note_activity()
