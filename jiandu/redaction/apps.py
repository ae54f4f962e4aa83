from django.apps import AppConfig


class RedactionConfig(AppConfig):
    """Derivatives of evidence for publication; the only thing the case desk publishes."""

    name = "jiandu.redaction"
    label = "redaction"

    def ready(self) -> None:
        from jiandu.cases import evidence
        from jiandu.redaction import records

        # The case desk publishes only what this room rendered (jiandu/cases/evidence.py).
        evidence.register_render_records(records.is_render_record, records.add_credentials)
        # Every render joins the workbench's matching index (linked to its original).
        from jiandu.forensics import index
        from jiandu.redaction import matching

        index.register_fingerprints(matching.signature, matching.rows)

    def render_newsroom_still(self, user: object, data: bytes) -> object:
        """For the demo case (jiandu/cases/demo.py): the generated frame rendered by the studio
        (faces blurred if any, no metadata), as a Derivative the case desk publishes."""
        from jiandu.redaction.actions import do_render_newsroom_image
        from jiandu.redaction.recipe import parse

        return do_render_newsroom_image(user, data, parse({"kind": "image", "format": "png"}))

    def waiting(self, member: object) -> list:
        """Renders finished since this member last looked (core/waiting.py)."""
        from jiandu.redaction.waiting import waiting

        return waiting(member)  # type: ignore[arg-type]

    def on_serve(self) -> str:
        """Before serving: the newsroom's Content Credentials certificate exists (made here the
        first time, unless a certificate from the trust list is configured), and renders left
        unfinished by workers that stopped are marked expired."""
        from jiandu.redaction.actions import do_expire_orphaned_renders
        from jiandu.redaction.credentials import ensure_credentials

        ensure_credentials()
        expired = do_expire_orphaned_renders()
        return f"content credentials ready, {expired} render(s) of stopped workers expired"
