from django.db import migrations, models

from apps.desk.chain_sql import seal, unseal


def seal_chain(apps, schema_editor):
    for sql in seal(schema_editor.connection.vendor):
        schema_editor.execute(sql)


def unseal_chain(apps, schema_editor):
    for sql in unseal(schema_editor.connection.vendor):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="AuditEntry",
            fields=[
                ("seq", models.BigIntegerField(primary_key=True, serialize=False)),
                ("at", models.DateTimeField(db_index=True)),
                ("model", models.CharField(max_length=100)),
                ("object_id", models.CharField(max_length=64)),
                ("kind", models.CharField(max_length=10)),
                ("actor", models.CharField(max_length=200)),
                ("reason", models.TextField(blank=True, default="")),
                ("history_id", models.BigIntegerField(blank=True, null=True)),
                ("changes", models.TextField()),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name_plural": "audit entries",
                "ordering": ["seq"],
                "indexes": [models.Index(fields=["model", "object_id"], name="audit_object")],
            },
        ),
        migrations.RunPython(seal_chain, unseal_chain),
    ]
