"""Fixtures of the core room's tests: the S3 test server for the blob store (tests/s3server.py)."""

from tests.s3server import s3_blobs, s3_endpoint  # noqa: F401  (fixtures)
