"""Witnessing (C2SP tlog-witness add-checkpoint, answered by a tlog-cosignature): a witness
cosigns only checkpoints consistent with the last one it cosigned, and a split view is
recorded and reported loudly. Here the installation witnesses its own log (the witness key is
a different key), talking HTTP through Django's test client."""

import base64
import hashlib
import logging
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from jiandu.cases import logentries
from jiandu.tlog import actions as logactions
from jiandu.tlog import keys, note, tlog, witness
from jiandu.tlog.models import LogCosignature, SplitView, WitnessedLog
from tests.ledger import rfc9162 as ref


def entry(i: int) -> dict:
    return {
        "action": "publish",
        "case": "c",
        "kind": "evidence",
        "revision": 1,
        "sha256": hashlib.sha256(str(i).encode()).hexdigest(),
        "time": "2026-11-30T08:00:00Z",
    }


@pytest.fixture
def setup(db, settings, client):
    settings.JIANDU_WITNESS_LOGS = [keys.log_verifier().vkey]

    def post(url: str, body: bytes) -> tuple[int, bytes]:
        assert url == "http://testserver/log/witness/add-checkpoint"
        response = client.post("/log/witness/add-checkpoint", body, content_type="text/plain")
        return response.status_code, response.content

    return post


def raw_post(client, body: bytes):
    return client.post("/log/witness/add-checkpoint", body, content_type="text/plain")


def test_checkpoints_are_cosigned_after_a_consistency_check_and_published(setup, client):
    logactions.do_append_entries([entry(i) for i in range(5)])
    vkey = client.get("/log/witness/key").content.decode().strip()
    witness_verifier = note.parse_vkey(vkey)
    assert witness_verifier.sig_type == note.COSIGNATURE_V1
    first = witness.do_request_cosignature("http://testserver/log/witness", witness_verifier, setup)
    assert first.size == 5
    logactions.do_append_entries([entry(i) for i in range(5, 300)])
    second = witness.do_request_cosignature(
        "http://testserver/log/witness", witness_verifier, setup
    )
    assert second.size == 300
    # The log publishes the cosigned checkpoint; the cosignature verifies by the spec.
    signed = client.get("/log/checkpoint").content.decode()
    _cp, _note, cosigs = note.open_checkpoint(signed, keys.log_verifier(), [witness_verifier])
    assert [c.name for c in cosigs] == [keys.witness_name()]
    ref.open_checkpoint(signed.encode(), keys.log_verifier().vkey)
    body, _, _sigs = signed.rpartition("\n\n")
    blob = base64.b64decode(signed.rstrip("\n").rsplit(" ", 1)[1])[4:]
    stamp = int.from_bytes(blob[:8], "big")
    keys.witness_signing_key().verify_key.verify(
        f"cosignature/v1\ntime {stamp}\n{body}\n".encode(), blob[8:]
    )
    # The witness serves what it cosigned, for monitors.
    origin_hash = hashlib.sha256(keys.log_origin().encode()).hexdigest()
    kept = client.get(f"/log/witness/{origin_hash}/checkpoint").content.decode()
    assert kept.startswith(keys.log_origin() + "\n300\n")
    # A new entry: the current checkpoint is not cosigned yet, the last cosigned one is served.
    logactions.do_append_entries([entry(1000)])
    assert "\n301\n" in client.get("/log/checkpoint").content.decode()
    assert "\n300\n" in client.get("/log/cosigned-checkpoint").content.decode()


def test_the_witness_command_gets_a_cosignature(setup, client, monkeypatch, capsys):
    logactions.do_append_entries([entry(1)])
    monkeypatch.setattr(witness, "http_post", setup)
    call_command("witness", "http://testserver/log/witness", "--key", keys.witness_verifier().vkey)
    assert "Cosigned by" in capsys.readouterr().out
    assert LogCosignature.objects.get().size == 1


def forked_request(old_size: int, old_root_entries: list[bytes], new_entries: list[bytes]):
    """A checkpoint signed with the real log key over a different history, with a correct
    consistency proof from its own old tree."""

    class Memory:
        def hashes(self, level, first, count):
            unit = 256**level
            return [
                ref.mth(new_entries[i * unit : (i + 1) * unit]) for i in range(first, first + count)
            ]

    size = len(new_entries)
    checkpoint = note.Checkpoint(keys.log_origin(), size, ref.mth(new_entries))
    signed = note.sign(checkpoint.text, keys.log_origin(), keys.log_signing_key())
    proof = tlog.consistency_proof(Memory(), old_size, size)
    lines = [f"old {old_size}"] + [base64.b64encode(h).decode() for h in proof]
    return ("\n".join(lines) + "\n\n" + signed).encode()


