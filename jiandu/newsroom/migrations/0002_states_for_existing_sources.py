from django.db import migrations


def create_states(apps, schema_editor):
    Source = apps.get_model("vault", "Source")
    SourceState = apps.get_model("newsroom", "SourceState")
    have = set(SourceState.objects.values_list("source_id", flat=True))
    SourceState.objects.bulk_create(
        SourceState(source_id=pk)
        for pk in Source.objects.values_list("pk", flat=True)
        if pk not in have
    )


class Migration(migrations.Migration):
    dependencies = [("newsroom", "0001_initial")]

    operations = [migrations.RunPython(create_states, migrations.RunPython.noop)]
