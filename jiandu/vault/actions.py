"""Every write to the vault: member keys, sources, submissions, replies, grants, deletion.

Each function encrypts before anything is written; files are already encrypted (in
`vault/incoming`) when they get here. Blobs are published (renamed into place) before the rows
that make them visible are committed, and removed after a deletion commits, so a crash leaves
at worst an orphan blob that `storage.clean_leftovers` removes at the next start.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from jiandu.accounts.models import User
from jiandu.conf import hour_now
from jiandu.core import wordlists
from jiandu.ledger.actions import do_record_custody, subject_of
from jiandu.ledger.models import Action
from jiandu.vault import binding, conf, crypto, retention, signals, storage
from jiandu.vault.models import Item, MemberKey, Source, SourceGrant, Submission


class VaultError(Exception):
    """A vault operation refused, with a reason code for the view to translate."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- Member keys -------------------------------------------------------------------------


def readers() -> list[User]:
    """Active members allowed to read submissions (through their role or directly)."""
    perm = Q(
        groups__permissions__codename="read_submissions",
        groups__permissions__content_type__app_label="accounts",
    ) | Q(
        user_permissions__codename="read_submissions",
        user_permissions__content_type__app_label="accounts",
    )
    return list(User.objects.filter(is_active=True).filter(perm | Q(is_superuser=True)).distinct())


def reader_keys() -> list[MemberKey]:
    """Key rows that new sources are sealed to: readers whose key is usable and carries this
    server's MAC. A key whose MAC fails (written into the database by someone else) is left
    out and logged as binding.MISMATCH: nothing is ever sealed to it."""
    ids = [user.pk for user in readers()]
    usable = []
    for key in MemberKey.objects.filter(user_id__in=ids, password_wrapped__isnull=False):
        try:
            binding.check_member_key(key)
        except binding.KeyBindingError:
            continue
        usable.append(key)
    return usable


@dataclass
class Unlocked:
    """The outcome of a password step for the vault."""

    private_key: bytes | None = None
    new_recovery_key: str | None = None  # to show once
    needs_recovery: bool = False


@transaction.atomic
def do_create_member_key(user: User, password: str) -> Unlocked:
    private, public = crypto.new_keypair()
    recovery_key = crypto.new_recovery_key()
    MemberKey.objects.create(
        user=user,
        public_key=public,
        key_mac=binding.member_key_mac(user.pk, public),
        password_wrapped=crypto.wrap_with_password(private, password, conf.kdf_params()),
        recovery_wrapped=crypto.wrap_with_recovery_key(private, recovery_key),
        created_hour=hour_now(),
    )
    return Unlocked(private_key=private, new_recovery_key=recovery_key)


def do_unlock_member_key(user: User, password: str) -> Unlocked:
    """At the password step: open the member's key, or make one on a reader's first sign-in.

    A key whose password wrap is gone (credentials reset by an admin) or does not open (the
    password was set outside the sign-in pages) needs the recovery key or a fresh start.
    """
    key = MemberKey.objects.filter(user=user).first()
    if key is None:
        if not user.has_perm("accounts.read_submissions"):
            return Unlocked()
        return do_create_member_key(user, password)
    if key.password_wrapped is None:
        return Unlocked(needs_recovery=True)
    try:
        return Unlocked(private_key=crypto.unwrap_with_password(key.password_wrapped, password))
    except crypto.WrongSecret:
        return Unlocked(needs_recovery=True)


def do_rewrap_member_key(user: User, private_key: bytes, password: str) -> None:
    """Store the member's private key wrapped under (a new) password."""
    MemberKey.objects.filter(user=user).update(
        password_wrapped=crypto.wrap_with_password(private_key, password, conf.kdf_params())
    )


def do_change_password(user: User, old_password: str, new_password: str) -> None:
    key = MemberKey.objects.filter(user=user, password_wrapped__isnull=False).first()
    if key is None or key.password_wrapped is None:
        return
    try:
        private = crypto.unwrap_with_password(key.password_wrapped, old_password)
    except crypto.WrongSecret:
        return
    do_rewrap_member_key(user, private, new_password)


