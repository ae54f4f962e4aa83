from django.apps import AppConfig


class RedactionConfig(AppConfig):
    """Derivatives of evidence for publication; the only thing the case desk publishes."""

    name = "jiandu.redaction"
    label = "redaction"

    def publish_newsroom_still(
        self, user: object, case: object, data: bytes, status: str, **texts: str
    ) -> object:
        """For the demo case (jiandu/cases/demo.py): the generated frame rendered by the studio
        (faces blurred if any, no metadata) and published like any render
        (`actions.do_publish_evidence`); `texts` are its captions and verification note."""
        from jiandu.redaction.actions import do_publish_evidence, do_render_newsroom_image
        from jiandu.redaction.recipe import parse

        recipe = parse({"kind": "image", "format": "png"})
        derivative = do_render_newsroom_image(user, data, recipe)  # type: ignore[arg-type]
        return do_publish_evidence(case, user, derivative, status, **texts)  # type: ignore[arg-type]

    def fingerprint_signature(self, user: object) -> object:
        """Changes when a render joins this member's matching index (forensics/index.py)."""
        from jiandu.redaction.matching import signature

        return signature(user)  # type: ignore[arg-type]

    def fingerprint_rows(self, user: object, source_keys: dict[int, bytes]) -> list:
        """Every render this member may read joins the workbench's matching index, linked to
        its original (forensics.index.FingerprintRows; redaction/matching.py)."""
        from jiandu.redaction.matching import rows

        return rows(user, source_keys)  # type: ignore[arg-type]

    def waiting(self, member: object) -> list:
        """Renders finished since this member last looked (core/waiting.py)."""
        from jiandu.redaction.waiting import waiting

        return waiting(member)  # type: ignore[arg-type]

    def on_serve(self) -> str:
        """Before serving: the newsroom's Content Credentials certificate exists (made here the
        first time, unless a certificate from the trust list is configured), and renders left
        unfinished by workers that stopped are marked expired; the sweep that does so every
        few minutes is scheduled."""
        from jiandu.redaction.actions import do_expire_orphaned_renders
        from jiandu.redaction.credentials import ensure_credentials
        from jiandu.redaction.tasks import schedule_sweep

        ensure_credentials()
        expired = do_expire_orphaned_renders()
        schedule_sweep()
        return f"content credentials ready, {expired} render(s) of stopped workers expired"
