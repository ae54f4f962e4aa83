"""The transparency log's tables now belong to the tlog room (jiandu/tlog/migrations/0001):
removed from the ledger's state only. The tables and their rows stay where they are
(`ledger_logentry`, ...), and the tlog models name them with `db_table`."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0004_split_view_evidence"),
        ("tlog", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="logcosignature",
                    name="one_cosignature_per_size",
                ),
                migrations.DeleteModel(
                    name="LogCosignature",
                ),
                migrations.DeleteModel(
                    name="LogEntry",
                ),
                migrations.RemoveConstraint(
                    model_name="loghash",
                    name="log_hash_once",
                ),
                migrations.DeleteModel(
                    name="LogHash",
                ),
                migrations.DeleteModel(
                    name="LogHead",
                ),
                migrations.RemoveConstraint(
                    model_name="splitview",
                    name="split_view_once",
                ),
                migrations.DeleteModel(
                    name="SplitView",
                ),
                migrations.DeleteModel(
                    name="SplitViewTally",
                ),
                migrations.DeleteModel(
                    name="WitnessedLog",
                ),
            ],
        ),
    ]
