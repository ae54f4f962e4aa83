"""The transparency log's Merkle math, tiles and signed notes, checked against the independent
verifier in tests/ledger/rfc9162.py (written from the RFC and the C2SP specs)."""

import base64
import hashlib
import json
import os
import stat
from datetime import UTC, datetime

import pytest
from nacl.signing import SigningKey

from jiandu.cases import logentries
from jiandu.tlog import actions as logactions
from jiandu.tlog import client, keys, note, tlog
from jiandu.tlog import read as logread
from jiandu.tlog.models import LogEntry, LogHead
from tests.ledger import rfc9162 as ref

ORIGIN = "jiandu.example/log"


class Memory:
    """A HashSource over a list of entries, computing tile-level hashes by the definition."""

    def __init__(self, entries: list[bytes]) -> None:
        self.entries = entries

    def hashes(self, level: int, first: int, count: int) -> list[bytes]:
        unit = 256**level
        if (first + count) * unit > len(self.entries):
            raise KeyError(level)
        return [
            ref.mth(self.entries[i * unit : (i + 1) * unit]) for i in range(first, first + count)
        ]


SIZES = [*range(1, 40), 63, 64, 65, 255, 256, 257, 300, 511, 512, 513]


@pytest.mark.parametrize("size", SIZES)
def test_roots_and_proofs_are_those_of_rfc_9162(size):
    entries = [f"entry {i}".encode() for i in range(size)]
    source = Memory(entries)
    root = tlog.tree_hash(source, size)
    assert root == ref.mth(entries)
    for m in sorted({0, min(1, size - 1), size // 3, size // 2, size - 1}):
        p = tlog.inclusion_proof(source, m, size)
        assert p == ref.path(m, entries)
        assert ref.verify_inclusion(m, size, ref.leaf(entries[m]), p, root)
        tlog.verify_inclusion(ref.leaf(entries[m]), m, size, p, root)
        assert not ref.verify_inclusion(m, size, ref.leaf(b"other"), p, root)
        with pytest.raises(tlog.ProofError):
            tlog.verify_inclusion(ref.leaf(b"other"), m, size, p, root)
    for old in sorted({0, 1, size // 2, size - 1, size}):
        p = tlog.consistency_proof(source, old, size)
        assert p == ref.proof(old, entries)
        old_root = ref.mth(entries[:old])
        assert ref.verify_consistency(old, size, old_root, root, p)
        tlog.verify_consistency(old, size, old_root, root, p)
        if 0 < old < size:
            with pytest.raises(tlog.ProofError):
                tlog.verify_consistency(old, size, ref.h(b"x"), root, p)


def test_empty_tree_root_is_the_hash_of_nothing():
    assert tlog.tree_hash(Memory([]), 0) == hashlib.sha256(b"").digest() == ref.mth([])


def test_proofs_with_wrong_sizes_indexes_or_lengths_are_refused():
    entries = [bytes([i]) for i in range(10)]
    source = Memory(entries)
    root = ref.mth(entries)
    p = tlog.inclusion_proof(source, 3, 10)
    for bad in (
        lambda: tlog.verify_inclusion(ref.leaf(entries[3]), 4, 10, p, root),
        lambda: tlog.verify_inclusion(ref.leaf(entries[3]), 3, 17, p, root),
        lambda: tlog.verify_inclusion(ref.leaf(entries[3]), 3, 10, [*p, p[0]], root),
        lambda: tlog.verify_inclusion(ref.leaf(entries[3]), 3, 10, p[:-1], root),
        lambda: tlog.verify_inclusion(ref.leaf(entries[3]), 10, 10, p, root),
        lambda: tlog.verify_consistency(11, 10, root, root, []),
        lambda: tlog.verify_consistency(10, 10, root, ref.h(b""), []),
        lambda: tlog.verify_consistency(0, 10, ref.h(b""), root, [root]),
        lambda: tlog.verify_consistency(3, 10, ref.mth(entries[:3]), root, []),
    ):
        with pytest.raises(tlog.ProofError):
            bad()


def test_tile_paths_are_c2sp_tlog_tiles_paths_and_odd_ones_are_refused():
    assert tlog.tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tlog.tile_path("entries", 5, 3) == "tile/entries/005.p/3"
    assert tlog.parse_tile_path("2/x001/x234/067.p/8") == ("2", 1234067, 8)
    assert ref.tile_name(1234067) == "x001/x234/067"
    for bad in (
        "0/1234",
        "0/x001",
        "0/01",
        "64/000",
        "00/000",
        "0/000.p/0",
        "0/000.p/256",
        "0/000.p/08",
        "0/x000/001",
        "-1/000",
        "0/../000",
        "entries/000.p/",
        "x/000",
    ):
        with pytest.raises(ValueError):
            tlog.parse_tile_path(bad)


def test_entry_bundles_round_trip_and_truncation_is_detected():
    bundle = tlog.pack_bundle([b"a", b"", b"ccc"])
    assert tlog.unpack_bundle(bundle) == [b"a", b"", b"ccc"]
    with pytest.raises(tlog.ProofError):
        tlog.unpack_bundle(bundle[:-1])
    with pytest.raises(ValueError):
        tlog.pack_bundle([b"x" * 70000])


# --- Signed notes ------------------------------------------------------------------------


def test_the_signed_note_example_of_the_spec_verifies():
    verifier = note.parse_vkey(
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    )
    signed = (
        "This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6Tf"
        "Xppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
    )
    parsed, good = note.open_note(signed, [verifier])
    assert parsed.text == "This is an example message.\n" and len(good) == 1
    with pytest.raises(note.NoteError):
        note.open_note(signed.replace("example message", "example massage"), [verifier])


def test_notes_from_unknown_keys_bad_ids_or_forged_signatures_are_refused():
    key, other = SigningKey.generate(), SigningKey.generate()
    log = note.verifier_for(ORIGIN, key)
    text = note.Checkpoint(ORIGIN, 3, b"\x01" * 32).text
    signed = note.sign(text, ORIGIN, key)
    assert note.open_checkpoint(signed, log)[0].size == 3
    ref.open_checkpoint(signed.encode(), log.vkey)
    forged = note.sign(text, ORIGIN, other)  # same name, other key: id differs, ignored
    with pytest.raises(note.NoteError):
        note.open_checkpoint(forged, log)
    # Same name and id as the log key but a signature by another key: rejected outright.
    blob = base64.b64encode(log.key_id + other.sign(text.encode()).signature).decode()
    with pytest.raises(note.NoteError):
        note.open_checkpoint(f"{text}\n\u2014 {ORIGIN} {blob}\n", log)
    with pytest.raises(note.NoteError):  # a changed size under the old signature
        note.open_checkpoint(signed.replace("\n3\n", "\n4\n"), log)
    vkey = log.vkey
    with pytest.raises(note.NoteError):
        note.parse_vkey(vkey.replace(vkey.split("+")[1], "00000000"))
    for bad in (
        "",
        "no signatures\n",
        text + "\n\u2014 x\n",
        text + "\n\u2014 a b\n",
        "a\x00b\n\n" + signed.split("\n\n")[1],
    ):
        with pytest.raises(note.NoteError):
            note.open_checkpoint(bad, log)


def test_checkpoints_with_leading_zeros_or_bad_roots_are_refused():
    for text in ("o\n03\nAAAA\n", "o\n3\nAAAA\n", "o\n3\n", "o\n\n" + "A" * 44 + "\n"):
        with pytest.raises(note.NoteError):
            note.parse_checkpoint(text)


def test_a_cosignature_is_a_timestamped_type_4_signature():
    key = SigningKey.generate()
    text = note.Checkpoint(ORIGIN, 1, b"\x02" * 32).text
    line = note.cosign(text, "w.example/w", key, 1_700_000_000)
    witness = note.verifier_for("w.example/w", key, note.COSIGNATURE_V1)
    _parsed, good = note.open_note(text + "\n" + line, [witness])
    blob = good[0].blob
    assert int.from_bytes(blob[:8], "big") == 1_700_000_000
    message = b"cosignature/v1\ntime 1700000000\n" + text.encode()
    key.verify_key.verify(message, blob[8:])  # by the spec's definition, independently
    with pytest.raises(note.NoteError):  # the log verifier type does not accept it
        note.open_note(text + "\n" + line, [note.verifier_for("w.example/w", key)])


# --- The log in the database ------------------------------------------------------------


def entry(i: int, sha: str | None = None) -> dict:
    return {
        "action": "publish",
        "case": f"case-{i % 7}",
        "kind": "evidence",
        "revision": 1,
        "sha256": sha or hashlib.sha256(str(i).encode()).hexdigest(),
        "time": "2026-11-30T08:00:00Z",
    }


def served(client_) -> callable:
    def read(path: str) -> bytes:
        response = client_.get("/log/" + path)
        if response.status_code == 404:
            raise KeyError(path)
        assert response.status_code == 200, path
        return response.content

    return read


@pytest.mark.django_db
def test_the_served_tiles_pass_the_independent_audit_across_tile_boundaries(client):
    logactions.do_append_entries([entry(i) for i in range(300)])
    vkey = client.get("/log/key").content.decode()
    assert vkey.strip() == keys.log_verifier().vkey and vkey.startswith(keys.log_origin() + "+")
    response = client.get("/log/checkpoint")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    size, root, entries = ref.audit(served(client), vkey)
    assert size == 300
    assert entries[5] == logactions.canonical_json(entry(5))
    assert b" " not in entries[5] and json.loads(entries[5]) == entry(5)
    assert client.get("/log/tile/0/000")["Cache-Control"].endswith("immutable")
    assert client.get("/log/tile/1/000.p/1").status_code == 200
    assert client.get("/log/tile/0/001.p/44").status_code == 200
    assert client.get("/log/tile/0/001.p/45").status_code == 404  # beyond the tree
    assert client.get("/log/tile/0/002.p/1").status_code == 404
    assert client.get("/log/tile/0/0001").status_code == 404
    # The implementation's own client agrees, for a found and a missing hash.
    sha = entry(77)["sha256"]
    answer = client_verify(served(client), sha)
    assert [e.index for e in answer.events] == [77] and answer.status == "current"
    i, proof_b64 = answer.events[0].index, answer.events[0].proof
    proof = [base64.b64decode(p) for p in proof_b64]
    assert ref.verify_inclusion(i, size, ref.leaf(entries[i]), proof, root)
    assert not client_verify(served(client), "0" * 64).found


def client_verify(read, sha, state=None):
    return client.verify_sha256(read, sha, keys.log_verifier(), state_dir=state)


def write_dir(files: dict[str, bytes], root) -> None:
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


@pytest.fixture
def log_dir(db, tmp_path):
    logactions.do_append_entries([entry(i) for i in range(20)])
    directory = tmp_path / "log"
    write_dir(logread.get_log_files(), directory)
    return directory


def test_a_log_directory_verifies_and_a_tampered_entry_is_detected(log_dir):
    sha = entry(3)["sha256"]
    assert client_verify(client.dir_reader(log_dir), sha).found
    bundle = log_dir / "tile/entries/000.p/20"
    data = bundle.read_bytes()
    bundle.write_bytes(data.replace(b'"case":"case-3"', b'"case":"case-4"', 1))
    with pytest.raises(client.VerifyError):
        client_verify(client.dir_reader(log_dir), sha)
    with pytest.raises(AssertionError):
        ref.audit(client.dir_reader(log_dir), keys.log_verifier().vkey)


def test_a_reordered_log_is_detected(log_dir):
    entries = tlog.unpack_bundle((log_dir / "tile/entries/000.p/20").read_bytes())
    entries[2], entries[3] = entries[3], entries[2]
    # A consistent rewrite of the tiles, under the original signed checkpoint.
    (log_dir / "tile/entries/000.p/20").write_bytes(tlog.pack_bundle(entries))
    (log_dir / "tile/0/000.p/20").write_bytes(b"".join(ref.leaf(e) for e in entries))
    with pytest.raises(client.VerifyError):
        client_verify(client.dir_reader(log_dir), entry(3)["sha256"])
    with pytest.raises(AssertionError):
        ref.audit(client.dir_reader(log_dir), keys.log_verifier().vkey)


def test_a_forged_checkpoint_is_detected(log_dir):
    checkpoint = log_dir / "checkpoint"
    text = note.parse(checkpoint.read_text()).text
    checkpoint.write_text(note.sign(text, ORIGIN, SigningKey.generate()))
    with pytest.raises(client.VerifyError):
        client_verify(client.dir_reader(log_dir), entry(3)["sha256"])
    with pytest.raises(AssertionError):
        ref.audit(client.dir_reader(log_dir), keys.log_verifier().vkey)


def test_a_truncated_log_is_detected(log_dir, tmp_path):
    state = tmp_path / "state"
    assert client_verify(client.dir_reader(log_dir), entry(3)["sha256"], state).found
    (log_dir / "tile/entries/000.p/20").unlink()
    with pytest.raises(client.VerifyError):
        client_verify(client.dir_reader(log_dir), entry(3)["sha256"])
    with pytest.raises(KeyError):
        ref.audit(client.dir_reader(log_dir), keys.log_verifier().vkey)
    # A shorter log, properly signed (a rollback of the database): the verifier saw 20.
    LogEntry.objects.filter(index__gte=10).delete()
    from jiandu.tlog.models import LogHash

    LogHash.objects.filter(level=0, index__gte=10).delete()
    LogHead.objects.filter(pk=1).update(size=10)
    short = tmp_path / "short"
    write_dir(logread.get_log_files(), short)
    ref.audit(client.dir_reader(short), keys.log_verifier().vkey)  # valid on its own
    with pytest.raises(client.SplitViewError):
        client_verify(client.dir_reader(short), entry(3)["sha256"], state)


def test_a_rewritten_history_signed_with_the_real_key_is_a_split_view(log_dir, tmp_path):
    state = tmp_path / "state"
    client_verify(client.dir_reader(log_dir), entry(3)["sha256"], state)
    LogEntry.objects.all().delete()
    from jiandu.tlog.models import LogHash

    LogHash.objects.all().delete()
    LogHead.objects.filter(pk=1).update(size=0)
    logactions.do_append_entries([entry(i) for i in range(25) if i != 4])
    other = tmp_path / "other"
    write_dir(logread.get_log_files(), other)
    ref.audit(client.dir_reader(other), keys.log_verifier().vkey)
    with pytest.raises(client.SplitViewError):
        client_verify(client.dir_reader(other), entry(3)["sha256"], state)


@pytest.mark.django_db
def test_a_missing_head_with_entries_left_refuses_appends():
    logactions.do_append_entries([entry(1)])
    LogHead.objects.all().delete()
    with pytest.raises(logactions.TransparencyLogBroken):
        logactions.do_append_entries([entry(2)])


def test_revision_entries_say_publish_revise_and_retract():
    at = datetime(2026, 11, 30, 8, 0, 0, 123456, tzinfo=UTC)
    ev = lambda d: {"sha256": d, "name": d + ".jpg"}  # noqa: E731
    first = {"slug": "c", "evidence": [ev("a" * 64)]}
    second = {"slug": "c", "evidence": [ev("b" * 64)], "title": "new"}
    one = logentries.revision_entries("c", 1, "publication", first, None, at)
    assert [(e["action"], e["kind"]) for e in one] == [("publish", "page"), ("publish", "evidence")]
    assert one[0]["time"] == "2026-11-30T08:00:00Z"
    assert (
        one[0]["sha256"]
        == hashlib.sha256(
            json.dumps(first, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        ).hexdigest()
    )
    two = logentries.revision_entries("c", 2, "update", second, first, at)
    assert [(e["action"], e["kind"], e["sha256"][0]) for e in two][1:] == [
        ("publish", "evidence", "b"),
        ("retract", "evidence", "a"),
    ]
    three = logentries.revision_entries("c", 3, "retraction", second, second, at)
    assert [(e["action"], e["kind"]) for e in three] == [
        ("retract", "page"),
        ("retract", "evidence"),
    ]


def test_the_log_key_is_a_0600_file_made_once_and_never_in_the_database(settings, db):
    key = keys.log_signing_key()
    path = keys.log_key_path()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert bytes(keys.log_signing_key()) == bytes(key)
    assert keys.witness_verifier().public_key != keys.log_verifier().public_key
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    logactions.do_append_entries([entry(1)])
    from django.db import connection

    seed_b64 = path.read_text().strip()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names from Django)
            dump = repr(cursor.fetchall())
            assert seed_b64 not in dump and bytes(key).hex() not in dump


def test_serving_makes_both_keys_before_the_first_request(db):
    from django.apps import apps

    assert not keys.log_key_path().exists() and not keys.witness_key_path().exists()
    message = apps.get_app_config("tlog").on_serve()
    assert keys.log_key_path().exists() and keys.witness_key_path().exists()
    assert keys.log_verifier().vkey in message


@pytest.mark.django_db
def test_the_consistency_endpoint_serves_proofs_the_independent_verifier_accepts(client):
    logactions.do_append_entries([entry(i) for i in range(13)])
    entries = [logactions.canonical_json(entry(i)) for i in range(13)]
    text = client.get("/log/consistency/5/13").content.decode()
    proof = [base64.b64decode(line) for line in text.split("\n") if line]
    assert ref.verify_consistency(5, 13, ref.mth(entries[:5]), ref.mth(entries), proof)
    for bad in ("0/13", "6/5", "5/14"):
        assert client.get(f"/log/consistency/{bad}").status_code == 404


@pytest.mark.parametrize("size", [0, 1, 2, 3, 7, 8, 9, 255, 256, 257, 600])
def test_the_root_from_all_leaves_is_the_rfc_root(size):
    entries = [f"e{i}".encode() for i in range(size)]
    assert tlog.root_from_leaves([ref.leaf(e) for e in entries]) == ref.mth(entries)


def test_an_entry_hidden_from_the_bundles_cannot_make_a_file_look_unpublished(log_dir):
    sha = entry(7)["sha256"]
    bundle = log_dir / "tile/entries/000.p/20"
    bundle.write_bytes(bundle.read_bytes().replace(sha.encode(), b"f" * 64))
    with pytest.raises(client.VerifyError):
        client_verify(client.dir_reader(log_dir), sha)  # not "absent": the log is damaged
