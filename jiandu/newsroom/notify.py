"""E-mail notifications that say only "there is new activity", sent at a random moment of the
hour after it.

The e-mail never names a source, a designation, a file or a count: a mailbox is read by more
people and machines than the newsroom controls. Members choose: no e-mail, an e-mail when there
is new activity (at most one an hour), or one a day.

Times: a source's submission only raises a flag (`note_activity`, no time, no task). At the
start of each clock hour `close_notification_hour` (Django Tasks, one run an hour) takes the
members whose news came before that hour and who are due, and queues one sending run at a
random moment of the hour; the e-mail, the task row and `last_sent` (kept to the hour) so say
no more than "something arrived in an earlier hour" (docs/threat-model.md, "Times").
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from jiandu.core import taskqueue
from jiandu.newsroom.models import Notification

SUBJECT = "Jiandu: new activity / 新动态"
BODY = (
    "There is new activity in the Jiandu newsroom. Sign in to see it.\n\n"
    "监督编辑部有新动态，请登录查看。\n"
)
EVERY: dict[str, timedelta] = {
    Notification.Mode.EACH: timedelta(hours=1),
    Notification.Mode.DAILY: timedelta(days=1),
}
TASK_PATH = "jiandu.newsroom.tasks.close_notification_hour"


def note_activity() -> None:
    """Something new arrived: mark every subscriber as having news. Nothing is queued and no
    time is written: the hourly run picks the flags up."""
    Notification.objects.exclude(mode=Notification.Mode.OFF).update(pending=True)


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def random_moment_in_hour(hour: datetime) -> datetime:
    """A moment chosen uniformly in the hour that starts at `hour` (to the second)."""
    return hour + timedelta(seconds=secrets.randbelow(3600))


def do_close_hour(now: datetime | None = None) -> list[int]:
    """At the start of an hour: the members with news who are due an e-mail (their last one
    is an interval old), their flags cleared. Returns their user ids, to send to later in the
    hour. Members not due yet keep their flag for a later hour."""
    hour = hour_of(now or timezone.now())
    due = []
    for row in Notification.objects.filter(pending=True).select_related("user"):
        interval = EVERY.get(row.mode)
        if interval is None or not row.user.email or not row.user.is_active:
            continue
        if row.last_sent is not None and row.last_sent + interval > hour:
            continue
        due.append(row.user_id)
    Notification.objects.filter(user_id__in=due).update(pending=False)
    return due


def do_send(user_ids: list[int], now: datetime | None = None) -> int:
    """Send the e-mail to each of these members still subscribed; `last_sent` is the hour. A
    member whose e-mail could not be sent gets the flag back, for the next hour."""
    hour = hour_of(now or timezone.now())
    sent = 0
    rows = Notification.objects.filter(user_id__in=user_ids).select_related("user")
    for row in rows.exclude(mode=Notification.Mode.OFF):
        if not row.user.email or not row.user.is_active:
            continue
        try:
            send_mail(SUBJECT, BODY, settings.DEFAULT_FROM_EMAIL, [row.user.email])
        except (OSError, smtplib.SMTPException) as exc:
            logging.getLogger(__name__).warning("notification not sent: %s", type(exc).__name__)
            Notification.objects.filter(pk=row.pk).update(pending=True)
            continue
        Notification.objects.filter(pk=row.pk).update(last_sent=hour)
        sent += 1
    return sent


def schedule_hourly() -> None:
    """Queue the hourly run for the start of the next hour unless one is already waiting
    (`jiandu serve` calls it through the newsroom's `on_serve`)."""
    from jiandu.newsroom.tasks import close_notification_hour

    if not taskqueue.is_waiting(TASK_PATH):
        close_notification_hour.using(run_after=taskqueue.next_hour()).enqueue()
