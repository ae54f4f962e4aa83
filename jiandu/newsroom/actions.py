"""Every write of the newsroom's inbox: triage, read marks, bulk actions, replies, deletion,
exports and notification settings. Each records custody (jiandu/ledger) in the same transaction
as the change it records; e-mails and other side effects go after the commit.

And the flows that change a member's account and the vault's key together (sign-in, password,
reset, role, deactivation: jiandu.accounts.flows), at the end of this module."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from jiandu.accounts import actions as accounts
from jiandu.accounts.actions import do_record_reassignment
from jiandu.accounts.models import User
from jiandu.conf import hour_now
from jiandu.forensics.actions import do_hand_new_files
from jiandu.ledger.actions import do_record_custody, subject_of
from jiandu.ledger.models import Action
from jiandu.newsroom.models import Note, Notification, ReadMark, SourceState, SourceTag, Status
from jiandu.vault import actions as vault
from jiandu.vault import crypto, retention, session_keys
from jiandu.vault.models import Item, RetentionSetting, Source

logger = logging.getLogger(__name__)


def state_of(source: Source) -> SourceState:
    """The source's triage fields; a source whose row is not made yet (it is made after the
    commit of its first submission, jiandu.newsroom.receivers) reads as new and unassigned.
    Reads only: a page that shows the state writes nothing."""
    return SourceState.objects.filter(source=source).first() or SourceState(source=source)


def _state_row(source: Source) -> SourceState:
    state, _ = SourceState.objects.get_or_create(source=source)
    return state


@transaction.atomic
def do_set_status(actor: User, source: Source, status: Status | str) -> None:
    status = Status(status)
    state = _state_row(source)
    if state.status == status:
        return
    SourceState.objects.filter(pk=source.pk).update(status=status)
    do_record_custody(actor, Action.STATUS, subject_of("source", source.pk), reason=str(status))


@transaction.atomic
def do_assign(actor: User, source: Source, assignee: User | None) -> None:
    state = _state_row(source)
    if state.assignee_id == (assignee.pk if assignee else None):
        return
    SourceState.objects.filter(pk=source.pk).update(assignee=assignee)
    do_record_custody(
        actor,
        Action.ASSIGN,
        subject_of("source", source.pk),
        reason=assignee.get_username() if assignee else "",
    )


def do_set_star(actor: User, source: Source, starred: bool) -> None:
    """Starring is a shared bookmark, not an access to evidence: no custody record."""
    _state_row(source)
    SourceState.objects.filter(pk=source.pk).update(starred=starred)


@transaction.atomic
def do_triage(
    actor: User, source: Source, status: str, assignee: User | None, starred: bool
) -> None:
    do_set_status(actor, source, status)
    do_assign(actor, source, assignee)
    do_set_star(actor, source, starred)


@transaction.atomic
def do_view_source(user: User, source: Source, items: list[Item]) -> None:
    """A member opened a source's conversation: a custody record, and it all counts as read."""
    do_record_custody(user, Action.VIEW, subject_of("source", source.pk))
    newest = max((item.pk for item in items), default=0)
    ReadMark.objects.update_or_create(user=user, source=source, defaults={"last_item_id": newest})


ITEM_ACTIONS = {"download": Action.DOWNLOAD, "export": Action.EXPORT, "preview": Action.PREVIEW}


def do_record_item_access(user: User, item: Item, what: str) -> None:
    """A download, an encrypted export or a look at a preview of one item."""
    do_record_custody(user, ITEM_ACTIONS[what], subject_of("item", item.pk))


def do_record_source_export(user: User, source: Source) -> None:
    do_record_custody(user, Action.EXPORT, subject_of("source", source.pk))


def do_record_inbox_export(user: User) -> None:
    """The CSV of workflow fields (no content) is an export too."""
    do_record_custody(user, Action.EXPORT, "inbox:csv")


def do_mark_read(user: User, sources: Iterable[Source]) -> int:
    """Everything in these sources counts as read by `user` (up to the newest item now)."""
    marked = 0
    for source in sources:
        newest = source.items.order_by("-pk").values_list("pk", flat=True).first() or 0
        ReadMark.objects.update_or_create(
            user=user, source=source, defaults={"last_item_id": newest}
        )
        marked += 1
    return marked


@transaction.atomic
def do_delete_sources(actor: User, sources: Iterable[Source], reason: str) -> int:
    """Crypto-shred each source (vault), with a custody record carrying the reason.

    Views fetch the sources with vault.access.access_source_for_deletion; the permission is
    checked here again because nothing can undo a deletion."""
    if not actor.has_perm("accounts.delete_sources"):
        raise PermissionDenied
    count = 0
    for source in sources:
        do_record_custody(actor, Action.DELETE, subject_of("source", source.pk), reason=reason)
        vault.do_delete_source(source)
        count += 1
    return count


