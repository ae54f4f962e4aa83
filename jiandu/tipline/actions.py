"""The tip line's writes: a source's first submission that creates the codename, signing back
in, and the newsroom's questionnaire versions.

Everything the source sends is already encrypted (`PreparedItem`) when it gets here; this room
adds the codename and leaves keys and storage to the vault.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max

from jiandu.core.chinese import to_traditional
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
    transaction, so no write lock is held during it. A codename already in use (odds 2^-88)
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
    vault.do_touch_source(source)
    return source, reply_private_key


@transaction.atomic
def do_publish_questionnaire(questions: list[dict[str, Any]]) -> QuestionnaireVersion:
    """Save the designer's questions as a new questionnaire version, which sources answer from
    now on. Versions are never edited: answers keep the version they answered, so an earlier
    answer always reads with its own questions. Traditional Chinese left empty is generated
    from the Simplified (labels, help texts, choices)."""
    latest = QuestionnaireVersion.objects.select_for_update().order_by("-number").first()
    version = QuestionnaireVersion.objects.create(
        number=(latest.number + 1) if latest else 1, created_hour=vault.hour_now()
    )
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
    return version
