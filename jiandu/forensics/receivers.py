"""Removing a preview's blob when its row goes (an item or a whole source deleted); forgetting a
member's decrypted index at sign-out. (New files are handed to the worker at sign-in by the
sign-in flow itself: jiandu.newsroom.actions.do_open_session.)"""

import logging

from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.http import HttpRequest

from jiandu.accounts.models import User
from jiandu.forensics import storage
from jiandu.forensics.models import Preview

logger = logging.getLogger(__name__)


@receiver(post_delete, sender=Preview)
def remove_preview_blob(sender: type, instance: Preview, **kwargs: object) -> None:
    if instance.blob:
        name = instance.blob
        transaction.on_commit(lambda: storage.remove_blobs([name]))


@receiver(user_logged_out)
def forget_index_at_sign_out(
    sender: type, request: HttpRequest, user: User, **kwargs: object
) -> None:
    """The member's decrypted fingerprint and text indexes leave this process's memory with
    them."""
    from jiandu.forensics.index import forget_member_index
    from jiandu.forensics.textindex import forget_member_pages

    if user is not None:
        forget_member_index(user.pk)
        forget_member_pages(user.pk)
