"""One contract for every blob store backend (jiandu/core/blobstore/interfaces.py).

Each test runs against the local directory and against the S3 backend. The S3 backend talks
over HTTP to moto's S3 server, started once per session on a free loopback port
(tests/s3server.py says why moto: Debian 12's `radosgw` needs a whole Ceph cluster). The tests
below the contract check what only one backend can show: file times and modes on disk,
multipart uploads and ranges in the bucket.
"""

from __future__ import annotations

import io
import secrets
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from jiandu.conf import hour_floor
from jiandu.core.blobstore import (
    BlobError,
    BlobKind,
    BlobMissing,
    BlobNameError,
    NotCiphertext,
    get_store,
)
from jiandu.core.blobstore.services import LocalBlobStore, S3BlobStore, S3Config
from jiandu.vault import crypto
from tests.s3server import S3_BACKEND, s3_config

MIB = 1024 * 1024
SEALED = BlobKind(folder="vault/blobs", suffix=".jdv", staging="vault/incoming", magic=b"JDVAULT")
PUBLIC = BlobKind(folder="published", suffix=".bin")


def ciphertext(size: int) -> bytes:
    """Bytes that pass the sealed kind's header check (the rest is random)."""
    return SEALED.magic + secrets.token_bytes(max(0, size - len(SEALED.magic)))


@pytest.fixture(params=["local", "s3"])
def backend(request) -> str:
    """Selects the backend in settings; every `get_store` in the test then returns it."""
    if request.param == "s3":
        request.getfixturevalue("s3_blobs")  # S3 in the settings, a new bucket
    return request.param


@pytest.fixture
def sealed(backend):
    return get_store(SEALED)


@pytest.fixture
def public(backend):
    return get_store(PUBLIC)


def unfinished_on_server(store) -> int:
    """Unfinished writes the backend holds outside the staging folder (S3 multipart uploads)."""
    if isinstance(store, S3BlobStore):
        answer = store.client.list_multipart_uploads(Bucket=store.config.bucket)
        return len(answer.get("Uploads", []))
    return 0


def everything_stored(store) -> list[str]:
    """Every object in the bucket, or every file in the kind's folder and staging folder."""
    if isinstance(store, S3BlobStore):
        answer = store.client.list_objects_v2(Bucket=store.config.bucket)
        return [entry["Key"] for entry in answer.get("Contents", [])]
    found = []
    for folder in {store.kind.folder, store.kind.staging_folder}:
        path = Path(django_settings.DATA_DIR) / folder
        if path.is_dir():
            found += [child.name for child in path.iterdir()]
    return found


def staged_part(isolated_data_dir: Path, data: bytes) -> Path:
    staging = isolated_data_dir / SEALED.staging_folder
    staging.mkdir(parents=True, exist_ok=True)
    part = staging / f"{secrets.token_hex(16)}.part"
    part.write_bytes(data)
    return part


# --- The contract -------------------------------------------------------------------------


def test_a_blob_written_in_pieces_reads_back_whole_and_by_range(sealed):
    data = ciphertext(200_000)
    with sealed.writer() as writer:
        for start in range(0, len(data), 7_001):
            writer.write(data[start : start + 7_001])
        name = writer.commit()

    assert SEALED.pattern.match(name)
    assert sealed.exists(name)
    assert sealed.size(name) == len(data)
    assert list(sealed.names()) == [name]
    with sealed.open(name) as handle:
        assert handle.read() == data
    with sealed.open(name, start=123_456) as handle:
        assert handle.read() == data[123_456:]
    with sealed.open(name, start=10, length=65_536) as handle:
        assert handle.read(100) == data[10:110]  # read(n) gives n bytes until the end
        assert handle.read() == data[110 : 10 + 65_536]
    with sealed.open(name, start=len(data) - 5, length=100) as handle:
        assert handle.read() == data[-5:]
    with sealed.open(name, start=len(data)) as handle:
        assert handle.read() == b""
    with sealed.open(name, start=0, length=0) as handle:
        assert handle.read() == b""


