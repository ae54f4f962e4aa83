"""Checking a publication against a transparency log from the outside, years later.

The verifier trusts nothing the log serves except what the log's key signed: it fetches the
signed checkpoint, the hash tiles and the entry bundles (over HTTP, from a directory such as
a static mirror, or from this installation's own database), finds the entries for a SHA-256,
recomputes each one's inclusion proof from the tiles and checks it against the checkpoint's
root, and checks that the checkpoint extends the last one this verifier saw (kept in a state
directory): a log that was rewritten, reordered, truncated or shown differently to someone
else fails here.
"""

import base64
import hashlib
import json
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from jiandu.tlog import note, tlog

MAX_FETCH = 16 * 1024 * 1024


class VerifyError(Exception):
    """The log does not prove what it should: tampering, a bad signature, a missing tile."""


class SplitViewError(VerifyError):
    """The log's checkpoint does not extend one seen before: two histories exist."""


class KeyChangedError(VerifyError):
    """The key a log or a mirror serves is not the one pinned before or held locally: a
    host that re-signed what it serves with a key of its own, under the same name."""


def pin_key(state_dir: Path, source: str, served: note.Verifier) -> tuple[note.Verifier, str]:
    """Trust on first use: `served` is pinned by the source's address and by its name the first
    time, and must be the pinned key after (KeyChangedError). Pinned by name too, so a new
    mirror or address of the same log that serves another key under its name is refused,
    not trusted afresh; by source, so an address that later serves another name is refused.
    Returns the key and what was done."""
    by_source = state_dir / (hashlib.sha256(source.rstrip("/").encode()).hexdigest() + ".key")
    by_name = state_dir / ("name-" + hashlib.sha256(served.name.encode()).hexdigest() + ".key")
    for pinned in (by_source, by_name):
        if pinned.exists():
            known = note.parse_vkey(pinned.read_text())
            if known != served:
                raise KeyChangedError(
                    f"THE KEY CHANGED: pinned {known.vkey}, now {served.vkey}. If the newsroom "
                    f"announced a new key, remove {pinned} and check again."
                )
    fresh = [p for p in (by_source, by_name) if not p.exists()]
    if not fresh:
        return served, f"the key pinned before: {served.vkey}"
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for pinned in fresh:
        tmp = pinned.with_suffix(".tmp")
        tmp.write_text(served.vkey + "\n")
        tmp.replace(pinned)
    return served, f"Trusting the log key on first use: {served.vkey}"


# A resource of the log by path ("checkpoint", "key", "tile/0/000.p/5"); KeyError if absent.
Reader = Callable[[str], bytes]


def http_reader(base_url: str, timeout: float = 30) -> Reader:
    base = base_url.rstrip("/") + "/"
    if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
        raise ValueError("the log URL must be http(s)")

    def read(path: str) -> bytes:
        try:
            with urllib.request.urlopen(base + path, timeout=timeout) as response:  # noqa: S310
                data = response.read(MAX_FETCH + 1)
        except urllib.error.HTTPError as exc:
            raise KeyError(path) from exc
        if len(data) > MAX_FETCH:
            raise VerifyError(f"{path} is too large")
        return data

    return read


def dir_reader(root: Path) -> Reader:
    root = Path(root).resolve()

    def read(path: str) -> bytes:
        target = (root / path).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise KeyError(path)
        return target.read_bytes()

    return read


