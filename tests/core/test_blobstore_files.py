"""Django's file storage over the blob store (jiandu/core/blobstore/files.py): FileFields such as
published evidence are kept by the same backend as the vault, local or S3, under allow-listed
names. Each test runs against both backends (S3: moto's server, tests/s3server.py)."""

from __future__ import annotations

import hashlib

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages

from jiandu.conf import hour_floor
from jiandu.core.blobstore.files import BlobFileStorage

PNG = b"\x89PNG\r\n\x1a\n" + b"public, redacted pixels " * 5000  # 120 KB: several chunks


@pytest.fixture(params=["local", "s3"])
def files(request):
    """The project's default storage, with the blob store on the chosen backend."""
    if request.param == "s3":
        request.getfixturevalue("s3_blobs")
    return default_storage


def test_the_default_storage_is_the_blob_store():
    assert isinstance(storages["default"], BlobFileStorage)


def test_a_file_saved_by_name_reads_back_and_is_listed(files):
    digest = hashlib.sha256(PNG).hexdigest()
    name = files.save(f"evidence/{digest}.png", ContentFile(PNG))

    assert name == f"evidence/{digest}.png"
    assert files.exists(name) and files.size(name) == len(PNG)
    with files.open(name, "rb") as handle:
        assert handle.read() == PNG
    assert files.listdir("evidence") == ([], [f"{digest}.png"])


def test_the_same_name_twice_gets_another_name_and_both_stay(files):
    first = files.save("evidence/abc.png", ContentFile(b"one"))
    second = files.save("evidence/abc.png", ContentFile(b"two"))

    assert first == "evidence/abc.png" and second != first
    assert second.startswith("evidence/abc_") and second.endswith(".png")
    with files.open(first) as one, files.open(second) as two:
        assert (one.read(), two.read()) == (b"one", b"two")


def test_delete_removes_the_file_and_a_missing_file_is_not_found(files):
    name = files.save("evidence/gone.jpg", ContentFile(b"bytes"))
    files.delete(name)
    files.delete(name)  # again: already gone
    assert not files.exists(name)
    with pytest.raises(FileNotFoundError):
        files.open(name)
    with pytest.raises(FileNotFoundError):
        files.size(name)


@pytest.mark.parametrize(
    "name",
    [
        "../secret_key",
        "evidence/../../secret_key",
        "evidence/.hidden",
        "Evidence/a.png",  # folders are lower case
        "evidence/a b.png",
        "evidence/a.tar.gz",
        "evidence/x.part",  # never the store's own unfinished files
        "/etc/passwd",
        "evidence/",
    ],
)
def test_names_outside_the_allow_list_are_refused(files, name):
    for call in (files.exists, files.open, files.delete, files.size):
        with pytest.raises(SuspiciousFileOperation):
            call(name)
    with pytest.raises(SuspiciousFileOperation):
        files.save(name, ContentFile(b"x"))


def test_files_are_read_only_once_stored(files):
    name = files.save("evidence/ro.png", ContentFile(b"x"))
    with pytest.raises(ValueError, match="read-only"):
        files.open(name, "wb")


def test_a_file_from_a_kind_does_not_show_in_another_folder(files):
    files.save("evidence/a.png", ContentFile(b"x"))
    files.save("exports/b.csv", ContentFile(b"y"))
    assert files.listdir("evidence") == ([], ["a.png"])
    assert files.listdir("exports") == ([], ["b.csv"])


def test_local_files_stay_where_django_kept_them_with_the_hour_only(isolated_data_dir):
    name = default_storage.save("evidence/here.png", ContentFile(PNG))
    path = isolated_data_dir / "files" / name
    assert path.read_bytes() == PNG
    assert path.stat().st_mtime == hour_floor()
    assert not list(path.parent.glob("*.part"))


def test_the_s3_backend_keeps_files_in_the_bucket_only(s3_blobs, isolated_data_dir):
    name = default_storage.save("evidence/far.png", ContentFile(PNG))
    assert s3_blobs.objects() == ["jiandu/files/evidence/far.png"]
    assert s3_blobs.read("jiandu/files/evidence/far.png") == PNG
    assert not (isolated_data_dir / "files").exists()
    with default_storage.open(name) as handle:
        assert handle.read(8) == PNG[:8]


def test_a_location_other_than_the_data_dirs_files_folder_is_refused(tmp_path):
    BlobFileStorage(location=str(django_settings.DATA_DIR / "files"))  # what settings pass
    with pytest.raises(ImproperlyConfigured):
        BlobFileStorage(location=str(tmp_path / "elsewhere"))