def do_forget_password_wrap(user: User) -> None:
    """After an admin reset: the old password no longer opens anything. The recovery wrap
    stays, so the member can restore the key; until then no new source is sealed to it."""
    MemberKey.objects.filter(user=user).update(password_wrapped=None)


def do_restore_member_key(user: User, recovery_key: str, password: str) -> bytes:
    """Open the key with the recovery key and wrap it under the current password."""
    key = MemberKey.objects.get(user=user)
    private = crypto.unwrap_with_recovery_key(key.recovery_wrapped, recovery_key)
    do_rewrap_member_key(user, private, password)
    return private


@transaction.atomic
def do_replace_member_key(user: User, password: str) -> Unlocked:
    """Give up the old key (and its grants) and start with a new one; another member with
    access re-grants the sources (see do_grant_missing)."""
    MemberKey.objects.filter(user=user).delete()
    return do_create_member_key(user, password)


@transaction.atomic
def do_grant_missing(actor: User, actor_private_key: bytes) -> int:
    """Seal every source the actor can open to every reader whose key lacks it.

    Each grant hands a member the key to a source's material, so each is a custody record
    (actor, source, the member who received it), written in the grant's own savepoint: a grant
    that loses a race to a concurrent one leaves neither row behind."""
    actor_key = MemberKey.objects.filter(user=actor).first()
    if actor_key is None:
        return 0
    targets = [key for key in reader_keys() if key.pk != actor_key.pk]
    made = 0
    for grant in SourceGrant.objects.filter(member_key=actor_key).select_related("source"):
        source_private = crypto.unseal(actor_private_key, grant.sealed_private_key)
        have = set(
            SourceGrant.objects.filter(source=grant.source).values_list("member_key_id", flat=True)
        )
        for target in targets:
            if target.pk not in have and _seal_grant(actor, grant.source, source_private, target):
                made += 1
    return made


def _seal_grant(actor: User, source: Source, source_private: bytes, target: MemberKey) -> bool:
    """One grant and its custody record in a savepoint of their own; False if it existed."""
    try:
        with transaction.atomic():
            SourceGrant.objects.create(
                source=source,
                member_key=target,
                sealed_private_key=crypto.seal(target.public_key, source_private),
            )
            do_record_custody(
                actor,
                Action.GRANT,
                subject_of("source", source.pk),
                reason=target.user.get_username(),
            )
    except IntegrityError:
        return False
    return True


@transaction.atomic
def do_grant_sources_to_new_member(
    actor: User, actor_private_key: bytes, member: User, password: str, source_ids: list[int]
) -> Unlocked:
    """At the add-member page (issue 18, item 7): make the new reader's key, wrapped by their
    one-time password (rewrapped at the forced change, like any key), and seal to it each
    chosen source the actor's key opens, each grant a custody record. No hidden second step:
    the member reads those sources at first sign-in."""
    outcome = do_create_member_key(member, password)
    target = MemberKey.objects.get(user=member)
    actor_key = MemberKey.objects.filter(user=actor).first()
    if actor_key is None or not actor_private_key:
        return outcome
    grants = SourceGrant.objects.filter(member_key=actor_key, source_id__in=source_ids)
    for grant in grants.select_related("source"):
        source_private = crypto.unseal(actor_private_key, grant.sealed_private_key)
        _seal_grant(actor, grant.source, source_private, target)
    return outcome


@dataclass(frozen=True)
class Moved:
    """What do_move_grants did: grants sealed to the successor, grants taken from the leaving
    member (only where the successor now holds one), and sources left as they were because the
    actor holds no key to re-wrap them (the leaving member keeps those)."""

    granted: int = 0
    withdrawn: int = 0
    kept: int = 0


