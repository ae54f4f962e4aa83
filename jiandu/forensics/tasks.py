"""Background work of the forensics room (Django Tasks; the database backend by default)."""

from django.tasks import task


@task
def make_item_preview(preview_id: int, worker_key_id: int, sealed_item_key: str) -> str:
    """Make one preview. The arguments hold no key anyone else can use: the item key is sealed
    to the worker's in-memory key (jiandu/forensics/handoff.py). Returns the new state only."""
    from jiandu.forensics.actions import do_make_preview

    return do_make_preview(preview_id, worker_key_id, sealed_item_key)


@task
def analyse_item(analysis_id: int, worker_key_id: int, sealed_item_key: str) -> str:
    """Analyse one file for the authentication workbench (metadata, fingerprints, contact sheet
    or waveform). Like previews, the item key is sealed to the worker's in-memory key; the
    result row is encrypted; the return value is the new state only."""
    from jiandu.forensics.actions import do_analyse_item

    return do_analyse_item(analysis_id, worker_key_id, sealed_item_key)


@task
def fingerprint_published(reference: str, storage_name: str) -> str:
    """Fingerprint a published derivative (public: no key needed)."""
    from jiandu.forensics.actions import do_fingerprint_published

    return do_fingerprint_published(reference, storage_name)
