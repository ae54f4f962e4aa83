"""Worker keys and encrypted previews.

Nothing here is readable without a key held in memory: a preview's key is sealed to its
source's newsroom-side public key (like the item itself), and a worker key's private half never
leaves the memory of the worker process that made it (docs/crypto.md, "Previews and the worker
hand-off").
"""

from django.conf import settings
from django.db import models


class WorkerKey(models.Model):
    """The public half of one running worker process's X25519 key pair.

    The private half exists only in that process's memory; the row goes when the worker stops.
    A request seals an item key to it and routes the task to the worker's own queue, so only
    that process can open it, and only while it runs.
    """

    public_key = models.BinaryField(max_length=32)
    # HMAC of the public key under a key from the server's secret key file (outside the
    # database; jiandu/vault/binding.py): no item key is sealed to a row that lacks it.
    key_mac = models.CharField(max_length=64, default="")
    seen = models.DateTimeField()  # the worker's last heartbeat

    def __str__(self) -> str:
        return f"worker key {self.pk}"

    @property
    def queue_name(self) -> str:
        return f"preview-{self.pk}"


class Preview(models.Model):
    """The preview of one file: pending, ready (an encrypted blob) or failed (a reason).

    `meta` is a secretbox under the preview key holding the content type, the part sizes (PDF
    pages) and, when it failed, the problem code: even the kind of file stays encrypted.
    """

    class State(models.TextChoices):
        PENDING = "pending"
        READY = "ready"
        FAILED = "failed"
        EXPIRED = "expired"  # the worker that could open it stopped first; ask again

    item = models.OneToOneField("vault.Item", on_delete=models.CASCADE, related_name="preview")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_hour = models.DateTimeField()
    worker_key = models.ForeignKey(
        WorkerKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="previews"
    )
    sealed_key = models.BinaryField(null=True, blank=True)
    meta = models.BinaryField(null=True, blank=True)
    blob = models.CharField(max_length=64, null=True, blank=True, unique=True)

    def __str__(self) -> str:
        return f"preview of item {self.item_id} ({self.state})"
