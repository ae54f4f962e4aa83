"""Witnessing: another newsroom's Jiandu cosigns our checkpoints, and we cosign theirs.

Witness side (C2SP tlog-witness `add-checkpoint`): a request carries "old <size>", a
consistency proof and a checkpoint. We cosign (C2SP tlog-cosignature, Ed25519, type 0x04) only
if the checkpoint is signed by a log we were configured to trust (JIANDU_WITNESS_LOGS, a
comma-separated list of vkeys), `old` is the size we last cosigned, and the proof shows the new
tree extends the one we cosigned. A proof that fails is kept as a `SplitView` and logged at
CRITICAL: the log has shown two histories.

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

from jiandu.conf import env_list
from jiandu.ledger import keys, logread, note, tlog
from jiandu.ledger.logmodels import LogCosignature, SplitView, WitnessedLog

logger = logging.getLogger("jiandu.ledger.witness")
MAX_REQUEST = 64 * 1024


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


def _parse_request(body: bytes) -> tuple[int, list[bytes], str]:
    if len(body) > MAX_REQUEST:
        raise ValueError("request too large")
    text = body.decode("utf-8")
    head, sep, checkpoint = text.partition("\n\n")
    if not sep:
        raise ValueError("no blank line")
    lines = head.split("\n")
    first = lines[0]
    if not first.startswith("old ") or not first[4:].isdigit():
        raise ValueError("bad old size line")
    if first[4:] != str(int(first[4:])):
        raise ValueError("old size has leading zeros")
    if len(lines) - 1 > 63:
        raise ValueError("too many proof lines")
    proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
    if any(len(h) != tlog.HASH_SIZE for h in proof):
        raise ValueError("bad proof hash")
    return int(first[4:]), proof, checkpoint


def _split(origin: str, old: str, new: str, detail: str) -> None:
    SplitView.objects.create(
        origin=origin, seen_by="witness", old_checkpoint=old, new_checkpoint=new, detail=detail
    )
    logger.critical("SPLIT VIEW of %s: %s", origin, detail)


def do_add_checkpoint(body: bytes, now: Callable[[], float] = time.time) -> Reply:
    """Answer one add-checkpoint request with the status codes of C2SP tlog-witness."""
    try:
        old_size, proof, signed = _parse_request(body)
        parsed = note.parse(signed)
        checkpoint = note.parse_checkpoint(parsed.text)
    except (ValueError, note.NoteError):
        return Reply(400, "malformed request\n")
    log = trusted_logs().get(checkpoint.origin)
    if log is None:
        return Reply(404, "unknown log\n")
    try:
        note.open_checkpoint(signed, log)
    except note.NoteError:
        return Reply(403, "not signed by the log's key\n")
    if old_size > checkpoint.size:
        return Reply(400, "old size larger than checkpoint size\n")
    if checkpoint.size == 0 and checkpoint.root != tlog.EMPTY_ROOT:
        return Reply(422, "empty tree with a root that is not the empty hash\n")
    with transaction.atomic():
        last = WitnessedLog.objects.select_for_update().filter(origin=checkpoint.origin).first()
        last_size = last.size if last else 0
        if old_size != last_size:
            return Reply(409, f"{last_size}\n", "text/x.tlog.size")
        if old_size == 0 and proof:
            return Reply(422, "a proof from the empty tree must be empty\n")
        if last is not None:
            try:
                tlog.verify_consistency(
                    last.size, checkpoint.size, bytes.fromhex(last.root), checkpoint.root, proof
                )
            except tlog.ProofError as exc:
                _split(checkpoint.origin, last.checkpoint, signed, str(exc))
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
    proof = logread.get_consistency_proof(old_size, size) if old_size else []
    lines = [f"old {old_size}"] + [base64.b64encode(h).decode() for h in proof]
    return ("\n".join(lines) + "\n\n" + signed).encode()


def do_request_cosignature(
    url: str, witness: note.Verifier, post: Post | None = None
) -> LogCosignature:
    """Ask the witness at `url` (its submission prefix) to cosign our current checkpoint."""
    post = post or http_post
    checkpoint = logread.get_checkpoint()
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
            SplitView.objects.create(
                origin=checkpoint.origin,
                seen_by="log",
                old_checkpoint=f"size {old_size} cosigned by {witness.name}",
                new_checkpoint=signed,
                detail="a witness cosigned a larger tree than this log has",
            )
            logger.critical("SPLIT VIEW: %s cosigned size %s of our log", witness.name, old_size)
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
