"""The one door to blob storage: `get_store(kind)` returns the configured backend for a kind.

Rooms declare their kind (`BlobKind(folder=..., suffix=..., magic=...)`) and never touch a
path or a bucket themselves; `settings.JIANDU_BLOB_BACKEND` names the backend class by its
dotted path (the local directory by default, `jiandu.core.blobstore.services.S3BlobStore` for
a bucket). See interfaces.py for the promises and docs/operations.md, "Blob storage".
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from jiandu.core.blobstore.interfaces import (
    BlobError,
    BlobKind,
    BlobMissing,
    BlobNameError,
    BlobStore,
    BlobWriter,
    NotCiphertext,
)

DEFAULT_BACKEND = "jiandu.core.blobstore.services.LocalBlobStore"

__all__ = [
    "BlobError",
    "BlobKind",
    "BlobMissing",
    "BlobNameError",
    "BlobStore",
    "BlobWriter",
    "NotCiphertext",
    "get_store",
]


def get_store(kind: BlobKind) -> BlobStore:
    """The configured backend for `kind` (cheap: backends keep their own clients)."""
    backend = import_string(getattr(settings, "JIANDU_BLOB_BACKEND", DEFAULT_BACKEND))
    return backend(kind)