def test_a_witness_detects_a_split_view_and_says_so_loudly(setup, client, caplog):
    logactions.do_append_entries([entry(i) for i in range(5)])
    w = keys.witness_verifier()
    witness.do_request_cosignature("http://testserver/log/witness", w, setup)
    # Another history of 7 entries, signed with the log's key, shown to the same witness with
    # its own correct proof from 5 (not a power of two: the proof then carries the fork's old
    # root, which is the evidence; tests/ledger/test_witness_evidence.py has the other cases).
    fork = [logactions.canonical_json(entry(i + 50)) for i in range(7)]
    with caplog.at_level(logging.CRITICAL, logger="jiandu.tlog.witness"):
        response = raw_post(client, forked_request(5, fork[:5], fork))
    assert response.status_code == 422
    assert "SPLIT VIEW" in caplog.text
    alarm = SplitView.objects.get()
    assert alarm.seen_by == "witness" and "\n7\n" in alarm.new_checkpoint
    assert WitnessedLog.objects.get().size == 5  # not moved to the fork


def test_the_log_side_reports_a_witness_refusal_as_a_split_view(setup, client, capsys):
    logactions.do_append_entries([entry(i) for i in range(4)])
    w = keys.witness_verifier()
    witness.do_request_cosignature("http://testserver/log/witness", w, setup)
    # The witness remembers another root for size 4 (it saw another history).
    WitnessedLog.objects.update(root="00" * 32)
    logactions.do_append_entries([entry(9)])
    with pytest.raises(witness.WitnessRefused) as refused:
        witness.do_request_cosignature("http://testserver/log/witness", w, setup)
    assert refused.value.split and "SPLIT VIEW" in str(refused.value)


def test_add_checkpoint_answers_with_the_status_codes_of_the_spec(setup, client):
    logactions.do_append_entries([entry(i) for i in range(3)])
    from jiandu.tlog import read as logread

    signed = note.sign(logread.get_checkpoint().text, keys.log_origin(), keys.log_signing_key())
    assert raw_post(client, b"garbage").status_code == 400
    assert raw_post(client, ("old 01\n\n" + signed).encode()).status_code == 400
    assert raw_post(client, ("old 4\n\n" + signed).encode()).status_code == 400  # old > size
    other = note.sign(
        "other.example/log\n3\n" + signed.split("\n")[2] + "\n",
        "other.example/log",
        keys.witness_signing_key(),
    )
    assert raw_post(client, ("old 0\n\n" + other).encode()).status_code == 404
    forged = signed.replace("\n3\n", "\n2\n")
    assert raw_post(client, ("old 0\n\n" + forged).encode()).status_code == 403
    proof = base64.b64encode(b"\x00" * 32).decode()
    assert raw_post(client, (f"old 0\n{proof}\n\n" + signed).encode()).status_code == 422
    ok = raw_post(client, ("old 0\n\n" + signed).encode())
    assert ok.status_code == 200 and ok.content.decode().startswith("\u2014 " + keys.witness_name())
    conflict = raw_post(client, ("old 0\n\n" + signed).encode())
    assert conflict.status_code == 409
    assert conflict.content == b"3\n" and conflict["Content-Type"] == "text/x.tlog.size"
    empty = note.sign(
        f"{keys.log_origin()}\n0\n{base64.b64encode(b'1' * 32).decode()}\n",
        keys.log_origin(),
        keys.log_signing_key(),
    )
    WitnessedLog.objects.all().delete()
    assert raw_post(client, ("old 0\n\n" + empty).encode()).status_code == 422
    assert client.get("/log/witness/add-checkpoint").status_code == 405


def test_add_checkpoint_refuses_hostile_bodies(setup, client):
    logactions.do_append_entries([entry(1)])
    from jiandu.tlog import read as logread

    signed = note.sign(logread.get_checkpoint().text, keys.log_origin(), keys.log_signing_key())
    proof = base64.b64encode(b"\x00" * 32).decode()
    too_many = "old 0\n" + (proof + "\n") * 64 + "\n" + signed
    assert raw_post(client, too_many.encode()).status_code == 400
    assert raw_post(client, b"old 0\n\n\xff\xfe" + signed.encode()).status_code == 400
    assert raw_post(client, b"old 0\n\n" + b"x" * (witness.MAX_REQUEST + 1)).status_code == 413
    short_hash = base64.b64encode(b"\x00" * 31).decode()
    assert raw_post(client, f"old 1\n{short_hash}\n\n{signed}".encode()).status_code == 400
    control = signed.replace("\n1\n", "\n1\x07\n")
    assert raw_post(client, ("old 0\n\n" + control).encode()).status_code == 400
    assert not WitnessedLog.objects.exists()


def test_configured_witnesses_cosign_after_each_publication(
    setup, settings, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    settings.JIANDU_LOG_WITNESSES = [
        f"http://testserver/log/witness {keys.witness_verifier().vkey}"
    ]
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": []}
    }
    monkeypatch.setattr(witness, "http_post", setup)
    with django_capture_on_commit_callbacks(execute=True):
        logentries.do_log_revision(
            "c", 1, "publication", {"evidence": []}, None, at=datetime.now(UTC)
        )
    assert LogCosignature.objects.get().size == 1
    # A witness that saw another history: the task logs it at CRITICAL, nothing is stored.
    WitnessedLog.objects.update(root="00" * 32)
    with (
        caplog.at_level(logging.CRITICAL, logger="jiandu.tlog.witness"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        logentries.do_log_revision("c", 2, "update", {"evidence": []}, {}, at=datetime.now(UTC))
    assert LogCosignature.objects.count() == 1
    assert "SPLIT VIEW" in caplog.text
