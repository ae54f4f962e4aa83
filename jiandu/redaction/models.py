"""Render records: what the studio made from which original, by whom, and the derivative.

A render names its original (a vault item) and holds, encrypted under its own random key sealed
to the source's newsroom-side public key (like the item, its preview and its analysis), the
recipe (ranges, regions, switches), the original's SHA-256, what the worker found and did, and
the derivative itself as a blob in the blob store. The row shows only that a render exists, its
progress, who asked and the hour; and the derivative's SHA-256, which the case desk checks when
it publishes (jiandu/cases/evidence.py): only the bytes of a finished render go public.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Render(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("image")
        VIDEO = "video", _("video")
        PDF = "pdf", _("PDF")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("rendering")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")
        # The worker that could open it stopped first; render again.
        EXPIRED = "expired", _("expired")

    # Null for a newsroom-made original (the demo's generated frame): never a source's file.
    item = models.ForeignKey(
        "vault.Item", on_delete=models.CASCADE, null=True, blank=True, related_name="renders"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    seconds_left = models.PositiveIntegerField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_hour = models.DateTimeField()
    worker_key = models.ForeignKey(
        "forensics.WorkerKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sealed_key = models.BinaryField(null=True, blank=True)
    meta = models.BinaryField(null=True, blank=True)  # secretbox: recipe, original, result
    blob = models.CharField(max_length=64, null=True, blank=True, unique=True)
    output_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    # The derivative's fingerprints (PDQ per second), sealed under the render key: the
    # workbench's matching index links a derivative to its original (redaction/matching.py).
    fingerprint = models.BinaryField(null=True, blank=True)
    # Whether the member who asked for it has looked since it finished (a POST: the home
    # page's count of renders finished, issue 18 item 9); a GET never sets it.
    seen = models.BooleanField(default=False)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"render {self.pk} ({self.state})"

    @property
    def reference(self) -> str:
        """How other rooms name it ("render:12"): the published evidence's `render` field."""
        return f"render:{self.pk}"

    @property
    def finished(self) -> bool:
        return self.state not in (self.State.PENDING, self.State.RUNNING)
