"""Questionnaire versions are reviewed (issue 17, item 2): a state, the author and the
reviewer, the hour a version went live. Versions saved before this were live at once: they
become approved versions with no recorded author (none was kept), live since their hour."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def existing_versions_were_live(apps, schema_editor):
    QuestionnaireVersion = apps.get_model("tipline", "QuestionnaireVersion")
    QuestionnaireVersion.objects.update(state="live", live_hour=models.F("created_hour"))


class Migration(migrations.Migration):
    dependencies = [
        ("tipline", "0002_default_questionnaire"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="questionnaireversion",
            options={"ordering": ["-pk"]},
        ),
        migrations.AddField(
            model_name="questionnaireversion",
            name="author",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="questionnaireversion",
            name="author_name",
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.AddField(
            model_name="questionnaireversion",
            name="live_hour",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="questionnaireversion",
            name="reviewer",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="questionnaireversion",
            name="reviewer_name",
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.AddField(
            model_name="questionnaireversion",
            name="state",
            field=models.CharField(
                choices=[
                    ("draft", "Waiting for review"),
                    ("live", "Approved"),
                    ("discarded", "Discarded"),
                ],
                default="draft",
                max_length=10,
            ),
        ),
        migrations.RunPython(existing_versions_were_live, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="questionnaireversion",
            name="number",
            field=models.PositiveIntegerField(blank=True, null=True, unique=True),
        ),
        migrations.AddConstraint(
            model_name="questionnaireversion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "draft")),
                fields=("state",),
                name="tipline_one_questionnaire_draft",
            ),
        ),
    ]
