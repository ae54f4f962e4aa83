"""Decrypt an exported item or a source's archive on an offline machine: no server, no
database, no Django needed.

    python -m jiandu.vault.offline ITEM.jdx|SOURCE.jda --key ME.jdkey --out DIR [--password-file F]
    jiandu decrypt ...   (the same, as a management command)

Opens the member key with the password, checks the bundle's header against its MAC (keyed by
the member's private key, so a forged or altered header is refused before anything is used),
opens the source key with the member key (the grant in the bundle), the item key with the
source key, then decrypts each stream to a temporary name in DIR and gives it its name only
after the whole stream authenticated and the SHA-256 recorded in the encrypted metadata
matched. Existing files are never overwritten; on failure nothing of the run is left. See
docs/crypto.md for the formats.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import getpass
import hashlib
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from jiandu.vault import crypto

ITEM_MAGIC = b"JDEXPORT2\n"
ARCHIVE_MAGIC = b"JDARCHIVE2\n"
# Version 1 (before headers were authenticated): read only with --accept-unauthenticated-v1.
ITEM_MAGIC_V1 = b"JDEXPORT1\n"
ARCHIVE_MAGIC_V1 = b"JDARCHIVE1\n"
MAX_HEADER = 64 * 1024
MAX_ARCHIVE_HEADER = 64 * 1024 * 1024  # one JSON line listing every item of a source
MAC_LINE = 64 + 1  # hex of a 32-byte MAC and a newline


class OfflineError(Exception):
    pass


def _b64(value: object) -> bytes:
    return base64.b64decode(str(value), validate=True)


def _member_private_key(key_file: Path, password: str) -> tuple[dict, bytes]:
    try:
        member = json.loads(key_file.read_text())
        if member.get("format") != "jiandu-member-key" or member.get("version") != 1:
            raise OfflineError("The key file is not a Jiandu member key (version 1).")
        return member, crypto.unwrap_with_password(_b64(member["password_wrapped"]), password)
    except crypto.WrongSecret as exc:
        raise OfflineError("The password does not open this key file.") from exc
    except (ValueError, KeyError, AttributeError, crypto.VaultCryptoError) as exc:
        raise OfflineError(f"The key file is damaged: {exc}") from exc


def _read_header(
    handle: BinaryIO,
    magics: tuple[bytes, bytes],
    limit: int,
    member: dict,
    member_private: bytes,
    accept_v1: bool,
) -> dict:
    """The bundle's JSON header, only once its MAC (version 2) proves the server made it for
    this member's key: nothing in it (kind, author, hour, names, the item list and its order,
    the lengths) is used before that. A version-1 header has no MAC and is refused unless the
    member asks for it by name."""
    magic_v2, magic_v1 = magics
    what = "source archive (.jda)" if magic_v2 == ARCHIVE_MAGIC else "export (.jdx)"
    magic = handle.read(len(magic_v2))
    if magic not in (magic_v2, magic_v1):
        raise OfflineError(f"Not a Jiandu {what}.")
    line = handle.readline(limit)
    if not line.endswith(b"\n"):
        raise OfflineError(f"The {what} header is truncated or too long.")
    mac = b""
    if magic == magic_v2:
        mac_line = handle.readline(MAC_LINE)
        try:
            mac = bytes.fromhex(mac_line.decode("ascii").rstrip("\n"))
        except (UnicodeDecodeError, ValueError):
            mac = b""
        if len(mac) != 32 or not mac_line.endswith(b"\n"):
            raise OfflineError(f"The {what} header has no valid authentication code.")
    try:
        header = json.loads(line)
    except ValueError as exc:
        raise OfflineError(f"The {what} header is damaged.") from exc
    if not isinstance(header, dict):
        raise OfflineError(f"The {what} header is damaged.")
    if header.get("member_public_key") != member.get("public_key"):
        kind = "archive" if magic_v2 == ARCHIVE_MAGIC else "export"
        raise OfflineError(f"This {kind} was made for another member's key.")
    if magic == magic_v1:
        if not accept_v1:
            raise OfflineError(
                f"This {what} is version 1, whose header is not authenticated: export it "
                "again, or pass --accept-unauthenticated-v1 if you trust this copy."
            )
        return header
    if not crypto.export_mac_matches(member_private, magic + line[:-1], mac):
        raise OfflineError(
            f"The {what} header is not authentic: it was altered, or not made by the "
            "newsroom server for your key. Nothing was written."
        )
    return header


class _Output:
    """The files of one run. Each is written to a fresh temporary name (mode 0600) in the
    output folder and gets its real name only after the whole file authenticated and its
    SHA-256 matched; an existing file is never overwritten. On any failure `discard()`
    removes every file of the run (and the folder, if the run made it)."""

    def __init__(self, folder: Path, *, new_folder: bool) -> None:
        self.folder = folder
        self.new_folder = new_folder
        self.written: list[Path] = []
        if new_folder:
            try:
                folder.mkdir(parents=True)
            except FileExistsError as exc:
                raise OfflineError(
                    f"{folder} already exists: nothing is overwritten; choose another --out."
                ) from exc
        else:
            folder.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, chunks: Iterable[bytes], sha256: object = None) -> str:
        """Write, verify, then publish under `name`; returns the SHA-256 (hex)."""
        target = self.folder / name
        if target.exists() or target.is_symlink():
            raise OfflineError(f"{target} already exists: it is not overwritten.")
        fd, temp_name = tempfile.mkstemp(prefix=".jiandu-", suffix=".partial", dir=self.folder)
        temp = Path(temp_name)
        digest = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if sha256 and digest.hexdigest() != sha256:
                raise OfflineError(f"SHA-256 of {name} does not match the one recorded.")
            self._publish(temp, target)
        finally:
            temp.unlink(missing_ok=True)
        self.written.append(target)
        return digest.hexdigest()

    @staticmethod
    def _publish(temp: Path, target: Path) -> None:
        """Give the verified file its name without replacing anything: the name is claimed
        with O_EXCL (which also refuses a symbolic link planted there), then the verified file
        is renamed over that claim (works where hard links do not, e.g. FAT)."""
        try:
            claim = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise OfflineError(f"{target} already exists: it is not overwritten.") from exc
        os.close(claim)
        os.replace(temp, target)

    def discard(self) -> None:
        for path in self.written:
            path.unlink(missing_ok=True)
        self.written = []
        if self.new_folder:
            for leftover in self.folder.glob(".jiandu-*.partial"):
                leftover.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.folder.rmdir()


def decrypt_export(
    bundle: Path, key_file: Path, password: str, out_dir: Path, *, accept_v1: bool = False
) -> Path:
    """Write the plaintext into out_dir; return its path. Raises OfflineError with a reason,
    having written nothing."""
    member, member_private = _member_private_key(key_file, password)
    with bundle.open("rb") as handle:
        header = _read_header(
            handle, (ITEM_MAGIC, ITEM_MAGIC_V1), MAX_HEADER, member, member_private, accept_v1
        )
        try:
            source_private = crypto.unseal(member_private, _b64(header["sealed_source_key"]))
            item_key = crypto.unseal(source_private, _b64(header["sealed_item_key"]))
            meta = crypto.open_meta(item_key, _b64(header["meta"]))
        except (ValueError, KeyError, TypeError, crypto.VaultCryptoError) as exc:
            raise OfflineError(f"The export's keys do not open: {exc}") from exc
        name = _safe_name(str(meta.get("name") or f"{header.get('kind', 'item')}.txt"), "item")
        output = _Output(out_dir, new_folder=False)
        try:
            output.write(name, crypto.decrypt_stream(item_key, handle), meta.get("sha256"))
        except crypto.VaultCryptoError as exc:
            output.discard()
            raise OfflineError(f"The encrypted content is damaged: {exc}") from exc
        except BaseException:
            output.discard()
            raise
    return out_dir / name


class _Slice(io.RawIOBase):
    """At most `length` bytes of `handle`: one item's blob inside an archive."""

    def __init__(self, handle: BinaryIO, length: int) -> None:
        self._handle, self._left = handle, length

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        return super().read(size) or b""  # never None: the handle blocks

    def readinto(self, buffer) -> int:
        data = self._handle.read(min(len(buffer), self._left))
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def _safe_name(name: str, fallback: str) -> str:
    name = os.path.basename(name.replace("\\", "/")).lstrip(".").strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name or fallback


