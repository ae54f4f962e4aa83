"""The signed static mirror: every public page in every language, evidence, feeds, JSON API,
sitemap and the log's tiles as files; a signed manifest that names any changed file;
incremental exports; an export after each publication when configured."""

import base64
import hashlib
import io
import re

import pytest
from django.core.management import call_command
from nacl.signing import SigningKey, VerifyKey
from PIL import Image

from jiandu.cases import actions
from jiandu.public import mirror
from jiandu.redaction.actions import do_publish_evidence
from jiandu.tlog import client, keys, note
from tests.factories import make_member
from tests.ledger import rfc9162 as ref
from tests.redaction.helpers import rendered


def png(color=(10, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buffer, "PNG")
    return buffer.getvalue()


def publish(team, case, note_text):
    writer, editor = team
    actions.do_update_case(writer, case, summary_en=f"summary {note_text}")
    actions.do_submit_for_review(writer, case, note_text)
    return actions.do_publish_case(editor, case)


@pytest.fixture
def site(db):
    writer, editor = make_member("w", "journalist").user, make_member("e", "editor").user
    team = (writer, editor)
    one = actions.do_create_case(writer, title_en="Watch", title_zh="名表")
    person = actions.do_create_person(writer, name_en="Lei Zhengfu", name_zh="雷政富")
    actions.do_link_person(writer, one, person, "subject")
    # Attached by another editor: who changed a case since its last publication may not publish.
    attacher = make_member("a", "editor").user
    evidence = do_publish_evidence(one, attacher, rendered(attacher, png()), "verified")
    publish(team, one, "First")
    publish(team, one, "Second")
    two = actions.do_create_case(writer, title_en="Land", title_zh="土地")
    publish(team, two, "First")
    return team, one, two, person, evidence


def test_the_mirror_holds_every_public_page_in_every_language_and_verifies(site, tmp_path):
    _team, one, two, person, evidence = site
    out = tmp_path / "mirror"
    result = mirror.export_mirror(out)
    files = set(result.files)
    for prefix in ("", "zh-hant/", "en/"):
        for path in (
            "cases/index.html",
            "cases/feed/index.xml",
            f"cases/{one.slug}/index.html",
            f"cases/{one.slug}/revisions/1/index.html",
            f"cases/{one.slug}/revisions/2/index.html",
            f"cases/{one.slug}/feed/index.xml",
            f"cases/{one.slug}/qr.svg",
            f"cases/{two.slug}/index.html",
            f"cases/people/{person.slug}/index.html",
            f"cases/people/{person.slug}/feed/index.xml",
        ):
            assert prefix + path in files, prefix + path
    for path in (
        "index.html",
        "cases/sitemap.xml",
        "cases/api/cases.json",
        f"cases/api/cases/{one.slug}.json",
        f"cases/api/people/{person.slug}.json",
        "cases/export/entities.ftm.json",
        "cases/export/cases.csv",
        f"cases/evidence/{evidence.file.name.rsplit('/', 1)[-1]}",
        "log/checkpoint",
        "log/key",
        "static/jiandu/site.css",
    ):
        assert path in files, path
    evidence_file = out / "cases/evidence" / evidence.file.name.rsplit("/", 1)[-1]
    assert hashlib.sha256(evidence_file.read_bytes()).hexdigest() == evidence.sha256
    # The log in the mirror passes the independent audit and holds the evidence's entry.
    _size, _root, entries = ref.audit(client.dir_reader(out / "log"), keys.log_verifier().vkey)
    assert ref.find(entries, evidence.sha256)
    # The manifest is a note signed by the newsroom's key over every file's SHA-256.
    signed = (out / mirror.MANIFEST).read_text()
    text, _, signature = signed.rpartition("\n\n")
    blob = base64.b64decode(signature.strip().rsplit(" ", 1)[1])
    VerifyKey(keys.log_verifier().public_key).verify((text + "\n").encode(), blob[4:])
    for path in files:
        digest = hashlib.sha256((out / path).read_bytes()).hexdigest()
        assert f"\n{digest} {path}\n" in text + "\n"
    report = mirror.verify_mirror(client.dir_reader(out), keys.log_verifier(), mirror.list_dir(out))
    assert report.ok and report.checked == len(files)
    # Pages link relatively, directories to their index.html; forms and search go live.
    html = (out / "en/cases" / one.slug / "index.html").read_text()
    assert 'href="../../../static/jiandu/site.css"' in html
    assert f'href="../people/{person.slug}/index.html"' in html or "people/" in html
    assert 'href="/' not in html and 'src="/' not in html


def test_changing_one_byte_of_any_file_makes_verify_mirror_name_it(site, tmp_path, capsys):
    out = tmp_path / "mirror"
    mirror.export_mirror(out)
    call_command("verify-mirror", str(out), "--key", keys.log_verifier().vkey)
    assert "OK:" in capsys.readouterr().out
    for path in sorted(mirror.list_dir(out)):
        if path in (mirror.MANIFEST, mirror.STATE):
            continue
        target = out / path
        original = target.read_bytes()
        changed = bytearray(original)
        changed[len(changed) // 2] ^= 0x01
        target.write_bytes(bytes(changed))
        with pytest.raises(SystemExit):
            call_command("verify-mirror", str(out), "--key", keys.log_verifier().vkey)
        assert capsys.readouterr().out.strip() == f"changed {path}"
        target.write_bytes(original)
    (out / "cases/index.html").unlink()
    (out / "cases/extra.html").write_text("planted")
    report = mirror.verify_mirror(client.dir_reader(out), keys.log_verifier(), mirror.list_dir(out))
    assert report.problems == ["missing cases/index.html", "not in the manifest cases/extra.html"]


def test_a_manifest_re_signed_by_another_key_or_edited_is_refused(site, tmp_path):
    out = tmp_path / "mirror"
    mirror.export_mirror(out)
    signed = (out / mirror.MANIFEST).read_text()
    text = note.parse(signed, mirror.MAX_MANIFEST).text
    forged = note.sign(text, keys.log_origin(), SigningKey.generate())
    (out / mirror.MANIFEST).write_text(forged)
    report = mirror.verify_mirror(client.dir_reader(out), keys.log_verifier(), None)
    assert not report.ok and "not signed" in report.problems[0]
    lines = text.split("\n")
    lines[5] = "0" * 64 + lines[5][64:]
    (out / mirror.MANIFEST).write_text(signed.replace(text, "\n".join(lines)))
    assert not mirror.verify_mirror(client.dir_reader(out), keys.log_verifier(), None).ok


def test_an_incremental_export_writes_only_what_changed(site, tmp_path):
    team, one, two, _person, _evidence = site
    out = tmp_path / "mirror"
    first = mirror.export_mirror(out)
    again = mirror.export_mirror(out)
    assert again.written == []
    publish(team, two, "Correction")
    third = mirror.export_mirror(out)
    written = set(third.written)
    assert f"en/cases/{two.slug}/index.html" in written
    assert f"en/cases/{two.slug}/revisions/2/index.html" in written
    assert not any(f"cases/{one.slug}/" in path for path in written)
    assert "log/checkpoint" in written and mirror.MANIFEST not in written
    # New: a revision page per language, and the new partial hash tile and entry bundle (the
    # old partial ones stay: they match the checkpoints already published).
    assert set(third.files) - set(first.files) == {
        f"{p}cases/{two.slug}/revisions/2/index.html" for p in ("", "zh-hant/", "en/")
    } | {"log/tile/0/000.p/5", "log/tile/entries/000.p/5"}
    assert mirror.verify_mirror(
        client.dir_reader(out), keys.log_verifier(), mirror.list_dir(out)
    ).ok


def test_the_export_command_says_what_it_wrote(site, tmp_path):
    """`jiandu export-mirror DIR`, as an operator runs it: a count of files written, then
    nothing written the second time (the verbose listing names no file)."""
    out = tmp_path / "mirror"
    first, again = io.StringIO(), io.StringIO()
    call_command("export-mirror", str(out), "--workers", "1", stdout=first)
    call_command("export-mirror", str(out), "-v", "2", stdout=again)
    assert re.match(r"\d+ files, [1-9]\d* written, 0 unchanged", first.getvalue())
    assert " 0 written" in again.getvalue() and "written " not in again.getvalue()
    assert mirror.verify_mirror(
        client.dir_reader(out), keys.log_verifier(), mirror.list_dir(out)
    ).ok


def test_a_publication_updates_the_mirror_when_configured(
    site, tmp_path, settings, django_capture_on_commit_callbacks
):
    team, _one, two, _person, _evidence = site
    settings.JIANDU_MIRROR_DIR = str(tmp_path / "auto")
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": []}
    }
    with django_capture_on_commit_callbacks(execute=True):
        publish(team, two, "Correction")
    assert (tmp_path / "auto" / "en/cases" / two.slug / "revisions/2/index.html").is_file()
    assert (tmp_path / "auto" / mirror.MANIFEST).is_file()


def test_no_export_is_started_for_a_rolled_back_publication(
    site, tmp_path, settings, django_capture_on_commit_callbacks
):
    from django.db import transaction

    team, _one, two, _person, _evidence = site
    settings.JIANDU_MIRROR_DIR = str(tmp_path / "auto")
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        publish(team, two, "Correction")
        raise RuntimeError
    assert callbacks == [] and not (tmp_path / "auto").exists()


def test_file_for_maps_directories_feeds_and_shared_resources():
    assert mirror.file_for("/en/cases/x/") == "en/cases/x/index.html"
    assert mirror.file_for("/cases/x/feed/") == "cases/x/feed/index.xml"
    assert mirror.file_for("/en/cases/evidence/ab.png") == "cases/evidence/ab.png"
    assert mirror.file_for("/zh-hant/cases/api/cases.json") == "cases/api/cases.json"
    assert mirror.file_for("/cases/qr.svg") == "cases/qr.svg"


@pytest.fixture
def served_mirror(site, tmp_path):
    import functools
    import http.server
    import threading

    out = tmp_path / "mirror"
    mirror.export_mirror(out)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(out))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield out, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_a_mirror_on_a_static_host_is_verified_over_http(served_mirror, site, capsys, tmp_path):
    out, url = served_mirror
    call_command("verify-mirror", url, "--key", keys.log_verifier().vkey)
    assert "OK:" in capsys.readouterr().out
    (out / "cases/api/cases.json").write_text("{}")
    with pytest.raises(SystemExit):
        call_command("verify-mirror", url, "--key", keys.log_verifier().vkey)
    assert capsys.readouterr().out.strip() == "changed cases/api/cases.json"
    # The log inside the mirror answers `jiandu verify --log URL`.
    evidence = site[4]
    call_command("verify", evidence.sha256, "--log", url + "log/", "--state", str(tmp_path / "s"))
    assert "IN THE LOG" in capsys.readouterr().out


