from django.db import migrations

ALL = ["create", "edit", "delete", "export", "admin"]
CUSTOMER_TYPES = ["account", "contact", "note"]

BUILTIN_ROLES = [
    (
        "admin",
        "Administrator",
        "Everything, including users, teams, roles and settings.",
        {"*": ALL},
    ),
    (
        "sales_manager",
        "Sales manager",
        "Manages a team's customers: create, edit, delete and export.",
        {t: ["create", "edit", "delete", "export"] for t in CUSTOMER_TYPES},
    ),
    (
        "sales_rep",
        "Sales rep",
        "Works their own customers: create, edit and delete.",
        {t: ["create", "edit", "delete"] for t in CUSTOMER_TYPES},
    ),
    (
        "service_agent",
        "Service agent",
        "Serves customers: edits accounts and contacts they can see, logs interactions.",
        {"account": ["edit"], "contact": ["create", "edit"], "note": ["create", "edit"]},
    ),
    (
        "marketing",
        "Marketing",
        "Builds lists and campaigns: create, edit and export.",
        {t: ["create", "edit", "export"] for t in CUSTOMER_TYPES},
    ),
    ("read_only", "Read-only", "Sees what record access opens and changes nothing.", {}),
]


def create_roles(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for code, name, description, permissions in BUILTIN_ROLES:
        Role.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "permissions": permissions,
                "is_builtin": True,
            },
        )
    AccessPolicy = apps.get_model("core", "AccessPolicy")
    for object_type in ("account", "contact"):
        AccessPolicy.objects.get_or_create(
            object_type=object_type, defaults={"default_access": "private"}
        )


def remove_roles(apps, schema_editor):
    apps.get_model("core", "Role").objects.filter(is_builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(create_roles, remove_roles)]
