"""`jiandu decrypt` against hostile exports and archives: the header is authenticated before
anything in it is used, existing files are never overwritten, and a failure leaves no plaintext
(and no temporary file) behind. The bundles are built here byte by byte as docs/crypto.md
describes them; tests/newsroom/test_previews_exports.py and tests/newsroom/test_views.py check
that the server's own bundles open."""

import argparse
import base64
import hashlib
import io
import json
from pathlib import Path

import pytest

from jiandu.vault import crypto, offline

PASSWORD = "member password"
FAST = crypto.KdfParams(1, 8192)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Newsroom:
    """A member key, a source key and items, as the server would hold them."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.member_private, self.member_public = crypto.new_keypair()
        self.source_private, self.source_public = crypto.new_keypair()
        self.key_file = tmp / "me.jdkey"
        self.key_file.write_text(
            json.dumps(
                {
                    "format": "jiandu-member-key",
                    "version": 1,
                    "public_key": _b64(self.member_public),
                    "password_wrapped": _b64(
                        crypto.wrap_with_password(self.member_private, PASSWORD, FAST)
                    ),
                }
            )
        )
        self.entries: list[dict] = []
        self.blobs: list[bytes] = []

    def add(self, kind: str, content: bytes, name: str = "", author: str = "") -> None:
        item_key = crypto.random_key()
        out = io.BytesIO()
        crypto.encrypt_bytes(item_key, content, out)
        meta = {"name": name, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
        self.blobs.append(out.getvalue())
        self.entries.append(
            {
                "id": len(self.entries) + 1,
                "kind": kind,
                "hour": "2026-11-30T08:00Z",
                "author": author,
                "sealed_item_key": _b64(crypto.seal(self.source_public, item_key)),
                "meta": _b64(crypto.seal_meta(item_key, meta if kind == "file" else {})),
                "length": len(out.getvalue()),
            }
        )

    def header(self) -> dict:
        return {
            "format": "jiandu-source-archive",
            "version": 2,
            "designation": "amber falcon",
            "member_public_key": _b64(self.member_public),
            "sealed_source_key": _b64(crypto.seal(self.member_public, self.source_private)),
            "items": self.entries,
        }

    def archive(
        self,
        header: dict | None = None,
        *,
        mac_key: bytes | None = None,
        magic: bytes = offline.ARCHIVE_MAGIC,
        blobs: list[bytes] | None = None,
        mac_over: dict | None = None,
    ) -> Path:
        """The archive; `mac_over` computes the MAC over another header than the one written
        (an altered header with the original MAC)."""
        line = json.dumps(header or self.header(), sort_keys=True).encode()
        signed = json.dumps(mac_over, sort_keys=True).encode() if mac_over else line
        data = magic + line + b"\n"
        if magic == offline.ARCHIVE_MAGIC:
            mac = crypto.export_mac(mac_key or self.member_private, magic + signed)
            data += mac.hex().encode() + b"\n"
        data += b"".join(self.blobs if blobs is None else blobs)
        path = self.tmp / "source.jda"
        path.write_bytes(data)
        return path

    def export(self, index: int = 0, *, blob: bytes | None = None, magic=offline.ITEM_MAGIC):
        entry = self.entries[index]
        header = {
            "format": "jiandu-item",
            "version": 2,
            "kind": entry["kind"],
            "member_public_key": _b64(self.member_public),
            "sealed_source_key": _b64(crypto.seal(self.member_public, self.source_private)),
            "sealed_item_key": entry["sealed_item_key"],
            "meta": entry["meta"],
        }
        line = json.dumps(header, sort_keys=True).encode()
        data = magic + line + b"\n"
        if magic == offline.ITEM_MAGIC:
            data += crypto.export_mac(self.member_private, magic + line).hex().encode() + b"\n"
        data += self.blobs[index] if blob is None else blob
        path = self.tmp / "item.jdx"
        path.write_bytes(data)
        return path


@pytest.fixture
def room(tmp_path):
    room = Newsroom(tmp_path)
    room.add("message", "第一条消息".encode())
    room.add("file", b"\x89PNG" + bytes(range(256)) * 700, name="photo.png")
    room.add("reply", b"received, thank you", author="zhu")
    room.add("file", b"tape" * 50_000, name="tape.mp4")
    return room


def _decrypt(room: Newsroom, bundle: Path, out: Path, **kwargs) -> Path:
    return offline.decrypt_any(bundle, room.key_file, PASSWORD, out, **kwargs)


def _left_in(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*")) if out.exists() else []


def test_authentic_archive_opens(room, tmp_path):
    folder = _decrypt(room, room.archive(), tmp_path / "out")
    assert folder == tmp_path / "out" / "amber falcon"
    assert (folder / "002-photo.png").read_bytes() == b"\x89PNG" + bytes(range(256)) * 700
    assert (folder / "004-tape.mp4").read_bytes() == b"tape" * 50_000
    text = (folder / "conversation.txt").read_text()
    assert "第一条消息" in text and "zhu" in text
    assert not list(folder.glob(".jiandu-*"))


@pytest.mark.parametrize(
    "alter",
    [
        lambda h: h["items"][2].update(author="someone else"),
        lambda h: h["items"][0].update(kind="reply"),
        lambda h: h["items"][1].update(hour="2020-01-01T00:00Z"),
        lambda h: h.update(designation="other name"),
        lambda h: h["items"].reverse(),  # the same items in another order
        lambda h: h["items"].pop(),  # an item left out
    ],
)
def test_altered_header_is_refused_and_nothing_is_written(room, tmp_path, alter):
    original = room.header()
    altered = json.loads(json.dumps(original))
    alter(altered)
    blobs = list(reversed(room.blobs)) if altered["items"][0]["id"] == 4 else None
    bundle = room.archive(altered, mac_over=original, blobs=blobs)
    with pytest.raises(offline.OfflineError, match="not authentic"):
        _decrypt(room, bundle, tmp_path / "out")
    assert _left_in(tmp_path / "out") == []


def test_forged_archive_sealed_to_the_members_public_key_is_refused(room, tmp_path):
    """Anyone can seal a source key of their own to the member's public key and write items
    under it; without the member's private key they cannot make the MAC."""
    (tmp_path / "forger").mkdir()
    forger = Newsroom(tmp_path / "forger")
    forger.member_private, forger.member_public = b"\x01" * 32, room.member_public
    forger.add("message", b"invented words", author="zhu")
    bundle = forger.archive(mac_key=crypto.random_key())
    with pytest.raises(offline.OfflineError, match="not authentic"):
        _decrypt(room, bundle, tmp_path / "out")
    assert _left_in(tmp_path / "out") == []


