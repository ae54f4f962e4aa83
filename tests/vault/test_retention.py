"""Retention: sources idle past JIANDU_RETENTION_DAYS are crypto-shredded (grants, sealed keys,
rows) and their blobs removed; the hourly task reschedules itself; `jiandu purge_sources`."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from jiandu.vault import retention, storage
from jiandu.vault.models import Item, RetentionSetting, Source, SourceGrant
from jiandu.vault.retention import CEILING_DAYS, FLOOR_DAYS, Refusal, RetentionRefused
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


# --- The floor and the second confirmation (jiandu/vault/retention.py) -----------------------


def _idle(days: int) -> Source:
    submit(Client(), message="idle")
    source = Source.objects.order_by("-pk").first()
    Source.objects.filter(pk=source.pk).update(
        last_active_hour=timezone.now() - timedelta(days=days)
    )
    return source


@pytest.mark.parametrize("configured", [0, 1, 6])
def test_purge_never_goes_below_the_floor_from_the_environment(settings, configured):
    settings.JIANDU_RETENTION_DAYS = configured
    make_reader()
    young, old = _idle(FLOOR_DAYS - 1), _idle(FLOOR_DAYS + 1)
    assert retention.effective_days() == FLOOR_DAYS
    assert purge_idle_sources.call() == 1
    assert list(Source.objects.all()) == [young]
    assert not Source.objects.filter(pk=old.pk).exists()


def test_purge_never_goes_below_the_floor_from_a_tampered_database_row():
    RetentionSetting.objects.create(days=1, changed_hour=timezone.now())
    make_reader()
    young = _idle(2)
    assert purge_idle_sources.call() == 0
    assert Source.objects.filter(pk=young.pk).exists()


@pytest.mark.parametrize(
    ("current", "days", "confirmed", "refusal"),
    [
        (90, 6, 6, Refusal.BELOW_FLOOR),  # confirmed or not, never below the floor
        (90, 0, None, Refusal.BELOW_FLOOR),
        (90, -30, -30, Refusal.BELOW_FLOOR),
        (90, CEILING_DAYS + 1, None, Refusal.ABOVE_CEILING),
        (90, 30, None, Refusal.NEEDS_CONFIRMATION),
        (90, 30, 31, Refusal.NEEDS_CONFIRMATION),  # a confirmation of another number
        (90, 30, "30", Refusal.NEEDS_CONFIRMATION),  # not a number: never counts
        (90, 30, 30.0, Refusal.NEEDS_CONFIRMATION),
        (90, 30, True, Refusal.NEEDS_CONFIRMATION),
        (8, 7, 1, Refusal.NEEDS_CONFIRMATION),
    ],
)
def test_check_change_refuses(current, days, confirmed, refusal):
    with pytest.raises(RetentionRefused) as caught:
        retention.check_change(current, days, confirmed)
    assert caught.value.code == refusal


@pytest.mark.parametrize(
    ("current", "days", "confirmed"),
    [
        (90, 90, None),  # unchanged
        (90, 365, None),  # raising needs no confirmation
        (90, FLOOR_DAYS, FLOOR_DAYS),
        (90, 30, 30),
        (3, FLOOR_DAYS, None),  # a period under the floor (from the environment) is raised
        (90, CEILING_DAYS, None),
    ],
)
def test_check_change_accepts(current, days, confirmed):
    assert retention.check_change(current, days, confirmed) == days


@pytest.mark.parametrize("days", ["30", 30.0, True, None])
def test_check_change_wants_an_int(days):
    with pytest.raises(TypeError):
        retention.check_change(90, days, days)


def test_purge_command_states_the_period_it_applied(settings, capsys):
    settings.JIANDU_RETENTION_DAYS = 1
    make_reader()
    _idle(FLOOR_DAYS + 1)
    call_command("purge_sources")
    assert f"Deleted 1 source(s) idle over {FLOOR_DAYS} days." in capsys.readouterr().out
