"""The default questionnaire, version 1 (jiandu/tipline/defaults.py holds its questions)."""

from django.db import migrations

from jiandu.tipline import defaults


def create_default(apps, schema_editor):
    defaults.create_default(
        apps.get_model("tipline", "QuestionnaireVersion"), apps.get_model("tipline", "Question")
    )


class Migration(migrations.Migration):
    dependencies = [("tipline", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
