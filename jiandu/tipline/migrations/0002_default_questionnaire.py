"""The default questionnaire, version 1: the five questions the tip line asked before the
newsroom could design its own. Answers stored before versions existed carry no version and
read as answers to this one."""

from django.db import migrations
from django.utils import timezone

DEFAULT = [
    (
        "who",
        "涉及哪些人？他们担任什么职务？",
        "涉及哪些人？他們擔任什麼職務？",
        "Who is involved, and what is their position?",
    ),
    ("where", "事情发生在哪里？", "事情發生在哪裡？", "Where did it happen?"),
    ("when", "事情发生在什么时候？", "事情發生在什麼時候？", "When did it happen?"),
    ("how_known", "您是如何知道这些的？", "您是如何知道這些的？", "How do you know this?"),
    ("files_show", "这些文件显示了什么？", "這些檔案顯示了什麼？", "What do the files show?"),
]


def create_default(apps, schema_editor):
    Version = apps.get_model("tipline", "QuestionnaireVersion")
    Question = apps.get_model("tipline", "Question")
    if Version.objects.exists():
        return
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    version = Version.objects.create(number=1, created_hour=hour)
    for order, (key, hans, hant, en) in enumerate(DEFAULT):
        Question.objects.create(
            version=version,
            key=key,
            kind="short",
            required=False,
            group=1 if order < 3 else 2,
            order=order,
            label_zh_hans=hans,
            label_zh_hant=hant,
            label_en=en,
        )


class Migration(migrations.Migration):
    dependencies = [("tipline", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
