"""Data survives the re-cut (issue 20): a database made by the layout before it (the migrations
named in OLD_LAYOUT, with rows written through the historical models: a published case
revision, its log entry, checkpoint head and cosignature, custody records) is migrated forward
and every row is read back through today's models. When a model moves room (state only, its
table kept), this test is what shows no row moved or went missing."""

from datetime import UTC, datetime

import pytest
from django.apps import apps as current_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The last migrations of each room before the re-cut.
OLD_LAYOUT = [
    ("accounts", "0006_account_event_policy"),
    ("cases", "0008_evidence_poster_credentials"),
    ("ledger", "0004_split_view_evidence"),
    # The log's room as the first step of the re-cut made it (its tables still the ledger's
    # columns); 0002 gives it its generic columns.
    ("tlog", "0001_initial"),
]
AT = datetime(2025, 3, 1, 12, tzinfo=UTC)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_rows_made_before_the_recut_are_read_through_the_new_models():
    old = _migrate(OLD_LAYOUT)
    user = old.get_model("accounts", "User").objects.create(username="editor-recut")
    case = old.get_model("cases", "Case").objects.create(
        slug="recut-case", created_by_id=user.pk, last_edited_by_id=user.pk
    )
    old.get_model("cases", "Revision").objects.create(
        case=case, number=1, kind="publication", snapshot={"slug": "recut-case"},
        author_id=user.pk, publisher_id=user.pk, published_at=AT,
    )  # fmt: skip
    old.get_model("ledger", "LogEntry").objects.create(
        index=0, entry="entry text", sha256="ab" * 32, case="recut-case", kind="case",
        action="publication", revision=1, time=AT,
    )  # fmt: skip
    old.get_model("ledger", "LogHead").objects.create(size=1)
    old.get_model("ledger", "LogCosignature").objects.create(
        size=1, root="cd" * 32, witness="witness.example", line="— witness.example sig"
    )
    old.get_model("ledger", "LogHash").objects.create(level=0, index=0, hash=b"\x01" * 32)
    old.get_model("ledger", "WitnessedLog").objects.create(
        origin="other.example/log", size=3, root="12" * 32, checkpoint="other checkpoint"
    )
    old.get_model("ledger", "SplitView").objects.create(
        origin="other.example/log", seen_by="witness", old_checkpoint="a", new_checkpoint="b",
        old_sha256="34" * 32, new_sha256="56" * 32, detail="two roots at size 3",
    )  # fmt: skip
    old.get_model("ledger", "SplitViewTally").objects.create(not_kept=2)
    old.get_model("ledger", "CustodyRecord").objects.create(
        at=AT, actor_id=user.pk, actor_name="editor-recut", action="publish",
        subject="recut-case", reason="", mac="ef" * 32,
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    revision = current_apps.get_model("cases", "Revision").objects.get(case__slug="recut-case")
    assert revision.number == 1 and revision.snapshot == {"slug": "recut-case"}
    entries = [m for m in current_apps.get_models() if m.__name__ == "LogEntry"]
    assert len(entries) == 1
    entry = entries[0].objects.get(index=0)
    assert (entry.sha256, entry.time) == ("ab" * 32, AT)
    heads = [m for m in current_apps.get_models() if m.__name__ == "LogHead"]
    assert heads[0].objects.get().size == 1
    cosignatures = [m for m in current_apps.get_models() if m.__name__ == "LogCosignature"]
    assert cosignatures[0].objects.get().witness == "witness.example"
    custody = current_apps.get_model("ledger", "CustodyRecord").objects.get(mac="ef" * 32)
    assert custody.subject == "recut-case" and custody.actor.username == "editor-recut"

    # The log's models now belong to the tlog room (state only): the same rows, through them.
    from jiandu.tlog import models as tlog_models

    assert tlog_models.LogEntry._meta.app_label == "tlog"
    assert current_apps.get_model("tlog", "LogEntry") is tlog_models.LogEntry
    # Its generic columns (issue 20, item 2): the case became the subject the case desk names;
    # the entry's text, hash and kind are untouched.
    moved = tlog_models.LogEntry.objects.get(index=0)
    assert (moved.subject, moved.kind, moved.entry) == ("case:recut-case", "case", "entry text")
    assert bytes(tlog_models.LogHash.objects.get(level=0, index=0).hash) == b"\x01" * 32
    assert tlog_models.LogHead.objects.get().size == 1
    assert tlog_models.LogCosignature.objects.get().line == "— witness.example sig"
    assert tlog_models.WitnessedLog.objects.get().size == 3
    assert tlog_models.SplitView.objects.get().detail == "two roots at size 3"
    assert tlog_models.SplitViewTally.objects.get().not_kept == 2