class TileHashes:
    """`tlog.HashSource` over the tiles of a tree of `size` entries, fetched once each."""

    def __init__(self, read: Reader, size: int) -> None:
        self.read, self.size = read, size
        self.cache: dict[tuple[int, int], bytes] = {}

    def _tile(self, level: int, n: int) -> bytes:
        full, partial = tlog.tile_widths(self.size, level)
        width = tlog.TILE_WIDTH if n < full else partial
        if n > full or width == 0:
            raise VerifyError(f"tile {level}/{n} is beyond the tree")
        key = (level, n)
        if key not in self.cache:
            path = tlog.tile_path(level, n, width)
            try:
                data = self.read(path)
            except KeyError as exc:
                raise VerifyError(f"{path} is missing: the log is truncated") from exc
            if len(data) != width * tlog.HASH_SIZE:
                raise VerifyError(f"{path} has the wrong length")
            self.cache[key] = data
        return self.cache[key]

    def hashes(self, level: int, first: int, count: int) -> list[bytes]:
        out = []
        for i in range(first, first + count):
            tile = self._tile(level, i // tlog.TILE_WIDTH)
            offset = (i % tlog.TILE_WIDTH) * tlog.HASH_SIZE
            out.append(tile[offset : offset + tlog.HASH_SIZE])
        return out


def read_entries(read: Reader, size: int) -> list[bytes]:
    """Every entry of the tree of `size` entries, from its bundles."""
    entries: list[bytes] = []
    full, partial = tlog.tile_widths(size, 0)
    for n in range(full + (1 if partial else 0)):
        width = tlog.TILE_WIDTH if n < full else partial
        path = tlog.tile_path("entries", n, width)
        try:
            bundle = tlog.unpack_bundle(read(path))
        except KeyError as exc:
            raise VerifyError(f"{path} is missing: the log is truncated") from exc
        except tlog.ProofError as exc:
            raise VerifyError(f"{path} is damaged") from exc
        if len(bundle) != width:
            raise VerifyError(f"{path} has {len(bundle)} entries, not {width}")
        entries.extend(bundle)
    return entries


@dataclass
class Event:
    index: int
    data: dict
    proof: list[str]

    @property
    def canonical(self) -> str:
        """The entry as the log hashed it (canonical JSON), for readers to check by hand."""
        return json.dumps(self.data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Answer:
    sha256: str
    checkpoint: note.Checkpoint
    signed_checkpoint: str
    events: list[Event] = field(default_factory=list)
    status: str = "absent"  # "current", "superseded", "retracted" or "absent"
    cosigners: list[str] = field(default_factory=list)
    consistency: str = ""  # what was checked against the last checkpoint seen

    @property
    def found(self) -> bool:
        return bool(self.events)

    def as_dict(self) -> dict:
        return {
            "sha256": self.sha256,
            "in_log": self.found,
            "status": self.status,
            "since": self.events[0].data["time"] if self.events else None,
            "events": [{"index": e.index, **e.data, "proof": e.proof} for e in self.events],
            "checkpoint": self.signed_checkpoint,
            "tree_size": self.checkpoint.size,
            "cosigned_by": self.cosigners,
            "consistency": self.consistency,
        }


def _state_file(state_dir: Path, origin: str) -> Path:
    return state_dir / (hashlib.sha256(origin.encode()).hexdigest() + ".checkpoint")


def seen_checkpoint(state_dir: Path, log: note.Verifier) -> note.Checkpoint | None:
    """The newest checkpoint of `log` this verifier saw, None if none; VerifyError if the one
    kept is not signed by `log` (another key under the same name was trusted then)."""
    path = _state_file(state_dir, log.name)
    if not path.exists():
        return None
    try:
        old, _parsed, _c = note.open_checkpoint(path.read_bytes(), log)
    except note.NoteError as exc:
        raise KeyChangedError(
            f"the checkpoint of {log.name} seen before ({path}) is not signed by this key: {exc}"
        ) from exc
    return old


def check_consistency(
    read: Reader, log: note.Verifier, current: note.Checkpoint, state_dir: Path | None
) -> str:
    """Compare `current` with the last checkpoint seen; raises SplitViewError if the log went
    back in size or changed its history."""
    if state_dir is None:
        return "not checked (no state directory)"
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    message = f"first checkpoint seen for {log.name} (size {current.size})"
    old = seen_checkpoint(state_dir, log)
    if old is not None:
        if current.size < old.size:
            raise SplitViewError(
                f"SPLIT VIEW OR TRUNCATION: {log.name} now shows {current.size} entries, "
                f"after {old.size} were seen before"
            )
        proof = tlog.consistency_proof(TileHashes(read, current.size), old.size, current.size)
        try:
            tlog.verify_consistency(old.size, current.size, old.root, current.root, proof)
        except tlog.ProofError as exc:
            raise SplitViewError(
                f"SPLIT VIEW: the checkpoint of {current.size} entries of {log.name} does not "
                f"extend the one of {old.size} entries seen before ({exc})"
            ) from exc
        message = f"consistent with the checkpoint of size {old.size} seen before"
    return message


def remember(state_dir: Path | None, log: note.Verifier, signed_checkpoint: str) -> None:
    if state_dir is None:
        return
    path = _state_file(state_dir, log.name)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(signed_checkpoint)
    tmp.replace(path)


def verify_sha256(
    read: Reader,
    sha256: str,
    log: note.Verifier,
    *,
    witnesses: Sequence[note.Verifier] = (),
    state_dir: Path | None = None,
) -> Answer:
    """Where `sha256` appears in the log, each appearance proved against the signed checkpoint,
    and the checkpoint checked against the last one seen."""
    try:
        signed = read("checkpoint")
    except KeyError as exc:
        raise VerifyError("the log has no checkpoint") from exc
    try:
        checkpoint, _parsed, cosigs = note.open_checkpoint(signed, log, list(witnesses))
    except note.NoteError as exc:
        raise VerifyError(f"the checkpoint is not signed by {log.name}: {exc}") from exc
    answer = Answer(sha256.lower(), checkpoint, signed.decode())
    answer.cosigners = sorted({s.name for s in cosigs})
    answer.consistency = check_consistency(read, log, checkpoint, state_dir)
    source = TileHashes(read, checkpoint.size)
    if checkpoint.size and tlog.tree_hash(source, checkpoint.size) != checkpoint.root:
        raise VerifyError("the hash tiles do not match the signed checkpoint")
    entries = read_entries(read, checkpoint.size)
    # Every entry, not only the ones asked about: "not in the log" must be as sound as "in
    # the log", so a bundle that hides or alters any entry fails here.
    if tlog.root_from_leaves([tlog.leaf_hash(e) for e in entries]) != checkpoint.root:
        raise VerifyError("the entry bundles do not match the signed checkpoint")
    wanted: list[int] = []
    parsed: dict[int, dict] = {}
    for i, raw in enumerate(entries):
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise VerifyError(f"entry {i} is not JSON") from exc
        if not isinstance(data, dict):
            raise VerifyError(f"entry {i} is not an object")
        parsed[i] = data
        if data.get("sha256") == answer.sha256:
            wanted.append(i)
    # The status of a page depends on later revisions of its case: prove those too.
    related = set(wanted)
    for i in wanted:
        if parsed[i].get("kind") == "page":
            related |= {
                j
                for j, d in parsed.items()
                if j > i and d.get("kind") == "page" and d.get("case") == parsed[i].get("case")
            }
    for i in sorted(related):
        proof = tlog.inclusion_proof(source, i, checkpoint.size)
        try:
            tlog.verify_inclusion(
                tlog.leaf_hash(entries[i]), i, checkpoint.size, proof, checkpoint.root
            )
        except tlog.ProofError as exc:
            raise VerifyError(f"entry {i} is not the one the checkpoint signed ({exc})") from exc
        if i in wanted:
            answer.events.append(Event(i, parsed[i], [base64.b64encode(h).decode() for h in proof]))
    answer.status = status_of(answer.events, [parsed[j] for j in sorted(related - set(wanted))])
    remember(state_dir, log, answer.signed_checkpoint)
    return answer


def status_of(events: list[Event], later_pages: list[dict]) -> str:
    if not events:
        return "absent"
    last = events[-1].data
    if last.get("action") == "retract":
        return "retracted"
    if last.get("kind") == "page" and later_pages:
        return "retracted" if later_pages[-1].get("action") == "retract" else "superseded"
    return "current"


@contextmanager
def exits_on_failure(stderr: object) -> Iterator[None]:
    """One convention for every verifier command (`jiandu verify`, `jiandu verify-mirror`): a
    split view exits 3 under a banner nobody can miss, any other failed check exits 2 with
    what failed, written to `stderr` (a command's OutputWrapper or a file)."""
    try:
        yield
    except SplitViewError as exc:
        stderr.write("!" * 72 + f"\n{exc}\n" + "!" * 72)  # type: ignore[attr-defined]
        raise SystemExit(3) from exc
    except VerifyError as exc:
        stderr.write(f"VERIFICATION FAILED: {exc}")  # type: ignore[attr-defined]
        raise SystemExit(2) from exc
