"""The sign-in's pauses before failing answers are recorded here instead of slept."""

import pytest


@pytest.fixture(autouse=True)
def pauses(monkeypatch):
    """The list of pauses (seconds) the sign-in asked for; nothing actually sleeps."""
    from jiandu.accounts import throttle

    asked: list[float] = []
    monkeypatch.setattr(throttle, "sleep", asked.append)
    return asked
