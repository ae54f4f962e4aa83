"""An S3 server for the blob store's tests: moto's (`moto[server]`, in the test extras).

Why moto and not a real S3-compatible server: Debian 12's `radosgw` (Ceph 16) serves only from
a running Ceph cluster (monitor, manager, OSDs); its stand-alone SQLite store came with Ceph
17. No other S3 server installs from the package registries the project uses. moto's server
speaks the S3 HTTP API (multipart uploads, ranged GETs, batch deletes), so the S3 backend is
tested over real HTTP with boto3 as in production; where moto differs from S3, the test says.

Use: `from tests.s3server import s3_blobs, s3_endpoint  # noqa: F401` in a test module.
"""

from __future__ import annotations

import contextlib
import importlib.util
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

MIB = 1024 * 1024
S3_BACKEND = "jiandu.core.blobstore.services.S3BlobStore"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free loopback port, for the whole session."""
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        pytest.skip("moto[server] is not installed (pip install -e '.[test]')")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("moto_server did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


def s3_config(endpoint: str, bucket: str) -> dict[str, object]:
    """settings.JIANDU_BLOB_S3 for a bucket on the test server (parts of S3's minimum size)."""
    return {
        "bucket": bucket,
        "endpoint_url": endpoint,
        "region": "us-east-1",
        "access_key_id": "blob-test",
        "secret_access_key": "blob-test",
        "prefix": "jiandu/",
        "part_size": 5 * MIB,
        "addressing_style": "path",
    }


@dataclass
class Bucket:
    client: Any
    name: str

    def objects(self) -> list[str]:
        answer = self.client.list_objects_v2(Bucket=self.name)
        return [entry["Key"] for entry in answer.get("Contents", [])]

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def unfinished(self) -> int:
        return len(self.client.list_multipart_uploads(Bucket=self.name).get("Uploads", []))


@pytest.fixture
def s3_blobs(settings, s3_endpoint) -> Bucket:
    """Switch the blob store to S3 with a new, empty bucket, and return that bucket."""
    from jiandu.core.blobstore.services import S3Config, s3_client

    name = f"test-{secrets.token_hex(6)}"
    settings.JIANDU_BLOB_BACKEND = S3_BACKEND
    settings.JIANDU_BLOB_S3 = s3_config(s3_endpoint, name)
    bucket = Bucket(s3_client(S3Config.from_settings()), name)
    bucket.client.create_bucket(Bucket=name)
    return bucket