@transaction.atomic
def do_reply(actor: User, source: Source, text: str) -> Item:
    item = vault.do_add_reply(source, actor, text)
    do_record_custody(actor, Action.REPLY, subject_of("item", item.pk))
    return item


def do_set_notification(user: User, mode: Notification.Mode | str, email: str) -> None:
    with transaction.atomic():
        if email != user.email:
            user.email = email
            user.save(update_fields=["email"])
        Notification.objects.update_or_create(user=user, defaults={"mode": str(mode)})


@transaction.atomic
def do_set_retention(actor: User, days: int, *, confirmed_days: int | None = None) -> None:
    """The retention period for idle sources (vault.conf.retention_days reads it).

    vault.retention.check_change refuses a period under the floor and a lowering that the
    second confirmation did not name (RetentionRefused); the rule sits here, not only in the
    form, so no other caller can skip it."""
    retention.check_change(retention.effective_days(), days, confirmed_days)
    RetentionSetting.objects.create(days=days, changed_by=actor, changed_hour=hour_now())


# --- Tags and internal notes (issue 18, item 8) ----------------------------------------------
# Their text is sealed to the source's public key; the custody log, which is plain, says that
# a tag or note was added, removed or shown, never what it says.


@transaction.atomic
def do_add_tag(actor: User, source: Source, text: str) -> SourceTag:
    """Tag a source; the text sealed to the source key (the form has already refused a tag the
    source carries, which only someone who can open the tags can tell)."""
    tag = SourceTag.objects.create(
        source=source,
        sealed_text=crypto.seal(bytes(source.public_key), text.encode()),
        author=actor,
        created=timezone.now(),
    )
    do_record_custody(actor, Action.STATUS, subject_of("source", source.pk), reason="tag added")
    return tag


@transaction.atomic
def do_remove_tag(actor: User, tag: SourceTag) -> None:
    do_record_custody(
        actor, Action.STATUS, subject_of("source", tag.source_id), reason="tag removed"
    )
    tag.delete()


def _note_subject(note: Note) -> str:
    return (
        subject_of("item", note.item_id) if note.item_id else subject_of("source", note.source_id)
    )


@transaction.atomic
def do_add_note(actor: User, source: Source, text: str, item: Item | None = None) -> Note:
    """An internal note on the source or one of its items, sealed to the source key; its
    custody record names the note, not its text."""
    if item is not None and item.source_id != source.pk:
        raise PermissionDenied
    note = Note.objects.create(
        source=source,
        item=item,
        sealed_text=crypto.seal(bytes(source.public_key), text.encode()),
        author=actor,
        created=timezone.now(),
    )
    do_record_custody(actor, Action.STATUS, _note_subject(note), reason=f"note {note.pk} added")
    return note


@transaction.atomic
def do_record_notes_read(user: User, notes: Iterable[Note]) -> None:
    """The notes a member was shown (decrypted on their page): one custody record each, so
    the log says who read which note and when."""
    for note in notes:
        do_record_custody(user, Action.VIEW, _note_subject(note), reason=f"note {note.pk} read")


# --- Reassignment when a member leaves ------------------------------------------------------


@dataclass(frozen=True)
class Reassigned:
    assignments: int
    grants: vault.Moved


@transaction.atomic
def do_reassign_member(
    actor: User,
    actor_private_key: bytes,
    leaving: User,
    successor: User,
    *,
    withdraw: bool = True,
) -> Reassigned:
    """Move everything a member holds to another member in one transaction: the sources
    assigned to them (a custody ASSIGN record each) and their access (vault.do_move_grants:
    the actor's own grants re-wrapped to the successor with the actor's unlocked key, the
    leaving member's withdrawn once the successor holds one), plus one row in the leaving
    member's account audit. All of it commits, or none of it."""
    if not actor.has_perm("accounts.manage_newsroom"):
        raise PermissionDenied
    if leaving.pk == successor.pk:
        raise ValueError("A member cannot be reassigned to themselves.")
    assigned = list(Source.objects.filter(inbox__assignee=leaving).order_by("pk"))
    for source in assigned:
        do_assign(actor, source, successor)
    moved = vault.do_move_grants(actor, actor_private_key, leaving, successor, withdraw=withdraw)
    do_record_reassignment(
        actor,
        leaving,
        f"to {successor.get_username()}: {len(assigned)} assignment(s), "
        f"{moved.granted} grant(s) sealed, {moved.withdrawn} withdrawn, {moved.kept} kept",
    )
    return Reassigned(assignments=len(assigned), grants=moved)


