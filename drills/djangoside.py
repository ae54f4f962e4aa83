"""The drills' Django side, run in the cluster's environment (`Cluster.python`):

    python -m drills.djangoside setup PASSWORD        members and a case; prints JSON
    python -m drills.djangoside verify ACKED.json     the checks after a drill; prints JSON

`setup` makes two editors (both read submissions, so every new source is sealed to both keys),
their vault keys wrapped by the known drill password, their TOTP secrets confirmed, and one
case with a first published revision. Everything lives in the drill's own database.

`verify` uses the project's own functions, with editor A's key opened by the password as a
member's sign-in opens it:

- every acknowledged upload (a receipt page was answered) is in the vault: its SHA-256 is the
  one recorded in an item's encrypted metadata;
- every stored blob decrypts (the stream authenticates to its end) to its recorded SHA-256 and
  size; no item row points to a missing blob; no submission is without items;
- every READY preview opens and decrypts whole;
- every acknowledged publication (its claim's unique text) is in a revision; every revision
  is in the transparency log (page entry with the snapshot's SHA-256), the log's indexes
  run without a gap to its head; each case's current revision is its last;
- the custody chain verifies (`jiandu verify_custody`'s own function, ledger.chain.verify);
- blobs no row points to (left by a kill between the blob store and the commit) are counted:
  `jiandu serve`'s start-up clean-up removes them, which `verify --after-cleanup` checks.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path


def _setup_django() -> None:
    import django

    django.setup()


def setup(password: str) -> dict[str, object]:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from jiandu.accounts import actions as accounts
    from jiandu.cases import actions as cases
    from jiandu.vault import actions as vault

    user_model = get_user_model()
    made: dict[str, object] = {}
    for name in ("drill-editor-a", "drill-editor-b"):
        if not user_model.objects.filter(username=name).exists():
            member = accounts.do_create_member(name, "editor", password=password)
            accounts.do_start_totp_enrolment(member.user)
            user_model.objects.filter(pk=member.user.pk).update(totp_confirmed=True)
            vault.do_create_member_key(user_model.objects.get(pk=member.user.pk), password)
        user = user_model.objects.get(username=name)
        made[name] = {"totp": user.totp_secret}
    a = user_model.objects.get(username="drill-editor-a")
    b = user_model.objects.get(username="drill-editor-b")
    from jiandu.cases.models import Case

    case = Case.objects.filter(title_en="Drill case").first()
    if case is None:
        with transaction.atomic():
            case = cases.do_create_case(a, title_zh="演练案件", title_en="Drill case")
        cases.do_add_claim(a, case, question_en="Drill claim 0")
        cases.do_submit_for_review(a, case, "first publication")
        cases.do_publish_case(b, case)
    made["case_id"] = case.pk
    made["case_slug"] = case.slug
    return made


def _editor_key(password: str) -> tuple[object, bytes]:
    from django.contrib.auth import get_user_model

    from jiandu.vault import actions as vault

    user = get_user_model().objects.get(username="drill-editor-a")
    unlocked = vault.do_unlock_member_key(user, password)
    if unlocked.private_key is None:
        raise SystemExit("the drill password does not open drill-editor-a's key")
    return user, unlocked.private_key


def check_vault(password: str, acked_uploads: list[str]) -> dict[str, object]:
    from jiandu.vault import access, crypto, storage
    from jiandu.vault.models import Item, Source, Submission

    user, member_key = _editor_key(password)
    recorded: set[str] = set()
    problems: list[str] = []
    blobs = 0
    for source in Source.objects.all().iterator():
        try:
            source_key = access.get_source_key_for_member(user, member_key, source)
        except access.NoGrant:
            problems.append(f"source {source.pk}: no grant for the drill editor")
            continue
        for item in Item.objects.filter(source=source).iterator():
            blobs += 1
            try:
                opened = access.open_item(source_key, item)
                digest, size = hashlib.sha256(), 0
                for chunk in opened.stream():
                    digest.update(chunk)
                    size += len(chunk)
            except (storage.StorageError, crypto.VaultCryptoError, OSError) as exc:
                problems.append(f"item {item.pk}: {type(exc).__name__}")
                continue
            want = opened.meta.get("sha256")
            if item.kind == Item.Kind.FILE:
                if want != digest.hexdigest() or opened.meta.get("size", size) != size:
                    problems.append(f"item {item.pk}: SHA-256 differs from the recorded one")
                recorded.add(str(want))
    empty = Submission.objects.filter(items__isnull=True).count()
    if empty:
        problems.append(f"{empty} submission(s) without items")
    lost = sorted(set(acked_uploads) - recorded)
    if lost:
        problems.append(f"{len(lost)} acknowledged upload(s) missing")
    known = set(Item.objects.values_list("blob", flat=True))
    orphans = sum(1 for name in storage.store().names() if name not in known)
    return {
        "items": blobs,
        "acked_uploads": len(acked_uploads),
        "lost_uploads": len(lost),
        "orphan_blobs": orphans,
        "problems": problems,
    }


def check_previews(password: str) -> dict[str, object]:
    from jiandu.forensics import actions as forensics
    from jiandu.forensics.models import Preview
    from jiandu.vault import access

    user, member_key = _editor_key(password)
    problems, ready = [], 0
    for preview in Preview.objects.filter(state=Preview.State.READY).select_related("item"):
        try:
            source_key = access.get_source_key_for_member(user, member_key, preview.item.source)
            opened = forensics.open_preview(source_key, preview)
            size = sum(len(chunk) for chunk in opened.stream()) if opened else -1
            if opened is None or size != sum(opened.sizes):
                problems.append(f"preview {preview.pk}: incomplete")
        except Exception as exc:  # any failure to open is what the drill looks for
            problems.append(f"preview {preview.pk}: {type(exc).__name__}")
        ready += 1
    states = {
        state: Preview.objects.filter(state=state).count()
        for state, _label in Preview.State.choices
    }
    return {"previews_ready": ready, "preview_states": states, "problems": problems}


def check_publications(acked_markers: list[str]) -> dict[str, object]:
    from django.db.models import Max

    from jiandu.cases.logentries import log_subject, snapshot_sha256
    from jiandu.cases.models import Case, Revision
    from jiandu.tlog.models import LogEntry, LogHead

    problems: list[str] = []
    for case in Case.objects.all():
        last = case.revisions.aggregate(n=Max("number"))["n"]
        if last is not None and (
            case.current_revision is None or case.current_revision.number != last
        ):
            problems.append(f"case {case.pk}: current revision is not the last")
    revisions = 0
    for revision in Revision.objects.select_related("case").iterator():
        revisions += 1
        pages = LogEntry.objects.filter(subject=log_subject(revision.case.slug), kind="page")
        entry = next((e for e in pages if e.data.get("revision") == revision.number), None)
        if entry is None or entry.sha256 != snapshot_sha256(revision.snapshot):
            problems.append(f"revision {revision.case.slug}#{revision.number}: not in the log")
    published = "\n".join(
        json.dumps(snapshot, ensure_ascii=False)
        for snapshot in Revision.objects.values_list("snapshot", flat=True)
    )
    missing = [marker for marker in acked_markers if f'"{marker}"' not in published]
    if missing:
        problems.append(f"acknowledged publications missing: {missing}")
    head = LogHead.objects.filter(pk=1).first()
    size = head.size if head else 0
    indexes = list(LogEntry.objects.order_by("index").values_list("index", flat=True))
    if indexes != list(range(size)):
        problems.append("the log's entries do not run 0..head without a gap")
    return {
        "revisions": revisions,
        "acked_publications": len(acked_markers),
        "log_size": size,
        "problems": problems,
    }


def check_custody() -> dict[str, object]:
    from jiandu.ledger import chain

    report = chain.verify()
    problems = [] if report.ok else [f"custody chain broken at {report.first_bad_id}"]
    return {"custody_records": report.checked, "problems": problems}


def verify(acked_file: Path) -> dict[str, object]:
    acked = json.loads(acked_file.read_text())
    password = acked["password"]
    parts = {
        "vault": check_vault(password, acked["uploads"]),
        "previews": check_previews(password),
        "publications": check_publications(acked["publications"]),
        "custody": check_custody(),
    }
    problems = [p for part in parts.values() for p in part.pop("problems")]  # type: ignore[attr-defined]
    return {**{k: v for part in parts.values() for k, v in part.items()}, "problems": problems}


def main() -> None:
    _setup_django()
    command = sys.argv[1]
    if command == "setup":
        print(json.dumps(setup(sys.argv[2])))
    elif command == "verify":
        print(json.dumps(verify(Path(sys.argv[2]))))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