def test_a_blob_larger_than_one_part_streams_and_reads_back(sealed):
    data = ciphertext(11 * MIB + 17)  # two full 5 MiB parts and a short last one on S3
    with sealed.writer() as writer:
        for start in range(0, len(data), MIB):
            writer.write(data[start : start + MIB])
        name = writer.commit()

    assert sealed.size(name) == len(data)
    with sealed.open(name) as handle:
        pieces = []
        while chunk := handle.read(64 * 1024 + 17):  # the vault reads whole chunks
            assert len(chunk) == 64 * 1024 + 17 or not handle.peek(1)
            pieces.append(chunk)
    assert b"".join(pieces) == data
    with sealed.open(name, start=5 * MIB - 3, length=9) as handle:
        assert handle.read() == data[5 * MIB - 3 : 5 * MIB + 6]  # across a part boundary


def test_a_vault_stream_round_trips_through_the_store(sealed):
    key = crypto.random_key()
    plaintext = secrets.token_bytes(300_000)
    with sealed.writer() as writer:
        encryptor = crypto.StreamEncryptor(key, writer)
        encryptor.write(plaintext)
        encryptor.finish()
        name = writer.commit()

    with sealed.open(name) as handle:
        assert b"".join(crypto.decrypt_stream(key, handle)) == plaintext
    with sealed.open(name) as handle:
        assert plaintext not in handle.read()


def test_nothing_is_visible_before_commit_and_abort_leaves_nothing(sealed):
    writer = sealed.writer()
    writer.write(ciphertext(6 * MIB))  # past one part: S3 has a multipart upload under way
    assert list(sealed.names()) == []

    writer.abort()
    writer.abort()  # twice is harmless
    assert list(sealed.names()) == []
    assert unfinished_on_server(sealed) == 0
    assert everything_stored(sealed) == []
    assert sealed.clean_unfinished() == 0


def test_an_exception_inside_the_block_aborts_the_write(sealed):
    with pytest.raises(RuntimeError), sealed.writer() as writer:
        writer.write(ciphertext(6 * MIB))
        raise RuntimeError("the upload broke off")

    assert list(sealed.names()) == []
    assert unfinished_on_server(sealed) == 0
    assert everything_stored(sealed) == []


def test_a_committed_writer_takes_no_more_bytes(sealed):
    writer = sealed.writer()
    writer.write(ciphertext(100))
    name = writer.commit()
    with pytest.raises(BlobError):
        writer.write(b"more")
    with pytest.raises(BlobError):
        writer.commit()
    writer.abort()  # after commit: does nothing
    assert sealed.size(name) == 100


@pytest.mark.parametrize(
    "pieces",
    [
        [b"%PDF-1.7\n", secrets.token_bytes(6 * MIB)],  # a plaintext file, larger than a part
        [b"JDVAUL", b"t" + b"x" * 10],  # the header broken across writes, one byte wrong
        [b"JDVA"],  # shorter than the header
        [b""],
        [],
    ],
)
def test_plaintext_is_refused_before_anything_is_stored(sealed, pieces):
    writer = sealed.writer()
    with pytest.raises(NotCiphertext):
        for piece in pieces:
            writer.write(piece)
        writer.commit()

    assert list(sealed.names()) == []
    assert unfinished_on_server(sealed) == 0
    assert everything_stored(sealed) == []


def test_the_header_may_arrive_in_pieces(sealed):
    with sealed.writer() as writer:
        for piece in (b"J", b"DV", b"", b"AULT", b"rest"):
            writer.write(piece)
        name = writer.commit()
    with sealed.open(name) as handle:
        assert handle.read() == b"JDVAULTrest"


def test_a_kind_without_a_header_stores_any_bytes(public):
    with public.writer() as writer:
        writer.write(b"%PDF-1.7 a published, redacted document")
        name = writer.commit()
    assert name.endswith(".bin")
    with public.open(name) as handle:
        assert handle.read().startswith(b"%PDF")
    with public.writer() as writer:
        empty = writer.commit()
    assert public.size(empty) == 0


@pytest.mark.parametrize(
    "name",
    [
        "../blobs/" + "a" * 32 + ".jdv",
        "a" * 32 + ".jdp",  # another kind's suffix
        "A" * 32 + ".jdv",
        "a" * 31 + ".jdv",
        "a" * 32 + ".jdv/",
        "a" * 32 + ".jdv\n",
        "/etc/passwd",
        "..",
        "",
        "a" * 32 + ".part",
    ],
)
def test_names_outside_the_allow_list_are_refused_everywhere(sealed, name):
    for call in (sealed.open, sealed.size, sealed.exists):
        with pytest.raises(BlobNameError):
            call(name)
    with pytest.raises(BlobNameError):
        sealed.delete([name])