def test_full_log_tiles_are_written_once_and_stay_in_the_manifest(site, tmp_path):
    from jiandu.tlog import actions as logactions

    def entries(first, last):
        return [
            {"action": "publish", "case": "c", "kind": "page", "revision": 1,
             "sha256": f"{i:064x}", "time": "2026-11-30T08:00:00Z"}
            for i in range(first, last)
        ]  # fmt: skip

    logactions.do_append_entries(entries(0, 300))
    out = tmp_path / "mirror"
    first = mirror.export_mirror(out)
    assert {"log/tile/0/000", "log/tile/entries/000"} <= set(first.written)
    logactions.do_append_entries(entries(300, 301))
    second = mirror.export_mirror(out)
    assert "log/tile/0/000" not in second.written and "log/tile/0/000" in second.files
    size, _root, _entries = ref.audit(client.dir_reader(out / "log"), keys.log_verifier().vkey)
    assert size == 4 + 301  # the site's own four publication entries first
    assert mirror.verify_mirror(
        client.dir_reader(out), keys.log_verifier(), mirror.list_dir(out)
    ).ok


def test_each_page_is_rendered_with_the_bytes_a_request_through_the_site_gets(site, client):
    """The mirror calls the views directly (issue #11: no middleware, no test client); the
    pages must be what a reader of the live site gets."""
    _team, one, two, person, _evidence = site
    render = mirror.Renderer()
    paths = mirror.global_paths() + mirror.person_paths(person.slug)
    paths += mirror.case_paths(one.slug, [1, 2]) + mirror.case_paths(two.slug, [1])
    for path in paths:
        response = client.get(path, HTTP_HOST=mirror._host(), secure=render.secure)
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert render.get(path) == body, path
    for missing in ("/en/cases/no-such-case/", "/cases/people/nobody/", "/en/nowhere/"):
        with pytest.raises(mirror.MirrorError, match="404"):
            render.get(missing)


