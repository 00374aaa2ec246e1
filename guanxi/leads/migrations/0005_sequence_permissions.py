"""Marketing builds nurturing sequences: the ``sequence`` permission of the built-in role.

Administrators have it through ``*``; an administrator can grant it to other roles on the
Roles page.
"""

from django.db import migrations

GRANTS = {"marketing": {"sequence": ["create", "edit", "delete"]}}


def forwards(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for code, grants in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            role.permissions = {**role.permissions, **grants}
            role.save()


def backwards(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for role in Role.objects.all():
        if "sequence" in role.permissions:
            role.permissions = {k: v for k, v in role.permissions.items() if k != "sequence"}
            role.save()


class Migration(migrations.Migration):
    dependencies = [("leads", "0004_availability_version"), ("core", "0002_builtin_roles")]
    operations = [migrations.RunPython(forwards, backwards)]
