"""Witnessing: another newsroom's Jiandu cosigns our checkpoints, and we cosign theirs.

Witness side (C2SP tlog-witness `add-checkpoint`): a request carries "old <size>", a
consistency proof and a checkpoint. We cosign (C2SP tlog-cosignature, Ed25519, type 0x04) only
if the checkpoint is signed by a log we were configured to trust (JIANDU_WITNESS_LOGS, a
comma-separated list of vkeys), `old` is the size we last cosigned, and the proof shows the new
tree extends the one we cosigned.

A proof that fails is, first, a bad request: anyone can replay a public checkpoint with garbage
for a proof, so a failure alone proves nothing about the log and is answered 422 with nothing
kept and nothing logged above DEBUG (and never the body). Only evidence that the log signed two
histories is kept (`actions.do_record_split_view`: once per pair, capped) and logged at
CRITICAL, once per new piece:
- two checkpoints of the same size with different roots, both signed by the log's key; or
- for two sizes, a proof whose hashes lead to the new checkpoint's signed root but give a root
  for the first `old` entries that is not the one signed for that size. The hashes then are
  nodes of the signed tree (or SHA-256 has a collision), so no valid proof can exist; the proof
  is kept with the two checkpoints for anyone to check (`tlog.proven_prefix_root`). From a
  power-of-two size a proof leaves the old root out, so there a failing proof cannot be told
  from garbage, and the witness claims nothing: it refuses to cosign, which is its job.

The endpoint reads at most MAX_REQUEST bytes (413 past it) and counts requests per client
address (where the address tells callers apart) and in all (429 with Retry-After past either;
jiandu.core.throttle, nothing written to disk).

Log side (`jiandu witness URL`): send our current checkpoint with a proof from the size the
witness last cosigned, check the returned cosignature against the witness's key, and keep it
so that /log/checkpoint carries it.
"""

import base64
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from jiandu.conf import env_list, setting_int
from jiandu.core import throttle
from jiandu.tlog import actions, keys, note, read, tlog
from jiandu.tlog.models import LogCosignature, WitnessedLog

logger = logging.getLogger("jiandu.tlog.witness")
MAX_PROOF_LINES = 63  # a consistency proof in a tree of up to 2**63 entries
MAX_CHECKPOINT = 8 * 1024  # a checkpoint note with a few dozen signature lines
MAX_REQUEST = len("old 18446744073709551615\n") + MAX_PROOF_LINES * 45 + 1 + MAX_CHECKPOINT
RATE_SCOPE = "ledger.witness"
RATE_WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def trusted_logs() -> dict[str, note.Verifier]:
    configured = getattr(settings, "JIANDU_WITNESS_LOGS", None)
    vkeys = configured if configured is not None else env_list("JIANDU_WITNESS_LOGS", [])
    logs = {}
    for text in vkeys:
        verifier = note.parse_vkey(text)
        logs[verifier.name] = verifier
    return logs


def max_split_views_setting() -> int:
    """JIANDU_WITNESS_MAX_SPLIT_VIEWS: the most split views kept (default 100)."""
    return setting_int("JIANDU_WITNESS_MAX_SPLIT_VIEWS", 100)


def retry_after(request: HttpRequest) -> int | None:
    """Count this request; the seconds to wait when the caller's address (where it tells
    callers apart) or everyone together asked too often within a minute, else None.

    Why both: a log asks once per publication (and once more after a 409), so a few requests a
    minute from one address is plenty (JIANDU_WITNESS_PER_ADDRESS_MINUTE, default 20); behind
    a local proxy or Tor every caller is 127.0.0.1 and only the global ceiling holds
    (JIANDU_WITNESS_PER_MINUTE, default 120), which bounds the signature checks and row locks
    a flood can cost. A refused log asks again at its next publication."""
    if not throttle.address_is_shared(request):
        per_address = setting_int("JIANDU_WITNESS_PER_ADDRESS_MINUTE", 20)
        if throttle.count_attempt(RATE_SCOPE, request, RATE_WINDOW_SECONDS) > per_address:
            return RATE_WINDOW_SECONDS
    in_all = setting_int("JIANDU_WITNESS_PER_MINUTE", 120)
    if throttle.count(f"{RATE_SCOPE}.all", "", RATE_WINDOW_SECONDS) > in_all:
        return RATE_WINDOW_SECONDS
    return None


