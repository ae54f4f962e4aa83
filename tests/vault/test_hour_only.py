"""The time test: the tip line promises that a source's times are kept only to the hour.

Like the marker test (test_marker.py) it looks at everything the server keeps: every table of
the database and every file and folder under the data dir are snapshot, a source submits
through the real tip-line views (a message, a file, then as a returning source a resumable
upload), and any new or changed cell, file or folder holding a time that is not on the hour
fails the test. Cells are checked whatever their type: date/time columns, integers that look
like Unix times (seconds, milliseconds, minutes) and text (ISO times and digit runs inside
JSON or keys). Then the hourly job settles the data dir, after which no ctime is older than
the job's run.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from jiandu.core import filetimes
from jiandu.vault import actions as vault
from jiandu.vault.models import Item, Source, Submission
from tests.tipline.helpers import codename_of, make_reader, submit

pytestmark = pytest.mark.django_db(transaction=True)

ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?")
DIGITS = re.compile(r"\d+")
DAY = 86400


def snapshot_database() -> dict[str, set[tuple[Any, ...]]]:
    """Every row of every table, as (column, value) tuples (SQLite and PostgreSQL)."""
    tables: dict[str, set[tuple[Any, ...]]] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            names = [column[0] for column in cursor.description]
            tables[table] = {
                tuple(
                    zip(
                        names,
                        (bytes(v) if isinstance(v, memoryview) else v for v in row),
                        strict=True,
                    )
                )
                for row in cursor.fetchall()
            }
    return tables


def snapshot_files(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every file and folder under root (root too): (mtime, atime, size) in nanoseconds. Each
    folder is looked at before it is listed, since listing it sets its access time."""
    entries, folders = {}, [root]
    while folders:
        folder = folders.pop()
        entries[str(folder)] = _times(folder)
        for child in folder.iterdir():
            if child.is_dir() and not child.is_symlink():
                folders.append(child)
            else:
                entries[str(child)] = _times(child)
    return entries


def _times(path: Path) -> tuple[int, int, int]:
    info = path.lstat()
    return info.st_mtime_ns, info.st_atime_ns, info.st_size


def unix_time_problem(number: int | float, now: float) -> str | None:
    """If `number` reads as a Unix time near now (seconds, milliseconds or minutes) that is
    not on the hour, say which."""
    for unit, per_hour in (("s", 3600), ("ms", 3_600_000), ("min", 60)):
        scale = per_hour / 3600
        if abs(number - now * scale) < 2 * DAY * scale and number % per_hour:
            return f"Unix time in {unit}"
    return None


def datetime_problem(value: dt.datetime) -> str | None:
    if value.year == 9999:  # the task backend's "no time" sentinel
        return None
    if (value.minute, value.second, value.microsecond) != (0, 0, 0):
        return "date/time not on the hour"
    return None


def cell_problems(value: Any, now: float) -> list[str]:
    if isinstance(value, dt.datetime):
        return [p for p in [datetime_problem(value)] if p]
    if isinstance(value, dt.time):
        return ["time of day"] if value != dt.time(value.hour) else []
    if isinstance(value, bool) or value is None or isinstance(value, bytes | dt.date):
        return []  # bytes are ciphertext or hashes; a date has no time
    if isinstance(value, int | float):
        return [p for p in [unix_time_problem(value, now)] if p]
    text = str(value)
    problems = []
    for match in ISO_TIME.finditer(text):
        parsed = dt.datetime.fromisoformat(match.group(0))
        problems += [p for p in [datetime_problem(parsed)] if p]
    problems += [p for run in DIGITS.findall(text) if (p := unix_time_problem(int(run), now))]
    return problems


def database_problems(before: dict, after: dict, now: float) -> list[tuple[str, str, str]]:
    problems = []
    for table, rows in after.items():
        for row in rows - before.get(table, set()):
            for column, value in row:
                problems += [(table, column, p) for p in cell_problems(value, now)]
    return problems


def file_problems(before: dict, after: dict) -> list[tuple[str, str]]:
    problems = []
    for path, (mtime, atime, _size) in after.items():
        if before.get(path) == after[path]:
            continue
        for name, value in (("mtime", mtime), ("atime", atime)):
            if value % (3600 * 10**9):
                problems.append((path, name))
    return problems


