"""The log's own columns, whoever publishes (issue 20, item 2): `case` becomes `subject`
("case:<slug>", named by the caller), and `action` and `revision`, which only the case desk
reads, go (they stay in each entry's signed JSON, unchanged). Every row is kept; the entries
and the tree are not touched, so every checkpoint and proof stays valid."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Substr


def name_subjects(apps, schema_editor):
    LogEntry = apps.get_model("tlog", "LogEntry")
    LogEntry.objects.exclude(subject="").update(subject=Concat(Value("case:"), "subject"))


def unname_subjects(apps, schema_editor):
    LogEntry = apps.get_model("tlog", "LogEntry")
    LogEntry.objects.filter(subject__startswith="case:").update(subject=Substr("subject", 6))


class Migration(migrations.Migration):
    dependencies = [
        ("tlog", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="logentry", old_name="case", new_name="subject"),
        migrations.RunPython(name_subjects, unname_subjects),
        migrations.RemoveField(model_name="logentry", name="action"),
        migrations.RemoveField(model_name="logentry", name="revision"),
    ]
