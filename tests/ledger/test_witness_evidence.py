"""The witness keeps evidence, not requests (issue 17, item 5).

Replaying the public checkpoint with a garbage consistency proof stored a `SplitView` and logged
CRITICAL each time: anyone could fill the table and the log and cry wolf. Now a bad proof is a
bad request (422, nothing kept, nothing above DEBUG logged), and only two checkpoints signed by
the log's own key that cannot both be true are kept: once per pair, at most
JIANDU_WITNESS_MAX_SPLIT_VIEWS rows, with a count past that. Bodies are bounded (413) and the
endpoint is rate-limited (429 with Retry-After). Everything goes through HTTP with real signed
checkpoints, the installation witnessing its own log as in test_tlog_witness.py."""

import base64
import hashlib
import json
import logging

import pytest

from jiandu.tlog import actions as logactions
from jiandu.tlog import keys, note, tlog, witness
from jiandu.tlog import read as logread
from jiandu.tlog.models import SplitView, SplitViewTally, WitnessedLog
from tests.ledger import rfc9162 as ref

URL = "/log/witness/add-checkpoint"


def entry(i: int) -> bytes:
    return logactions.canonical_json(
        {
            "action": "publish",
            "case": "c",
            "kind": "evidence",
            "revision": 1,
            "sha256": hashlib.sha256(str(i).encode()).hexdigest(),
            "time": "2026-11-30T08:00:00Z",
        }
    )


@pytest.fixture
def witnessing(db, settings, client):
    """The witness trusts this installation's log key; generous limits unless a test lowers
    them."""
    settings.JIANDU_WITNESS_LOGS = [keys.log_verifier().vkey]
    settings.JIANDU_WITNESS_PER_MINUTE = 1000
    settings.JIANDU_WITNESS_PER_ADDRESS_MINUTE = 1000
    return client


def post(client, body: bytes, **extra):
    return client.post(URL, body, content_type="text/plain", **extra)


def signed_checkpoint(entries: list[bytes]) -> str:
    """A checkpoint of the tree of `entries`, signed with the log's real key."""
    checkpoint = note.Checkpoint(keys.log_origin(), len(entries), ref.mth(entries))
    return note.sign(checkpoint.text, keys.log_origin(), keys.log_signing_key())


def request_body(old_size: int, proof: list[bytes], signed: str) -> bytes:
    lines = [f"old {old_size}"] + [base64.b64encode(h).decode() for h in proof]
    return ("\n".join(lines) + "\n\n" + signed).encode()


def proof_within(entries: list[bytes], old_size: int) -> list[bytes]:
    """A correct consistency proof from `old_size` within the tree of `entries`."""

    class Memory:
        def hashes(self, level, first, count):
            unit = 256**level
            return [
                ref.mth(entries[i * unit : (i + 1) * unit]) for i in range(first, first + count)
            ]

    return tlog.consistency_proof(Memory(), old_size, len(entries))


def cosign_honest(client, n: int) -> list[bytes]:
    """The witness cosigns the honest log at `n` entries; returns those entries."""
    honest = [entry(i) for i in range(n)]
    logactions.do_append_entries([json.loads(e) for e in honest])
    assert logread.get_checkpoint().root == ref.mth(honest)
    response = post(client, request_body(0, [], signed_checkpoint(honest)))
    assert response.status_code == 200
    return honest


def criticals(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.CRITICAL]


def test_garbage_proofs_are_bad_requests_not_split_views(witnessing, caplog):
    client = witnessing
    honest = cosign_honest(client, 4)
    public = logread.get_signed_checkpoint()
    garbage = [b"\x00" * 32, b"\x11" * 32]
    grown = honest + [entry(i) for i in range(4, 6)]
    logactions.do_append_entries([json.loads(e) for e in grown[4:]])
    with caplog.at_level(logging.DEBUG, logger="jiandu.tlog.witness"):
        for _ in range(41):  # the replay of issue 17: the public checkpoint, a garbage proof
            response = post(client, request_body(4, garbage[:1], public))
            assert response.status_code == 422
        # The grown public checkpoint with garbage instead of its proof, from size 4 ...
        assert post(client, request_body(4, garbage, signed_checkpoint(grown))).status_code == 422
    assert criticals(caplog) == []
    assert public not in caplog.text and "AAAA" not in caplog.text  # no body in any line
    assert not SplitView.objects.exists()
    assert WitnessedLog.objects.get().size == 4  # nothing moved
    # ... and from a size that is not a power of two, where a proof can be evidence: garbage
    # that does not lead to the signed root is still only a bad request.
    good = proof_within(grown, 4)
    assert post(client, request_body(4, good, signed_checkpoint(grown))).status_code == 200
    more = [*grown, entry(6)]
    with caplog.at_level(logging.DEBUG, logger="jiandu.tlog.witness"):
        assert post(client, request_body(6, garbage, signed_checkpoint(more))).status_code == 422
    assert criticals(caplog) == [] and not SplitView.objects.exists()