def decrypt_archive(
    bundle: Path, key_file: Path, password: str, out_dir: Path, *, accept_v1: bool = False
) -> Path:
    """A source archive (.jda): every file under its name, and conversation.txt with the
    messages, answers and replies in order, in a new folder named after the source. All or
    nothing: on any failure every file of the run is removed. Returns the folder written."""
    member, member_private = _member_private_key(key_file, password)
    with bundle.open("rb") as handle:
        header = _read_header(
            handle,
            (ARCHIVE_MAGIC, ARCHIVE_MAGIC_V1),
            MAX_ARCHIVE_HEADER,
            member,
            member_private,
            accept_v1,
        )
        try:
            source_private = crypto.unseal(member_private, _b64(header["sealed_source_key"]))
            entries = list(header["items"])
        except (ValueError, KeyError, TypeError, crypto.VaultCryptoError) as exc:
            raise OfflineError(f"The archive's keys do not open: {exc}") from exc
        output = _Output(
            out_dir / _safe_name(str(header.get("designation", "")), "source"), new_folder=True
        )
        try:
            _archive_items(handle, entries, source_private, output)
            if handle.read(1):
                raise OfflineError("Data after the archive's last item.")
        except BaseException:
            output.discard()
            raise
    return output.folder


def _archive_items(handle: BinaryIO, entries: list, source_private: bytes, output: _Output) -> None:
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
                digest = output.write(name, chunks, meta.get("sha256"))
                conversation.append(f"{heading}\n{name} (SHA-256 {digest})\n")
            else:
                text = b"".join(chunks).decode()
                if entry["kind"] == "questionnaire":
                    answers = json.loads(text)
                    text = "\n".join(f"{key}: {value}" for key, value in answers.items())
                conversation.append(f"{heading}\n{text}\n")
        except (ValueError, KeyError, TypeError, AttributeError, crypto.VaultCryptoError) as exc:
            raise OfflineError(f"Item {number} of the archive does not open: {exc}") from exc
    output.write("conversation.txt", ["\n".join(conversation).encode("utf-8")])


