"""An independent verifier for the transparency log tests, written from RFC 9162 section 2.1,
C2SP signed-note and C2SP tlog-tiles. It shares no code with jiandu.ledger: if the
implementation and this file agree, both read the specifications the same way."""

import base64
import hashlib
import json

from nacl.signing import VerifyKey


def h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf(entry: bytes) -> bytes:
    return h(b"\x00" + entry)


def node(a: bytes, b: bytes) -> bytes:
    return h(b"\x01" + a + b)


def split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(entries: list[bytes]) -> bytes:
    """MTH(D[n]) by its recursive definition (2.1.1)."""
    if not entries:
        return h(b"")
    if len(entries) == 1:
        return leaf(entries[0])
    k = split(len(entries))
    return node(mth(entries[:k]), mth(entries[k:]))


def path(m: int, entries: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) (2.1.3.1)."""
    if len(entries) <= 1:
        return []
    k = split(len(entries))
    if m < k:
        return [*path(m, entries[:k]), mth(entries[k:])]
    return [*path(m - k, entries[k:]), mth(entries[:k])]


def proof(m: int, entries: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) (2.1.4.1)."""

    def sub(m: int, d: list[bytes], b: bool) -> list[bytes]:
        if m == len(d):
            return [] if b else [mth(d)]
        k = split(len(d))
        if m <= k:
            return [*sub(m, d[:k], b), mth(d[k:])]
        return [*sub(m - k, d[k:], False), mth(d[:k])]

    if m == 0 or m == len(entries):
        return []
    return sub(m, entries, True)


def verify_inclusion(leaf_index: int, tree_size: int, leaf_hash: bytes, p, root: bytes) -> bool:
    """2.1.3.2, step by step."""
    if leaf_index >= tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf_hash
    for pv in p:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node(pv, r)
            if fn % 2 == 0:
                while not (fn % 2 == 1 or fn == 0):
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, pv)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes, p) -> bool:
    """2.1.4.2, step by step."""
    if first > second:
        return False
    if first == second:
        return not p and first_hash == second_hash
    if first == 0:
        return not p
    if not p and first & (first - 1):
        return False
    p = list(p)
    if first & (first - 1) == 0:
        p = [first_hash, *p]
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = p[0]
    for c in p[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            if fn % 2 == 0:
                while not (fn % 2 == 1 or fn == 0):
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_hash and sr == second_hash


def tile_name(index: int) -> str:
    groups = []
    while True:
        groups.insert(0, f"{index % 1000:03d}")
        index //= 1000
        if not index:
            break
    return "/".join(["x" + g for g in groups[:-1]] + groups[-1:])


def open_checkpoint(text: bytes, vkey: str) -> tuple[str, int, bytes]:
    """(origin, size, root) of a checkpoint signed by `vkey`; AssertionError otherwise."""
    name, key_hash, material = vkey.strip().split("+", 2)
    raw = base64.b64decode(material)
    assert raw[0] == 1
    public = raw[1:]
    assert h(name.encode() + b"\n\x01" + public)[:4].hex() == key_hash
    body, _, sigs = text.decode().rpartition("\n\n")
    body += "\n"
    good = False
    for line in sigs.strip("\n").split("\n"):
        signer, b64 = line.removeprefix("\u2014 ").split(" ")
        blob = base64.b64decode(b64)
        if signer == name and blob[:4].hex() == key_hash:
            VerifyKey(public).verify(body.encode(), blob[4:])  # raises if forged
            good = True
    assert good, "no signature by the log key"
    origin, size, root = body.split("\n")[:3]
    assert origin == name
    return origin, int(size), base64.b64decode(root)


def audit(read, vkey: str) -> tuple[int, bytes, list[bytes]]:
    """Read a whole tiled log through `read(path) -> bytes`, check every tile and bundle
    against the signed checkpoint; return (size, root, entries). AssertionError if anything
    does not hold, KeyError if a resource is missing."""
    _, size, root = open_checkpoint(read("checkpoint"), vkey)
    entries: list[bytes] = []
    for n in range((size + 255) // 256):
        width = min(256, size - n * 256)
        suffix = "" if width == 256 else f".p/{width}"
        data = read(f"tile/entries/{tile_name(n)}{suffix}")
        got = []
        while data:
            length = int.from_bytes(data[:2], "big")
            got.append(data[2 : 2 + length])
            data = data[2 + length :]
        assert len(got) == width
        hashes = read(f"tile/0/{tile_name(n)}{suffix}")
        assert hashes == b"".join(leaf(e) for e in got), "level-0 tile does not hash the bundle"
        entries += got
    assert mth(entries) == root, "entries do not produce the signed root"
    level = 1
    while size >= 256**level:
        count = size // 256**level
        for n in range((count + 255) // 256):
            width = min(256, count - n * 256)
            suffix = "" if width == 256 else f".p/{width}"
            tile = read(f"tile/{level}/{tile_name(n)}{suffix}")
            for i in range(width):
                j = n * 256 + i
                span = entries[j * 256**level : (j + 1) * 256**level]
                assert tile[32 * i : 32 * i + 32] == mth(span), f"tile {level}/{n} wrong"
        level += 1
    return size, root, entries


def find(entries: list[bytes], sha256: str) -> list[tuple[int, dict]]:
    return [(i, json.loads(e)) for i, e in enumerate(entries) if json.loads(e)["sha256"] == sha256]
