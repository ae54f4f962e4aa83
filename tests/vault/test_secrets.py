"""Secret files (the secret key, the codename pepper): written whole before they get their name,
so processes starting together agree on one and none reads an empty one; made at install time
(migrate), never on a source's first submission; times on the hour."""

import multiprocessing
import os
import stat
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from jiandu.conf import SecretFileError, read_or_create_secret
from jiandu.vault import conf


def _race(path: str, start, results) -> None:  # in a child process
    start.wait()
    try:
        results.put(read_or_create_secret(Path(path)))
    except Exception as exc:  # reported to the parent
        results.put(f"error: {exc!r}")


def test_processes_starting_together_agree_on_one_non_empty_secret(tmp_path):
    tmp_path = tmp_path / "race"
    tmp_path.mkdir()
    context = multiprocessing.get_context("fork")
    for round_ in range(15):
        path = tmp_path / f"secret-{round_}"
        start, results = context.Event(), context.Queue()
        children = [
            context.Process(target=_race, args=(str(path), start, results)) for _ in range(6)
        ]
        for child in children:
            child.start()
        start.set()
        values = [results.get(timeout=30) for _ in children]
        for child in children:
            child.join(timeout=30)
        assert len(set(values)) == 1, values
        assert len(values[0]) >= 48 and not values[0].startswith("error")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"secret-{i}" for i in range(15))


def test_a_secret_file_is_0600_on_the_hour_and_reading_it_leaves_no_time(tmp_path):
    path = tmp_path / "key"
    first = read_or_create_secret(path)
    for _ in range(2):  # made, then read again (as each codename derivation reads the pepper)
        info = path.stat()
        assert stat.S_IMODE(info.st_mode) == 0o600
        assert info.st_mtime % 3600 == 0 and info.st_atime % 3600 == 0
        assert tmp_path.stat().st_mtime % 3600 == 0
        assert read_or_create_secret(path) == first


def test_an_empty_secret_file_is_refused_not_replaced(tmp_path):
    path = tmp_path / "key"
    path.write_text("\n")
    with pytest.raises(SecretFileError):
        read_or_create_secret(path)
    assert path.read_text() == "\n"


@pytest.mark.django_db(transaction=True)
def test_the_pepper_is_made_by_migrate_never_on_first_use(isolated_data_dir):
    pepper = isolated_data_dir / "codename_pepper"
    pepper.unlink()  # the fixture made it, as install does
    with pytest.raises(ImproperlyConfigured):
        conf.codename_pepper()
    assert not pepper.exists()
    call_command("migrate", verbosity=0)
    assert pepper.exists() and os.stat(pepper).st_mtime % 3600 == 0
    assert conf.codename_pepper() == pepper.read_text().strip()
