"""Background work of the transparency log after each publication, in order: ask the
configured witnesses to cosign the new checkpoint (JIANDU_LOG_WITNESSES), then bring the static
mirror up to date (JIANDU_MIRROR_DIR), so the mirror's checkpoint carries the cosignatures."""

import logging
from pathlib import Path

from django.conf import settings
from django.tasks import task

from jiandu.conf import env_list, env_str

logger = logging.getLogger("jiandu.ledger.witness")


def mirror_dir() -> str:
    return getattr(settings, "JIANDU_MIRROR_DIR", "") or env_str("JIANDU_MIRROR_DIR", "")


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


def has_work() -> bool:
    return bool(mirror_dir() or witnesses())


@task
def after_publication() -> dict[str, int]:
    """Cosignatures, then the mirror; returns counts only (nothing secret in a task result)."""
    from jiandu.ledger import mirror, note, witness

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
    written = 0
    if mirror_dir():
        written = len(mirror.export_mirror(Path(mirror_dir())).written)
    return {"cosigned": cosigned, "mirror_files_written": written}