def test_one_bad_name_in_a_delete_deletes_nothing(sealed):
    with sealed.writer() as writer:
        writer.write(ciphertext(10))
        name = writer.commit()
    with pytest.raises(BlobNameError):
        sealed.delete([name, "../" + name])
    assert sealed.exists(name)


def test_a_missing_blob_is_missing_and_deleting_it_is_not_an_error(sealed):
    name = "0" * 32 + ".jdv"
    with pytest.raises(BlobMissing):
        sealed.open(name)
    with pytest.raises(BlobMissing):
        sealed.open(name, start=0, length=0)
    with pytest.raises(BlobMissing):
        sealed.size(name)
    assert not sealed.exists(name)
    sealed.delete([name])


def test_delete_removes_blobs_and_names_lists_only_its_own_kind(sealed, public):
    kept, gone = [], []
    for target in (kept, gone):
        with sealed.writer() as writer:
            writer.write(ciphertext(1000))
            target.append(writer.commit())
    with public.writer() as writer:
        writer.write(b"public")
        other = writer.commit()

    sealed.delete(gone)
    sealed.delete(gone)  # again: already gone
    assert sorted(sealed.names()) == kept
    assert list(public.names()) == [other]
    assert not sealed.exists(gone[0])


def test_adopt_makes_a_staged_part_a_blob(sealed, isolated_data_dir):
    data = ciphertext(6 * MIB + 3)
    part = staged_part(isolated_data_dir, data)

    name = sealed.adopt(part)

    assert name == part.stem + ".jdv"
    assert not part.exists()
    with sealed.open(name) as handle:
        assert handle.read() == data
    assert unfinished_on_server(sealed) == 0


def test_adopt_refuses_a_plaintext_part_and_keeps_it_local(sealed, isolated_data_dir):
    part = staged_part(isolated_data_dir, b"plain words of a source " * 1000)
    with pytest.raises(NotCiphertext):
        sealed.adopt(part)
    assert part.exists()  # still only on this machine, for the caller to discard
    assert list(sealed.names()) == []
    assert unfinished_on_server(sealed) == 0


def test_adopt_refuses_a_file_outside_the_staging_folder(sealed, isolated_data_dir, tmp_path):
    outside = tmp_path / f"{secrets.token_hex(16)}.part"
    outside.write_bytes(ciphertext(10))
    wrong_name = staged_part(isolated_data_dir, ciphertext(10)).rename(
        isolated_data_dir / SEALED.staging_folder / "notes.part"
    )
    for path in (outside, wrong_name, isolated_data_dir / SEALED.staging_folder / ".." / "x"):
        with pytest.raises(BlobError):
            sealed.adopt(path)
    assert outside.exists() and wrong_name.exists()
    assert list(sealed.names()) == []


def test_clean_unfinished_removes_writes_left_by_a_crash(sealed, isolated_data_dir):
    crashed = sealed.writer()
    crashed.write(ciphertext(6 * MIB))  # never committed nor aborted, as after a crash
    staged_part(isolated_data_dir, ciphertext(100))  # an upload whose request never finished
    with sealed.writer() as writer:
        writer.write(ciphertext(10))
        finished = writer.commit()

    if isinstance(sealed, S3BlobStore):
        # moto reports every multipart upload as begun on 2010-11-10 (a fixed string in its
        # responses), so there the crashed upload is old enough; the fresh part is not.
        assert sealed.clean_unfinished(older_than_seconds=6 * 3600) == 1
        assert unfinished_on_server(sealed) == 0
        assert sealed.clean_unfinished() == 1
    else:
        assert sealed.clean_unfinished(older_than_seconds=6 * 3600) == 0  # not old enough
        assert sealed.clean_unfinished() == 2

    crashed.abort()  # the writer's own abort after the cleaner's: harmless
    assert unfinished_on_server(sealed) == 0
    assert not list((isolated_data_dir / SEALED.staging_folder).iterdir())
    assert list(sealed.names()) == [finished]


# --- Choosing the backend -------------------------------------------------------------------


