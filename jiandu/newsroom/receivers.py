"""Every new source gets its triage row, and members who asked to hear of new activity are told
after the commit (the e-mail says only that there is new activity)."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from jiandu.newsroom.models import SourceState
from jiandu.vault.models import Source, Submission


@receiver(post_save, sender=Source)
def create_source_state(sender: type, instance: Source, created: bool, **kwargs: object) -> None:
    if created:
        SourceState.objects.get_or_create(source=instance)


@receiver(post_save, sender=Submission)
def note_new_activity(sender: type, instance: Submission, created: bool, **kwargs: object) -> None:
    if created:
        from jiandu.newsroom.notify import note_activity

        transaction.on_commit(note_activity)
