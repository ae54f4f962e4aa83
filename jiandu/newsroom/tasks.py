"""Background work of the newsroom: notification e-mails (previews are the forensics room's)."""

from django.tasks import task


@task
def send_notifications() -> int:
    """Send the e-mails that are due; come back when the next held-back one is. Returns how
    many were sent (no content in the task's arguments or result)."""
    from django.db import transaction

    from jiandu.newsroom.notify import do_send_due, schedule_sending

    sent, wait = do_send_due()
    if wait is not None:
        transaction.on_commit(lambda: schedule_sending(wait))
    return sent
