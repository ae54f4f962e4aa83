"""Reading the transparency log: checkpoints, tiles, entry bundles, proofs, lookups by hash.

Everything here is public. The checkpoint is signed on request (Ed25519 is deterministic, so
the same tree always gets the same note) with the key file in the data dir.
"""

import base64
import json
from dataclasses import dataclass

from jiandu.tlog import client, keys, note, tlog
from jiandu.tlog.models import LogCosignature, LogEntry, LogHash, LogHead


class DatabaseHashes:
    """`tlog.HashSource` over the LogHash table."""

    def hashes(self, level: int, first: int, count: int) -> list[bytes]:
        rows = list(
            LogHash.objects.filter(level=level, index__gte=first, index__lt=first + count)
            .order_by("index")
            .values_list("hash", flat=True)
        )
        if len(rows) != count:
            raise KeyError((level, first, count))
        return [bytes(h) for h in rows]


SOURCE = DatabaseHashes()


def get_size() -> int:
    head = LogHead.objects.filter(pk=1).first()
    return head.size if head else 0


def get_checkpoint(size: int | None = None) -> note.Checkpoint:
    size = get_size() if size is None else size
    return note.Checkpoint(keys.log_origin(), size, tlog.tree_hash(SOURCE, size))


def get_signed_checkpoint(size: int | None = None) -> str:
    """The checkpoint note signed by the log, with the witnesses' cosignatures on it."""
    checkpoint = get_checkpoint(size)
    signed = note.sign(checkpoint.text, keys.log_origin(), keys.log_signing_key())
    lines = LogCosignature.objects.filter(
        size=checkpoint.size, root=checkpoint.root.hex()
    ).order_by("witness")
    return signed + "".join(c.line for c in lines)


def get_latest_cosigned_checkpoint() -> str | None:
    """The newest checkpoint that witnesses cosigned (the current one may not be yet)."""
    latest = LogCosignature.objects.order_by("-size").first()
    return get_signed_checkpoint(latest.size) if latest else None


def get_tile(level: str, index: int, width: int) -> bytes | None:
    """A hash tile or entry bundle of the current tree, or None if it does not exist (yet)."""
    size = get_size()
    lvl = 0 if level == "entries" else int(level)
    available = size // tlog.TILE_WIDTH**lvl
    first = index * tlog.TILE_WIDTH
    if first + width > available:
        return None
    if level == "entries":
        rows = LogEntry.objects.filter(index__gte=first, index__lt=first + width).order_by("index")
        return tlog.pack_bundle([row.entry.encode() for row in rows])
    return b"".join(SOURCE.hashes(lvl, first, width))


@dataclass(frozen=True)
class Found:
    """An entry with its inclusion proof in the tree of the signed checkpoint."""

    entry: LogEntry
    proof: list[str]  # base64 hashes, leaf side first


def get_entries_for(sha256: str) -> list[LogEntry]:
    return list(LogEntry.objects.filter(sha256=sha256.lower()).order_by("index"))


def get_subject_entries(subject: str, kind: str) -> list[LogEntry]:
    return list(LogEntry.objects.filter(subject=subject, kind=kind).order_by("index"))


def get_inclusion_proof(index: int, size: int) -> list[str]:
    return [base64.b64encode(h).decode() for h in tlog.inclusion_proof(SOURCE, index, size)]


def get_consistency_proof(old_size: int, size: int) -> list[bytes]:
    return tlog.consistency_proof(SOURCE, old_size, size)


def local_reader(path: str) -> bytes:
    """`client.Reader` over this installation's own log, so the verify page and `jiandu
    verify` without --log check proofs with the same code as an outside verifier."""
    if path == "checkpoint":
        return get_signed_checkpoint().encode()
    if path == "key":
        return (keys.log_verifier().vkey + "\n").encode()
    if path.startswith("tile/"):
        try:
            level, index, width = tlog.parse_tile_path(path[len("tile/") :])
        except ValueError as exc:
            raise KeyError(path) from exc
        data = get_tile(level, index, width)
        if data is not None:
            return data
    raise KeyError(path)


def get_log_files(have: frozenset[str] = frozenset()) -> dict[str, bytes]:
    """Every resource of the current log by its path under /log/ (checkpoint, key, every
    hash tile and entry bundle the current size needs), for static mirrors. Full tiles named
    in `have` are left out: they never change once written."""
    size = get_size()
    files = {
        "checkpoint": get_signed_checkpoint(size).encode(),
        "key": (keys.log_verifier().vkey + "\n").encode(),
    }
    level = 0
    while size >= tlog.TILE_WIDTH**level:
        full, partial = tlog.tile_widths(size, level)
        names = [str(level), "entries"] if level == 0 else [str(level)]
        for name in names:
            for n in range(full):
                if tlog.tile_path(name, n) not in have:
                    files[tlog.tile_path(name, n)] = get_tile(name, n, tlog.TILE_WIDTH) or b""
            if partial:
                files[tlog.tile_path(name, full, partial)] = get_tile(name, full, partial) or b""
        level += 1
    return files


def get_answer(sha256: str) -> client.Answer:
    """The verify page's answer from the database: the entries with this SHA-256 (an indexed
    lookup, so a public page costs O(matches x log n), not a scan of the log), each with its
    inclusion proof checked against the signed checkpoint, and the later page revisions of
    the case that decide whether a page is still current."""
    size = get_size()
    signed = get_signed_checkpoint(size)
    checkpoint, _note, cosigs = note.open_checkpoint(signed, keys.log_verifier())
    answer = client.Answer(sha256.lower(), checkpoint, signed)
    answer.cosigners = sorted({s.name for s in cosigs})
    answer.consistency = "checked by the server against its own signed checkpoint"
    later: list[dict] = []
    subjects: dict[int, str] = {}
    for row in get_entries_for(sha256):
        if row.index >= size:
            continue
        raw = row.entry.encode()
        proof = tlog.inclusion_proof(SOURCE, row.index, size)
        try:
            tlog.verify_inclusion(tlog.leaf_hash(raw), row.index, size, proof, checkpoint.root)
        except tlog.ProofError as exc:
            raise client.VerifyError(f"entry {row.index} does not match the log") from exc
        data = json.loads(raw)
        subjects[row.index] = row.subject
        answer.events.append(
            client.Event(row.index, data, [base64.b64encode(h).decode() for h in proof])
        )
    pages = [e for e in answer.events if e.data.get("kind") == "page"]
    if pages:
        first = pages[0]
        later = [
            json.loads(r.entry)
            for r in get_subject_entries(subjects[first.index], "page")
            if first.index < r.index < size and r.sha256 != answer.sha256
        ]
    answer.status = client.status_of(answer.events, later)
    return answer
