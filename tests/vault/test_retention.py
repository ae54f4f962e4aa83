"""Retention: sources idle past JIANDU_RETENTION_DAYS are crypto-shredded (grants, sealed keys,
rows) and their blobs removed; the hourly task reschedules itself; `jiandu purge_sources`."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from jiandu.vault import storage
from jiandu.vault.models import Item, Source, SourceGrant
from jiandu.vault.tasks import TASK_PATH, purge_idle_sources, schedule_retention
from tests.tipline.helpers import make_reader, submit

pytestmark = pytest.mark.django_db(transaction=True)


def _two_sources():
    make_reader()
    for text in ("old", "recent"):
        submit(Client(), message=text, files=[SimpleUploadedFile(f"{text}.txt", b"x")])
    old, recent = Source.objects.order_by("pk")
    Source.objects.filter(pk=old.pk).update(last_active_hour=timezone.now() - timedelta(days=91))
    return old, recent


def test_purge_command_shreds_idle_sources_only(capsys):
    old, recent = _two_sources()
    old_blobs = list(Item.objects.filter(source=old).values_list("blob", flat=True))
    call_command("purge_sources")
    assert "Deleted 1 source(s) idle over 90 days." in capsys.readouterr().out
    assert list(Source.objects.all()) == [recent]
    assert not SourceGrant.objects.filter(source_id=old.pk).exists()
    assert not Item.objects.filter(source_id=old.pk).exists()
    assert old_blobs and not any(storage.blob_path(b).exists() for b in old_blobs)
    assert all(storage.blob_path(i.blob).exists() for i in Item.objects.all())


def test_retention_period_is_configurable(settings):
    settings.JIANDU_RETENTION_DAYS = 365
    _two_sources()
    call_command("purge_sources")
    assert Source.objects.count() == 2


def test_task_purges_and_schedules_the_next_run():
    from django_tasks_db.models import DBTaskResult

    _two_sources()
    schedule_retention()
    schedule_retention()  # idempotent: one waiting run at most
    assert DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").count() == 1
    assert purge_idle_sources.call() == 1
    later = DBTaskResult.objects.get(  # the start of the next hour
        task_path=TASK_PATH, run_after__range=(timezone.now(), timezone.now() + timedelta(hours=1))
    )
    assert (later.run_after.minute, later.run_after.second, later.run_after.microsecond) == (0,) * 3
    assert Source.objects.count() == 1
