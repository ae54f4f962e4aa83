"""The drills' checks (drills/djangoside.py) find what they are there to find: a lost upload, a
blob that does not decrypt or decrypts to another SHA-256, a leftover blob, a revision missing
from the transparency log, an acknowledged publication that is not public, a broken custody
chain. A drill that passes means something only if these checks can fail."""

from __future__ import annotations

import hashlib
import os

import pytest

from drills import djangoside

PASSWORD = "drill test password 12345"


@pytest.fixture
def drill(db):
    return djangoside.setup(PASSWORD)


def _submit(text: bytes, recorded_sha256: str | None = None):
    from jiandu.vault import actions as vault

    source = vault.do_create_source(os.urandom(32).hex(), os.urandom(32))
    digest = recorded_sha256 or hashlib.sha256(text).hexdigest()
    prepared = vault.prepare_text("file", text.decode(), {"sha256": digest, "size": len(text)})
    submission = vault.do_store_submission(source, [prepared])
    return submission.items.get()


def test_setup_makes_two_editors_and_a_published_case(drill):
    from jiandu.cases.models import Case

    assert set(drill) >= {"drill-editor-a", "drill-editor-b", "case_id"}
    assert Case.objects.get(pk=drill["case_id"]).revisions.count() == 1
    assert djangoside.setup(PASSWORD)["case_id"] == drill["case_id"]  # safe to run again


def test_an_acknowledged_upload_in_the_vault_passes(drill):
    _submit(b"evidence one")
    found = djangoside.check_vault(PASSWORD, [hashlib.sha256(b"evidence one").hexdigest()])
    assert found["problems"] == []
    assert (found["items"], found["lost_uploads"], found["orphan_blobs"]) == (1, 0, 0)


def test_an_acknowledged_upload_that_is_not_in_the_vault_is_lost(drill):
    _submit(b"evidence one")
    acked = [hashlib.sha256(b"evidence one").hexdigest(), hashlib.sha256(b"never").hexdigest()]
    found = djangoside.check_vault(PASSWORD, acked)
    assert found["lost_uploads"] == 1
    assert "1 acknowledged upload(s) missing" in found["problems"]


def test_a_blob_altered_on_disk_does_not_decrypt(drill):
    from jiandu.vault import storage

    item = _submit(b"evidence to damage")
    path = storage.blob_path(item.blob)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x01
    path.write_bytes(bytes(data))
    problems = djangoside.check_vault(PASSWORD, [])["problems"]
    assert len(problems) == 1 and problems[0].startswith(f"item {item.pk}:")


def test_a_blob_that_decrypts_to_another_sha256_than_recorded_is_reported(drill):
    item = _submit(b"evidence", recorded_sha256="0" * 64)
    found = djangoside.check_vault(PASSWORD, [])
    assert found["problems"] == [f"item {item.pk}: SHA-256 differs from the recorded one"]


def test_a_missing_blob_is_reported(drill):
    from jiandu.vault import storage

    item = _submit(b"evidence")
    storage.blob_path(item.blob).unlink()
    found = djangoside.check_vault(PASSWORD, [])
    assert len(found["problems"]) == 1 and found["problems"][0].startswith(f"item {item.pk}:")


def test_a_blob_no_row_points_to_is_counted(drill):
    from jiandu.vault import storage

    item = _submit(b"evidence")
    copy = storage.blob_path(item.blob).read_bytes()
    (storage.blobs_dir() / ("a" * 32 + ".jdv")).write_bytes(copy)
    assert djangoside.check_vault(PASSWORD, [])["orphan_blobs"] == 1


def test_a_wrong_password_cannot_check_anything(drill):
    with pytest.raises(SystemExit):
        djangoside.check_vault("not the drill password", [])


def test_a_published_revision_is_in_the_log(drill):
    found = djangoside.check_publications([])
    assert found["problems"] == []
    assert found["revisions"] == 1 and found["log_size"] >= 1


def test_a_revision_missing_from_the_log_is_reported(drill):
    from jiandu.tlog.models import LogEntry

    LogEntry.objects.filter(kind="page").update(sha256="f" * 64)
    problems = djangoside.check_publications([])["problems"]
    assert any("not in the log" in p for p in problems)


def test_an_acknowledged_publication_that_is_not_public_is_reported(drill):
    problems = djangoside.check_publications(["drill claim that never went out"])["problems"]
    assert problems == ["acknowledged publications missing: ['drill claim that never went out']"]


def test_an_acknowledged_publication_that_is_public_passes(drill):
    assert djangoside.check_publications(["Drill claim 0"])["problems"] == []


def test_a_gap_in_the_log_is_reported(drill):
    from jiandu.tlog.models import LogHead

    LogHead.objects.filter(pk=1).update(size=99)
    problems = djangoside.check_publications([])["problems"]
    assert "the log's entries do not run 0..head without a gap" in problems


def test_the_custody_chain_passes_and_an_altered_record_breaks_it(drill):
    from jiandu.ledger.models import CustodyRecord

    _submit(b"evidence")
    assert djangoside.check_custody()["problems"] == []
    record = CustodyRecord.objects.order_by("pk").first()
    CustodyRecord.objects.filter(pk=record.pk).update(
        action="view" if record.action != "view" else "download"
    )
    assert djangoside.check_custody()["problems"][0].startswith("custody chain broken")
