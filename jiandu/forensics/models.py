"""Worker keys and encrypted previews.

Nothing here is readable without a key held in memory: a preview's key is sealed to its
source's newsroom-side public key (like the item itself), and a worker key's private half never
leaves the memory of the worker process that made it (docs/crypto.md, "Previews and the worker
hand-off").
"""

from django.conf import settings
from django.db import models

from jiandu.vault.models import Bytes


class WorkerKey(models.Model):
    """The public half of one running worker process's X25519 key pair.

    The private half exists only in that process's memory; the row goes when the worker stops.
    A request seals an item key to it and routes the task to the worker's own queue, so only
    that process can open it, and only while it runs.
    """

    public_key: Bytes = models.BinaryField(max_length=32)
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


class Analysis(models.Model):
    """The authentication workbench's reading of one file: its metadata report, fingerprints
    and contact sheet or waveform, made by the worker with the item key handed to it.

    Everything about the file is encrypted under the analysis's own random key, sealed to the
    source's newsroom-side public key (like the item and its preview): `report` (the type, the
    SHA-256, the metadata, or why it could not be analysed), `fingerprint` (PDQ hashes, the
    input of matching) and `media` (images). The row itself says only that it exists.
    """

    class State(models.TextChoices):
        PENDING = "pending"
        DONE = "done"  # a report exists (which may say "could not be analysed: why")
        EXPIRED = "expired"  # the worker that could open it stopped first; handed again later

    item = models.OneToOneField("vault.Item", on_delete=models.CASCADE, related_name="analysis")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_hour = models.DateTimeField()
    worker_key = models.ForeignKey(
        WorkerKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="analyses"
    )
    sealed_key = models.BinaryField(null=True, blank=True)
    report = models.BinaryField(null=True, blank=True)
    fingerprint = models.BinaryField(null=True, blank=True)
    media = models.BinaryField(null=True, blank=True)

    def __str__(self) -> str:
        return f"analysis of item {self.item_id} ({self.state})"


class CheckEntry(models.Model):
    """One tick of an evidence item's verification checklist: who, when, which question, what
    they concluded; the note is sealed to the source's public key. Entries are only added: the
    latest per topic counts, the earlier ones are its history (and in the custody log)."""

    class Topic(models.TextChoices):
        ORIGIN = "origin"
        METADATA = "metadata"
        CORROBORATION = "corroboration"
        IDENTIFIED = "identified"
        OFFICIAL = "official"

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed"
        DISPUTED = "disputed"
        OPEN = "open"

    item = models.ForeignKey("vault.Item", on_delete=models.CASCADE, related_name="checks")
    topic = models.CharField(max_length=16, choices=Topic.choices)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField()
    sealed_note = models.BinaryField()

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return f"{self.topic}: {self.outcome} (item {self.item_id})"


class PublishedFingerprint(models.Model):
    """The fingerprints of one published derivative (public already: kept in the clear; see
    docs/crypto.md, "The fingerprint index"). `reference` names it ("evidence:12")."""

    reference = models.CharField(max_length=120, unique=True)
    sha256 = models.CharField(max_length=64)
    fingerprint = models.BinaryField()
    created = models.DateTimeField()

    def __str__(self) -> str:
        return f"fingerprint of {self.reference}"
