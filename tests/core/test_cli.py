"""The `jiandu` console command (jiandu.cli): Django's commands under the project's name, and
the verifiers marked as holding nothing of their own before settings are read."""

import os

import pytest

from jiandu import cli


@pytest.fixture
def clean_environ(monkeypatch):
    """No JIANDU_VERIFIER_ONLY before the test, and none left after it (cli.main sets it in
    os.environ itself: set and delete it through monkeypatch so both are undone)."""
    monkeypatch.setenv("JIANDU_VERIFIER_ONLY", "")
    monkeypatch.delenv("JIANDU_VERIFIER_ONLY")
    return monkeypatch


def test_jiandu_runs_djangos_commands_under_its_own_name(monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["/usr/local/bin/jiandu", "help"])
    cli.main()
    out = capsys.readouterr().out
    assert "Type 'jiandu help <subcommand>'" in out
    assert "export-mirror" in out and "decrypt" in out


@pytest.mark.parametrize("command", cli.VERIFIERS)
def test_the_verifiers_are_marked_before_settings_are_read(clean_environ, capsys, command):
    monkeypatch = clean_environ
    monkeypatch.setattr("sys.argv", ["jiandu", command, "--help"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 0 and os.environ["JIANDU_VERIFIER_ONLY"] == "1"
    assert "usage: jiandu " + command in capsys.readouterr().out


def test_other_commands_are_not_verifiers(clean_environ, capsys):
    monkeypatch = clean_environ
    monkeypatch.setattr("sys.argv", ["jiandu", "check", "--help"])
    with pytest.raises(SystemExit):
        cli.main()
    assert "JIANDU_VERIFIER_ONLY" not in os.environ
    capsys.readouterr()


def test_nothing_is_left_marked_after_the_tests():
    assert "JIANDU_VERIFIER_ONLY" not in os.environ
