"""The onion service: the Tor configuration `jiandu onion` writes, and the onion address it reads
back. No Django here (the settings read the address through `jiandu.conf`).

A v3 onion address is base32 of the service's ed25519 public key, a two-byte checksum and the
version byte 3 (Tor's rend-spec-v3, "Encoding onion addresses"). A source types or pastes
this address; a wrong one sends them somewhere else, so an address is accepted only when its
checksum holds, never merely because it has the right length.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

ADDRESS_SHAPE = re.compile(r"\A[a-z2-7]{56}\.onion\Z")
VERSION = b"\x03"


class OnionError(Exception):
    """The address is not a v3 onion address, or the hostname file cannot be read."""


def checksum(public_key: bytes) -> bytes:
    return hashlib.sha3_256(b".onion checksum" + public_key + VERSION).digest()[:2]


def address_for_key(public_key: bytes) -> str:
    """The v3 onion address of an ed25519 public key (32 bytes)."""
    if len(public_key) != 32:
        raise OnionError("An ed25519 public key has 32 bytes.")
    raw = public_key + checksum(public_key) + VERSION
    return base64.b32encode(raw).decode().lower() + ".onion"


def valid_address(text: str) -> str:
    """The address, lower case and stripped, if it is a v3 onion address whose checksum holds;
    OnionError otherwise. A scheme, a path or a port is not part of an address."""
    address = text.strip().lower()
    if not ADDRESS_SHAPE.match(address):
        raise OnionError("Not a v3 onion address (56 letters and digits, then .onion).")
    try:
        raw = base64.b32decode(address[:56].upper())
    except binascii.Error as exc:
        raise OnionError("Not base32.") from exc
    public_key, check, version = raw[:32], raw[32:34], raw[34:]
    if version != VERSION or checksum(public_key) != check:
        raise OnionError("The address's checksum does not hold: a letter is wrong.")
    return address


def read_hostname(hidden_service_dir: Path) -> str:
    """The address Tor wrote into `<HiddenServiceDir>/hostname` once it started the service."""
    path = hidden_service_dir / "hostname"
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError as exc:
        raise OnionError(
            f"{path} does not exist yet: start (or reload) Tor with the configuration first."
        ) from exc
    except PermissionError as exc:
        raise OnionError(
            f"{path} is readable only by Tor's user: run this as root, or give the address "
            "with --address."
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise OnionError(f"{path} cannot be read.") from exc
    return valid_address(text)


@dataclass
class TorConfig:
    """The lines for a local Tor (0.4.8 or later, with the proof-of-work module)."""

    hidden_service_dir: Path
    target_host: str = "127.0.0.1"
    target_port: int = 8000
    virtual_port: int = 80
    pow_queue_rate: int = 250
    pow_queue_burst: int = 2500

    def text(self) -> str:
        return f"""\
# Jiandu's onion service, written by `jiandu onion` (docs/operations.md, "Onion service").
# Include this file from /etc/tor/torrc (a line `%include` and its path), then reload Tor.
HiddenServiceDir {self.hidden_service_dir}/
HiddenServicePort {self.virtual_port} {self.target_host}:{self.target_port}

# Proof of work: under load, clients must solve a puzzle (Equi-X) before the service answers
# their introduction, and the service serves the highest efforts first. Tor Browser solves it
# automatically; a real source waits a few seconds, a flood pays for every request.
HiddenServicePoWDefensesEnabled 1
HiddenServicePoWQueueRate {self.pow_queue_rate}
HiddenServicePoWQueueBurst {self.pow_queue_burst}

# Rate limits at the introduction points.
HiddenServiceEnableIntroDoSDefense 1
HiddenServiceEnableIntroDoSRatePerSec 25
HiddenServiceEnableIntroDoSBurstPerSec 200

# Streams per rendezvous circuit: one Tor Browser opens a few; a script opening hundreds on
# one circuit has that circuit closed.
HiddenServiceMaxStreams 32
HiddenServiceMaxStreamsCloseCircuit 1
"""


def address_file(data_dir: Path) -> Path:
    """Where `jiandu onion` keeps the address for the server (read at start)."""
    return data_dir / "onion_address"


def stored_address(data_dir: Path) -> str:
    """The address `jiandu onion` stored, or "" if none (or if the file was tampered with)."""
    try:
        return valid_address(address_file(data_dir).read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError, OnionError):
        return ""