def _parse_request(body: bytes) -> tuple[int, list[bytes], str]:
    if len(body) > MAX_REQUEST:
        raise ValueError("request too large")
    text = body.decode("utf-8")
    head, sep, checkpoint = text.partition("\n\n")
    if not sep:
        raise ValueError("no blank line")
    if len(checkpoint) > MAX_CHECKPOINT:
        raise ValueError("checkpoint too long")
    lines = head.split("\n")
    first = lines[0]
    if not first.startswith("old ") or not first[4:].isdigit():
        raise ValueError("bad old size line")
    if first[4:] != str(int(first[4:])):
        raise ValueError("old size has leading zeros")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise ValueError("too many proof lines")
    proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
    if any(len(h) != tlog.HASH_SIZE for h in proof):
        raise ValueError("bad proof hash")
    return int(first[4:]), proof, checkpoint


def _refuse(status: int, message: str) -> Reply:
    """A bad request: said at DEBUG (the status only, never the body), answered, not kept."""
    logger.debug("add-checkpoint refused with %s", status)
    return Reply(status, message + "\n")


def _contradiction(
    last: WitnessedLog, checkpoint: note.Checkpoint, proof: list[bytes], log: note.Verifier
) -> str | None:
    """What makes the cosigned checkpoint and this one (both signed by `log`) impossible
    together, or None where the failed proof is merely a bad request (see the module's
    docstring)."""
    try:
        note.open_checkpoint(last.checkpoint, log)
    except note.NoteError:
        return None  # the log's key changed since: not two statements of one key
    if checkpoint.size == last.size:
        if checkpoint.root.hex() == last.root:
            return None
        return f"two checkpoints of {last.size} entries with different roots"
    prefix = tlog.proven_prefix_root(last.size, checkpoint.size, checkpoint.root, proof)
    if prefix is None or prefix.hex() == last.root:
        return None
    return (
        f"the consistency proof shows that the tree of {checkpoint.size} entries begins with "
        f"a tree of {last.size} entries of root {prefix.hex()}, not the root {last.root} "
        "signed for that size"
    )


def _record_split(origin: str, old: str, new: str, detail: str, proof: list[bytes]) -> None:
    """Keep the evidence (once, capped) and log one CRITICAL line when it is new."""
    result = actions.do_record_split_view(
        origin,
        "witness",
        old,
        new,
        detail,
        proof="".join(base64.b64encode(h).decode() + "\n" for h in proof),
        cap=max_split_views_setting(),
    )
    _alarm(result, f"SPLIT VIEW of {origin}: {detail}")


def _alarm(result: actions.SplitViewRecord, message: str) -> None:
    if result == "kept":
        logger.critical("%s", message)
    elif result == "first_not_kept":
        logger.critical(
            "%s (the table of split views is full: this and further new evidence is counted, "
            "not kept)",
            message,
        )


def do_add_checkpoint(body: bytes, now: Callable[[], float] = time.time) -> Reply:
    """Answer one add-checkpoint request with the status codes of C2SP tlog-witness."""
    try:
        old_size, proof, signed = _parse_request(body)
        parsed = note.parse(signed)
        checkpoint = note.parse_checkpoint(parsed.text)
    except (ValueError, note.NoteError):
        return _refuse(400, "malformed request")
    log = trusted_logs().get(checkpoint.origin)
    if log is None:
        return _refuse(404, "unknown log")
    try:
        note.open_checkpoint(signed, log)
    except note.NoteError:
        return _refuse(403, "not signed by the log's key")
    if old_size > checkpoint.size:
        return _refuse(400, "old size larger than checkpoint size")
    if checkpoint.size == 0 and checkpoint.root != tlog.EMPTY_ROOT:
        return _refuse(422, "empty tree with a root that is not the empty hash")
    with transaction.atomic():
        last = WitnessedLog.objects.select_for_update().filter(origin=checkpoint.origin).first()
        last_size = last.size if last else 0
        if old_size != last_size:
            logger.debug("add-checkpoint answered 409")
            return Reply(409, f"{last_size}\n", "text/x.tlog.size")
        if old_size == 0 and proof:
            return _refuse(422, "a proof from the empty tree must be empty")
        if last is not None:
            try:
                tlog.verify_consistency(
                    last.size, checkpoint.size, bytes.fromhex(last.root), checkpoint.root, proof
                )
            except tlog.ProofError:
                detail = _contradiction(last, checkpoint, proof, log)
                if detail is None:
                    return _refuse(422, "the consistency proof does not verify")
                _record_split(checkpoint.origin, last.checkpoint, signed, detail, proof)
                return Reply(422, "checkpoint is not consistent with the last one cosigned\n")
        line = note.cosign(parsed.text, keys.witness_name(), keys.witness_signing_key(), int(now()))
        kept = "".join(s.line for s in parsed.signatures if s.name == log.name) + line
        WitnessedLog.objects.update_or_create(
            origin=checkpoint.origin,
            defaults={
                "size": checkpoint.size,
                "root": checkpoint.root.hex(),
                "checkpoint": parsed.text + "\n" + kept,
            },
        )
    return Reply(200, line)


