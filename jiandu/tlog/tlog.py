"""Merkle tree math of the transparency log (RFC 9162 section 2.1), over tiled storage.

No Django here: the server (hashes in the database), the verifier (hashes read from tiles over
HTTP or from a directory) and the static mirror all use these functions with their own
`HashSource`. Stored hashes follow C2SP tlog-tiles: at tile level L, hash number i is the
Merkle Tree Hash of leaves [i * 256**L, (i + 1) * 256**L). Any other node is rebuilt from at
most 128 stored hashes, so proofs need no table of every interior node.

leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right), empty tree = SHA-256("").
"""

import hashlib
from collections.abc import Sequence
from typing import Protocol

HASH_SIZE = 32
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof, a size or a hash that cannot be right."""


class HashSource(Protocol):
    """Where stored hashes come from: `hashes(level, first, count)` returns `count` hashes of
    tile level `level` starting at `first`, or raises KeyError if one is missing."""

    def hashes(self, level: int, first: int, count: int) -> list[bytes]: ...


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """k < n <= 2k, for n > 1 (RFC 9162's split point)."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_hash(hashes: Sequence[bytes]) -> bytes:
    """Root of a perfect tree whose bottom row is `hashes` (a power-of-two count)."""
    row = list(hashes)
    while len(row) > 1:
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
    return row[0]


def subtree_hash(source: HashSource, start: int, size: int) -> bytes:
    """MTH(D[start:start+size]) of an aligned perfect subtree (size a power of two, start a
    multiple of size), from the stored hashes of the highest tile level at or below it."""
    height = size.bit_length() - 1
    level = height // TILE_HEIGHT
    unit = TILE_WIDTH**level
    return perfect_hash(source.hashes(level, start // unit, size // unit))


def range_hash(source: HashSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range the RFC's recursion produces (start 0, or start a multiple
    of the largest power of two that fits the range's parent)."""
    n = end - start
    if n <= 0:
        raise ProofError("empty range")
    if n & (n - 1) == 0 and start % n == 0:
        return subtree_hash(source, start, n)
    k = _largest_power_of_two_below(n)
    return node_hash(range_hash(source, start, start + k), range_hash(source, start + k, end))


def tree_hash(source: HashSource, size: int) -> bytes:
    """The root hash of the first `size` entries."""
    if size == 0:
        return EMPTY_ROOT
    return range_hash(source, 0, size)


def root_from_leaves(leaves: Sequence[bytes]) -> bytes:
    """MTH of a whole list of leaf hashes, in one pass (a stack of perfect subtrees)."""
    stack: list[tuple[bytes, int]] = []
    for leaf in leaves:
        top = (leaf, 1)
        while stack and stack[-1][1] == top[1]:
            left = stack.pop()
            top = (node_hash(left[0], top[0]), top[1] * 2)
        stack.append(top)
    if not stack:
        return EMPTY_ROOT
    root = stack[-1][0]
    for left_hash, _size in reversed(stack[:-1]):
        root = node_hash(left_hash, root)
    return root


def inclusion_proof(source: HashSource, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 section 2.1.3.1, leaf side first."""
    if not 0 <= index < size:
        raise ProofError("index outside the tree")
    proof: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _largest_power_of_two_below(end - start)
        if index < start + k:
            proof.append(range_hash(source, start + k, end))
            end = start + k
        else:
            proof.append(range_hash(source, start, start + k))
            start = start + k
    proof.reverse()
    return proof


def consistency_proof(source: HashSource, old_size: int, size: int) -> list[bytes]:
    """PROOF(old_size, D[0:size]) of RFC 9162 section 2.1.4.1."""
    if not 0 <= old_size <= size:
        raise ProofError("old size larger than new size")
    if old_size == 0 or old_size == size:
        return []
    proof: list[bytes] = []

    def subproof(m: int, start: int, end: int, complete: bool) -> None:
        n = end - start
        if m == n:
            if not complete:
                proof.append(range_hash(source, start, end))
            return
        k = _largest_power_of_two_below(n)
        if m <= k:
            subproof(m, start, start + k, complete)
            proof.append(range_hash(source, start + k, end))
        else:
            subproof(m - k, start + k, end, False)
            proof.append(range_hash(source, start, start + k))

    subproof(old_size, 0, size, True)
    return proof


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 section 2.1.3.2; raises ProofError unless `leaf` is entry `index` of the tree
    of `size` entries whose root is `root`."""
    if not 0 <= index < size:
        raise ProofError("index outside the tree")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if len(p) != HASH_SIZE or sn == 0:
            raise ProofError("inclusion proof too long or malformed")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise ProofError("inclusion proof does not lead to the root")


def verify_consistency(
    old_size: int, size: int, old_root: bytes, root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 section 2.1.4.2; raises ProofError unless the tree (`old_size`, `old_root`) is
    a prefix of the tree (`size`, `root`)."""
    if not 0 <= old_size <= size:
        raise ProofError("old size larger than new size")
    if any(len(p) != HASH_SIZE for p in proof):
        raise ProofError("malformed hash in consistency proof")
    if old_size == size:
        if proof or old_root != root:
            raise ProofError("same size, different root")
        return
    if old_size == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fr, sr = _walk_consistency(old_size, size, path)
    if fr != old_root or sr != root:
        raise ProofError("the new tree does not extend the old one")


def proven_prefix_root(
    old_size: int, size: int, root: bytes, proof: Sequence[bytes]
) -> bytes | None:
    """The root of the first `old_size` leaves of the tree (`size`, `root`), as shown by a
    consistency proof; None where the proof shows nothing.

    Why: a witness must tell a forged history from a garbage proof. Where the proof's hashes
    lead to `root`, each of them is a node of that tree (or SHA-256 has a collision), so the
    root they give for the first `old_size` leaves is that tree's own: if it differs from a
    root the log signed for `old_size`, the log signed two histories. Where `old_size` is a
    power of two, a proof leaves the old root out (the verifier supplies it), so a failing
    proof proves nothing, and None is returned."""
    if not 0 < old_size < size or old_size & (old_size - 1) == 0:
        return None
    if any(len(p) != HASH_SIZE for p in proof):
        return None
    try:
        fr, sr = _walk_consistency(old_size, size, list(proof))
    except ProofError:
        return None
    return fr if sr == root else None


def _walk_consistency(old_size: int, size: int, path: list[bytes]) -> tuple[bytes, bytes]:
    """The old and new roots a consistency path gives (RFC 9162 section 2.1.4.2, steps 3-7);
    raises ProofError where its length does not fit the two sizes."""
    if not path:
        raise ProofError("consistency proof is empty")
    fn, sn = old_size - 1, size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the new tree does not extend the old one")
    return fr, sr


# --- Tiles ---------------------------------------------------------------------------------


def tile_path(level: int | str, index: int, width: int = TILE_WIDTH) -> str:
    """`tile/<L>/<N>[.p/<W>]` with N in x-prefixed 3-digit groups (C2SP tlog-tiles); level
    "entries" names an entry bundle."""
    parts = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        parts.append(f"x{index % 1000:03d}")
        index //= 1000
    suffix = f".p/{width}" if width < TILE_WIDTH else ""
    return f"tile/{level}/{'/'.join(reversed(parts))}{suffix}"


def parse_tile_path(path: str) -> tuple[str, int, int]:
    """(level or "entries", index, width) from the part after `tile/`; ValueError unless it is
    the canonical path of a tile (levels 0-63, widths 1-255, 3-digit groups)."""
    parts = path.split("/")
    width = TILE_WIDTH
    if len(parts) >= 3 and parts[-2].endswith(".p"):
        if not parts[-1].isdigit() or not 1 <= int(parts[-1]) < TILE_WIDTH:
            raise ValueError("bad width")
        width = int(parts[-1])
        parts = [*parts[:-2], parts[-2][:-2]]
    if len(parts) < 2 or len(parts) > 8:
        raise ValueError("bad path")
    level = parts[0]
    if level != "entries" and not (level.isdigit() and int(level) <= 63):
        raise ValueError("bad level")
    index = 0
    for group in parts[1:]:
        digits = group.removeprefix("x")
        if len(digits) != 3 or not digits.isdigit():
            raise ValueError("bad index")
        index = index * 1000 + int(digits)
    if level != "entries":
        level = str(int(level))
    if tile_path(level, index, width) != "tile/" + path:
        raise ValueError("not canonical")
    return level, index, width


def tile_widths(size: int, level: int) -> tuple[int, int]:
    """(number of full tiles, width of the partial tile or 0) at `level` for a tree of `size`."""
    count = size // TILE_WIDTH**level
    return count // TILE_WIDTH, count % TILE_WIDTH


def pack_bundle(entries: Sequence[bytes]) -> bytes:
    """An entry bundle: each entry prefixed by its big-endian uint16 length."""
    out = bytearray()
    for entry in entries:
        if len(entry) > 0xFFFF:
            raise ValueError("entry longer than 65535 bytes")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def unpack_bundle(data: bytes) -> list[bytes]:
    entries, i = [], 0
    while i < len(data):
        if i + 2 > len(data):
            raise ProofError("truncated entry bundle")
        n = int.from_bytes(data[i : i + 2], "big")
        if i + 2 + n > len(data):
            raise ProofError("truncated entry bundle")
        entries.append(data[i + 2 : i + 2 + n])
        i += 2 + n
    return entries
