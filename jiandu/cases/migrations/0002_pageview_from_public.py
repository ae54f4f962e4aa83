# The daily view counts move from the public room to the cases room (the public room imports
# cases, never the other way). The rows stay: the model is taken over in the migration state
# only, then its table is renamed from public_pageview to cases_pageview.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0001_initial'),
        ('public', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='PageView',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('path', models.CharField(max_length=300)),
                        ('day', models.DateField()),
                        ('count', models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'public_pageview',
                        'constraints': [models.UniqueConstraint(fields=('path', 'day'), name='pageview_once')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name='pageview', table=None),
    ]
