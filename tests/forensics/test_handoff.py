"""Previews in the background: the worker opens only the item key a journalist handed it, no
usable key or plaintext sits in the queue or the database, and previews are encrypted at rest."""

import base64
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult
from PIL import Image

from jiandu.forensics import actions, handoff
from jiandu.forensics.models import Preview, WorkerKey
from jiandu.forensics.previews import Problem
from jiandu.ledger.models import CustodyRecord
from jiandu.vault import actions as vault
from jiandu.vault import crypto
from jiandu.vault.access import get_source_key_for_member
from jiandu.vault.models import Item, Source
from tests.forensics.conftest import MARKER, run_tasks
from tests.tipline.helpers import make_reader, submit
from tests.vault.test_marker import database_dump, encodings

pytestmark = pytest.mark.django_db


def source_with_file(data: bytes, name: str = "evidence.jpg"):
    member, _client = make_reader()
    submit(Client(), message="see file", files=[SimpleUploadedFile(name, data, "image/jpeg")])
    source = Source.objects.get()
    member_private = vault.do_unlock_member_key(member.user, member.password).private_key
    source_key = get_source_key_for_member(member.user, member_private, source)
    return member, source, source_key, source.items.get(kind=Item.Kind.FILE)


def run_worker(worker: WorkerKey | None = None) -> None:
    run_tasks()


def request(member, source_key, item, capture) -> Preview:
    with capture(execute=True):
        return actions.do_request_preview(member.user, source_key, item)


def test_preview_is_made_by_the_worker_and_encrypted_at_rest(
    media, isolated_data_dir, django_capture_on_commit_callbacks
):
    member, _source, source_key, item = source_with_file(media["photo.jpg"])
    worker = handoff.start_worker_key()
    preview = request(member, source_key, item, django_capture_on_commit_callbacks)
    assert preview.state == Preview.State.PENDING

    # What waits in the queue: the item key sealed to the worker's in-memory key, nothing more.
    task = DBTaskResult.objects.get(queue_name=worker.queue_name)
    item_key = crypto.unseal(source_key, bytes(item.sealed_key))
    queued = repr(task.args_kwargs).encode()
    assert not any(form in queued for form in encodings(item_key) + encodings(source_key))

    run_worker(worker)
    preview.refresh_from_db()
    assert preview.state == Preview.State.READY
    opened = actions.open_preview(source_key, preview)
    assert opened.content_type == "image/webp"
    data = b"".join(opened.stream())
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "WEBP"

    # At rest: the preview blob and every row hold neither the preview nor the photo's marker.
    stored = (isolated_data_dir / "previews" / preview.blob).read_bytes()
    assert data not in stored and b"RIFF" not in stored[:64]
    everything = database_dump() + stored
    assert not any(form in everything for form in encodings(MARKER.encode()))
    assert b"image/webp" not in database_dump()  # even the preview's type is encrypted
    # Padded (vault stream version 2): the blob's size tells only the Padmé bucket.
    assert stored[:8] == b"JDVAULT\x02"
    assert len(stored) == crypto.ciphertext_size(sum(opened.sizes)) != len(data) + 32 + 17
    assert CustodyRecord.objects.filter(action="preview", subject=f"item:{item.pk}").exists()


def test_only_the_worker_it_was_sealed_to_can_open_it(media, django_capture_on_commit_callbacks):
    member, _source, source_key, item = source_with_file(media["photo.jpg"])
    worker = handoff.start_worker_key()
    request(member, source_key, item, django_capture_on_commit_callbacks)
    args = DBTaskResult.objects.get(queue_name=worker.queue_name).args_kwargs["kwargs"]
    assert handoff.open_in_worker(worker.pk, args["sealed_item_key"]) is not None
    # Another process (another key) cannot open it, even holding the database.
    handoff.start_worker_key()
    assert handoff.open_in_worker(worker.pk, args["sealed_item_key"]) is None
    # Nor can the newsroom's keys: the sealed box opens only with the worker's private key.
    sealed = base64.b64decode(args["sealed_item_key"])
    with pytest.raises(crypto.VaultCryptoError):
        crypto.unseal(source_key, sealed)


def test_a_restarted_worker_cannot_open_old_tasks(media, django_capture_on_commit_callbacks):
    member, _source, source_key, item = source_with_file(media["photo.jpg"])
    worker = handoff.start_worker_key()
    preview = request(member, source_key, item, django_capture_on_commit_callbacks)
    args = DBTaskResult.objects.get(queue_name=worker.queue_name).args_kwargs["kwargs"]
    handoff._current = None  # the process died: its private key is gone with its memory
    worker.delete()
    handoff.start_worker_key()
    assert actions.do_make_preview(**args) == Preview.State.EXPIRED
    preview.refresh_from_db()
    assert preview.state == Preview.State.EXPIRED
    # Asking again hands it to the new worker.
    again = request(member, source_key, item, django_capture_on_commit_callbacks)
    assert again.state == Preview.State.PENDING
    assert again.worker_key_id == handoff.current_worker_key_id() != args["worker_key_id"]


def test_stopping_a_worker_expires_its_work_and_drops_its_queue(
    media, django_capture_on_commit_callbacks
):
    member, _source, source_key, item = source_with_file(media["photo.jpg"])
    worker = handoff.start_worker_key()
    preview = request(member, source_key, item, django_capture_on_commit_callbacks)
    actions.do_retire_worker(handoff.stop_worker_key())
    preview.refresh_from_db()
    assert preview.state == Preview.State.EXPIRED
    assert not DBTaskResult.objects.filter(queue_name=worker.queue_name).exists()
    assert not WorkerKey.objects.exists()