# --- The log's side ------------------------------------------------------------------------


class WitnessRefused(Exception):
    """The witness did not cosign; `split` is True when it says our log forked."""

    def __init__(self, message: str, split: bool = False) -> None:
        super().__init__(message)
        self.split = split


Post = Callable[[str, bytes], tuple[int, bytes]]


def http_post(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310 (an http(s) URL the operator gave)
        url, data=body, method="POST", headers={"Content-Type": "text/plain"}
    )
    if not url.startswith(("http://", "https://")):
        raise ValueError("the witness URL must be http(s)")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read(MAX_REQUEST)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(MAX_REQUEST)


def _request_body(old_size: int, size: int, signed: str) -> bytes:
    proof = read.get_consistency_proof(old_size, size) if old_size else []
    lines = [f"old {old_size}"] + [base64.b64encode(h).decode() for h in proof]
    return ("\n".join(lines) + "\n\n" + signed).encode()


def do_request_cosignature(
    url: str, witness: note.Verifier, post: Post | None = None
) -> LogCosignature:
    """Ask the witness at `url` (its submission prefix) to cosign our current checkpoint."""
    post = post or http_post
    checkpoint = read.get_checkpoint()
    signed = note.sign(checkpoint.text, keys.log_origin(), keys.log_signing_key())
    previous = LogCosignature.objects.filter(witness=witness.name).order_by("-size").first()
    old_size = previous.size if previous else 0
    endpoint = url.rstrip("/") + "/add-checkpoint"
    for _attempt in range(2):
        status, body = post(endpoint, _request_body(old_size, checkpoint.size, signed))
        if status != 409:
            break
        claimed = body.decode(errors="replace").strip()
        if not claimed.isdigit():
            raise WitnessRefused(f"the witness answered 409 without a size: {claimed[:80]!r}")
        old_size = int(claimed)
        if old_size > checkpoint.size:
            result = actions.do_record_split_view(
                checkpoint.origin,
                "log",
                f"size {old_size} cosigned by {witness.name}",
                signed,
                "a witness cosigned a larger tree than this log has",
                cap=max_split_views_setting(),
            )
            _alarm(result, f"SPLIT VIEW: {witness.name} cosigned size {old_size} of our log")
            raise WitnessRefused(
                f"SPLIT VIEW: {witness.name} has cosigned {old_size} entries of this log, "
                f"which has only {checkpoint.size}",
                split=True,
            )
    if status == 422:
        raise WitnessRefused(
            f"SPLIT VIEW: {witness.name} refused our checkpoint as inconsistent with the one it "
            "cosigned before",
            split=True,
        )
    if status != 200:
        raise WitnessRefused(f"the witness answered {status}: {body[:200]!r}")
    try:
        _parsed, good = note.open_note(signed + body.decode(), [witness])
    except (UnicodeDecodeError, note.NoteError) as exc:
        raise WitnessRefused(f"the witness's answer has no valid cosignature: {exc}") from exc
    cosignature, _ = LogCosignature.objects.update_or_create(
        size=checkpoint.size,
        witness=witness.name,
        defaults={"root": checkpoint.root.hex(), "line": good[0].line},
    )
    return cosignature
