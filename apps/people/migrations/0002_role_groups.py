from django.db import migrations

ROLES = ["operator", "supervisor", "strategy", "customer_service", "auditor", "system"]


def create_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    """The desk's role groups; their permissions follow apps.people.roles after migrate."""

    dependencies = [("people", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
