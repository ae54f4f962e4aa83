"""Decrypt an exported item or a source's archive on an offline machine: no server, no
database, no Django needed.

    python -m jiandu.vault.offline ITEM.jdx|SOURCE.jda --key ME.jdkey --out DIR [--password-file F]
    jiandu decrypt ...   (the same, as a management command)

Opens the member key with the password, the source key with the member key (the grant in the
bundle), the item key with the source key, then decrypts the stream to DIR and checks the
SHA-256 recorded in the encrypted metadata. See docs/crypto.md for the formats.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import io
import json
import os
import sys
from pathlib import Path
from typing import BinaryIO

from jiandu.vault import crypto

ITEM_MAGIC = b"JDEXPORT1\n"
ARCHIVE_MAGIC = b"JDARCHIVE1\n"
MAX_HEADER = 64 * 1024
MAX_ARCHIVE_HEADER = 64 * 1024 * 1024  # one JSON line listing every item of a source


class OfflineError(Exception):
    pass


def _b64(value: object) -> bytes:
    return base64.b64decode(str(value), validate=True)


def decrypt_export(bundle: Path, key_file: Path, password: str, out_dir: Path) -> Path:
    """Write the plaintext into out_dir; return its path. Raises OfflineError with a reason."""
    try:
        member = json.loads(key_file.read_text())
        if member.get("format") != "jiandu-member-key" or member.get("version") != 1:
            raise OfflineError("The key file is not a Jiandu member key (version 1).")
        member_private = crypto.unwrap_with_password(_b64(member["password_wrapped"]), password)
    except crypto.WrongSecret as exc:
        raise OfflineError("The password does not open this key file.") from exc
    except (ValueError, KeyError, crypto.VaultCryptoError) as exc:
        raise OfflineError(f"The key file is damaged: {exc}") from exc
    with bundle.open("rb") as handle:
        if handle.read(len(ITEM_MAGIC)) != ITEM_MAGIC:
            raise OfflineError("Not a Jiandu export (.jdx).")
        line = handle.readline(MAX_HEADER)
        try:
            header = json.loads(line)
            if header.get("member_public_key") != member["public_key"]:
                raise OfflineError("This export was made for another member's key.")
            source_private = crypto.unseal(member_private, _b64(header["sealed_source_key"]))
            item_key = crypto.unseal(source_private, _b64(header["sealed_item_key"]))
            meta = crypto.open_meta(item_key, _b64(header["meta"]))
        except (ValueError, KeyError, crypto.VaultCryptoError) as exc:
            raise OfflineError(f"The export's keys do not open: {exc}") from exc
        name = os.path.basename(str(meta.get("name") or f"{header.get('kind', 'item')}.txt"))
        name = name.lstrip(".") or "item"
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / name
        partial = out_dir / (name + ".partial")
        digest = hashlib.sha256()
        try:
            with partial.open("wb") as out:
                for chunk in crypto.decrypt_stream(item_key, handle):
                    digest.update(chunk)
                    out.write(chunk)
        except crypto.VaultCryptoError as exc:
            partial.unlink(missing_ok=True)
            raise OfflineError(f"The encrypted content is damaged: {exc}") from exc
    expected = meta.get("sha256")
    if expected and digest.hexdigest() != expected:
        partial.unlink(missing_ok=True)
        raise OfflineError("SHA-256 does not match the one recorded at upload.")
    partial.replace(target)
    return target


def _member_private_key(key_file: Path, password: str) -> tuple[dict, bytes]:
    try:
        member = json.loads(key_file.read_text())
        if member.get("format") != "jiandu-member-key" or member.get("version") != 1:
            raise OfflineError("The key file is not a Jiandu member key (version 1).")
        return member, crypto.unwrap_with_password(_b64(member["password_wrapped"]), password)
    except crypto.WrongSecret as exc:
        raise OfflineError("The password does not open this key file.") from exc
    except (ValueError, KeyError, crypto.VaultCryptoError) as exc:
        raise OfflineError(f"The key file is damaged: {exc}") from exc


class _Slice(io.RawIOBase):
    """At most `length` bytes of `handle`: one item's blob inside an archive."""

    def __init__(self, handle: BinaryIO, length: int) -> None:
        self._handle, self._left = handle, length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._handle.read(min(len(buffer), self._left))
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def _safe_name(name: str, fallback: str) -> str:
    name = os.path.basename(name.replace("\\", "/")).lstrip(".").strip()
    return name or fallback


