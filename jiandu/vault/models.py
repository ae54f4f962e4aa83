"""What the vault stores: wrapped keys, sources, their items, and the grants that let members
open them. Nothing here is readable without a member's or a source's private key: names,
hashes, texts and files live only inside encrypted records (docs/crypto.md)."""

from django.conf import settings
from django.db import models

from jiandu.vault.crypto import DEFAULT_KDF, KdfParams

# What a BinaryField gives back here: SQLite and psycopg 3 (this project's driver) both return
# bytes, which the crypto facade requires (told to the type checker; nothing changes at run time).
type Bytes = models.BinaryField[bytes | bytearray | memoryview, bytes]
type MaybeBytes = models.BinaryField[bytes | bytearray | memoryview | None, bytes | None]


class MemberKey(models.Model):
    """A newsroom member's X25519 key pair. The private key is stored only wrapped: by
    Argon2id(password) and by a one-time recovery key. After an admin resets a member's
    credentials, `password_wrapped` is empty until the member restores the key with the
    recovery key (or starts a new one)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vault_key"
    )
    public_key: Bytes = models.BinaryField(max_length=32)
    # HMAC of (user, public_key) under a key from the server's secret key file, outside the
    # database (jiandu/vault/binding.py): nothing is sealed to a key that lacks it.
    key_mac = models.CharField(max_length=64, default="")
    password_wrapped: MaybeBytes = models.BinaryField(null=True)
    recovery_wrapped: Bytes = models.BinaryField()
    created_hour = models.DateTimeField()

    def __str__(self) -> str:
        return f"vault key of member {self.user_id}"


class Source(models.Model):
    """A source, known to the newsroom only by a designation ("amber falcon").

    `lookup` is BLAKE2b of an Argon2id derivative of the codename peppered with the server's
    secret: it finds the source at login and reveals nothing else. `public_key` is the
    newsroom-side source key (private half sealed to members in SourceGrant);
    `reply_public_key` is derived from the codename, so replies can be sealed to the source.
    `key_mac` binds both public keys to the lookup (jiandu/vault/binding.py). `kdf_opslimit`
    and `kdf_memlimit` are the Argon2id cost the codename was derived with: signing in derives
    with them, so raising JIANDU_KDF_* later locks no source out (new sources get the new cost).
    """

    lookup = models.CharField(max_length=64, unique=True)
    designation = models.CharField(max_length=80, unique=True)
    public_key: Bytes = models.BinaryField(max_length=32)
    reply_public_key: Bytes = models.BinaryField(max_length=32)
    key_mac = models.CharField(max_length=64, default="")
    kdf_opslimit = models.PositiveIntegerField(default=DEFAULT_KDF.opslimit)
    kdf_memlimit = models.PositiveBigIntegerField(default=DEFAULT_KDF.memlimit)
    created_hour = models.DateTimeField()
    last_active_hour = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.designation

    @property
    def kdf_params(self) -> KdfParams:
        return KdfParams(opslimit=self.kdf_opslimit, memlimit=self.kdf_memlimit)


class SourceGrant(models.Model):
    """The source's private key sealed to one member's public key. Any member holding a grant
    can make one for another member; deleting all grants shreds the source."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="grants")
    member_key = models.ForeignKey(MemberKey, on_delete=models.CASCADE, related_name="grants")
    sealed_private_key: Bytes = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "member_key"], name="one_grant_per_member")
        ]

    def __str__(self) -> str:
        return f"grant of source {self.source_id} to key {self.member_key_id}"


class Submission(models.Model):
    """One visit's worth of items from a source (a message, files, a questionnaire)."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="submissions")
    created_hour = models.DateTimeField()

    def __str__(self) -> str:
        return f"submission {self.pk} of source {self.source_id}"


class Item(models.Model):
    """One encrypted thing: its content in a blob file, its metadata in `meta`, its random
    key sealed to the source key (and, for replies, to the source's codename key)."""

    class Kind(models.TextChoices):
        MESSAGE = "message"
        FILE = "file"
        QUESTIONNAIRE = "questionnaire"
        REPLY = "reply"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="items")
    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, null=True, blank=True, related_name="items"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    sealed_key: Bytes = models.BinaryField()
    source_sealed_key: MaybeBytes = models.BinaryField(null=True, blank=True)
    meta: Bytes = models.BinaryField()
    blob = models.CharField(max_length=64, unique=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="vault_replies",
    )
    created_hour = models.DateTimeField()

    class Meta:
        ordering = ["created_hour", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} of source {self.source_id}"


class RetentionSetting(models.Model):
    """The retention period an admin chose on the newsroom's settings page (a single row).
    Without it, JIANDU_RETENTION_DAYS (default 90) applies; see conf.retention_days()."""

    days = models.PositiveIntegerField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_hour = models.DateTimeField()

    def __str__(self) -> str:
        return f"retention: {self.days} days"


class StagedUpload(models.Model):
    """A resumable upload on its way in: the bytes it reserved and how far it has come.

    One row per tus upload, from creation until the submission takes it (or it is removed):
    the sum of `length` over all rows is what the staging quota counts, over the rows of one
    `owner` what the per-session quota counts, and the hourly job removes rows (and their
    `.part`) not sent to since `touched_hour` (jiandu.vault.resumable). The row is also where
    the stream's progress lives, so two requests for one upload see one truth under the lock:
    the encryptor's state is `sealed_state`, encrypted under a key derived from the item key,
    which only the source's session holds; so a copy of the database opens nothing.

    Nothing here names a source: `owner` is a BLAKE2b of a random token kept in the session
    (it only says which uploads belong together), `part` is the file's random name on disk,
    and times are whole hours.

    Once the session holds a source's codename-derived reply key, `owner` is instead a keyed
    hash under a key derived from it and `sealed_resume` (the upload's id, name, type and item
    key) is sealed under another: a later session of the same source, signed in with the
    codename, finds and continues the upload after a closed browser (issue 19, item 2). Without
    the codename neither leads to the source's row (jiandu.vault.resumable).
    """

    part = models.CharField(max_length=64, unique=True)
    owner = models.CharField(max_length=64, db_index=True)
    length = models.PositiveBigIntegerField()
    offset = models.PositiveBigIntegerField(default=0)
    written = models.PositiveBigIntegerField(default=0)
    done = models.BooleanField(default=False)
    sealed_state: Bytes = models.BinaryField()
    sealed_resume: Bytes = models.BinaryField(default=b"")
    created_hour = models.DateTimeField()
    touched_hour = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"staged upload of {self.length} bytes"