@transaction.atomic
def do_move_grants(
    actor: User, actor_private_key: bytes, leaving: User, successor: User, *, withdraw: bool
) -> Moved:
    """Hand the sources a leaving member can open to their successor (reassignment).

    Re-wrapping a source key needs a key that opens it: the actor's own grant, opened with the
    actor's unlocked private key, as do_grant_missing does; the server never holds one. A
    source the actor cannot open is counted as kept and its grant stays with the leaving
    member, so a move never shreds a source. With `withdraw`, the leaving member's grant goes
    once the successor holds one; each step is a custody record (GRANT, naming both members)."""
    leaving_key = MemberKey.objects.filter(user=leaving).first()
    successor_key = next((k for k in reader_keys() if k.user_id == successor.pk), None)
    actor_key = MemberKey.objects.filter(user=actor).first()
    if leaving_key is None or successor_key is None or actor_key is None:
        raise VaultError("no_key")
    granted = withdrawn = kept = 0
    for grant in SourceGrant.objects.filter(member_key=leaving_key).select_related("source"):
        source = grant.source
        holds = SourceGrant.objects.filter(source=source, member_key=successor_key).exists()
        if not holds:
            mine = SourceGrant.objects.filter(source=source, member_key=actor_key).first()
            if mine is None:
                kept += 1
                continue
            source_private = crypto.unseal(actor_private_key, bytes(mine.sealed_private_key))
            granted += int(_seal_grant(actor, source, source_private, successor_key))
        if withdraw and leaving.pk != successor.pk:
            grant.delete()
            do_record_custody(
                actor,
                Action.GRANT,
                subject_of("source", source.pk),
                reason=f"withdrawn from {leaving.get_username()} "
                f"(moved to {successor.get_username()})",
            )
            withdrawn += 1
    return Moved(granted=granted, withdrawn=withdrawn, kept=kept)


@dataclass(frozen=True)
class Revoked:
    """What do_revoke_member_grants did: grants deleted, and grants kept because no other key
    can open their source (deleting those would destroy the source)."""

    revoked: int = 0
    sole: int = 0


@transaction.atomic
def do_revoke_member_grants(user: User) -> Revoked:
    """Take away a member's grants when they lose read access (demotion, deactivation).

    Grants for sources that some other key can also open are deleted; a source whose only
    grant is this member's keeps it and is counted, so that the caller can refuse or warn
    instead of crypto-shredding evidence by an account change. The key itself stays (wrapped)
    so a member given read access again can be re-granted (do_grant_missing)."""
    key = MemberKey.objects.filter(user=user).first()
    if key is None:
        return Revoked()
    shared = SourceGrant.objects.exclude(member_key=key).values("source_id")
    mine = SourceGrant.objects.filter(member_key=key)
    sole = mine.exclude(source_id__in=shared).count()
    revoked, _rows = mine.filter(source_id__in=shared).delete()
    return Revoked(revoked=revoked, sole=sole)


# --- Sources -----------------------------------------------------------------------------


def readers_are_ready() -> bool:
    """A source can submit only when at least one reader holds a key to seal it to."""
    return bool(reader_keys())


def _designation() -> str:
    words = wordlists.load("english")
    return f"{words[secrets.randbelow(2048)]} {words[secrets.randbelow(2048)]}"


def do_create_source(
    lookup: str, reply_public_key: bytes, kdf: crypto.KdfParams | None = None
) -> Source:
    """A new source with its own key pair, the private half sealed to every reader. `kdf` is
    the Argon2id cost its codename was derived with (stored: sign-in derives with it)."""
    kdf = kdf or conf.kdf_params()
    keys = reader_keys()
    if not keys:
        raise VaultError("no_readers")
    private, public = crypto.new_keypair()
    for _attempt in range(20):
        try:
            with transaction.atomic():
                source = Source.objects.create(
                    lookup=lookup,
                    designation=_designation(),
                    public_key=public,
                    reply_public_key=reply_public_key,
                    key_mac=binding.source_key_mac(lookup, public, reply_public_key),
                    kdf_opslimit=kdf.opslimit,
                    kdf_memlimit=kdf.memlimit,
                    created_hour=hour_now(),
                    last_active_hour=hour_now(),
                )
                SourceGrant.objects.bulk_create(
                    SourceGrant(
                        source=source,
                        member_key=key,
                        sealed_private_key=crypto.seal(key.public_key, private),
                    )
                    for key in keys
                )
                return source
        except IntegrityError:
            if Source.objects.filter(lookup=lookup).exists():
                raise VaultError("codename_taken") from None
    raise VaultError("designation_exhausted")


