"""E-mail notifications that say only "there is new activity".

The e-mail never names a source, a designation, a file or a count: a mailbox is read by more
people and machines than the newsroom controls. Members choose: no e-mail, an e-mail when there
is new activity (at most one an hour), or one a day. `note_activity` runs after a submission
commits; the `send_notifications` task (Django Tasks) sends what is due and, while something is
still held back by the rate, schedules itself again.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from jiandu.newsroom.models import Notification

SUBJECT = "Jiandu: new activity / 新动态"
BODY = (
    "There is new activity in the Jiandu newsroom. Sign in to see it.\n\n"
    "监督编辑部有新动态，请登录查看。\n"
)
EVERY = {Notification.Mode.EACH: timedelta(hours=1), Notification.Mode.DAILY: timedelta(days=1)}
TASK_PATH = "jiandu.newsroom.tasks.send_notifications"


def note_activity() -> None:
    """Something new arrived: mark every subscriber as having news, and send what is due."""
    updated = Notification.objects.exclude(mode=Notification.Mode.OFF).update(pending=True)
    if updated:
        schedule_sending()


def schedule_sending(delay: timedelta | None = None) -> None:
    """Queue one sending run unless one is already waiting."""
    from jiandu.newsroom.tasks import send_notifications

    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:
        DBTaskResult = None  # another backend: queue unconditionally
    if (
        DBTaskResult is not None
        and DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").exists()
    ):
        return
    task = send_notifications
    if delay is not None:
        task = task.using(run_after=timezone.now() + delay)
    task.enqueue()


def do_send_due(now=None) -> tuple[int, timedelta | None]:
    """Send each subscriber with news whose interval has passed. Returns (sent, wait) where
    wait is how long until the next one held back is due (None if none is)."""
    now = now or timezone.now()
    sent, wait = 0, None
    for row in Notification.objects.filter(pending=True).select_related("user"):
        interval = EVERY.get(row.mode)
        if interval is None or not row.user.email or not row.user.is_active:
            continue
        due = row.last_sent + interval if row.last_sent else now
        if due > now:
            wait = min(wait, due - now) if wait else due - now
            continue
        send_mail(SUBJECT, BODY, settings.DEFAULT_FROM_EMAIL, [row.user.email])
        Notification.objects.filter(pk=row.pk).update(pending=False, last_sent=now)
        sent += 1
    return sent, wait
