"""Public-key binding MACs (jiandu/vault/binding.py) and each source's codename KDF cost.

Existing rows: their keys get a MAC over what the database holds now (trust on first use), and
their codename cost is the one the server is configured with now (JIANDU_KDF_OPSLIMIT /
JIANDU_KDF_MEMLIMIT_MIB), which is the one their codenames were derived with as long as the
setting has not been changed before this upgrade.
"""

from django.db import migrations, models


def bind_existing_rows(apps, schema_editor):
    from jiandu.vault import binding, conf

    member_keys = apps.get_model("vault", "MemberKey")
    sources = apps.get_model("vault", "Source")
    for key in member_keys.objects.all():
        key.key_mac = binding.member_key_mac(key.user_id, bytes(key.public_key))
        key.save(update_fields=["key_mac"])
    params = conf.kdf_params()
    for source in sources.objects.all():
        source.key_mac = binding.source_key_mac(
            source.lookup, bytes(source.public_key), bytes(source.reply_public_key)
        )
        source.kdf_opslimit = params.opslimit
        source.kdf_memlimit = params.memlimit
        source.save(update_fields=["key_mac", "kdf_opslimit", "kdf_memlimit"])


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0002_retention_setting"),
    ]

    operations = [
        migrations.AddField(
            model_name="memberkey",
            name="key_mac",
            field=models.CharField(default="", max_length=64),
        ),
        migrations.AddField(
            model_name="source",
            name="kdf_memlimit",
            field=models.PositiveBigIntegerField(default=67108864),
        ),
        migrations.AddField(
            model_name="source",
            name="kdf_opslimit",
            field=models.PositiveIntegerField(default=3),
        ),
        migrations.AddField(
            model_name="source",
            name="key_mac",
            field=models.CharField(default="", max_length=64),
        ),
        migrations.RunPython(bind_existing_rows, migrations.RunPython.noop),
    ]
