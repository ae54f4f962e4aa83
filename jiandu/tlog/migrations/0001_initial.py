"""The transparency log's tables, moved from the ledger room (ledger/migrations/0003 and
0004 made them): state only. The tables keep their names (`db_table`) and every row, so a
database made before the move needs nothing copied or renamed; a new database gets them from
the ledger's own migrations, which this one follows."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("ledger", "0004_split_view_evidence"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='LogEntry',
                    fields=[
                        ('index', models.PositiveBigIntegerField(primary_key=True, serialize=False)),
                        ('entry', models.TextField()),
                        ('sha256', models.CharField(db_index=True, max_length=64)),
                        ('case', models.CharField(db_index=True, max_length=200)),
                        ('kind', models.CharField(max_length=16)),
                        ('action', models.CharField(max_length=16)),
                        ('revision', models.PositiveIntegerField()),
                        ('time', models.DateTimeField()),
                    ],
                    options={
                        'db_table': 'ledger_logentry',
                        'ordering': ['index'],
                    },
                ),
                migrations.CreateModel(
                    name='LogHead',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('size', models.PositiveBigIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'ledger_loghead',
                    },
                ),
                migrations.CreateModel(
                    name='SplitViewTally',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('not_kept', models.PositiveBigIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'ledger_splitviewtally',
                    },
                ),
                migrations.CreateModel(
                    name='WitnessedLog',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('origin', models.CharField(max_length=200, unique=True)),
                        ('size', models.PositiveBigIntegerField()),
                        ('root', models.CharField(max_length=64)),
                        ('checkpoint', models.TextField()),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        'db_table': 'ledger_witnessedlog',
                    },
                ),
                migrations.CreateModel(
                    name='LogCosignature',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('size', models.PositiveBigIntegerField()),
                        ('root', models.CharField(max_length=64)),
                        ('witness', models.CharField(max_length=200)),
                        ('line', models.TextField()),
                        ('received_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'db_table': 'ledger_logcosignature',
                        'constraints': [models.UniqueConstraint(fields=('size', 'witness'), name='one_cosignature_per_size')],
                    },
                ),
                migrations.CreateModel(
                    name='LogHash',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('level', models.PositiveSmallIntegerField()),
                        ('index', models.PositiveBigIntegerField()),
                        ('hash', models.BinaryField(max_length=32)),
                    ],
                    options={
                        'db_table': 'ledger_loghash',
                        'constraints': [models.UniqueConstraint(fields=('level', 'index'), name='log_hash_once')],
                    },
                ),
                migrations.CreateModel(
                    name='SplitView',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('origin', models.CharField(max_length=200)),
                        ('seen_by', models.CharField(max_length=16)),
                        ('old_checkpoint', models.TextField()),
                        ('new_checkpoint', models.TextField()),
                        ('old_sha256', models.CharField(max_length=64)),
                        ('new_sha256', models.CharField(max_length=64)),
                        ('proof', models.TextField(blank=True, default='')),
                        ('detail', models.TextField()),
                        ('at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'db_table': 'ledger_splitview',
                        'constraints': [models.UniqueConstraint(fields=('old_sha256', 'new_sha256'), name='split_view_once')],
                    },
                ),
            ],
        ),
    ]
