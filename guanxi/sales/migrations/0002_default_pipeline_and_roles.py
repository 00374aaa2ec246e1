from django.db import migrations

from guanxi.core.search import CreateSearchIndex

STAGES = [
    ("Prospecting", 10, "open"),
    ("Approach and needs", 25, "open"),
    ("Proposal", 50, "open"),
    ("Negotiation", 75, "open"),
    ("Closed won", 100, "won"),
    ("Closed lost", 0, "lost"),
]
SALES_TYPES = ["opportunity", "objection"]
GRANTS = {
    "sales_manager": ["create", "edit", "delete", "export"],
    "sales_rep": ["create", "edit", "delete"],
    "marketing": [],
    "service_agent": [],
}


def forwards(apps, schema_editor):
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    if not Pipeline.objects.exists():
        pipeline = Pipeline.objects.create(name="Sales", is_default=True)
        for order, (name, probability, kind) in enumerate(STAGES):
            Stage.objects.create(
                pipeline=pipeline, name=name, order=order, probability=probability, kind=kind
            )
    Role = apps.get_model("core", "Role")
    for code, actions in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is None or not actions:
            continue
        permissions = dict(role.permissions)
        for object_type in SALES_TYPES:
            permissions[object_type] = actions
        role.permissions = permissions
        role.save()
    AccessPolicy = apps.get_model("core", "AccessPolicy")
    AccessPolicy.objects.get_or_create(
        object_type="opportunity", defaults={"default_access": "private"}
    )


def backwards(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for role in Role.objects.all():
        permissions = {k: v for k, v in role.permissions.items() if k not in SALES_TYPES}
        if permissions != role.permissions:
            role.permissions = permissions
            role.save()


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial"), ("core", "0002_builtin_roles")]
    operations = [
        migrations.RunPython(forwards, backwards),
        CreateSearchIndex("opportunity"),
    ]
