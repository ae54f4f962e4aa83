from django.db import migrations, models


def existing_renders_were_seen(apps, schema_editor):
    """Renders made before the count existed are not news: only later ones are counted."""
    apps.get_model("redaction", "Render").objects.update(seen=True)


class Migration(migrations.Migration):
    dependencies = [
        ("redaction", "0003_state_and_kind_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="render",
            name="seen",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(existing_renders_were_seen, migrations.RunPython.noop),
    ]
