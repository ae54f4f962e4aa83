"""What waits for a member, counted by the rooms that hold it (issue 18, item 9).

Core knows nothing of the rooms: each room's AppConfig that has work waiting for members
defines `waiting(member) -> list[Waiting]`, found the way `load_demo()` and `on_serve()` are.
Each count is one cheap query (COUNT over indexed rows) and decrypts nothing, so every newsroom
page can show them in its navigation. Reading them writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps


@dataclass(frozen=True)
class Waiting:
    """One kind of work waiting: `kind` names it for the page (`data-waiting`), `label` is the
    translated words, `url` where it is done."""

    kind: str
    label: str
    count: int
    url: str


def waiting_for(member: object) -> list[Waiting]:
    """Every kind of waiting work with a count above zero, in the order of INSTALLED_APPS."""
    found: list[Waiting] = []
    for config in apps.get_app_configs():
        hook = getattr(config, "waiting", None)
        if hook is not None:
            found.extend(entry for entry in hook(member) if entry.count > 0)
    return found
