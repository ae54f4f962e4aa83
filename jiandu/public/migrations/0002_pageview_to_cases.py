# The daily view counts now belong to the cases room (cases 0002 takes over the table and
# renames it): the model leaves this room's migration state only; no table is dropped.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('public', '0001_initial'),
        ('cases', '0002_pageview_from_public'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='PageView')],
            database_operations=[],
        ),
    ]