def test_the_setting_chooses_the_backend(settings, s3_endpoint):
    settings.JIANDU_BLOB_BACKEND = "jiandu.core.blobstore.services.LocalBlobStore"
    assert isinstance(get_store(SEALED), LocalBlobStore)
    settings.JIANDU_BLOB_BACKEND = S3_BACKEND
    settings.JIANDU_BLOB_S3 = s3_config(s3_endpoint, "any-bucket")
    assert isinstance(get_store(SEALED), S3BlobStore)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"bucket": ""}, "JIANDU_S3_BUCKET"),
        ({"part_size": MIB}, "JIANDU_S3_PART_SIZE_MB"),
        ({"prefix": "../"}, "JIANDU_S3_PREFIX"),
        ({"prefix": "jiandu/../"}, "JIANDU_S3_PREFIX"),
        ({"prefix": "no-slash"}, "JIANDU_S3_PREFIX"),
    ],
)
def test_an_s3_store_with_a_bad_configuration_refuses_to_start(settings, change, problem):
    settings.JIANDU_BLOB_S3 = {**s3_config("http://127.0.0.1:9", "bucket"), **change}
    with pytest.raises(ImproperlyConfigured, match=problem):
        S3Config.from_settings()


def test_a_kind_refuses_folders_and_suffixes_that_could_escape():
    for folder in ("../vault", "/abs", "vault/../x", "Vault", "vault/", ""):
        with pytest.raises(ValueError, match="folder"):
            BlobKind(folder=folder, suffix=".jdv")
    for suffix in ("jdv", ".j/v", ".", ".toolongsuffix"):
        with pytest.raises(ValueError, match="suffix"):
            BlobKind(folder="vault", suffix=suffix)


# --- What only the local backend can show ----------------------------------------------------


def test_local_blobs_and_folders_keep_only_the_hour(settings, isolated_data_dir):
    store = LocalBlobStore(SEALED)
    with store.writer() as writer:
        writer.write(ciphertext(70_000))
        name = writer.commit()
    adopted = store.adopt(staged_part(isolated_data_dir, ciphertext(10)))

    hour = hour_floor()
    for path in (
        isolated_data_dir / SEALED.folder / name,
        isolated_data_dir / SEALED.folder / adopted,
        isolated_data_dir / SEALED.folder,
        isolated_data_dir / SEALED.staging_folder,
    ):
        info = path.stat()
        assert (info.st_mtime, info.st_atime) == (hour, hour), path
    assert (isolated_data_dir / SEALED.folder / name).stat().st_mode & 0o777 == 0o600


def test_local_reads_and_listings_leave_no_access_time(isolated_data_dir):
    store = LocalBlobStore(SEALED)
    with store.writer() as writer:
        writer.write(ciphertext(1000))
        name = writer.commit()
    blob = isolated_data_dir / SEALED.folder / name
    hour = hour_floor()
    # With relatime, a read would set the access time: it equals the modification time.
    with store.open(name) as handle:
        handle.read()
    with store.open(name, start=3, length=4) as handle:
        handle.read()
    list(store.names())
    store.delete([])
    assert blob.stat().st_atime == hour
    assert (isolated_data_dir / SEALED.folder).stat().st_atime == hour


def test_local_write_goes_through_a_part_file_in_staging(isolated_data_dir):
    store = LocalBlobStore(SEALED)
    writer = store.writer()
    writer.write(ciphertext(10))
    staging = isolated_data_dir / SEALED.staging_folder
    parts = list(staging.iterdir())
    assert len(parts) == 1 and parts[0].suffix == ".part"
    assert parts[0].stat().st_mode & 0o777 == 0o600
    name = writer.commit()
    assert not list(staging.iterdir())
    assert (isolated_data_dir / SEALED.folder / name).is_file()


# --- What only the S3 backend can show ------------------------------------------------------


