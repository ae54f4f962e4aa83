"""Removing a preview's blob when its row goes (an item or a whole source deleted)."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from jiandu.forensics import storage
from jiandu.forensics.models import Preview


@receiver(post_delete, sender=Preview)
def remove_preview_blob(sender: type, instance: Preview, **kwargs: object) -> None:
    if instance.blob:
        name = instance.blob
        transaction.on_commit(lambda: storage.remove_blobs([name]))
