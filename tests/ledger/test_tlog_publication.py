"""Publications reach the transparency log through the cases room's actions, in the same
transaction; `jiandu verify`, the verify page and the case page answer from it."""

import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.db import transaction
from PIL import Image

from jiandu.accounts.models import User
from jiandu.cases import actions
from jiandu.redaction.actions import do_publish_evidence
from jiandu.tlog import actions as logactions
from jiandu.tlog import keys
from jiandu.tlog import read as logread
from jiandu.tlog.models import LogEntry
from tests.factories import make_member
from tests.ledger import rfc9162 as ref
from tests.redaction.helpers import rendered


def png(color=(10, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def team(db):
    return make_member("w", "journalist").user, make_member("e", "editor").user


def publish(team, case, note="Update"):
    writer, _editor = team
    actions.do_update_case(writer, case, summary_en=f"summary {note}")
    actions.do_submit_for_review(writer, case, note)
    # The editor attached the evidence, so a second editor publishes (the two-person rule).
    reviewer = User.objects.filter(username="e2").first() or make_member("e2", "editor").user
    return actions.do_publish_case(reviewer, case)


def served(client):
    def read(path):
        response = client.get("/log/" + path)
        if response.status_code == 404:
            raise KeyError(path)
        return response.content

    return read


def test_publish_revise_and_retract_are_logged_with_their_evidence(team, client):
    writer, editor = team
    case = actions.do_create_case(writer, title_en="Case")
    evidence = do_publish_evidence(case, editor, rendered(editor, png()), "verified")
    assert not LogEntry.objects.exists()  # attached, not public yet: nothing to log
    first = publish(team, case, "First")
    second = publish(team, case, "Second")
    actions.do_retract_case(editor, case, "Wrong person")
    rows = [
        (e.data["action"], e.kind, e.data["revision"]) for e in LogEntry.objects.order_by("index")
    ]
    assert {e.subject for e in LogEntry.objects.all()} == {f"case:{case.slug}"}
    assert rows == [
        ("publish", "page", 1),
        ("publish", "evidence", 1),
        ("revise", "page", 2),
        ("retract", "page", 3),
        ("retract", "evidence", 3),
    ]
    # The page entry's hash is that of the revision the JSON API serves, canonicalised.
    api = json.loads(client.get(f"/cases/api/cases/{case.slug}.json").content)["case"]
    canonical = json.dumps(api, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(canonical.encode()).hexdigest() == LogEntry.objects.get(index=3).sha256
    assert first.number == 1 and second.number == 2
    # The independent audit of what /log/ serves finds the evidence file's history.
    size, _root, entries = ref.audit(served(client), client.get("/log/key").content.decode())
    assert size == 5
    found = ref.find(entries, evidence.sha256)
    assert [(i, d["action"]) for i, d in found] == [(1, "publish"), (4, "retract")]
    data = evidence.file.read()
    assert hashlib.sha256(data).hexdigest() == evidence.sha256


def test_a_rolled_back_publication_leaves_no_entry(team):
    writer, editor = team
    case = actions.do_create_case(writer, title_en="Case")
    actions.do_update_case(writer, case, summary_en="ready")
    actions.do_submit_for_review(writer, case, "First")
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.do_publish_case(editor, case)
        assert LogEntry.objects.count() == 1
        raise RuntimeError("the request failed after publishing")
    assert not LogEntry.objects.exists()
    assert logread.get_size() == 0


def test_jiandu_verify_answers_for_a_file_and_a_hash_with_proofs(team, tmp_path, capsys):
    writer, editor = team
    case = actions.do_create_case(writer, title_en="Case")
    evidence = do_publish_evidence(case, editor, rendered(editor, png()), "verified")
    publish(team, case, "First")
    published = tmp_path / "download.png"
    published.write_bytes(evidence.file.read())
    state = tmp_path / "state"
    call_command("verify", str(published), "--state", str(state))
    out = capsys.readouterr().out
    assert "IN THE LOG since" in out and "status: current" in out
    assert f"case {case.slug} revision 1" in out
    # From a static copy of /log/, a second time: checked against the checkpoint seen before.
    log_dir = tmp_path / "log"
    for path, data in logread.get_log_files().items():
        (log_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (log_dir / path).write_bytes(data)
    for _ in range(2):
        call_command(
            "verify", evidence.sha256, "--log", str(log_dir), "--state", str(state), "--json"
        )
    answer = json.loads(capsys.readouterr().out.split("\n}\n")[-2] + "\n}")
    assert answer["in_log"] and answer["status"] == "current"
    assert answer["consistency"].startswith("consistent with the checkpoint of size 2")
    with pytest.raises(SystemExit) as exit_:
        call_command("verify", "ab" * 32, "--log", str(log_dir), "--state", str(state))
    assert exit_.value.code == 1
    assert "NOT IN THE LOG" in capsys.readouterr().out


def test_jiandu_verify_reports_a_split_view_loudly(team, tmp_path, capsys):
    logactions.do_append_entries(
        [
            {
                "action": "publish",
                "case": "c",
                "kind": "page",
                "revision": i,
                "sha256": f"{i:064x}",
                "time": "2026-11-30T08:00:00Z",
            }
            for i in range(1, 6)
        ]
    )
    log_dir = tmp_path / "log"
    for path, data in logread.get_log_files().items():
        (log_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (log_dir / path).write_bytes(data)
    state = tmp_path / "state"
    call_command("verify", f"{1:064x}", "--log", str(log_dir), "--state", str(state))
    # The same log, rewritten from entry 2 on and signed with the real key.
    from jiandu.tlog.models import LogHash, LogHead

    LogEntry.objects.filter(index__gte=2).delete()
    LogHash.objects.filter(level=0, index__gte=2).delete()
    LogHead.objects.filter(pk=1).update(size=2)
    logactions.do_append_entries(
        [
            {
                "action": "publish",
                "case": "c",
                "kind": "page",
                "revision": i,
                "sha256": f"{i:064x}",
                "time": "2026-11-30T09:00:00Z",
            }
            for i in range(3, 9)
        ]
    )
    fork = tmp_path / "fork"
    for path, data in logread.get_log_files().items():
        (fork / path).parent.mkdir(parents=True, exist_ok=True)
        (fork / path).write_bytes(data)
    with pytest.raises(SystemExit) as exit_:
        call_command("verify", f"{1:064x}", "--log", str(fork), "--state", str(state))
    assert exit_.value.code == 3
    assert "SPLIT VIEW" in capsys.readouterr().err


def test_the_verify_page_answers_for_a_hash_and_for_an_uploaded_file(team, client):
    writer, editor = team
    case = actions.do_create_case(writer, title_en="Case")
    evidence = do_publish_evidence(case, editor, rendered(editor, png()), "verified")
    publish(team, case, "First")
    html = client.get(f"/en/log/verify/?sha256={evidence.sha256}").content.decode()
    assert "This file is exactly one the newsroom published" in html and case.slug in html
    assert "It is still current" in html
    assert keys.log_origin() in html  # the signed checkpoint is shown
    upload = io.BytesIO(evidence.file.read())
    upload.name = "x.png"
    html = client.post("/en/log/verify/", {"file": upload}).content.decode()
    assert "This file is exactly one the newsroom published" in html and evidence.sha256 in html
    other = io.BytesIO(b"not published")
    other.name = "y.txt"
    html = client.post("/en/log/verify/", {"file": other}).content.decode()
    assert "Not in the newsroom&#x27;s public log" in html
    assert "64 hexadecimal" in client.get("/en/log/verify/?sha256=xyz").content.decode()
    assert client.get("/log/verify/").status_code == 200  # Simplified Chinese, no prefix
    # The case page links each evidence item to its proof.
    page = client.get(f"/en/cases/{case.slug}/").content.decode()
    assert f"/en/log/verify/?sha256={evidence.sha256}" in page


def test_a_retracted_file_is_reported_retracted(team, client):
    writer, editor = team
    case = actions.do_create_case(writer, title_en="Case")
    evidence = do_publish_evidence(case, editor, rendered(editor, png()), "verified")
    publish(team, case, "First")
    actions.do_retract_case(editor, case, "Wrong")
    html = client.get(f"/en/log/verify/?sha256={evidence.sha256}").content.decode()
    assert "The newsroom withdrew it on" in html


@pytest.mark.django_db
def test_the_demo_case_is_in_the_log():
    call_command("demo")
    kinds = {(e.data["action"], e.kind) for e in LogEntry.objects.all()}
    assert ("publish", "page") in kinds and ("publish", "evidence") in kinds
    assert ("revise", "page") in kinds


def test_jiandu_verify_refuses_a_log_whose_key_changed(team, tmp_path, capsys, settings):
    from jiandu.tlog import keys

    logactions.do_append_entries(
        [
            {
                "action": "publish",
                "case": "c",
                "kind": "page",
                "revision": 1,
                "sha256": "a" * 64,
                "time": "2026-11-30T08:00:00Z",
            }
        ]
    )
    log_dir = tmp_path / "log"
    for path, data in logread.get_log_files().items():
        (log_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (log_dir / path).write_bytes(data)
    state = tmp_path / "state"
    call_command("verify", "a" * 64, "--log", str(log_dir), "--state", str(state))
    assert "Trusting the log key on first use" in capsys.readouterr().err
    # Someone replaces the log with one under their own key and name.
    keys.log_key_path().unlink()
    settings.JIANDU_LOG_ORIGIN = "evil.example/log"
    for path, data in logread.get_log_files().items():
        (log_dir / path).write_bytes(data)
    with pytest.raises(SystemExit) as exit_:
        call_command("verify", "a" * 64, "--log", str(log_dir), "--state", str(state))
    assert exit_.value.code == 2
    assert "THE LOG'S KEY CHANGED" in capsys.readouterr().err


def test_jiandu_verify_checks_a_saved_api_answer_as_a_page_revision(team, client, tmp_path, capsys):
    writer, _editor = team
    case = actions.do_create_case(writer, title_en="Case", title_zh="案件")
    publish(team, case, "First")
    saved = tmp_path / "case.json"
    saved.write_bytes(client.get(f"/cases/api/cases/{case.slug}.json").content)
    call_command("verify", str(saved), "--state", str(tmp_path / "s"))
    out = capsys.readouterr().out
    assert "IN THE LOG" in out and "publish page" in out and "status: current" in out
    publish(team, case, "Second")
    call_command("verify", str(saved), "--state", str(tmp_path / "s"))
    assert "status: superseded" in capsys.readouterr().out
    edited = json.loads(saved.read_text())
    edited["case"]["title"]["en"] = "Another case"
    saved.write_text(json.dumps(edited))
    with pytest.raises(SystemExit):
        call_command("verify", str(saved), "--state", str(tmp_path / "s"))
    assert "NOT IN THE LOG" in capsys.readouterr().out


def test_the_verify_page_answers_as_the_outside_verifier_does(team, client):
    writer, editor = team
    case = actions.do_create_case(writer, title_en="Case")
    do_publish_evidence(case, editor, rendered(editor, png()), "verified")
    publish(team, case, "First")
    publish(team, case, "Second")
    other = actions.do_create_case(writer, title_en="Other")
    publish(team, other, "First")
    actions.do_retract_case(editor, other, "Wrong")
    from jiandu.tlog import client as outside
    from jiandu.tlog import keys

    statuses = set()
    for sha in set(LogEntry.objects.values_list("sha256", flat=True)) | {"0" * 64}:
        mine = logread.get_answer(sha)
        theirs = outside.verify_sha256(logread.local_reader, sha, keys.log_verifier())
        assert mine.status == theirs.status, sha
        assert [(e.index, e.data, e.proof) for e in mine.events] == [
            (e.index, e.data, e.proof) for e in theirs.events
        ]
        statuses.add(mine.status)
    assert statuses == {"current", "superseded", "retracted", "absent"}
    first_page = LogEntry.objects.filter(kind="page").order_by("index").first()
    html = client.get(f"/en/log/verify/?sha256={first_page.sha256}").content.decode()
    assert "A later revision of the page has been published since" in html


def test_the_verify_page_shows_each_entry_as_the_log_hashed_it(team, client):
    writer, _editor = team
    case = actions.do_create_case(writer, title_en="Case")
    publish(team, case, "First")
    row = LogEntry.objects.get()
    html = client.get(f"/en/log/verify/?sha256={row.sha256}").content.decode()
    from django.utils.html import escape

    assert escape(row.entry) in html
