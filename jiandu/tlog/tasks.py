"""Background work of the transparency log after each publication, in order: ask the
configured witnesses to cosign the new checkpoint (JIANDU_LOG_WITNESSES), then send
`signals.log_updated`, on which the public room brings its static mirror up to date
(JIANDU_MIRROR_DIR, jiandu/public/tasks.py), so the mirror's checkpoint carries the
cosignatures."""

import logging
from typing import Any

from django.conf import settings
from django.tasks import task

from jiandu.conf import env_list, env_str
from jiandu.tlog.signals import log_updated

logger = logging.getLogger("jiandu.tlog.witness")


def witnesses() -> list[tuple[str, str]]:
    """(submission prefix URL, witness vkey) pairs from JIANDU_LOG_WITNESSES, a comma-separated
    list of "URL VKEY"."""
    configured = getattr(settings, "JIANDU_LOG_WITNESSES", None)
    items = configured if configured is not None else env_list("JIANDU_LOG_WITNESSES", [])
    pairs = []
    for item in items:
        url, _space, vkey = item.strip().partition(" ")
        if url and vkey.strip():
            pairs.append((url, vkey.strip()))
    return pairs


def mirror_dir() -> str:
    """JIANDU_MIRROR_DIR: where the public room keeps its static mirror ('' for none). Read
    here only to know whether a publication needs the task; the mirror is the public room's."""
    return getattr(settings, "JIANDU_MIRROR_DIR", "") or env_str("JIANDU_MIRROR_DIR", "")


def has_work() -> bool:
    return bool(mirror_dir() or witnesses())


@task
def after_publication() -> dict[str, int]:
    """Cosignatures, then `log_updated` (the mirror); returns counts only (nothing secret in a
    task result)."""
    from jiandu.tlog import note, witness

    cosigned = 0
    for url, vkey in witnesses():
        try:
            witness.do_request_cosignature(url, note.parse_vkey(vkey))
            cosigned += 1
        except witness.WitnessRefused as exc:
            level = logging.CRITICAL if exc.split else logging.WARNING
            logger.log(level, "witness %s refused: %s", url, exc)
        except (OSError, note.NoteError) as exc:
            logger.warning("witness %s unreachable or misconfigured: %s", url, exc)
    # Receivers answer with what they wrote (django-stubs types the answers as str | None).
    answers: list[tuple[Any, Any]] = log_updated.send(sender=after_publication.__class__)
    written = sum(answer for _receiver, answer in answers if isinstance(answer, int))
    return {"cosigned": cosigned, "mirror_files_written": written}
