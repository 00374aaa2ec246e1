from django.db import migrations

from guanxi.core.search import CreateSearchIndex

GRANTS = {
    "sales_manager": {
        "activity": ["create", "edit", "delete", "export"],
        "calllist": ["create", "edit", "delete", "export"],
    },
    "sales_rep": {
        "activity": ["create", "edit", "delete"],
        "calllist": ["create", "edit", "delete"],
    },
    "service_agent": {"activity": ["create", "edit"]},
    "marketing": {
        "activity": ["create", "edit"],
        "calllist": ["create", "edit", "delete", "export"],
    },
}
TYPES = ("activity", "calllist")

# (code, label, is_success, schedules_callback); the labels are translated through
# guanxi.activities.outcomes.BUILTIN_LABELS.
OUTCOMES = [
    ("interested", "Reached: interested", True, False),
    ("meeting_booked", "Reached: meeting booked", True, False),
    ("call_back", "Reached: call back later", False, True),
    ("not_interested", "Reached: not interested", False, False),
    ("no_answer", "No answer", False, True),
    ("busy", "Busy", False, True),
    ("voicemail", "Left a voicemail", False, True),
    ("wrong_number", "Wrong number", False, False),
    ("do_not_call", "Asked not to be called", False, False),
]


def forwards(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for code, grants in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is None:
            continue
        role.permissions = {**role.permissions, **grants}
        role.save()
    AccessPolicy = apps.get_model("core", "AccessPolicy")
    for object_type in TYPES:
        AccessPolicy.objects.get_or_create(
            object_type=object_type, defaults={"default_access": "private"}
        )
    CallOutcome = apps.get_model("activities", "CallOutcome")
    for order, (code, label, success, callback) in enumerate(OUTCOMES):
        CallOutcome.objects.get_or_create(
            code=code,
            defaults={
                "label": label,
                "is_success": success,
                "schedules_callback": callback,
                "order": (order + 1) * 10,
            },
        )


def backwards(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for role in Role.objects.all():
        permissions = {k: v for k, v in role.permissions.items() if k not in TYPES}
        if permissions != role.permissions:
            role.permissions = permissions
            role.save()
    apps.get_model("core", "AccessPolicy").objects.filter(object_type__in=TYPES).delete()


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial"), ("core", "0002_builtin_roles")]
    operations = [
        migrations.RunPython(forwards, backwards),
        CreateSearchIndex("activity"),
        CreateSearchIndex("calllist"),
    ]