def test_two_signed_checkpoints_of_one_size_are_kept_once(witnessing, caplog):
    client = witnessing
    honest = cosign_honest(client, 4)
    fork = [entry(i + 50) for i in range(4)]
    with caplog.at_level(logging.DEBUG, logger="jiandu.tlog.witness"):
        for _ in range(40):
            assert post(client, request_body(4, [], signed_checkpoint(fork))).status_code == 422
    alarm = SplitView.objects.get()
    assert alarm.seen_by == "witness" and alarm.origin == keys.log_origin()
    # Both checkpoints verify with the log's key (the independent verifier) and disagree.
    old = ref.open_checkpoint(alarm.old_checkpoint.encode(), keys.log_verifier().vkey)
    new = ref.open_checkpoint(alarm.new_checkpoint.encode(), keys.log_verifier().vkey)
    assert old[1] == new[1] == 4 and old[2] == ref.mth(honest) and new[2] == ref.mth(fork)
    assert len(criticals(caplog)) == 1 and "SPLIT VIEW" in caplog.text
    assert WitnessedLog.objects.get().root == ref.mth(honest).hex()


def test_a_proof_that_ties_a_new_checkpoint_to_another_past_is_kept(witnessing, caplog):
    client = witnessing
    honest = cosign_honest(client, 5)
    fork = [entry(i + 50) for i in range(7)]  # another history, signed with the log's key
    body = request_body(5, proof_within(fork, 5), signed_checkpoint(fork))
    with caplog.at_level(logging.DEBUG, logger="jiandu.tlog.witness"):
        for _ in range(3):
            assert post(client, body).status_code == 422
    alarm = SplitView.objects.get()
    assert len(criticals(caplog)) == 1
    # The kept proof convinces an independent verifier that the signed tree of 7 begins with
    # a tree of 5 whose root is not the one the log signed (and the witness cosigned) for 5.
    proof = [base64.b64decode(line) for line in alarm.proof.split()]
    _o, size, root = ref.open_checkpoint(alarm.new_checkpoint.encode(), keys.log_verifier().vkey)
    assert size == 7 and ref.verify_consistency(5, 7, ref.mth(fork[:5]), root, proof)
    assert ref.mth(fork[:5]) != ref.mth(honest)


def test_a_fork_from_a_power_of_two_size_is_refused_without_a_claim(witnessing, caplog):
    """From 4 entries (a power of two) a proof leaves out the old root, so a failing proof
    cannot tell a fork from garbage: refused, nothing kept, said at DEBUG only."""
    client = witnessing
    cosign_honest(client, 4)
    fork = [entry(i + 50) for i in range(6)]
    with caplog.at_level(logging.DEBUG, logger="jiandu.tlog.witness"):
        response = post(client, request_body(4, proof_within(fork, 4), signed_checkpoint(fork)))
    assert response.status_code == 422
    assert criticals(caplog) == [] and not SplitView.objects.exists()


def test_split_views_are_capped_and_counted_past_the_cap(witnessing, settings, caplog):
    client = witnessing
    settings.JIANDU_WITNESS_MAX_SPLIT_VIEWS = 2
    cosign_honest(client, 3)
    with caplog.at_level(logging.DEBUG, logger="jiandu.tlog.witness"):
        for k in range(5):
            fork = [entry(100 * k + i + 50) for i in range(3)]
            assert post(client, request_body(3, [], signed_checkpoint(fork))).status_code == 422
    assert SplitView.objects.count() == 2
    assert SplitViewTally.objects.get().not_kept == 3
    # Two kept pieces, one line when the table filled; nothing more for the rest.
    assert len(criticals(caplog)) == 3