def test_no_worker_no_request(media):
    member, _source, source_key, item = source_with_file(media["photo.jpg"])
    with pytest.raises(actions.NoWorker):
        actions.do_request_preview(member.user, source_key, item)
    assert not Preview.objects.exists()


def test_a_hostile_file_gives_an_encrypted_reason(django_capture_on_commit_callbacks):
    member, _source, source_key, item = source_with_file(b"\xff\xd8\xff\xe0" + b"\x00" * 500)
    worker = handoff.start_worker_key()
    preview = request(member, source_key, item, django_capture_on_commit_callbacks)
    run_worker(worker)
    preview.refresh_from_db()
    assert preview.state == Preview.State.FAILED
    assert actions.open_preview(source_key, preview).problem is Problem.UNSUPPORTED
    assert b"unsupported" not in database_dump()


def test_unknown_file_types_are_not_handed_to_any_tool(django_capture_on_commit_callbacks):
    member, _source, source_key, item = source_with_file(b"just some notes", "notes.txt")
    worker = handoff.start_worker_key()
    preview = request(member, source_key, item, django_capture_on_commit_callbacks)
    run_worker(worker)
    preview.refresh_from_db()
    opened = actions.open_preview(source_key, preview)
    assert opened.problem is Problem.UNSUPPORTED and opened.kind is None


def test_deleting_the_source_removes_preview_blobs(
    media, isolated_data_dir, django_capture_on_commit_callbacks
):
    member, source, source_key, item = source_with_file(media["photo.jpg"])
    worker = handoff.start_worker_key()
    preview = request(member, source_key, item, django_capture_on_commit_callbacks)
    run_worker(worker)
    preview.refresh_from_db()
    path = isolated_data_dir / "previews" / preview.blob
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        vault.do_delete_source(source)
    assert not Preview.objects.exists()
    assert not path.exists()


def test_leftovers_are_cleaned(isolated_data_dir):
    from jiandu.forensics import storage

    name = storage.write_blob(crypto.random_key(), [b"orphan"])
    (storage.previews_dir() / ("0" * 32 + ".part")).write_bytes(b"half")
    assert actions.do_clean_preview_leftovers() == 2
    assert not (storage.previews_dir() / name).exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_keeps_its_key_only_while_it_runs():
    stale = WorkerKey.objects.create(public_key=b"\0" * 32, seen="2020-01-01T00:00Z")
    call_command("db_worker", batch=True, startup_delay=False, interval=0, verbosity=0)
    assert not WorkerKey.objects.filter(pk=stale.pk).exists()  # a dead worker, retired
    assert not WorkerKey.objects.exists()  # and its own key went when it stopped
    assert handoff.current_worker_key_id() is None


def test_immediate_backend_makes_the_preview_in_the_request(
    settings, media, django_capture_on_commit_callbacks
):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": []}
    }
    member, _source, source_key, item = source_with_file(media["photo.jpg"])
    preview = request(member, source_key, item, django_capture_on_commit_callbacks)
    preview.refresh_from_db()
    assert preview.state == Preview.State.READY


def test_worker_key_swapped_in_the_database_is_not_sealed_to(
    media, django_capture_on_commit_callbacks, caplog
):
    """A database-only attacker replaces the live worker's public key with their own: the item
    key is not sealed to it (no worker is used), and the refusal is logged without content."""
    import logging

    from jiandu.vault import binding

    member, _source, source_key, item = source_with_file(media["photo.jpg"])
    worker = handoff.start_worker_key()
    _attacker_private, attacker_public = crypto.new_keypair()
    WorkerKey.objects.filter(pk=worker.pk).update(public_key=attacker_public)
    with caplog.at_level(logging.ERROR, logger="jiandu.vault.binding"):
        with pytest.raises(actions.NoWorker):
            request(member, source_key, item, django_capture_on_commit_callbacks)
        with pytest.raises(binding.KeyBindingError):
            handoff.seal_for_worker(WorkerKey.objects.get(pk=worker.pk), b"k" * 32)
    assert not DBTaskResult.objects.exists()
    assert f"{binding.MISMATCH} table=forensics_workerkey id={worker.pk}" in caplog.text
    assert attacker_public.hex() not in caplog.text


def test_forged_newer_worker_row_is_skipped_for_the_genuine_worker(
    media, django_capture_on_commit_callbacks
):
    member, _source, source_key, item = source_with_file(media["photo.jpg"])
    genuine = handoff.start_worker_key()
    forged = WorkerKey.objects.create(
        public_key=crypto.new_keypair()[1], key_mac="0" * 64, seen=genuine.seen
    )
    assert forged.pk > genuine.pk
    preview = request(member, source_key, item, django_capture_on_commit_callbacks)
    assert preview.worker_key_id == genuine.pk
    assert DBTaskResult.objects.get().queue_name == genuine.queue_name


def test_preview_key_is_not_sealed_to_a_swapped_source_key(
    media, django_capture_on_commit_callbacks, caplog
):
    import logging

    from jiandu.vault import binding

    member, source, source_key, item = source_with_file(media["photo.jpg"])
    handoff.start_worker_key()
    preview = request(member, source_key, item, django_capture_on_commit_callbacks)
    Source.objects.filter(pk=source.pk).update(public_key=crypto.new_keypair()[1])
    with caplog.at_level(logging.ERROR, logger="jiandu.vault.binding"):
        run_worker()
    preview.refresh_from_db()
    assert preview.state == Preview.State.FAILED
    assert preview.sealed_key is None and preview.blob is None
    assert f"{binding.MISMATCH} table=vault_source id={source.pk}" in caplog.text