def test_an_incremental_export_keeps_the_qr_codes_it_wrote(site, tmp_path):
    team, _one, two, _person, _evidence = site
    out = tmp_path / "mirror"
    mirror.export_mirror(out)
    qr = f"en/cases/{two.slug}/qr.svg"
    before = (out / qr).read_bytes()
    publish(team, two, "Correction")
    again = mirror.export_mirror(out)
    assert qr not in again.written and qr in again.files
    assert (out / qr).read_bytes() == before
    (out / qr).unlink()  # a QR code gone from the folder is written again
    publish(team, two, "Another correction")
    assert qr in mirror.export_mirror(out).written


def test_two_processes_write_the_same_mirror_as_one(tmp_path):
    """The forked workers run only on a database they can open themselves (not the tests'
    in-memory one), so this runs the export in a separate process on a file database."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = """
import json, os, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from jiandu.accounts.actions import do_create_member
from jiandu.cases import actions
from jiandu.public import mirror
writer = do_create_member("w", "journalist", password="x" * 20).user
editor = do_create_member("e", "editor", password="x" * 20).user
for i in range(12):
    case = actions.do_create_case(writer, title_en=f"Case {i}", title_zh=f"案件{i}")
    for j in range(2):
        person = actions.do_create_person(writer, name_en=f"Official {i} {j}")
        actions.do_link_person(writer, case, person, "subject")
    actions.do_submit_for_review(writer, case, "First")
    actions.do_publish_case(editor, case)
