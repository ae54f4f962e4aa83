"""The blob store's backends: a local directory (the default) and an S3 bucket.

Chosen by the dotted path in `settings.JIANDU_BLOB_BACKEND` (environment variable of the same
name; docs/operations.md, "Blob storage"). Both keep the promises of
`jiandu.core.blobstore.interfaces`, checked by one contract suite
(tests/core/test_blobstore_contract.py).

`LocalBlobStore` is the vault's discipline since the first room: a `.part` file (0600,
O_EXCL) in the staging folder, fsynced, renamed into the kind's folder, the folder fsynced;
file and folder times set to the hour after every write (`jiandu.core.filetimes`), reads
without access times (O_NOATIME).

`S3BlobStore` streams a blob to the bucket in parts of `part_size` bytes (one PutObject when
the blob is smaller than one part, a multipart upload otherwise), so memory use is one part
whatever the size; the bytes it is given are already ciphertext (the kind's `magic` is checked
before the first byte leaves). Reads are streamed ranged GETs. A crash mid-upload leaves an
unfinished multipart upload, which the bucket does not show as an object and
`clean_unfinished` aborts.
"""

from __future__ import annotations

import abc
import io
import os
import re
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Self

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from jiandu.core.blobstore.interfaces import BlobError, BlobKind, BlobMissing, NotCiphertext
from jiandu.core.filetimes import make_dir, open_quietly, settle

PART_NAME = re.compile(r"\A[0-9a-f]{32}\.part\Z")
READ_BUFFER = 1024 * 1024
MIB = 1024 * 1024
MIN_PART_SIZE = 5 * MIB  # S3's own floor for every part but the last
MAX_PARTS = 10_000  # S3's own ceiling on the parts of one upload


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _data_dir() -> Path:
    return Path(settings.DATA_DIR)


def _staging_dir(kind: BlobKind) -> Path:
    return make_dir(_data_dir() / kind.staging_folder)


def _checked_part(kind: BlobKind, part: Path) -> Path:
    """`part` if it is a `.part` file directly in the kind's staging folder, else an error."""
    if not PART_NAME.match(part.name) or part.parent.resolve() != _staging_dir(kind).resolve():
        raise BlobError("Not an unfinished blob of this kind.")
    return part


def _blob_name(kind: BlobKind, token: str, name: str | None) -> str:
    """The store's name for a new blob, or the caller's, checked: each kind has one way."""
    if kind.store_names:
        if name is not None:
            raise BlobError("This kind's names are made by the store.")
        return f"{token}{kind.suffix}"
    if name is None:
        raise BlobError("This kind's blobs are named by the caller.")
    return kind.check(name)


def _check_magic(kind: BlobKind, head: bytes) -> None:
    if kind.magic and not head.startswith(kind.magic):
        raise NotCiphertext("Refused: the blob does not start with the encrypted stream header.")


def _clean_staging(kind: BlobKind, older_than_seconds: int | None) -> int:
    """Remove `.part` files from the kind's staging folder (all, or those older than the age
    by their modification time, which is on the hour)."""
    staging = _data_dir() / kind.staging_folder
    if not staging.is_dir():
        return 0
    cutoff = None if older_than_seconds is None else time.time() - older_than_seconds
    removed = 0
    for entry in os.scandir(staging):
        if not PART_NAME.match(entry.name):
            continue
        try:
            if cutoff is None or entry.stat(follow_symlinks=False).st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:  # removed by someone else meanwhile
            continue
    settle(staging)  # listing it set its access time
    return removed


