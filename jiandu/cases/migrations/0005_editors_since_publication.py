"""Who edited a case since its last publication (issue 17: the two-person rule counts them all).

A case waiting for review when this migration runs gets the members known to have changed it:
its last editor, its creator while it was never published, and whoever attached evidence since
its last publication. Earlier editors left no trace; those are the best records there are.
"""

from django.conf import settings
from django.db import migrations, models


def fill_editors(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    for case in Case.objects.filter(has_unpublished_changes=True).select_related(
        "current_revision"
    ):
        editors = {case.last_edited_by_id}
        evidence = case.evidence.all()
        if case.current_revision is None:
            editors.add(case.created_by_id)
        else:
            evidence = evidence.filter(added_at__gt=case.current_revision.published_at)
        editors.update(evidence.values_list("added_by_id", flat=True))
        case.editors_since_publication.add(*editors)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_public_person_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="editors_since_publication",
            field=models.ManyToManyField(blank=True, related_name="+", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name="revision",
            name="editors",
            field=models.ManyToManyField(blank=True, related_name="+", to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(fill_editors, migrations.RunPython.noop),
    ]