@dataclass(frozen=True)
class AddedMember:
    """A new member (with their one-time password) and, when sources were sealed to them, the
    recovery key of the vault key made for them (shown to the admin once)."""

    created: accounts.NewMember
    recovery_key: str = ""


@transaction.atomic
def do_add_member(
    actor: User,
    actor_private_key: bytes,
    username: str,
    role: str,
    email: str,
    source_ids: list[int],
) -> AddedMember:
    """The add-member page's one write (issue 18, item 7): the account (accounts), then, for
    a reader given sources, their vault key wrapped by the one-time password with those
    sources sealed to it by the admin's key (vault), in this order and one transaction: a
    failed grant leaves no account behind, and no account exists that the vault missed. The
    flow is said here, where both rooms may be imported, not through signals."""
    created = accounts.do_create_member(username, role, email=email, actor=actor)
    if not source_ids or not created.user.has_perm("accounts.read_submissions"):
        return AddedMember(created)
    outcome = vault.do_grant_sources_to_new_member(
        actor, actor_private_key, created.user, created.one_time_password, source_ids
    )
    return AddedMember(created, str(outcome.new_recovery_key or ""))


# --- A member's credentials and the vault's key, changed together (jiandu.accounts.flows) ---
# The accounts room's views call these through the URL map (jiandu.urls); each is one flow,
# in order, in one transaction where it writes both rooms: a refusal from the vault (a busy
# key-derivation pool, a source only this member can open) is an exception that rolls the
# account change back with it (issue 20, item 5).


def do_open_session(request: HttpRequest, user: User, password: str) -> None:
    """Both factors have passed: unwrap the member key (or make one, at a reader's first
    sign-in) with the password the sign-in kept for this moment, into the session (encrypted
    under a key only the member's cookie holds, jiandu.vault.sessions); then hand the worker
    the files this member can read that are not analysed or previewed yet. Neither step may
    stop the sign-in: a busy key-derivation pool leaves the key locked (the vault pages ask
    the member to sign in again), and a failed hand-off is logged by its kind only."""
    outcome = vault.Unlocked()
    if password:
        try:
            outcome = vault.do_unlock_member_key(user, password)
        except crypto.KdfBusy:
            outcome = vault.Unlocked()
    session_keys.unlock(request, outcome)
    if outcome.private_key is None:
        return
    try:
        do_hand_new_files(user, outcome.private_key)
    except Exception as exc:
        logger.error("automatic analysis at sign-in failed: %s", type(exc).__name__)


@transaction.atomic
def do_change_password(
    request: HttpRequest | None, user: User, old_password: str, new_password: str
) -> None:
    """The member's own change: the vault key is rewrapped under the new password (with the
    key in the session, or opened with the old password), then the password and its audit row
    are saved. A busy key-derivation pool changes nothing (CredentialsBusy)."""
    private = session_keys.member_private_key(request) if request is not None else None
    try:
        if private is not None:
            vault.do_rewrap_member_key(user, private, new_password)
        else:
            vault.do_change_password(user, old_password, new_password)
    except crypto.KdfBusy as exc:
        raise accounts.CredentialsBusy from exc
    accounts.do_change_password(user, new_password)


@transaction.atomic
def do_reset_credentials(member: User, *, actor: User | None = None) -> accounts.NewMember:
    """A new one-time password and TOTP enrolment; the old password no longer opens the vault
    key (its recovery wrap stays, so the member can restore it)."""
    reset = accounts.do_reset_credentials(member, actor=actor)
    vault.do_forget_password_wrap(member)
    return reset


@transaction.atomic
def do_set_role(member: User, role: str, *, actor: User | None = None) -> None:
    """A demotion to a role that may not read submissions takes away the member's grants, and
    is refused (nothing changes) while a source depends on this member's key alone."""
    if accounts.do_set_role(member, role, actor=actor):
        outcome = vault.do_revoke_member_grants(member)
        if outcome.sole:
            raise accounts.SoleKeyHolder(outcome.sole)


@transaction.atomic
def do_set_active(member: User, active: bool, *, actor: User | None = None) -> int:
    """A deactivation takes away the member's grants but is never refused for their sake: a
    source only this member can open keeps its grant (destroying evidence by accident would
    be worse); the count is returned so the admin can act, and written in the audit."""
    kept = vault.do_revoke_member_grants(member).sole if not active else 0
    accounts.do_set_active(member, active, actor=actor, sole_grants_kept=kept)
    return kept
