"""The ledger's tests keep verifier state (pinned keys, checkpoints seen) in their own folder."""

import pytest


@pytest.fixture(autouse=True)
def isolated_verifier_state(monkeypatch, tmp_path):
    """`jiandu verify` and `jiandu verify-mirror` default to $XDG_STATE_HOME/jiandu-verify: a
    test that leaves out --state must not read or write the home directory's pins."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
