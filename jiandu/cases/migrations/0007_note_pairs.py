"""Revision notes (and the note waiting with a review) become pairs like the case's texts.

Each old note goes to the side of the script it is written in, by the rule of
jiandu.cases.text.pair_by_script, copied here as it stood (a migration must not change when the
code does): with Chinese characters, the Chinese side; without, the English side; Chinese
with three or more Latin words (written in both languages), both sides. Backwards, the two
sides are joined again (one side, or "Chinese English" when both differ).
"""

import re

from django.db import migrations, models

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def split(text: str) -> tuple[str, str]:
    text = (text or "").strip()
    if not CJK.search(text):
        return "", text
    if len(LATIN_WORD.findall(text)) >= 3:
        return text, text
    return text, ""


def join(zh: str, en: str) -> str:
    if not zh or not en or zh == en:
        return zh or en
    return f"{zh} {en}"


def forwards(apps, schema_editor):
    Revision = apps.get_model("cases", "Revision")
    Case = apps.get_model("cases", "Case")
    for revision in Revision.objects.only("pk", "note").iterator():
        zh, en = split(revision.note)
        Revision.objects.filter(pk=revision.pk).update(note_zh=zh, note_en=en)
    for case in Case.objects.exclude(submission_note="").only("pk", "submission_note"):
        zh, en = split(case.submission_note)
        Case.objects.filter(pk=case.pk).update(submission_note_zh=zh, submission_note_en=en)


def backwards(apps, schema_editor):
    Revision = apps.get_model("cases", "Revision")
    Case = apps.get_model("cases", "Case")
    for revision in Revision.objects.only("pk", "note_zh", "note_en").iterator():
        note = join(revision.note_zh, revision.note_en)
        Revision.objects.filter(pk=revision.pk).update(note=note)
    for case in Case.objects.only("pk", "submission_note_zh", "submission_note_en"):
        note = join(case.submission_note_zh, case.submission_note_en)
        Case.objects.filter(pk=case.pk).update(submission_note=note)


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_publishing_policy")]

    operations = [
        migrations.AddField(
            model_name="revision", name="note_zh", field=models.TextField(blank=True)
        ),
        migrations.AddField(
            model_name="revision", name="note_en", field=models.TextField(blank=True)
        ),
        migrations.AddField(
            model_name="case", name="submission_note_zh", field=models.TextField(blank=True)
        ),
        migrations.AddField(
            model_name="case", name="submission_note_en", field=models.TextField(blank=True)
        ),
        # A default for the old column, so that going backwards can add it again to a table
        # that has rows, before the notes are joined back into it.
        migrations.AlterField(
            model_name="revision", name="note", field=models.TextField(blank=True, default="")
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="revision", name="note"),
        migrations.RemoveField(model_name="case", name="submission_note"),
    ]
