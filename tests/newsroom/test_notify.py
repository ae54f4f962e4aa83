"""Notification times: a submission only raises a flag (no task, no time); the hourly run at the
start of an hour queues the e-mails for a random moment of that hour, with user ids only; what
arrives after the hour closed waits for the next; `last_sent` is kept to the hour."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jiandu.core import taskqueue
from jiandu.newsroom import notify
from jiandu.newsroom.models import Notification
from jiandu.newsroom.tasks import close_notification_hour
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db(transaction=True)


def subscribed():
    member, client = make_reader()
    client.get("/en/newsroom/sources/key/")
    client.post("/en/newsroom/sources/notifications/", {"mode": "each", "email": "z@example.org"})
    return member


def test_a_submission_queues_nothing_and_writes_no_time():
    member = subscribed()
    before = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert submit(Client(), message="hello").status_code == 302
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == before
    row = Notification.objects.get(user=member.user)
    assert row.pending and row.last_sent is None
    assert mail.outbox == []


def test_the_hourly_run_sends_at_a_random_moment_of_its_hour_with_ids_only():
    member = subscribed()
    notify.note_activity()
    assert close_notification_hour.call() == 1
    hour = notify.hour_of(timezone.now())
    sending = DBTaskResult.objects.get(task_path="jiandu.newsroom.tasks.send_notifications")
    assert hour <= sending.run_after < hour + timedelta(hours=1)
    assert sending.args_kwargs == {"args": [[member.user.pk]], "kwargs": {}}
    following = DBTaskResult.objects.get(task_path=notify.TASK_PATH)
    assert following.run_after == taskqueue.next_hour()
    assert not Notification.objects.get(user=member.user).pending
    notify.schedule_hourly()  # one waiting run at most
    assert DBTaskResult.objects.filter(task_path=notify.TASK_PATH).count() == 1


def test_activity_after_the_hour_closed_waits_for_the_next_hour():
    member = subscribed()
    notify.note_activity()
    due = notify.do_close_hour()
    notify.note_activity()  # arrives after the close, before the random moment
    assert notify.do_send(due) == 1
    row = Notification.objects.get(user=member.user)
    assert row.pending  # for the next hour's run
    assert row.last_sent == notify.hour_of(timezone.now())
    assert notify.do_close_hour() == []  # at most one an hour
    assert notify.do_close_hour(timezone.now() + timedelta(hours=1)) == [member.user.pk]


def test_a_failed_e_mail_gives_the_flag_back():
    member = subscribed()
    notify.note_activity()
    due = notify.do_close_hour()
    with mock.patch("jiandu.newsroom.notify.send_mail", side_effect=OSError("refused")):
        assert notify.do_send(due) == 0
    row = Notification.objects.get(user=member.user)
    assert row.pending and row.last_sent is None


def test_a_member_who_turned_e_mail_off_meanwhile_gets_none():
    member = subscribed()
    notify.note_activity()
    due = notify.do_close_hour()
    Notification.objects.filter(user=member.user).update(mode=Notification.Mode.OFF)
    assert notify.do_send(due) == 0 and mail.outbox == []
    assert notify.do_send([]) == 0 and notify.do_send([10**9]) == 0


def test_random_moments_stay_inside_the_hour():
    hour = notify.hour_of(timezone.now())
    moments = {notify.random_moment_in_hour(hour) for _ in range(200)}
    assert all(hour <= m < hour + timedelta(hours=1) for m in moments)
    assert len(moments) > 100