def test_bodies_are_bounded(witnessing):
    client = witnessing
    honest = [entry(i) for i in range(2)]
    signed = signed_checkpoint(honest)
    # Today's limit was 64 KiB: a 20 KiB checkpoint (a note with padding) is refused unread.
    padded = signed + "\u2014 x " + "A" * (20 * 1024) + "\n"
    assert post(client, request_body(0, [], padded)).status_code == 413
    assert witness.MAX_REQUEST < 16 * 1024
    assert post(client, b"old 0\n\n" + b"x" * (witness.MAX_REQUEST + 1)).status_code == 413
    # The most a request can need (63 proof hashes, a checkpoint at its limit) is allowed in.
    proof = [b"\x00" * 32] * 63
    largest = request_body(0, proof, signed)
    largest += b"x" * (witness.MAX_REQUEST - len(largest))
    assert len(largest) == witness.MAX_REQUEST
    assert post(client, largest).status_code == 400  # read and parsed (and malformed)
    assert not WitnessedLog.objects.exists()


def test_the_endpoint_is_rate_limited_per_address_and_in_all(witnessing, settings):
    client = witnessing
    settings.JIANDU_WITNESS_PER_ADDRESS_MINUTE = 3
    settings.JIANDU_WITNESS_PER_MINUTE = 5
    for _ in range(3):
        assert post(client, b"garbage", REMOTE_ADDR="203.0.113.7").status_code == 400
    refused = post(client, b"garbage", REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    # Another address still gets in, until everyone together reaches the global limit.
    assert post(client, b"garbage", REMOTE_ADDR="198.51.100.2").status_code == 400
    assert post(client, b"garbage", REMOTE_ADDR="198.51.100.3").status_code == 400
    assert post(client, b"garbage", REMOTE_ADDR="198.51.100.4").status_code == 429
    # Behind a local proxy (or Tor) every caller is 127.0.0.1: only the global limit applies.
    assert post(client, b"garbage").status_code == 429


@pytest.mark.parametrize("size", range(2, 40))
def test_a_proof_shows_the_prefix_root_only_where_it_can(size):
    """tlog.proven_prefix_root against the independent RFC 9162 code: a correct proof in a
    tree gives that tree's own prefix root (never a power-of-two one: the proof leaves it
    out); a proof with one hash changed gives nothing."""
    entries = [entry(i) for i in range(size)]
    root = ref.mth(entries)
    for old in range(1, size):
        proof = ref.proof(old, entries)
        found = tlog.proven_prefix_root(old, size, root, proof)
        if old & (old - 1) == 0:
            assert found is None
        else:
            assert found == ref.mth(entries[:old])
        for i in range(len(proof)):
            bent = [*proof[:i], bytes(32), *proof[i + 1 :]]
            assert tlog.proven_prefix_root(old, size, root, bent) is None
        assert tlog.proven_prefix_root(old, size, root, [*proof, bytes(32)]) is None


@pytest.mark.django_db(transaction=True)
def test_the_migration_hashes_kept_split_views_and_drops_repeats():
    """Rows kept before 0004 (the replayed false alarms of issue 17 among them) get their pair
    of checkpoint hashes, and repeats of a pair go, so the unique constraint can hold."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("ledger", "0003_transparency_log")], [("ledger", "0004_split_view_evidence")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("ledger", "SplitView")
    a, b = "log\n4\nAAAA\n\n\u2014 log sig1\n", "log\n4\nBBBB\n\n\u2014 log sig2\n"
    for _ in range(3):  # one pair, three rows; one copy with another signature line
        old.objects.create(origin="log", seen_by="witness", old_checkpoint=a, new_checkpoint=b)
    old.objects.create(
        origin="log", seen_by="witness", old_checkpoint=a, new_checkpoint=b + "\u2014 w x\n"
    )
    old.objects.create(origin="log", seen_by="witness", old_checkpoint=b, new_checkpoint=a)
    try:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
        new = executor.loader.project_state(after).apps.get_model("ledger", "SplitView")
        pairs = sorted(new.objects.values_list("old_sha256", "new_sha256"))
        ha, hb = logactions.checkpoint_sha256(a), logactions.checkpoint_sha256(b)
        assert pairs == sorted([(ha, hb), (hb, ha)])
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
