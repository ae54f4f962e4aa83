"""Background work of the newsroom: notification e-mails (previews are the forensics room's).

No content in a task's arguments or result: user ids and counts only. Both tasks are queued by
the hourly chain, never by a source's action (jiandu/newsroom/notify.py, "Times").
"""

from django.tasks import task


@task
def close_notification_hour() -> int:
    """At the start of each hour: queue this hour's e-mails for a random moment of the hour,
    and the next run for the start of the next hour. Returns how many members are due."""
    from django.db import transaction
    from django.utils import timezone

    from jiandu.core import taskqueue
    from jiandu.newsroom import notify

    due = notify.do_close_hour()
    if due:
        at = notify.random_moment_in_hour(notify.hour_of(timezone.now()))
        transaction.on_commit(lambda: send_notifications.using(run_after=at).enqueue(due))
    transaction.on_commit(
        lambda: close_notification_hour.using(run_after=taskqueue.next_hour()).enqueue()
    )
    return len(due)


@task
def send_notifications(user_ids: list[int]) -> int:
    """Send the e-mails queued by this hour's run. Returns how many were sent."""
    from jiandu.newsroom.notify import do_send

    return do_send(user_ids)
