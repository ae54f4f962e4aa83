"""Removing a preview's blob when its row goes (an item or a whole source deleted); handing
new files to the worker for analysis when a member signs in."""

import logging

from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.http import HttpRequest

from jiandu.accounts.models import User
from jiandu.accounts.signals import signed_in
from jiandu.forensics import storage
from jiandu.forensics.models import Preview
from jiandu.vault import session_keys

logger = logging.getLogger(__name__)


@receiver(post_delete, sender=Preview)
def remove_preview_blob(sender: type, instance: Preview, **kwargs: object) -> None:
    if instance.blob:
        name = instance.blob
        transaction.on_commit(lambda: storage.remove_blobs([name]))


@receiver(signed_in)
def analyse_after_sign_in(sender: type, request: HttpRequest, user: User, **kwargs: object) -> None:
    """Once both factors have passed and the vault has put the member key in the session (its
    receiver runs first: the vault app comes before this one), hand the worker every file this
    member can read that is not analysed or previewed yet. A failure here never stops the
    sign-in."""
    from jiandu.forensics.actions import do_hand_new_files

    private = session_keys.member_private_key(request) if request is not None else None
    if private is None:
        return
    try:
        do_hand_new_files(user, private)
    except Exception as exc:
        logger.error("automatic analysis at sign-in failed: %s", type(exc).__name__)


@receiver(user_logged_out)
def forget_index_at_sign_out(
    sender: type, request: HttpRequest, user: User, **kwargs: object
) -> None:
    """The member's decrypted fingerprint index leaves this process's memory with them."""
    from jiandu.forensics.index import forget_member_index

    if user is not None:
        forget_member_index(user.pk)
