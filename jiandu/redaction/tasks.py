"""Background work of the redaction studio (Django Tasks, on the worker's own queue)."""

from django.tasks import task


@task
def make_render(render_id: int, worker_key_id: int, sealed_keys: str) -> str:
    """Make one derivative. The item key and the render key are sealed to the worker's
    in-memory key (jiandu/forensics/handoff.py); the return value is the new state only."""
    from jiandu.redaction.actions import do_make_render

    return do_make_render(render_id, worker_key_id, sealed_keys)
