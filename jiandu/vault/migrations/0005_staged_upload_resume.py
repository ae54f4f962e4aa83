# Issue 19, item 2: unfinished uploads a source finds again after a closed browser.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0004_staged_upload"),
    ]

    operations = [
        migrations.AddField(
            model_name="stagedupload",
            name="sealed_resume",
            field=models.BinaryField(default=b""),
        ),
    ]