def decrypt_any(
    bundle: Path, key_file: Path, password: str, out_dir: Path, *, accept_v1: bool = False
) -> Path:
    """An item export (.jdx) or a source archive (.jda), told apart by their first bytes."""
    with bundle.open("rb") as handle:
        head = handle.read(len(ARCHIVE_MAGIC))
    if head in (ARCHIVE_MAGIC, ARCHIVE_MAGIC_V1):
        return decrypt_archive(bundle, key_file, password, out_dir, accept_v1=accept_v1)
    return decrypt_export(bundle, key_file, password, out_dir, accept_v1=accept_v1)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "bundle", type=Path, help="an exported item (.jdx) or a source's archive (.jda)"
    )
    parser.add_argument("--key", type=Path, required=True, help="your exported key (.jdkey)")
    parser.add_argument("--out", type=Path, default=Path("."), help="directory to write to")
    parser.add_argument("--password-file", type=Path, help="read the password from this file")
    parser.add_argument(
        "--accept-unauthenticated-v1",
        action="store_true",
        help="also open a version-1 export or archive, whose header is not authenticated",
    )


def run(args: argparse.Namespace) -> int:
    if args.password_file:
        password = args.password_file.read_text().rstrip("\n")
    else:
        password = getpass.getpass("Password for your key: ")
    try:
        target = decrypt_any(
            args.bundle,
            args.key,
            password,
            args.out,
            accept_v1=bool(getattr(args, "accept_unauthenticated_v1", False)),
        )
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
