"""The one door to wherever encrypted files are kept: the `BlobStore` protocol.

A blob is an immutable file the server writes once and reads many times: a vault item, a
preview, later published evidence and mirror files. Where blobs live is an outside system
(a local directory, an S3 bucket), so the rooms never touch paths or buckets themselves: they
ask `jiandu.core.blobstore.get_store(kind)` and use only what this protocol says. One contract
test suite (tests/core/test_blobstore_contract.py) runs against every backend.

What every backend promises:
- **Names** are made by the store (`<32 hex digits><kind's suffix>`), or, for a kind that
  declares a `names` pattern (content-addressed public files), given by the caller; every
  name is checked against the kind's one pattern before it becomes a path or a key
  (`BlobNameError`): no caller can reach outside the kind's folder.
- **Nothing half-written is ever visible**: a writer's bytes become a blob only at `commit()`,
  whole; `abort()` (or leaving the `with` block by an exception) leaves nothing named. A crash
  leaves at most an unfinished upload that `clean_unfinished` removes.
- **Ciphertext only** where the kind says so (`BlobKind.magic`): a blob whose first bytes are
  not the vault's stream header is refused (`NotCiphertext`) before anything is stored, so a
  plaintext file cannot reach a bucket by mistake.
- **Streaming**: writes and reads go in pieces (a 20 GB video never sits in memory); reads may
  start at an offset and stop after a length (ranged reads for range requests).

What differs by backend (docs/operations.md, "Blob storage"): the local one keeps file and
folder times to the hour and reads without access times; an S3 service keeps its own times
and logs, which the threat model lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol, Self, runtime_checkable

FOLDER = re.compile(r"\A[a-z0-9_-]+(?:/[a-z0-9_-]+)*\Z")
SUFFIX = re.compile(r"\A\.[a-z0-9]{1,8}\Z")


class BlobError(Exception):
    """Base of every error a blob store raises."""


class BlobNameError(BlobError):
    """A name outside the kind's allow-list (never turned into a path or a key)."""


class BlobMissing(BlobError):
    """A well-formed name with no blob behind it."""


class NotCiphertext(BlobError):
    """Bytes that do not start with the kind's required header: refused, nothing stored."""


# Caller-chosen names may use only these characters, never a dot first (no `..`, no hidden
# file) and never `.part`; a kind's own `names` pattern is checked against this too.
SAFE_NAME = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,150}(?:\.[A-Za-z0-9]{1,8})?\Z")


@dataclass(frozen=True)
class BlobKind:
    """One family of blobs, declared by the room that owns it.

    `folder` is where they live (a folder under the data dir, or a key prefix in a bucket);
    `suffix` ends every name the store makes (`.jdv`, `.jdp`); `names`, instead, is the pattern
    of names a caller chooses (files named by their hash); `staging` is the local folder where
    unfinished writes wait (`.part` files), the kind's own folder when not given; `magic` is
    the header every blob must start with (the vault's stream header), or empty for public
    files.
    """

    folder: str
    suffix: str = ""
    staging: str = ""
    magic: bytes = b""
    names: str = ""
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for value in (self.folder, self.staging or self.folder):
            if not FOLDER.match(value):
                raise ValueError(f"Not a blob folder: {value!r}")
        if bool(self.suffix) == bool(self.names):
            raise ValueError("A blob kind has either a suffix or a names pattern.")
        if self.suffix and not SUFFIX.match(self.suffix):
            raise ValueError(f"Not a blob suffix: {self.suffix!r}")
        pattern = self.names or r"\A[0-9a-f]{32}" + re.escape(self.suffix) + r"\Z"
        object.__setattr__(self, "pattern", re.compile(pattern))

    @property
    def store_names(self) -> bool:
        """Whether the store makes the names (else the caller gives each one)."""
        return bool(self.suffix)

    @property
    def staging_folder(self) -> str:
        return self.staging or self.folder

    def check(self, name: str) -> str:
        """`name` if it is one of this kind's names, else `BlobNameError`."""
        if not isinstance(name, str) or not self.pattern.match(name):
            raise BlobNameError("Not a blob name.")
        if not self.store_names and (not SAFE_NAME.match(name) or name.endswith(".part")):
            raise BlobNameError("Not a blob name.")
        return name


@runtime_checkable
class BlobWriter(Protocol):
    """A blob being written. Use it as a context manager: leaving the block by an exception
    aborts, and nothing is left under a name."""

    def write(self, data: bytes) -> int:
        """Append `data` (ciphertext, in pieces of any size); return its length."""
        ...

    def commit(self) -> str:
        """Make the blob durable and visible, whole; return its name. Once only."""
        ...

    def abort(self) -> None:
        """Drop everything written; safe to call twice and after `commit` (does nothing)."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, kind: object, value: object, traceback: object) -> None: ...


@runtime_checkable
class BlobStore(Protocol):
    """Where one kind of blob lives. Backends: `jiandu.core.blobstore.services`."""

    kind: BlobKind

    def writer(self, name: str | None = None) -> BlobWriter:
        """A new blob to write in pieces: named by the store, or `name` for a kind whose
        names the caller chooses (a blob already under that name is replaced at commit)."""
        ...

    def adopt(self, part: Path) -> str:
        """Take a finished `.part` file from the kind's local staging folder (a vault upload,
        written there across one or several requests) and make it a blob; the part is gone
        afterwards. Returns the blob's name."""
        ...

    def open(self, name: str, start: int = 0, length: int | None = None) -> BinaryIO:
        """A stream of the blob's bytes from `start`, at most `length` of them (all to the
        end when None). `read(n)` returns n bytes unless the end is reached."""
        ...

    def size(self, name: str) -> int:
        """The blob's length in bytes."""
        ...

    def exists(self, name: str) -> bool: ...

    def delete(self, names: Iterable[str]) -> None:
        """Remove each named blob; a name that is already gone is not an error."""
        ...

    def names(self) -> Iterator[str]:
        """Every blob of this kind (for removing the ones no row refers to)."""
        ...

    def clean_unfinished(self, older_than_seconds: int | None = None) -> int:
        """Remove unfinished writes (`.part` files, open multipart uploads), all of them or
        only those older than the given age. Returns how many went."""
        ...
