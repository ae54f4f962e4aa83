"""The transparency log's tables: entries, stored tile hashes, the head, cosignatures, and the
witness's memory of the logs it cosigns (with any split view it saw).

Only `jiandu.tlog.actions` writes to them; nothing here is secret (the signing keys are
files). The tables keep the names they had when the log lived in the ledger room
(`ledger_logentry`, ...): the move to this room changed Django's state, not the database
(migrations/0001_initial.py), so no row was copied and no table renamed.
"""

import json

from django.db import models


class LogEntry(models.Model):
    """One publication event: `entry` is the canonical JSON that is hashed into the tree. The
    other columns find it and are the log's own, whoever publishes: the `kind` and `sha256` of
    the entry, and the `subject` its caller names ("case:<slug>" for the case desk's entries);
    what else an entry says (action, revision, ...) is in its JSON, which only its caller
    reads (`data`)."""

    index = models.PositiveBigIntegerField(primary_key=True)
    entry = models.TextField()
    sha256 = models.CharField(max_length=64, db_index=True)
    subject = models.CharField(max_length=200, db_index=True)
    kind = models.CharField(max_length=16)
    time = models.DateTimeField()

    class Meta:
        db_table = "ledger_logentry"
        ordering = ["index"]

    def __str__(self) -> str:
        return f"log #{self.index} {self.kind} {self.subject}"

    @property
    def data(self) -> dict:
        """The entry as its caller wrote it."""
        return json.loads(self.entry)


class LogHash(models.Model):
    """Hash `index` of tile level `level`: the Merkle Tree Hash of leaves
    [index * 256**level, (index + 1) * 256**level). Level 0 holds the leaf hashes."""

    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        db_table = "ledger_loghash"
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="log_hash_once")]

    def __str__(self) -> str:
        return f"log hash {self.level}/{self.index}"


class LogHead(models.Model):
    """One row: the number of entries. Appending locks it, so entries get consecutive
    indexes even with concurrent publications on PostgreSQL."""

    size = models.PositiveBigIntegerField(default=0)

    class Meta:
        db_table = "ledger_loghead"

    def __str__(self) -> str:
        return f"transparency log of {self.size} entries"


class LogCosignature(models.Model):
    """A witness's cosignature line on our checkpoint of `size` entries and `root`."""

    size = models.PositiveBigIntegerField()
    root = models.CharField(max_length=64)
    witness = models.CharField(max_length=200)
    line = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ledger_logcosignature"
        constraints = [
            models.UniqueConstraint(fields=["size", "witness"], name="one_cosignature_per_size")
        ]

    def __str__(self) -> str:
        return f"cosignature by {self.witness} at size {self.size}"


class WitnessedLog(models.Model):
    """As a witness: the latest checkpoint of another log that this installation cosigned."""

    origin = models.CharField(max_length=200, unique=True)
    size = models.PositiveBigIntegerField()
    root = models.CharField(max_length=64)
    checkpoint = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "ledger_witnessedlog"

    def __str__(self) -> str:
        return f"{self.origin} at {self.size}"


class SplitView(models.Model):
    """Two checkpoints of one log that cannot both be true: kept as evidence of misbehaviour.

    Only evidence is kept (jiandu.tlog.witness says what counts), once per pair: the pair of
    SHA-256 hashes of the two checkpoints' signed texts is unique, so a replayed pair adds no
    row. `proof` holds the consistency proof (base64, one hash a line) where the evidence needs
    it (two sizes). At most JIANDU_WITNESS_MAX_SPLIT_VIEWS rows; past that `SplitViewTally`
    counts what was not kept."""

    origin = models.CharField(max_length=200)
    seen_by = models.CharField(max_length=16)  # "witness" or "log"
    old_checkpoint = models.TextField()
    new_checkpoint = models.TextField()
    old_sha256 = models.CharField(max_length=64)
    new_sha256 = models.CharField(max_length=64)
    proof = models.TextField(blank=True, default="")
    detail = models.TextField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ledger_splitview"
        constraints = [
            models.UniqueConstraint(fields=["old_sha256", "new_sha256"], name="split_view_once")
        ]

    def __str__(self) -> str:
        return f"split view of {self.origin} seen by {self.seen_by}"


class SplitViewTally(models.Model):
    """One row: new pieces of evidence not kept because `SplitView` was full. A log that
    forks without end cannot fill the disk, and the count still tells the operator."""

    not_kept = models.PositiveBigIntegerField(default=0)

    class Meta:
        db_table = "ledger_splitviewtally"

    def __str__(self) -> str:
        return f"{self.not_kept} split views not kept"
