"""A system check that says at start (serve, the worker, `jiandu check`) when the
sandbox is unavailable or weakened (docs/threat-model.md, "Forensics sandbox")."""

from django.core import checks

from jiandu.sandbox import runner


@checks.register(checks.Tags.security)
def check_sandbox(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    problem = runner.isolation_problem()
    if problem is None:
        return []
    if runner.weak_isolation():
        return [
            checks.Warning(
                "WEAK SANDBOX: untrusted files are parsed without bubblewrap "
                f"(namespaces, seccomp): {problem}.",
                hint="Install bubblewrap (apt-packages.txt) and unset JIANDU_SANDBOX_ALLOW_WEAK.",
                id="forensics.W001",
            )
        ]
    return [
        checks.Warning(
            f"Forensics sandbox unavailable: {problem}. Submitted files are kept but not "
            "analysed (no previews, no evidence publication).",
            hint="Install bubblewrap (apt-packages.txt); JIANDU_SANDBOX_ALLOW_WEAK=true would "
            "parse them with weaker isolation.",
            id="forensics.W002",
        )
    ]
