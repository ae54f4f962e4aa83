"""A system check that says at start (serve, the worker, `jiandu check`) when the blob store is
misconfigured, so a source's upload never is the first thing to find out. It reads settings
only: no request reaches the bucket from a check."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from jiandu.core.blobstore import DEFAULT_BACKEND
from jiandu.core.blobstore.services import S3BlobStore, S3Config


@checks.register()
def check_blob_store(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    path = getattr(settings, "JIANDU_BLOB_BACKEND", DEFAULT_BACKEND)
    try:
        backend = import_string(path)
    except ImportError as exc:
        return [
            checks.Error(
                f"JIANDU_BLOB_BACKEND names no class: {path} ({exc}).",
                hint=f"Use {DEFAULT_BACKEND} or jiandu.core.blobstore.services.S3BlobStore.",
                id="core.E101",
            )
        ]
    if isinstance(backend, type) and issubclass(backend, S3BlobStore):
        try:
            S3Config.from_settings()
        except ImproperlyConfigured as exc:
            return [
                checks.Error(
                    f"The S3 blob store is misconfigured: {exc}",
                    hint="See docs/operations.md, 'Blob storage'.",
                    id="core.E102",
                )
            ]
    return []
