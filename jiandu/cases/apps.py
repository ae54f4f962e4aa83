from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "jiandu.cases"
    label = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from jiandu.cases import receivers  # noqa: F401  (published evidence follows checklists)

    def on_serve(self) -> str:
        """Before serving: queue the publication of every waiting one-person hold again."""
        from jiandu.cases.tasks import schedule_waiting_holds

        return f"{schedule_waiting_holds()} held publication(s) queued"

    def waiting(self, member: object) -> list:
        """Reviews this member may publish, for the navigation's counts (core/waiting.py)."""
        from jiandu.cases.waiting import waiting

        return waiting(member)  # type: ignore[arg-type]

    def load_demo(self) -> str:
        """The case of docs/case.md, published, so `make run` shows the tracker working."""
        from jiandu.cases.demo import load_demo_case

        return load_demo_case()
