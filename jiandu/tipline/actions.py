"""The tip line's writes: a source's first submission that creates the codename, signing back
in, and the newsroom's questionnaire versions (drafted by one member, approved or discarded by
another, each step in the account audit and the custody log).

Everything the source sends is already encrypted (`PreparedItem`) when it gets here; this room
adds the codename and leaves keys and storage to the vault.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from jiandu.accounts import actions as accounts
from jiandu.accounts.models import User
from jiandu.conf import hour_now
from jiandu.core.chinese import to_traditional
from jiandu.ledger.actions import do_record_custody, subject_of
from jiandu.ledger.models import Action
from jiandu.tipline import codename as codenames
from jiandu.tipline import throttle
from jiandu.tipline.models import Question, QuestionnaireVersion
from jiandu.vault import actions as vault
from jiandu.vault import conf
from jiandu.vault.crypto import KdfBusy, KdfParams
from jiandu.vault.models import Source


@dataclass
class NewSource:
    """A first submission's outcome. `reply_private_key` is None when the codename's
    derivation was deferred (every slot busy): `codename` is then shown and kept in the
    source's own session until do_finish_codename binds it."""

    source: vault.Source
    codename: str
    reply_private_key: bytes | None


# How long a first submission waits for a key-derivation slot before it stores the submission
# under a pending source and answers at once (a few derivations' time, not a queue).
FIRST_SUBMISSION_KDF_WAIT_SECONDS = 0.5


def _secrets(canonical: str, wait_seconds: float | None = None) -> codenames.SourceSecrets:
    return codenames.derive(
        canonical, conf.codename_pepper(), conf.kdf_params(), wait_seconds=wait_seconds
    )


def _find_source(canonical: str) -> tuple[Source | None, bytes]:
    """The source and its reply key, deriving with each Argon2id cost sources were made with
    (the current one first, then the newest): each source signs in with its own stored cost,
    so raising JIANDU_KDF_* locks no one out (jiandu/tipline/codename.py)."""
    in_use = (
        Source.objects.values_list("kdf_opslimit", "kdf_memlimit")
        .annotate(newest=Max("pk"))
        .order_by("-newest")[: codenames.MAX_KDF_SETTINGS]
    )
    stored = [KdfParams(opslimit, memlimit) for opslimit, memlimit, _newest in in_use]
    pepper = conf.codename_pepper()
    for params in codenames.kdf_settings_to_try(conf.kdf_params(), stored):
        derived = codenames.derive(canonical, pepper, params)
        source = Source.objects.filter(
            lookup=derived.lookup, kdf_opslimit=params.opslimit, kdf_memlimit=params.memlimit
        ).first()
        if source is not None:
            return source, derived.reply_private_key
    return None, b""


def do_first_submission(style: str, prepared: list[vault.PreparedItem]) -> NewSource:
    """Make a codename and a source, and store the submission under it, in one transaction:
    if storing fails, no source without a submission is left behind, nor any prepared part.

    Others' load never refuses a first submission: when no key-derivation slot frees within
    FIRST_SUBMISSION_KDF_WAIT_SECONDS, the submission is stored under a pending source (its
    newsroom-side key pair is random and needs no codename) and the codename is derived
    later from the source's own session (do_finish_codename). The derivation runs before the
    transaction, so no write lock is held during it. A codename already in use (odds 2^-84 at most)
    is simply drawn again."""
    try:
        for _attempt in range(5):
            codename = codenames.generate(style)
            try:
                derived: codenames.SourceSecrets | None = _secrets(
                    codenames.canonical(codename), FIRST_SUBMISSION_KDF_WAIT_SECONDS
                )
            except KdfBusy:
                derived = None
            try:
                with transaction.atomic():
                    if derived is None:
                        source = vault.do_create_pending_source(conf.kdf_params())
                    else:
                        source = vault.do_create_source(
                            derived.lookup, derived.reply_public_key, derived.params
                        )
                    vault.do_store_submission(source, prepared)
            except vault.VaultError as exc:
                if exc.code == "codename_taken":
                    continue
                raise
            return NewSource(source, codename, derived.reply_private_key if derived else None)
        raise vault.VaultError("codename_taken")
    except BaseException:
        vault.discard_prepared(prepared)  # what storing did not already remove
        raise


def do_finish_codename(source: Source, codename: str) -> bytes:
    """Derive a pending source's codename with the cost stored for it and bind its lookup and
    reply key; the reply private key, for the session. Called from the session that was
    shown the codename (the only place it exists). crypto.KdfBusy when no slot frees in time:
    the source is still pending and the session still holds the codename, so nothing is lost.
    """
    derived = codenames.derive(
        codenames.canonical(codename), conf.codename_pepper(), source.kdf_params
    )
    vault.do_bind_codename(source, derived.lookup, derived.reply_public_key)
    return derived.reply_private_key


def get_source_by_codename(text: str) -> tuple[Source, bytes]:
    """The source this codename belongs to and its reply key; CodenameError if none.
    The derivation takes one of the few sign-in slots (crypto.KdfBusy when none is free)."""
    canonical = codenames.canonical(text)
    with throttle.signin_slot():
        source, reply_private_key = _find_source(canonical)
    if source is None:
        raise codenames.CodenameError("not_found")
    return source, reply_private_key


