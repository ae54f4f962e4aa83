"""`jiandu verify-mirror` cannot be fooled by the mirror's host (issue 17, item 7): a mirror
re-signed with a key of the same name is refused on the newsroom's machine and after a pin,
every unlisted file is reported, an older log is warned of, the verifier's data dir stays
empty, and manifests are signed under a name of their own."""

import hashlib
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from nacl.signing import SigningKey

from jiandu.cases import actions
from jiandu.public import mirror
from jiandu.redaction.actions import do_publish_evidence
from jiandu.tlog import client, keys, note
from jiandu.tlog import read as logread
from tests.factories import make_member
from tests.ledger.test_mirror import png
from tests.redaction.helpers import rendered

ROOT = Path(__file__).resolve().parents[2]


def publish(team, case, note_text):
    """The journalist edits and submits, the second editor (who changed nothing) publishes."""
    writer, _editor, publisher = team
    actions.do_update_case(writer, case, summary_en=f"summary {note_text}")
    actions.do_submit_for_review(writer, case, note_text)
    return actions.do_publish_case(publisher, case)


@pytest.fixture
def site(db):
    """A published case with a person and a picture, and a second case."""
    writer = make_member("w", "journalist").user
    editor, publisher = make_member("e", "editor").user, make_member("p", "editor").user
    team = (writer, editor, publisher)
    one = actions.do_create_case(writer, title_en="Watch", title_zh="名表")
    person = actions.do_create_person(writer, name_en="Lei Zhengfu", name_zh="雷政富")
    actions.do_link_person(writer, one, person, "subject")
    evidence = do_publish_evidence(one, editor, rendered(editor, png()), "verified")
    publish(team, one, "First")
    two = actions.do_create_case(writer, title_en="Land", title_zh="土地")
    publish(team, two, "First")
    return team, one, two, person, evidence


def re_sign_as_host(out: Path) -> str:
    """What the mirror's host can do: change a page, put a key of its own under the newsroom's
    name in log/key, and re-sign a manifest of the new hashes (under both names)."""
    page = next(out.glob("en/cases/*/index.html"))
    page.write_text(page.read_text().replace("</h1>", " (planted)</h1>", 1))
    key = SigningKey.generate()
    origin = keys.log_origin()
    forged = note.verifier_for(origin, key)
    (out / "log/key").write_text(forged.vkey + "\n")
    files = {
        path: hashlib.sha256((out / path).read_bytes()).hexdigest()
        for path in mirror.list_dir(out)
        if path != mirror.MANIFEST
    }
    text = mirror.manifest_text(files, datetime.now(UTC))
    signed = note.sign(text, keys.manifest_name(origin), key)
    legacy = note.parse(note.sign(text, origin, key)).signatures[0].line
    (out / mirror.MANIFEST).write_text(signed + legacy)
    return forged.vkey


def test_a_mirror_re_signed_by_its_host_is_refused_on_the_newsroom_machine(
    site,
    tmp_path,
    capsys,
):
    out = tmp_path / "mirror"
    mirror.export_mirror(out)
    call_command("verify-mirror", str(out))
    assert "OK:" in capsys.readouterr().out
    re_sign_as_host(out)
    with pytest.raises(SystemExit) as exit_:
        call_command("verify-mirror", str(out))
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert "OK" not in captured.out and "re-signed" in captured.err


