from django.db import migrations

from guanxi.core.search import CreateSearchIndex

GRANTS = {
    "sales_manager": {
        "lead": ["create", "edit", "delete", "export"],
        "campaign": ["create", "edit", "export"],
    },
    "sales_rep": {"lead": ["create", "edit"]},
    "marketing": {
        "lead": ["create", "edit", "export"],
        "campaign": ["create", "edit", "delete", "export"],
    },
}


def forwards(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for code, grants in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is None:
            continue
        role.permissions = {**role.permissions, **grants}
        role.save()
    AccessPolicy = apps.get_model("core", "AccessPolicy")
    AccessPolicy.objects.get_or_create(object_type="lead", defaults={"default_access": "private"})
    AccessPolicy.objects.get_or_create(
        object_type="campaign", defaults={"default_access": "public_read"}
    )


def backwards(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for role in Role.objects.all():
        permissions = {k: v for k, v in role.permissions.items() if k not in ("lead", "campaign")}
        if permissions != role.permissions:
            role.permissions = permissions
            role.save()


class Migration(migrations.Migration):
    dependencies = [("leads", "0002_initial"), ("core", "0002_builtin_roles")]
    operations = [migrations.RunPython(forwards, backwards), CreateSearchIndex("lead")]
