"""The blob store's system check: a misconfigured store is named at start, not at a source's
first upload (jiandu/core/blobstore/checks.py)."""

from django.core import checks

from jiandu.core.blobstore.checks import check_blob_store
from tests.s3server import S3_BACKEND, s3_config


def errors() -> list[str]:
    return [message.id for message in check_blob_store() if message.level >= checks.ERROR]


def test_the_check_runs_at_start():
    assert check_blob_store in checks.registry.registry.get_checks()


def test_the_default_local_store_passes(settings):
    settings.JIANDU_BLOB_BACKEND = "jiandu.core.blobstore.services.LocalBlobStore"
    assert errors() == []


def test_a_backend_path_that_names_nothing_is_an_error(settings):
    settings.JIANDU_BLOB_BACKEND = "jiandu.core.blobstore.services.NoSuchStore"
    assert errors() == ["core.E101"]


def test_an_s3_store_without_a_bucket_is_an_error(settings):
    settings.JIANDU_BLOB_BACKEND = S3_BACKEND
    settings.JIANDU_BLOB_S3 = {**s3_config("http://127.0.0.1:9", "bucket"), "bucket": ""}
    assert errors() == ["core.E102"]
    settings.JIANDU_BLOB_S3 = s3_config("http://127.0.0.1:9", "bucket")
    assert errors() == []  # settings only: the check never calls the bucket