@pytest.mark.parametrize("mac_line", [b"", b"zz" * 32 + b"\n", b"00" * 31 + b"\n", b"00" * 32])
def test_missing_or_malformed_mac_is_refused(room, tmp_path, mac_line):
    line = json.dumps(room.header(), sort_keys=True).encode()
    bundle = tmp_path / "bad.jda"
    bundle.write_bytes(offline.ARCHIVE_MAGIC + line + b"\n" + mac_line)
    with pytest.raises(offline.OfflineError):
        _decrypt(room, bundle, tmp_path / "out")
    assert _left_in(tmp_path / "out") == []


def test_version_1_archive_needs_the_member_to_ask_for_it(room, tmp_path):
    header = room.header() | {"version": 1}
    bundle = room.archive(header, magic=offline.ARCHIVE_MAGIC_V1)
    with pytest.raises(offline.OfflineError, match="not authenticated"):
        _decrypt(room, bundle, tmp_path / "out")
    assert _left_in(tmp_path / "out") == []
    folder = _decrypt(room, bundle, tmp_path / "out", accept_v1=True)
    assert (folder / "004-tape.mp4").read_bytes() == b"tape" * 50_000


def test_damaged_item_leaves_no_plaintext_of_any_item(room, tmp_path):
    blobs = list(room.blobs)
    damaged = bytearray(blobs[3])
    damaged[-5] ^= 1  # the last chunk of the last file
    blobs[3] = bytes(damaged)
    with pytest.raises(offline.OfflineError, match="Item 4"):
        _decrypt(room, room.archive(blobs=blobs), tmp_path / "out")
    assert _left_in(tmp_path / "out") == []  # not item 2's photo, not a .partial, no folder


def test_truncated_archive_leaves_nothing(room, tmp_path):
    bundle = room.archive()
    bundle.write_bytes(bundle.read_bytes()[:-100])
    with pytest.raises(offline.OfflineError):
        _decrypt(room, bundle, tmp_path / "out")
    assert _left_in(tmp_path / "out") == []


def test_data_after_the_last_item_is_refused(room, tmp_path):
    with pytest.raises(offline.OfflineError, match="after the archive's last item"):
        _decrypt(room, room.archive(blobs=[*room.blobs, b"extra"]), tmp_path / "out")
    assert _left_in(tmp_path / "out") == []


