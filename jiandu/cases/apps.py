from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "jiandu.cases"
    label = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from jiandu.cases import (
            published,
            receivers,  # noqa: F401  (published evidence follows checklists)
        )
        from jiandu.ledger import mirror

        # A static export reads the published snapshots once, not once per page (issue #11).
        mirror.register_export_context(published.reading_once)

    def load_demo(self) -> str:
        """The case of docs/case.md, published, so `make run` shows the tracker working."""
        from jiandu.cases.demo import load_demo_case

        return load_demo_case()
