"""Split views become evidence kept once per pair of checkpoints, with a cap (issue 17).

Rows kept before this migration get the hashes of their two checkpoints' signed texts, and
repeats of a pair are deleted (the replayed false alarms of issue 17 were one pair, many rows).
"""

import hashlib

from django.db import migrations, models


def _body_sha256(text: str) -> str:
    body = text.split("\n\n", 1)[0] + "\n"
    return hashlib.sha256(body.encode()).hexdigest()


def hash_and_deduplicate(apps, schema_editor):
    SplitView = apps.get_model("ledger", "SplitView")
    seen = set()
    for row in SplitView.objects.order_by("pk"):
        pair = (_body_sha256(row.old_checkpoint), _body_sha256(row.new_checkpoint))
        if pair in seen:
            row.delete()
            continue
        seen.add(pair)
        row.old_sha256, row.new_sha256 = pair
        row.save(update_fields=["old_sha256", "new_sha256"])


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_transparency_log"),
    ]

    operations = [
        migrations.CreateModel(
            name="SplitViewTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("not_kept", models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name="splitview",
            name="old_sha256",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="splitview",
            name="new_sha256",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="splitview",
            name="proof",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(hash_and_deduplicate, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="splitview",
            constraint=models.UniqueConstraint(
                fields=("old_sha256", "new_sha256"), name="split_view_once"
            ),
        ),
    ]