def run_verifier(*args: str, data: Path, state: Path) -> subprocess.CompletedProcess:
    """`jiandu verify-mirror` as a reader runs it: another process, an empty data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIANDU_", "DJANGO_"))}
    env |= {"JIANDU_DATA_DIR": str(data), "XDG_STATE_HOME": str(state)}
    code = "import sys; from jiandu.cli import main; sys.argv[0] = 'jiandu'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, "verify-mirror", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_reader_pins_the_key_on_first_use_and_holds_nothing_else(
    site,
    tmp_path,
):
    out = tmp_path / "mirror"
    mirror.export_mirror(out)
    data, state = tmp_path / "reader-data", tmp_path / "reader-state"
    data.mkdir()
    first = run_verifier(str(out), data=data, state=state)
    assert first.returncode == 0, first.stderr
    assert "OK:" in first.stdout and "first use" in first.stderr
    # A verifier holds nothing: no secret key, no log key, no database, no static folder.
    assert list(data.iterdir()) == []
    held = sorted(p.name for p in (state / "jiandu-verify").iterdir())
    assert held and all(name.endswith((".key", ".checkpoint")) for name in held), held
    forged = re_sign_as_host(out)
    second = run_verifier(str(out), data=data, state=state)
    assert second.returncode == 2, second.stdout + second.stderr
    assert "OK" not in second.stdout and forged in second.stderr
    # Another copy of the same log, at another address, with the forged key: refused too.
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(out, elsewhere)
    assert run_verifier(str(elsewhere), data=data, state=state).returncode == 2
    assert list(data.iterdir()) == []


def test_every_file_the_manifest_does_not_list_is_reported(site, tmp_path, capsys):
    out = tmp_path / "mirror"
    mirror.export_mirror(out)
    (out / "cases/.index.html.tmp").write_text("<h1>planted</h1>")
    (out / "cases/planted.tmp").write_text("x")
    with pytest.raises(SystemExit) as exit_:
        call_command("verify-mirror", str(out))
    assert exit_.value.code == 1
    assert capsys.readouterr().out.split("\n")[:2] == [
        "not in the manifest cases/.index.html.tmp",
        "not in the manifest cases/planted.tmp",
    ]


def test_a_mirror_older_than_a_checkpoint_seen_before_is_warned_of(
    site,
    tmp_path,
    capsys,
):
    team, one = site[0], site[1]
    old = tmp_path / "old"
    mirror.export_mirror(old)
    publish(team, one, "Third")
    new = tmp_path / "new"
    mirror.export_mirror(new)
    # The state kept in $XDG_STATE_HOME/jiandu-verify, as `jiandu verify` keeps it.
    call_command("verify-mirror", str(new))
    assert "WARNING" not in capsys.readouterr().err
    call_command("verify-mirror", str(old))
    captured = capsys.readouterr()
    assert "OK:" in captured.out
    assert "WARNING: this mirror is out of date or held back" in captured.err
    size = logread.get_size()
    assert f"a checkpoint of {size} entries" in captured.err


def test_manifests_are_signed_under_their_own_name_and_older_ones_still_verify(
    site,
    tmp_path,
):
    out = tmp_path / "mirror"
    mirror.export_mirror(out)
    log = keys.log_verifier()
    signed = (out / mirror.MANIFEST).read_bytes()
    assert [s.name for s in note.parse(signed, mirror.MAX_MANIFEST).signatures] == [
        keys.manifest_name(log.name)
    ]
    # A manifest is never a checkpoint, and a checkpoint never a manifest.
    with pytest.raises(note.NoteError):
        note.open_checkpoint(signed, log)
    with pytest.raises(note.NoteError):
        mirror.parse_manifest(logread.get_signed_checkpoint().encode(), log)
    # A mirror made before this change: signed under the log's name, its state file unlisted.
    files = {p: d for p, d in mirror.parse_manifest(signed, log)[0].items() if p != mirror.STATE}
    text = mirror.manifest_text(files, datetime.now(UTC))
    (out / mirror.MANIFEST).write_text(note.sign(text, log.name, keys.log_signing_key()))
    report = mirror.verify_mirror(client.dir_reader(out), log, mirror.list_dir(out))
    assert report.ok and report.legacy, report.problems
    # ... but its state file is listed now, and a changed one named.
    mirror.export_mirror(out, full=True)
    (out / mirror.STATE).write_text("{}")
    report = mirror.verify_mirror(client.dir_reader(out), log, mirror.list_dir(out))
    assert report.problems == [f"changed {mirror.STATE}"]