# A source whose codename is not derived yet (jiandu.tipline.actions.do_first_submission, when
# every key-derivation slot was busy) holds this prefix and random hex as its `lookup`: no
# derived lookup (64 hex digits) can equal it, so no codename finds it until it is bound.
PENDING_LOOKUP = "pending:"


def codename_pending(source: Source) -> bool:
    """Whether this source's codename is still to be derived (no sign-in, no replies yet)."""
    return source.lookup.startswith(PENDING_LOOKUP)


def do_create_pending_source(kdf: crypto.KdfParams) -> Source:
    """A source whose submission can be stored now, before its codename is derived: the
    newsroom-side key pair is random anyway; the lookup is a random stand-in and there is
    no reply key until do_bind_codename. `kdf` is the cost the codename will be derived with."""
    return do_create_source(PENDING_LOOKUP + secrets.token_hex(24), b"", kdf)


def do_bind_codename(source: Source, lookup: str, reply_public_key: bytes) -> None:
    """Give a pending source its codename's lookup and reply key (and a new binding MAC).

    Only a pending row changes: a second call for the same source (two requests of one
    session) finds it bound and does nothing; a lookup already taken (odds 2^-84 at most) refuses
    with VaultError('codename_taken')."""
    with transaction.atomic():
        row = Source.objects.select_for_update().filter(pk=source.pk).first()
        if row is None or not codename_pending(row):
            return
        binding.check_source_keys(row)  # only a row the server wrote is bound
        if Source.objects.filter(lookup=lookup).exists():
            raise VaultError("codename_taken")
        Source.objects.filter(pk=row.pk).update(
            lookup=lookup,
            reply_public_key=reply_public_key,
            key_mac=binding.source_key_mac(lookup, row.public_key, reply_public_key),
        )
    source.lookup, source.reply_public_key = lookup, reply_public_key


def discard_prepared(prepared: list[PreparedItem]) -> None:
    """Remove the encrypted parts of items that will not be stored (a refused or failed
    submission), so nothing is left for `do_clean_leftovers`."""
    for item in prepared:
        storage.discard(item.part)


@dataclass
class PreparedItem:
    """An item encrypted into `vault/incoming`, waiting for its row."""

    kind: str
    item_key: bytes
    meta: dict[str, object]
    part: Path
    receipt: dict[str, object] = field(default_factory=dict)
    item_id: int | None = None  # the row's id, once stored


# What a source's own session may open of what it sent (docs/crypto.md, "A source's own
# copies"): a message's item key (its text), a file's metadata subkey (name, size, SHA-256,
# never the content); nothing of a questionnaire.
SOURCE_COPY_KINDS = (Item.Kind.MESSAGE, Item.Kind.FILE)


def source_copy_key(kind: str, item_key: bytes) -> bytes | None:
    """The key sealed to the source's codename key for an item it sent, or None."""
    if kind == Item.Kind.MESSAGE:
        return item_key
    if kind == Item.Kind.FILE:
        return crypto.meta_key(item_key)
    return None


def source_copies_to_hold(prepared: list[PreparedItem]) -> dict[int, bytes]:
    """The source-side keys of stored items, by item id, for a source whose codename is not
    derived yet: its session holds them until do_seal_source_copies can seal them."""
    copies = {}
    for item in prepared:
        key = source_copy_key(item.kind, item.item_key)
        if key is not None and item.item_id is not None:
            copies[item.item_id] = key
    return copies