def do_sign_in_source(text: str) -> tuple[Source, bytes]:
    """A source comes back with its codename: found as `get_source_by_codename` finds it, and
    its last activity set to this hour (retention counts from it)."""
    source, reply_private_key = get_source_by_codename(text)
    vault.do_touch_source(source)
    return source, reply_private_key


class QuestionnaireRefused(ValueError):
    """A questionnaire change this room refuses; `code` says why (the designer's views turn
    it into a message): `draft_pending` (only one draft at a time), `not_pending` (the draft
    was approved or discarded meanwhile), `own_draft` (the two-person rule)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _record(actor: User, version: QuestionnaireVersion, what: str) -> None:
    """The author's or reviewer's part, in the account audit (the member's own history) and
    in the MAC-chained custody log (the newsroom's), in the caller's transaction."""
    accounts.do_record_questionnaire_work(actor, f"questionnaire draft {version.pk}: {what}")
    do_record_custody(actor, Action.STATUS, subject_of("questionnaire", version.pk), reason=what)


@transaction.atomic
def do_draft_questionnaire(questions: list[dict[str, Any]], author: User) -> QuestionnaireVersion:
    """Save the designer's questions as a draft: no source sees it until another member
    approves it (do_approve_questionnaire). One draft at a time (QuestionnaireRefused
    `draft_pending`; the database's constraint holds it against a race): the draft is read
    against the live version, which only an approval changes. Versions are never edited:
    answers keep the version they answered, so an earlier answer always reads with its own
    questions. Traditional Chinese left empty is generated from the Simplified (labels, help
    texts, choices)."""
    if QuestionnaireVersion.objects.filter(state=QuestionnaireVersion.State.DRAFT).exists():
        raise QuestionnaireRefused("draft_pending")
    try:
        with transaction.atomic():
            version = QuestionnaireVersion.objects.create(
                state=QuestionnaireVersion.State.DRAFT,
                created_hour=hour_now(),
                author=author,
                author_name=author.get_username(),
            )
    except IntegrityError as exc:  # another draft was saved meanwhile
        raise QuestionnaireRefused("draft_pending") from exc
    for order, data in enumerate(questions):
        choices = [
            {
                **choice,
                "zh_hant": choice.get("zh_hant") or to_traditional(choice.get("zh_hans", "")),
            }
            for choice in data.get("choices", [])
        ]
        Question.objects.create(
            version=version,
            key=data["key"],
            kind=data["kind"],
            required=bool(data.get("required")),
            group=data.get("group") or 1,
            order=order,
            label_zh_hans=data.get("label_zh_hans", ""),
            label_zh_hant=data.get("label_zh_hant")
            or to_traditional(data.get("label_zh_hans", "")),
            label_en=data.get("label_en", ""),
            help_zh_hans=data.get("help_zh_hans", ""),
            help_zh_hant=data.get("help_zh_hant") or to_traditional(data.get("help_zh_hans", "")),
            help_en=data.get("help_en", ""),
            choices=choices,
        )
    _record(author, version, "drafted")
    return version


def _lock_pending(draft_id: int) -> QuestionnaireVersion:
    draft = (
        QuestionnaireVersion.objects.select_for_update()
        .filter(pk=draft_id, state=QuestionnaireVersion.State.DRAFT)
        .first()
    )
    if draft is None:
        raise QuestionnaireRefused("not_pending")
    return draft


@transaction.atomic
def do_approve_questionnaire(draft_id: int, reviewer: User) -> QuestionnaireVersion:
    """Make the draft the questions sources are asked, under the next version number. Its
    author cannot approve it (the two-person rule, held here and not only in the view); a
    draft approved or discarded meanwhile is refused (a stale review page)."""
    draft = _lock_pending(draft_id)
    if draft.author_id is not None and draft.author_id == reviewer.pk:
        raise QuestionnaireRefused("own_draft")
    latest = (
        QuestionnaireVersion.objects.select_for_update()
        .filter(number__isnull=False)
        .order_by("-number")
        .first()
    )
    draft.number = (latest.number + 1) if latest and latest.number else 1
    draft.state = QuestionnaireVersion.State.LIVE
    draft.live_hour = hour_now()
    draft.reviewer = reviewer
    draft.reviewer_name = reviewer.get_username()
    draft.save(update_fields=["number", "state", "live_hour", "reviewer", "reviewer_name"])
    _record(
        reviewer,
        draft,
        f"approved as version {draft.number} (drafted by {draft.author_name or '-'})",
    )
    return draft


@transaction.atomic
def do_discard_questionnaire(draft_id: int, reviewer: User) -> QuestionnaireVersion:
    """Set a draft aside without any source seeing it; its author or any reviewer may, and
    the next draft can then be made. The discarded questions are kept, with who discarded
    them, like every version."""
    draft = _lock_pending(draft_id)
    draft.state = QuestionnaireVersion.State.DISCARDED
    draft.reviewer = reviewer
    draft.reviewer_name = reviewer.get_username()
    draft.save(update_fields=["state", "reviewer", "reviewer_name"])
    _record(reviewer, draft, f"discarded (drafted by {draft.author_name or '-'})")
    return draft