def test_existing_archive_folder_is_not_touched(room, tmp_path):
    folder = tmp_path / "out" / "amber falcon"
    folder.mkdir(parents=True)
    (folder / "002-photo.png").write_bytes(b"mine")
    with pytest.raises(offline.OfflineError, match="already exists"):
        _decrypt(room, room.archive(), tmp_path / "out")
    assert (folder / "002-photo.png").read_bytes() == b"mine"
    assert _left_in(tmp_path / "out") == ["amber falcon", "amber falcon/002-photo.png"]


def test_export_does_not_overwrite_an_existing_file_or_follow_a_planted_link(room, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "photo.png").write_bytes(b"my own file")
    with pytest.raises(offline.OfflineError, match="not overwritten"):
        _decrypt(room, room.export(1), out)
    assert (out / "photo.png").read_bytes() == b"my own file"
    (out / "photo.png").unlink()
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    (out / "photo.png").symlink_to(victim)
    with pytest.raises(offline.OfflineError, match="not overwritten"):
        _decrypt(room, room.export(1), out)
    assert victim.read_bytes() == b"precious"
    assert _left_in(out) == ["photo.png"]


def test_export_opens_and_damaged_export_leaves_nothing(room, tmp_path):
    out = tmp_path / "out"
    assert _decrypt(room, room.export(3), out).read_bytes() == b"tape" * 50_000
    damaged = bytearray(room.blobs[3])
    damaged[40] ^= 1  # the first chunk: plaintext would be written before the error
    (out / "tape.mp4").unlink()
    with pytest.raises(offline.OfflineError, match="damaged"):
        _decrypt(room, room.export(3, blob=bytes(damaged)), out)
    assert _left_in(out) == []


def test_export_with_wrong_recorded_hash_leaves_nothing(room, tmp_path):
    item_key = crypto.random_key()
    blob = io.BytesIO()
    crypto.encrypt_bytes(item_key, b"real content", blob)
    room.entries[0]["sealed_item_key"] = _b64(crypto.seal(room.source_public, item_key))
    meta = {"name": "a.txt", "sha256": hashlib.sha256(b"other").hexdigest()}
    room.entries[0]["meta"] = _b64(crypto.seal_meta(item_key, meta))
    with pytest.raises(offline.OfflineError, match="SHA-256"):
        _decrypt(room, room.export(0, blob=blob.getvalue()), tmp_path / "out")
    assert _left_in(tmp_path / "out") == []


def test_altered_export_header_and_version_1_export(room, tmp_path):
    bundle = room.export(1)
    data = bundle.read_bytes().replace(b'"kind": "file"', b'"kind": "reply"')
    bundle.write_bytes(data)
    with pytest.raises(offline.OfflineError, match="not authentic"):
        _decrypt(room, bundle, tmp_path / "out")
    old = room.export(1, magic=offline.ITEM_MAGIC_V1)
    with pytest.raises(offline.OfflineError, match="not authenticated"):
        _decrypt(room, old, tmp_path / "out")
    assert _decrypt(room, old, tmp_path / "out", accept_v1=True).name == "photo.png"


def test_cli_reports_refusal_without_traceback(room, tmp_path, capsys):
    bundle = room.archive(room.header() | {"designation": "x"}, mac_over=room.header())
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    args = argparse.Namespace(
        bundle=bundle,
        key=room.key_file,
        out=tmp_path / "out",
        password_file=tmp_path / "pw",
        accept_unauthenticated_v1=False,
    )
    assert offline.run(args) == 1
    assert "not authentic" in capsys.readouterr().err
    assert _left_in(tmp_path / "out") == []


def test_the_decrypt_command_opens_an_archive_and_refuses_a_tampered_one(room, tmp_path, capsys):
    """`jiandu decrypt` as a member types it: the password from a file, an archive that opens,
    and a tampered one that fails with the command's error and writes nothing."""
    from django.core.management import CommandError, call_command

    password = tmp_path / "password"
    password.write_text(PASSWORD + "\n")
    out = tmp_path / "out"
    key = ["--key", str(room.key_file), "--password-file", str(password)]
    call_command("decrypt", str(room.archive()), *key, "--out", str(out))
    assert "SHA-256 verified" in capsys.readouterr().out
    assert "amber falcon" in _left_in(out)[0]

    tampered = tmp_path / "tampered.jda"
    data = bytearray(room.archive().read_bytes())
    data[-10] ^= 1
    tampered.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="decryption failed"):
        call_command("decrypt", str(tampered), *key, "--out", str(tmp_path / "other"))
    assert "jiandu decrypt:" in capsys.readouterr().err
    assert _left_in(tmp_path / "other") == []
