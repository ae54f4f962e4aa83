from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "jiandu.cases"
    label = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from jiandu.cases import receivers  # noqa: F401  (published evidence follows checklists)

    def load_demo(self) -> str:
        """The case of docs/case.md, published, so `make run` shows the tracker working."""
        from jiandu.cases.demo import load_demo_case

        return load_demo_case()