def decrypt_archive(bundle: Path, key_file: Path, password: str, out_dir: Path) -> Path:
    """A source archive (.jda): every file under its name, and conversation.txt with the
    messages, answers and replies in order. Returns the folder written."""
    member, member_private = _member_private_key(key_file, password)
    with bundle.open("rb") as handle:
        if handle.read(len(ARCHIVE_MAGIC)) != ARCHIVE_MAGIC:
            raise OfflineError("Not a Jiandu source archive (.jda).")
        try:
            header = json.loads(handle.readline(MAX_ARCHIVE_HEADER))
            if header.get("member_public_key") != member["public_key"]:
                raise OfflineError("This archive was made for another member's key.")
            source_private = crypto.unseal(member_private, _b64(header["sealed_source_key"]))
            entries = list(header["items"])
        except (ValueError, KeyError, TypeError, crypto.VaultCryptoError) as exc:
            raise OfflineError(f"The archive's keys do not open: {exc}") from exc
        folder = out_dir / _safe_name(str(header.get("designation", "")), "source")
        folder.mkdir(parents=True, exist_ok=True)
        conversation = []
        for number, entry in enumerate(entries, 1):
            try:
                item_key = crypto.unseal(source_private, _b64(entry["sealed_item_key"]))
                meta = crypto.open_meta(item_key, _b64(entry["meta"]))
                chunks = crypto.decrypt_stream(item_key, _Slice(handle, int(entry["length"])))
                heading = f"--- {number:03d} · {entry['kind']} · {entry['hour']}"
                if entry.get("author"):
                    heading += f" · {entry['author']}"
                if entry["kind"] == "file":
                    name = f"{number:03d}-" + _safe_name(str(meta.get("name", "")), "file")
                    digest = hashlib.sha256()
                    with (folder / name).open("wb") as out:
                        for chunk in chunks:
                            digest.update(chunk)
                            out.write(chunk)
                    if meta.get("sha256") and digest.hexdigest() != meta["sha256"]:
                        raise OfflineError(f"SHA-256 of {name} does not match the one recorded.")
                    conversation.append(f"{heading}\n{name} (SHA-256 {digest.hexdigest()})\n")
                else:
                    text = b"".join(chunks).decode()
                    if entry["kind"] == "questionnaire":
                        answers = json.loads(text)
                        text = "\n".join(f"{key}: {value}" for key, value in answers.items())
                    conversation.append(f"{heading}\n{text}\n")
            except (ValueError, KeyError, TypeError, crypto.VaultCryptoError) as exc:
                raise OfflineError(f"Item {number} of the archive does not open: {exc}") from exc
    (folder / "conversation.txt").write_text("\n".join(conversation), encoding="utf-8")
    return folder


def decrypt_any(bundle: Path, key_file: Path, password: str, out_dir: Path) -> Path:
    """An item export (.jdx) or a source archive (.jda), told apart by their first bytes."""
    with bundle.open("rb") as handle:
        head = handle.read(len(ARCHIVE_MAGIC))
    if head == ARCHIVE_MAGIC:
        return decrypt_archive(bundle, key_file, password, out_dir)
    return decrypt_export(bundle, key_file, password, out_dir)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "bundle", type=Path, help="an exported item (.jdx) or a source's archive (.jda)"
    )
    parser.add_argument("--key", type=Path, required=True, help="your exported key (.jdkey)")
    parser.add_argument("--out", type=Path, default=Path("."), help="directory to write to")
    parser.add_argument("--password-file", type=Path, help="read the password from this file")


def run(args: argparse.Namespace) -> int:
    if args.password_file:
        password = args.password_file.read_text().rstrip("\n")
    else:
        password = getpass.getpass("Password for your key: ")
    try:
        target = decrypt_any(args.bundle, args.key, password, args.out)
    except OfflineError as exc:
        print(f"jiandu decrypt: {exc}", file=sys.stderr)
        return 1
    print(f"Decrypted to {target} (SHA-256 verified).")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="jiandu decrypt", description=__doc__.split("\n")[0])
    add_arguments(parser)
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