def test_s3_sends_a_large_blob_in_parts_before_the_commit(s3_blobs):
    bucket = s3_blobs.name
    store = S3BlobStore(SEALED)
    data = ciphertext(12 * MIB)

    writer = store.writer()
    writer.write(data[: 6 * MIB])
    uploads = store.client.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [u["Key"] for u in uploads] == [f"jiandu/vault/blobs/{writer.name}"]
    listed = store.client.list_parts(
        Bucket=bucket, Key=uploads[0]["Key"], UploadId=uploads[0]["UploadId"]
    )
    assert [p["Size"] for p in listed["Parts"]] == [5 * MIB]  # one part sent, 1 MiB held
    assert store.client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0

    writer.write(data[6 * MIB :])
    name = writer.commit()
    body = store.client.get_object(Bucket=bucket, Key=f"jiandu/vault/blobs/{name}")["Body"].read()
    assert body == data
    assert "Uploads" not in store.client.list_multipart_uploads(Bucket=bucket)


def test_s3_ranged_reads_ask_the_server_for_the_range_only(s3_blobs):
    store = S3BlobStore(SEALED)
    with store.writer() as writer:
        writer.write(ciphertext(3 * MIB))
        name = writer.commit()

    asked: list[str] = []
    hook = "before-call.s3.GetObject"
    record = lambda params, **_: asked.append(params["headers"].get("Range"))  # noqa: E731
    store.client.meta.events.register(hook, record)
    try:
        with store.open(name, start=MIB, length=10) as handle:
            assert len(handle.read()) == 10
    finally:
        store.client.meta.events.unregister(hook, record)
    assert asked == [f"bytes={MIB}-{MIB + 9}"]


def test_s3_memory_use_is_one_part_whatever_the_size(s3_blobs):
    bucket = s3_blobs.name
    store = S3BlobStore(SEALED)
    writer = store.writer()
    piece = ciphertext(MIB)
    for _ in range(16):
        writer.write(piece)
        assert len(writer._buffer) < 5 * MIB
    writer.abort()
    assert "Uploads" not in store.client.list_multipart_uploads(Bucket=bucket)


def test_s3_stream_reads_are_file_like(s3_blobs):
    store = S3BlobStore(PUBLIC)
    with store.writer() as writer:
        writer.write(b"abcdef")
        name = writer.commit()
    handle = store.open(name)
    assert isinstance(handle, io.BufferedIOBase)
    assert handle.read(2) == b"ab"
    handle.close()
    assert handle.closed


# --- Kinds whose names the caller chooses (files named by their hash) ----------------------

NAMED = BlobKind(folder="files/evidence", names=r"\A[0-9a-f]{8}\.png\Z")


@pytest.fixture
def named(backend):
    return get_store(NAMED)


def test_a_caller_named_blob_is_stored_under_its_name_and_replaced_whole(named):
    for content in (b"first", b"second, longer"):
        with named.writer("0123abcd.png") as writer:
            writer.write(content)
            assert list(named.names()) == ([] if content == b"first" else ["0123abcd.png"])
            assert writer.commit() == "0123abcd.png"
    with named.open("0123abcd.png") as handle:
        assert handle.read() == b"second, longer"
    assert list(named.names()) == ["0123abcd.png"]


@pytest.mark.parametrize("name", [None, "0123abcd.jpg", "../0123abcd.png", "0123ABCD.png"])
def test_a_caller_named_kind_takes_only_names_on_its_pattern(named, name):
    with pytest.raises(BlobError):
        named.writer(name)
    assert list(named.names()) == []


def test_a_store_named_kind_takes_no_name_from_the_caller(sealed):
    with pytest.raises(BlobError):
        sealed.writer("0" * 32 + ".jdv")


def test_a_kind_has_either_a_suffix_or_a_names_pattern():
    with pytest.raises(ValueError, match="either"):
        BlobKind(folder="files", suffix=".png", names=r"\A.*\Z")
    with pytest.raises(ValueError, match="either"):
        BlobKind(folder="files")
    with pytest.raises(BlobNameError):  # a loose pattern is still held to the safe characters
        BlobKind(folder="files", names=r"\A.*\Z").check("../x.png")


def test_s3_refuses_a_blob_past_the_part_limit_and_leaves_nothing(s3_blobs, monkeypatch):
    from jiandu.core.blobstore import services

    monkeypatch.setattr(services, "MAX_PARTS", 2)  # S3's is 10,000: the same rule, smaller
    store = S3BlobStore(SEALED)
    piece = ciphertext(MIB)
    with pytest.raises(BlobError, match="larger"), store.writer() as writer:
        for _ in range(16):
            writer.write(piece)
    assert s3_blobs.objects() == [] and s3_blobs.unfinished() == 0