out = {}
for workers in (1, 2):
    result = mirror.export_mirror(sys.argv[1] + f"/{workers}", workers=workers)
    assert result.processes == workers, result.processes
    out[workers] = result.files
print(json.dumps(out))
"""
    env = dict(os.environ, JIANDU_DATA_DIR=str(tmp_path / "var"))
    env["DJANGO_SETTINGS_MODULE"] = "jiandu.settings"
    env.pop("DATABASE_URL", None)  # the file database in the data dir, whatever the suite runs on
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    files = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(files["1"]) > 300  # enough pages for the workers to start
    assert files["1"] == files["2"]
    for workers in (1, 2):
        out = tmp_path / str(workers)
        log = note.parse_vkey((out / "log/key").read_text())  # that data dir's own key
        report = mirror.verify_mirror(client.dir_reader(out), log, mirror.list_dir(out))
        assert report.ok and report.checked == len(files["1"])


def test_a_manifest_with_any_control_character_but_the_newline_is_refused_for_signing():
    """The check became a regular expression (a 27,000-line manifest was checked character by
    character in Python); it must refuse exactly what it refused before."""
    key = keys.log_signing_key()
    for code in [*range(0x80), 0x85, 0x2028, 0xFEFF]:
        text = f"{mirror.HEADER}\nline {chr(code)} here\n"
        if code < 0x20 and code != 0x0A:
            with pytest.raises(note.NoteError, match="control character"):
                note.sign(text, keys.log_origin(), key)
        else:
            assert note.sign(text, keys.log_origin(), key).startswith(text)
    with pytest.raises(note.NoteError, match="newline"):
        note.sign("no newline at the end", keys.log_origin(), key)


def test_an_export_renders_each_page_once(site, tmp_path):
    """The case JSON files the export reads to learn the site are the mirror's files too."""
    asked: list[str] = []

    class Counting(mirror.Renderer):
        def get(self, path: str) -> bytes:
            asked.append(path)
            return super().get(path)

    result = mirror.export_mirror(tmp_path / "mirror", render=Counting())
    assert len(asked) == len(set(asked))
    _team, one, two, _person, _evidence = site
    assert f"/cases/api/cases/{one.slug}.json" in asked
    assert f"cases/api/cases/{two.slug}.json" in result.files