class _GatedWriter(abc.ABC):
    """What both writers share: the `magic` gate before any byte is stored, the context
    manager, and commit/abort happening once."""

    def __init__(self, kind: BlobKind, token: str, name: str | None) -> None:
        self.kind = kind
        self.name = _blob_name(kind, token, name)
        self._head = bytearray()
        self._gated = not kind.magic
        self._done = False

    def write(self, data: bytes) -> int:
        if self._done:
            raise BlobError("The blob is already committed or aborted.")
        if self._gated:
            self._write_raw(bytes(data))
            return len(data)
        self._head += data
        if len(self._head) >= len(self.kind.magic):
            self._open_gate()
        return len(data)

    def _open_gate(self) -> None:
        try:
            _check_magic(self.kind, bytes(self._head))
        except NotCiphertext:
            self.abort()
            raise
        self._gated = True
        head, self._head = bytes(self._head), bytearray()
        self._write_raw(head)

    def commit(self) -> str:
        if self._done:
            raise BlobError("The blob is already committed or aborted.")
        if not self._gated:
            self._open_gate()  # fewer bytes than the header: refused
        try:
            self._finish()
        except BaseException:
            self.abort()
            raise
        self._done = True
        return self.name

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        self._discard()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is not None:
            self.abort()

    @abc.abstractmethod
    def _write_raw(self, data: bytes) -> None:
        """Each backend's own step."""

    @abc.abstractmethod
    def _finish(self) -> None:
        """Each backend's own step."""

    @abc.abstractmethod
    def _discard(self) -> None:
        """Each backend's own step."""


class _Bounded(io.RawIOBase):
    """At most `length` bytes of an open file, from where it stands."""

    def __init__(self, inner: BinaryIO, length: int) -> None:
        self._inner = inner
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            return 0
        data = self._inner.read(min(len(buffer), self._left))
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


# --- Local directory --------------------------------------------------------------------