def do_seal_source_copies(source: Source, copies: dict[int, bytes]) -> int:
    """Seal held source-side keys (source_copies_to_hold) to the source's codename key, now
    that it exists. Only this source's own messages and files without a copy change, and only
    with a key that opens the item's metadata record (a wrong key is dropped, not sealed)."""
    source = Source.objects.filter(pk=source.pk).first() or source  # as bound, MAC and all
    if codename_pending(source) or not copies:
        return 0
    binding.check_source_keys(source)
    sealed = 0
    with transaction.atomic():
        items = Item.objects.select_for_update().filter(
            source=source,
            pk__in=list(copies),
            kind__in=SOURCE_COPY_KINDS,
            submission__isnull=False,
            source_sealed_key__isnull=True,
        )
        for item in items:
            key = copies[item.pk]
            meta = key if item.kind == Item.Kind.FILE else crypto.meta_key(key)
            try:
                crypto.open_meta_with(meta, item.meta)
            except crypto.VaultCryptoError:
                continue
            item.source_sealed_key = crypto.seal(source.reply_public_key, key)
            item.save(update_fields=["source_sealed_key"])
            sealed += 1
        if sealed:
            do_record_custody(
                None,
                Action.GRANT,
                subject_of("source", source.pk),
                reason=f"own copies of {sealed} items sealed to the source's codename key",
                at=hour_now(),
            )
    return sealed


def prepare_text(kind: str, text: str, meta: dict[str, object] | None = None) -> PreparedItem:
    """Encrypt a text (a message, a reply, a questionnaire as JSON) into an incoming file."""
    item_key = crypto.random_key()
    part, handle = storage.open_incoming()
    try:
        crypto.encrypt_bytes(item_key, text.encode(), handle)
        storage.seal_incoming(handle)
    except BaseException:
        handle.close()
        storage.discard(part)
        raise
    return PreparedItem(kind=kind, item_key=item_key, meta=meta or {}, part=part)


def prepare_questionnaire(answers: dict[str, str]) -> PreparedItem:
    return prepare_text(Item.Kind.QUESTIONNAIRE, json.dumps(answers, ensure_ascii=False))


def _store_items(
    source: Source,
    prepared: list[PreparedItem],
    *,
    submission: Submission | None = None,
    author: User | None = None,
    to_source: bool = False,
) -> list[Item]:
    binding.check_source_keys(source)  # never seal to a source key the server did not write
    published: list[str] = []
    try:
        for item in prepared:
            published.append(storage.publish(item.part))
        with transaction.atomic():
            if submission is not None and submission.pk is None:
                submission.save()
            rows = [
                Item(
                    source=source,
                    submission=submission,
                    kind=item.kind,
                    sealed_key=crypto.seal(source.public_key, item.item_key),
                    source_sealed_key=_sealed_for_source(source, item, to_source, submission),
                    meta=crypto.seal_meta(item.item_key, item.meta),
                    blob=name,
                    author=author,
                    created_hour=hour_now(),
                )
                for item, name in zip(prepared, published, strict=True)
            ]
            Item.objects.bulk_create(rows)
            for item, row in zip(prepared, rows, strict=True):
                item.item_id = row.pk
            Source.objects.filter(pk=source.pk).update(last_active_hour=hour_now())
            if submission is not None:
                _record_source_action(Action.RECEIVE, source, submission, rows)
    except BaseException:
        storage.remove_blobs(published)
        for item in prepared:
            storage.discard(item.part)
        raise
    return rows


def _sealed_for_source(
    source: Source, item: PreparedItem, to_source: bool, submission: Submission | None
) -> bytes | None:
    """A reply's item key, or a submitted item's source-side key (source_copy_key), sealed to
    the source's codename key; None while that key does not exist (a pending source)."""
    if to_source:
        return crypto.seal(source.reply_public_key, item.item_key)
    key = source_copy_key(item.kind, item.item_key)
    if submission is None or key is None or not source.reply_public_key:
        return None
    return crypto.seal(source.reply_public_key, key)


