"""Analysis without a click: at sign-in the member's session hands the worker the item keys of
every unanalysed file it can read (sealed to the worker's key, never in the queue in the clear);
results are encrypted at rest; a hostile file still ends as a report and stays downloadable."""

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tasks_db.models import DBTaskResult

from jiandu.forensics import actions, findings, handoff
from jiandu.forensics.models import Analysis
from jiandu.forensics.previews import Problem
from jiandu.ledger.models import CustodyRecord
from jiandu.newsroom.actions import do_open_session
from jiandu.vault import actions as vault
from jiandu.vault import crypto, session_keys
from jiandu.vault.access import get_source_key_for_member, open_item
from jiandu.vault.models import Item, Source
from tests.forensics.conftest import run_tasks, sign_in_and_analyse
from tests.forensics.test_metadata import exif_photo, hostile_corpus
from tests.tipline.helpers import make_reader, submit
from tests.vault.test_marker import database_dump, encodings

pytestmark = pytest.mark.django_db


def sign_in_and_run(member, capture):
    """The sign-in flow after both factors: the vault unlocks the member key into the session,
    then the worker is handed the new files (jiandu.newsroom.actions.do_open_session)."""
    request = SimpleNamespace(session={})
    with capture(execute=True):
        do_open_session(request, member.user, member.password)
    return session_keys.member_private_key(request)


def test_sign_in_analyses_new_files_and_the_results_are_encrypted_at_rest(
    isolated_data_dir, django_capture_on_commit_callbacks
):
    member, _client = make_reader()
    photo = exif_photo()
    garbage = bytes(range(256)) * 40
    submit(
        Client(),
        message="two files",
        files=[
            SimpleUploadedFile("photo.jpg", photo, "image/jpeg"),
            SimpleUploadedFile("clip.mp4", garbage, "video/mp4"),
        ],
    )
    handoff.start_worker_key()
    private = sign_in_and_run(member, django_capture_on_commit_callbacks)
    source = Source.objects.get()
    source_key = get_source_key_for_member(member.user, private, source)

    # The queue holds sealed boxes only: no item key in any encoding.
    queued = b"".join(repr(row.args_kwargs).encode() for row in DBTaskResult.objects.all())
    for item in source.items.filter(kind=Item.Kind.FILE):
        item_key = crypto.unseal(source_key, bytes(item.sealed_key))
        assert not any(form in queued for form in encodings(item_key))
    assert run_tasks() == 4  # an analysis and a preview of each file (issue 18, item 9)

    by_name = {}
    for item in source.items.filter(kind=Item.Kind.FILE):
        analysis = Analysis.objects.get(item=item)
        assert analysis.state == Analysis.State.DONE
        opened = actions.open_analysis(source_key, analysis)
        by_name[open_item(source_key, item).meta["name"]] = (item, opened.report())
    photo_report = by_name["photo.jpg"][1]
    assert photo_report.facts["serial"] == "SN-0123456789"
    assert {"gps", "serial"} <= {f.code for f in findings.find(photo_report)}
    hostile_item, hostile_report = by_name["clip.mp4"]
    assert hostile_report.problem is Problem.UNSUPPORTED and hostile_report.detected.mismatch
    # The original is kept and downloads byte for byte.
    assert b"".join(open_item(source_key, hostile_item).stream()) == garbage

    # Nothing of the report is readable in the database.
    dump = database_dump()
    for secret in (b"SN-0123456789", b"Canon EOS", photo_report.sha256.encode()):
        assert not any(form in dump for form in encodings(secret))
    assert CustodyRecord.objects.filter(reason="automatic analysis").count() == 2

    # A second sign-in hands nothing again.
    sign_in_and_run(member, django_capture_on_commit_callbacks)
    assert run_tasks() == 0


def test_without_a_worker_nothing_is_handed_and_items_wait(
    isolated_data_dir, django_capture_on_commit_callbacks
):
    member, _client = make_reader()
    submit(Client(), message="m", files=[SimpleUploadedFile("a.jpg", exif_photo(), "image/jpeg")])
    handoff.stop_worker_key()
    private = vault.do_unlock_member_key(member.user, member.password).private_key
    assert actions.do_request_analyses(member.user, private) == 0
    assert not Analysis.objects.exists()


def test_an_analysis_whose_worker_stopped_expires_and_is_handed_again(
    isolated_data_dir, django_capture_on_commit_callbacks
):
    member, _client = make_reader()
    submit(Client(), message="m", files=[SimpleUploadedFile("a.jpg", exif_photo(), "image/jpeg")])
    first = handoff.start_worker_key()
    sign_in_and_run(member, django_capture_on_commit_callbacks)
    actions.do_retire_worker(handoff.stop_worker_key())
    assert Analysis.objects.get().state == Analysis.State.EXPIRED
    assert not DBTaskResult.objects.filter(queue_name=first.queue_name).exists()
    handoff.start_worker_key()
    sign_in_and_run(member, django_capture_on_commit_callbacks)
    run_tasks()
    assert Analysis.objects.get().state == Analysis.State.DONE


@pytest.fixture(scope="module")
def hostile() -> dict[str, bytes]:
    return hostile_corpus()


def test_every_hostile_file_ends_analysed_and_downloads_byte_for_byte(
    isolated_data_dir, django_capture_on_commit_callbacks, hostile
):
    """The hostile corpus through the whole path: tip line, vault, hand-off at sign-in, worker,
    report page, download. Each file ends as a report or "could not be analysed", the web
    process keeps answering, and each original comes back byte for byte."""
    member, _ = make_reader()
    files = [
        SimpleUploadedFile(name, data, "application/octet-stream")
        for name, data in hostile.items()
        if data
    ]
    assert submit(Client(), message="hostile", files=files).status_code == 302
    client = sign_in_and_analyse(member, django_capture_on_commit_callbacks)
    source = Source.objects.get()
    items = list(source.items.filter(kind=Item.Kind.FILE))
    assert len(items) == len(files)
    for item in items:
        assert Analysis.objects.get(item=item).state == Analysis.State.DONE
        page = client.get(f"/en/newsroom/forensics/items/{item.pk}/")
        assert page.status_code == 200
        body = page.content.decode()
        assert 'id="analysis"' in body
        download = client.get(f"/en/newsroom/sources/{source.pk}/items/{item.pk}/")
        name = download["Content-Disposition"]
        original = next(data for n, data in hostile.items() if n in name)
        assert b"".join(download.streaming_content) == original
    assert client.get("/en/newsroom/sources/").status_code == 200