class _LocalWriter(_GatedWriter):
    def __init__(self, store: LocalBlobStore, name: str | None) -> None:
        token = secrets.token_hex(16)
        super().__init__(store.kind, token, name)
        self._store = store
        staging = _staging_dir(store.kind)
        self._part = staging / f"{token}.part"
        fd = os.open(self._part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        settle(self._part, staging)
        self._handle = os.fdopen(fd, "wb")

    def _write_raw(self, data: bytes) -> None:
        self._handle.write(data)

    def _finish(self) -> None:
        self._handle.flush()
        settle(self._handle.fileno())
        os.fsync(self._handle.fileno())
        self._handle.close()
        self._store._publish(self._part, self.name)

    def _discard(self) -> None:
        self._handle.close()
        self._part.unlink(missing_ok=True)
        settle(self._part.parent)


class LocalBlobStore:
    """Blobs as files under `DATA_DIR/<kind.folder>`, unfinished writes as `.part` files under
    `DATA_DIR/<kind.staging>`: fsync, rename, fsync of the folder; times to the hour."""

    def __init__(self, kind: BlobKind) -> None:
        self.kind = kind

    def _folder(self) -> Path:
        return _data_dir() / self.kind.folder

    def _path(self, name: str) -> Path:
        return self._folder() / self.kind.check(name)

    def _publish(self, part: Path, name: str) -> None:
        folder = make_dir(self._folder())
        os.rename(part, folder / name)
        settle(folder / name, folder, part.parent)
        fsync_dir(folder)
        if part.parent != folder:
            fsync_dir(part.parent)

    def writer(self, name: str | None = None) -> _LocalWriter:
        return _LocalWriter(self, name)

    def adopt(self, part: Path) -> str:
        part = _checked_part(self.kind, part)
        name = _blob_name(self.kind, part.stem, None)
        with open_quietly(part) as handle:
            _check_magic(self.kind, handle.read(len(self.kind.magic)))
            os.fsync(handle.fileno())
        self._publish(part, name)
        return name

    def open(self, name: str, start: int = 0, length: int | None = None) -> BinaryIO:
        try:
            handle = open_quietly(self._path(name))  # no access time: a source reads its replies
        except FileNotFoundError as exc:
            raise BlobMissing("The blob is missing.") from exc
        if start:
            handle.seek(start)
        if length is None:
            return handle
        return io.BufferedReader(_Bounded(handle, length), READ_BUFFER)

    def size(self, name: str) -> int:
        try:
            return self._path(name).stat().st_size
        except FileNotFoundError as exc:
            raise BlobMissing("The blob is missing.") from exc

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def delete(self, names: Iterable[str]) -> None:
        paths = [self._path(name) for name in names]  # every name checked before any goes
        for path in paths:
            path.unlink(missing_ok=True)
        settle(self._folder())

    def names(self) -> Iterator[str]:
        folder = self._folder()
        if not folder.is_dir():
            return iter(())
        found = [entry.name for entry in os.scandir(folder) if self.kind.pattern.match(entry.name)]
        settle(folder)  # listing it set its access time
        return iter(found)

    def clean_unfinished(self, older_than_seconds: int | None = None) -> int:
        return _clean_staging(self.kind, older_than_seconds)


# --- S3 ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class S3Config:
    """Where the bucket is and how to reach it (settings.JIANDU_BLOB_S3)."""

    bucket: str
    endpoint_url: str = ""
    region: str = "us-east-1"
    access_key_id: str = ""
    secret_access_key: str = ""
    prefix: str = ""
    part_size: int = 8 * MIB
    addressing_style: str = "path"

    @classmethod
    def from_settings(cls) -> S3Config:
        values = dict(getattr(settings, "JIANDU_BLOB_S3", {}))
        config = cls(**values)
        if not config.bucket:
            raise ImproperlyConfigured("JIANDU_S3_BUCKET is required with the S3 blob store.")
        if config.part_size < MIN_PART_SIZE:
            raise ImproperlyConfigured("JIANDU_S3_PART_SIZE_MB must be at least 5.")
        if config.prefix and not FOLDER_PREFIX.match(config.prefix):
            raise ImproperlyConfigured("JIANDU_S3_PREFIX must be folders ending with '/'.")
        return config


# Folders of letters, digits, `_.-`, each ending in `/`; never `.` or `..` (some S3-compatible
# servers map keys onto a file system).
FOLDER_PREFIX = re.compile(r"\A(?:(?!\.{1,2}/)[A-Za-z0-9_.-]+/)+\Z")
_clients: dict[S3Config, Any] = {}
_clients_lock = threading.Lock()


def s3_client(config: S3Config) -> Any:
    """One boto3 client per configuration (clients are thread-safe; making one is slow)."""
    with _clients_lock:
        if config not in _clients:
            import boto3
            from botocore.config import Config

            session = boto3.session.Session()
            _clients[config] = session.client(
                "s3",
                endpoint_url=config.endpoint_url or None,
                region_name=config.region or None,
                aws_access_key_id=config.access_key_id or None,
                aws_secret_access_key=config.secret_access_key or None,
                config=Config(
                    s3={"addressing_style": config.addressing_style},
                    retries={"max_attempts": 4, "mode": "standard"},
                    connect_timeout=10,
                    read_timeout=120,
                    # Many S3-compatible servers refuse the newer default checksums; the
                    # content is authenticated by its own AEAD anyway (docs/crypto.md).
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                ),
            )
        return _clients[config]


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


class _S3Writer(_GatedWriter):
    """Buffers up to one part; the first full part starts a multipart upload."""

    def __init__(self, store: S3BlobStore, token: str, name: str | None = None) -> None:
        super().__init__(store.kind, token, name)
        self._store = store
        self._key = store._key(self.name)
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    def _write_raw(self, data: bytes) -> None:
        self._buffer += data
        size = self._store.config.part_size
        while len(self._buffer) >= size:
            self._upload_part(bytes(self._buffer[:size]))
            del self._buffer[:size]

    def _upload_part(self, body: bytes) -> None:
        client, bucket = self._store.client, self._store.config.bucket
        if self._upload_id is None:
            self._upload_id = client.create_multipart_upload(Bucket=bucket, Key=self._key)[
                "UploadId"
            ]
        number = len(self._parts) + 1
        if number > MAX_PARTS:
            raise BlobError("The blob is larger than the bucket takes at this part size.")
        answer = client.upload_part(
            Bucket=bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=body
        )
        self._parts.append({"ETag": answer["ETag"], "PartNumber": number})

    def _finish(self) -> None:
        client, bucket = self._store.client, self._store.config.bucket
        if self._upload_id is None:
            client.put_object(Bucket=bucket, Key=self._key, Body=bytes(self._buffer))
        else:
            if self._buffer:
                self._upload_part(bytes(self._buffer))
            client.complete_multipart_upload(
                Bucket=bucket,
                Key=self._key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        self._buffer = bytearray()

    def _discard(self) -> None:
        self._buffer = bytearray()
        if self._upload_id is not None:
            upload_id, self._upload_id = self._upload_id, None
            try:
                self._store.client.abort_multipart_upload(
                    Bucket=self._store.config.bucket, Key=self._key, UploadId=upload_id
                )
            except Exception as exc:
                if _error_code(exc) != "NoSuchUpload":  # already aborted by clean_unfinished
                    raise


class _Body(io.RawIOBase):
    """A GET's streaming body as a raw stream (wrapped in a BufferedReader by `open`)."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._body.close()
        super().close()


class S3BlobStore:
    """Blobs as objects `<prefix><kind.folder>/<name>` in one bucket (settings.JIANDU_BLOB_S3).

    The bucket must exist; the server never creates or configures one (docs/operations.md).
    """

    def __init__(self, kind: BlobKind, config: S3Config | None = None) -> None:
        self.kind = kind
        self.config = config or S3Config.from_settings()
        self.client = s3_client(self.config)

    def _folder_key(self) -> str:
        return f"{self.config.prefix}{self.kind.folder}/"

    def _key(self, name: str) -> str:
        return self._folder_key() + self.kind.check(name)

    def writer(self, name: str | None = None) -> _S3Writer:
        return _S3Writer(self, secrets.token_hex(16), name)

    def adopt(self, part: Path) -> str:
        part = _checked_part(self.kind, part)
        with open_quietly(part) as handle, _S3Writer(self, part.stem) as writer:
            while data := handle.read(self.config.part_size):
                writer.write(data)
            name = writer.commit()
        part.unlink()
        settle(part.parent)
        return name

    def open(self, name: str, start: int = 0, length: int | None = None) -> BinaryIO:
        key = self._key(name)
        if length == 0:
            self.size(name)  # missing is still missing
            return io.BytesIO(b"")
        byte_range = f"bytes={start}-" + ("" if length is None else str(start + length - 1))
        try:
            if start or length is not None:
                answer = self.client.get_object(
                    Bucket=self.config.bucket, Key=key, Range=byte_range
                )
            else:
                answer = self.client.get_object(Bucket=self.config.bucket, Key=key)
        except Exception as exc:
            code = _error_code(exc)
            if code in MISSING_CODES:
                raise BlobMissing("The blob is missing.") from exc
            if code == "InvalidRange":  # start at or past the end: nothing to read
                return io.BytesIO(b"")
            raise
        return io.BufferedReader(_Body(answer["Body"]), READ_BUFFER)

    def size(self, name: str) -> int:
        try:
            answer = self.client.head_object(Bucket=self.config.bucket, Key=self._key(name))
        except Exception as exc:
            if _error_code(exc) in MISSING_CODES:
                raise BlobMissing("The blob is missing.") from exc
            raise
        return int(answer["ContentLength"])

    def exists(self, name: str) -> bool:
        try:
            self.size(name)
        except BlobMissing:
            return False
        return True

    def delete(self, names: Iterable[str]) -> None:
        keys = [self._key(name) for name in names]  # every name checked before any goes
        for start in range(0, len(keys), 1000):
            answer = self.client.delete_objects(
                Bucket=self.config.bucket,
                Delete={"Objects": [{"Key": key} for key in keys[start : start + 1000]]},
            )
            if answer.get("Errors"):
                raise BlobError(f"{len(answer['Errors'])} blobs could not be deleted.")

    def names(self) -> Iterator[str]:
        folder = self._folder_key()
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.config.bucket, Prefix=folder
        )
        for page in pages:
            for entry in page.get("Contents", []):
                name = entry["Key"][len(folder) :]
                if self.kind.pattern.match(name):
                    yield name

    def clean_unfinished(self, older_than_seconds: int | None = None) -> int:
        """Abort the kind's unfinished multipart uploads and remove its staged `.part` files."""
        removed = _clean_staging(self.kind, older_than_seconds)
        cutoff = (
            None
            if older_than_seconds is None
            else datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        )
        folder = self._folder_key()
        pages = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.config.bucket, Prefix=folder
        )
        for page in pages:
            for upload in page.get("Uploads", []):
                if not self.kind.pattern.match(upload["Key"][len(folder) :]):
                    continue
                if cutoff is None or upload["Initiated"] < cutoff:
                    self.client.abort_multipart_upload(
                        Bucket=self.config.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    removed += 1
        return removed