def do_store_submission(source: Source, prepared: list[PreparedItem]) -> Submission:
    """One submission: its items become visible together, or not at all."""
    if not prepared:
        raise VaultError("empty")
    submission = Submission(source=source, created_hour=hour_now())
    _store_items(source, prepared, submission=submission)
    transaction.on_commit(
        partial(
            signals.submission_stored.send,
            sender=Submission,
            source_id=source.pk,
            submission_id=submission.pk,
        )
    )
    return submission


def do_add_reply(source: Source, author: User, text: str) -> Item:
    """A reply, sealed to the source key (newsroom) and to the source's codename key; a
    source whose codename is not derived yet has no codename key to seal to (refused)."""
    if codename_pending(source):
        raise VaultError("codename_pending")
    prepared = prepare_text(Item.Kind.REPLY, text)
    return _store_items(source, [prepared], author=author, to_source=True)[0]


def do_touch_source(source: Source) -> None:
    Source.objects.filter(pk=source.pk).update(last_active_hour=hour_now())


def _record_source_action(
    action: Action, source: Source, submission: Submission, items: list[Item], reason: str = ""
) -> None:
    """The custody record of something a source did (a submission, deleting one).

    A source's exact times are what the server must never hold (docs/threat-model.md), so the
    record keeps the hour only, no actor, and names the source only by its row id; the reason
    lists the submission and item ids, so that the items' own records (views, downloads) can
    be followed to their arrival and their end."""
    ids = " ".join(subject_of("item", item.pk) for item in items)
    reason = " ".join(
        part for part in (reason, subject_of("submission", submission.pk), ids) if part
    )
    do_record_custody(None, action, subject_of("source", source.pk), reason=reason, at=hour_now())


# --- Deletion ----------------------------------------------------------------------------


SOURCE_DELETION_REASON = "deleted by the source"


def do_delete_submission(source: Source, submission_id: int) -> bool:
    """A source deletes one of its own submissions: rows and custody record first, then the
    blobs."""
    with transaction.atomic():
        submission = Submission.objects.filter(source=source, pk=submission_id).first()
        if submission is None:
            return False
        items = list(submission.items.order_by("pk"))
        names = [item.blob for item in items]
        _record_source_action(
            Action.DELETE, source, submission, items, reason=SOURCE_DELETION_REASON
        )
        submission.delete()
    transaction.on_commit(lambda: storage.remove_blobs(names))
    return True


def do_delete_source(source: Source) -> None:
    """Crypto-shredding: the grants (the only sealed copies of the source key), the sealed
    item keys and the rows go in one transaction; the blobs follow."""
    with transaction.atomic():
        names = list(Item.objects.filter(source=source).values_list("blob", flat=True))
        SourceGrant.objects.filter(source=source).delete()
        source.delete()
    transaction.on_commit(lambda: storage.remove_blobs(names))


def do_purge_idle_sources(now: datetime | None = None) -> int:
    """Delete every source idle longer than the retention period (never less than
    retention.FLOOR_DAYS). Returns how many.

    Each source goes in its own transaction with its PURGE custody record (no actor: the
    server did it; the reason names the period), so one failure leaves the others done and
    never a source gone without its record."""
    days = retention.effective_days()
    cutoff = (now or timezone.now()) - timedelta(days=days)
    count = 0
    for source in Source.objects.filter(last_active_hour__lt=cutoff):
        with transaction.atomic():
            do_record_custody(
                None,
                Action.PURGE,
                subject_of("source", source.pk),
                reason=f"idle over {days} days",
            )
            do_delete_source(source)
        count += 1
    return count


def do_clean_leftovers() -> tuple[int, int]:
    """Remove abandoned uploads and blobs no row refers to (before the server starts). Parts
    younger than storage.PART_KEEP_SECONDS stay: a resumable upload goes on after a restart."""
    known = set(Item.objects.values_list("blob", flat=True))
    return storage.clean_leftovers(known, storage.PART_KEEP_SECONDS)