def _resumable_upload(client: Client, data: bytes) -> str:
    """Through the tus server (jiandu.tipline.tus), in two pieces; returns the upload URL."""
    headers = {"Tus-Resumable": "1.0.0", "X-CSRFToken": client.session["_csrftoken"]}
    created = client.post(
        "/en/upload/",
        headers={
            **headers,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": "filename Yi5tcDQ=",
        },
    )
    url = created["Location"]
    for start in (0, len(data) // 2):
        end = len(data) if start else len(data) // 2
        response = client.generic(
            "PATCH",
            url,
            data[start:end],
            content_type="application/offset+octet-stream",
            headers={**headers, "Upload-Offset": str(start)},
        )
        assert response.status_code == 204
    return url


def test_a_source_leaves_no_time_finer_than_the_hour(isolated_data_dir):
    member, newsroom = make_reader()
    newsroom.get("/en/newsroom/sources/key/")
    newsroom.post(
        "/en/newsroom/sources/notifications/", {"mode": "each", "email": "zhu@example.org"}
    )
    # First visit: a message and a file, the receipt, the codename noted.
    before_db, before_files = snapshot_database(), snapshot_files(isolated_data_dir)
    source = Client()
    response = submit(
        source,
        message="first visit",
        files=[SimpleUploadedFile("a.mp4", os.urandom(200_000), "video/mp4")],
    )
    assert response.status_code == 302
    source.get("/en/receipt/")
    codename = codename_of(source)
    source.post("/en/codename/noted/", {"noted": "on"})
    assert_only_hours(before_db, before_files, isolated_data_dir)

    # The newsroom replies (its own time, not the source's), then the source comes back in a
    # new browser, reads the reply and sends a file through the resumable upload.
    vault.do_add_reply(Source.objects.get(), member.user, "a reply")
    before_db, before_files = snapshot_database(), snapshot_files(isolated_data_dir)
    back = Client()
    assert back.post("/en/return/", {"codename": codename}).status_code == 302
    assert "a reply" in back.get("/en/conversation/").content.decode()
    back.get("/en/submit/")
    upload_id = _resumable_upload(back, os.urandom(150_000))
    token = back.session["_csrftoken"]
    again = back.post(
        "/en/submit/",
        {"csrfmiddlewaretoken": token, "uploads": upload_id, "style": "en", "message": "again"},
    )
    assert again.status_code == 302
    assert Item.objects.filter(source__isnull=False).count() == 5  # it all went in
    # The source deletes its first submission (custody record, blobs removed) and signs out.
    first = Submission.objects.order_by("pk").first()
    assert back.post(f"/en/conversation/delete/{first.pk}/").status_code == 302
    assert not Submission.objects.filter(pk=first.pk).exists()
    back.post("/en/conversation/sign-out/")
    after_files = assert_only_hours(before_db, before_files, isolated_data_dir)

    # The hourly job: every entry changed in the hour is touched again, so that no ctime is
    # older than the run (the ctimes of the hour's writes no longer tell them apart).
    started = time.time()
    assert filetimes.settle_tree(isolated_data_dir) >= len(after_files)
    assert file_problems(before_files, snapshot_files(isolated_data_dir)) == []
    ctimes = [p.lstat().st_ctime for p in [isolated_data_dir, *isolated_data_dir.rglob("*")]]
    assert min(ctimes) >= started - 0.05  # the kernel's coarse clock may lag a little


def assert_only_hours(before_db: dict, before_files: dict, root: Path) -> dict:
    """No new or changed cell, file or folder since the snapshots holds a time off the hour."""
    now = time.time()
    after_db, after_files = snapshot_database(), snapshot_files(root)
    assert after_db != before_db and after_files != before_files  # something was written
    assert database_problems(before_db, after_db, now) == []
    assert file_problems(before_files, after_files) == []
    return after_files


def test_the_checks_find_what_they_should():
    now = time.time()
    on_hour = int(now // 3600 * 3600)
    assert cell_problems(on_hour, now) == [] and cell_problems(on_hour + 61, now)
    assert cell_problems((on_hour + 61) * 1000, now) and cell_problems(int(now // 60) + 1, now)
    assert cell_problems(f"vault:intake:{int(now // 60) + 1}", now)
    exact = timezone.now().replace(minute=7)
    assert cell_problems(exact, now) and cell_problems(f'{{"at": "{exact.isoformat()}"}}', now)
    assert cell_problems(exact.replace(minute=0, second=0, microsecond=0), now) == []
    assert cell_problems("deadbeef" * 5, now) == [] and cell_problems(b"\x01" * 20, now) == []
    before = {"t": {(("at", exact.replace(minute=0, second=0, microsecond=0)),)}}
    after = {"t": before["t"] | {(("at", exact),)}}
    assert database_problems(before, after, now) == [("t", "at", "date/time not on the hour")]


def test_the_hourly_job_purges_finished_tasks_and_settles_the_data_dir(isolated_data_dir):
    from django_tasks_db.models import DBTaskResult

    from jiandu.core import taskqueue
    from jiandu.newsroom.tasks import send_notifications
    from jiandu.vault.tasks import purge_idle_sources

    done, failed, waiting = (send_notifications.enqueue([]) for _ in range(3))
    DBTaskResult.objects.filter(pk=done.id).update(status="SUCCESSFUL", finished_at=timezone.now())
    DBTaskResult.objects.filter(pk=failed.id).update(status="FAILED", finished_at=timezone.now())
    written = isolated_data_dir / "public-generation"
    written.write_text("1")
    exact = time.time() - 600 - 17.25
    os.utime(written, (exact, exact))

    purge_idle_sources.call()
    remaining = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert str(waiting.id) in {str(pk) for pk in remaining}
    assert not {str(done.id), str(failed.id)} & {str(pk) for pk in remaining}
    assert written.stat().st_mtime == exact // 3600 * 3600
    following = DBTaskResult.objects.get(task_path="jiandu.vault.tasks.purge_idle_sources")
    assert following.run_after == taskqueue.next_hour()


def test_settle_tree_leaves_links_alone(tmp_path):
    target = tmp_path / "outside"
    target.write_text("x")
    exact = time.time() - 17.25
    os.utime(target, (exact, exact))
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(target)
    filetimes.settle_tree(root)
    assert target.stat().st_mtime == exact


def test_the_worker_logs_no_line_per_task(caplog):
    import logging

    from django.core.management import call_command

    from jiandu.newsroom.tasks import send_notifications

    caplog.set_level(logging.DEBUG)
    send_notifications.enqueue([])
    call_command("db_worker", batch=True, startup_delay=False, interval=0, verbosity=1)
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    lines = [r for r in caplog.records if r.name.startswith(("django.tasks", "django_tasks_db"))]
    assert [r.getMessage() for r in lines if r.levelno < logging.WARNING] == []
