"""Decrypt an exported item on an offline machine: no server, no database, no Django needed.

    python -m jiandu.vault.offline ITEM.jdx --key ME.jdkey --out DIR [--password-file F]
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
import json
import os
import sys
from pathlib import Path

from jiandu.vault import crypto

ITEM_MAGIC = b"JDEXPORT1\n"
MAX_HEADER = 64 * 1024


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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", type=Path, help="the exported item (.jdx)")
    parser.add_argument("--key", type=Path, required=True, help="your exported key (.jdkey)")
    parser.add_argument("--out", type=Path, default=Path("."), help="directory to write to")
    parser.add_argument("--password-file", type=Path, help="read the password from this file")


def run(args: argparse.Namespace) -> int:
    if args.password_file:
        password = args.password_file.read_text().rstrip("\n")
    else:
        password = getpass.getpass("Password for your key: ")
    try:
        target = decrypt_export(args.bundle, args.key, password, args.out)
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
