"""Administration pages: users, teams, roles and access policies."""

import pytest
from django.core import mail
from django.urls import reverse

from guanxi.core import people
from guanxi.core.forms import policy_object_types
from guanxi.core.models import AccessPolicy, Role, Team, User

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    ("admin-user-list", []),
    ("admin-user-create", []),
    ("admin-team-list", []),
    ("admin-team-create", []),
    ("admin-role-list", []),
    ("admin-role-create", []),
    ("admin-access-policies", []),
    ("admin-scheduled-tasks", []),
]


@pytest.fixture
def admin_client(client, org):
    client.force_login(org.admin)
    return client


def user_post(**overrides):
    data = {
        "username": "zhao.min",
        "email": "zhao@example.com",
        "first_name": "Min",
        "last_name": "Zhao",
        "team": "",
        "roles": ["sales_rep"],
        "kind": "staff",
        "language": "zh-hans",
        "time_zone": "Asia/Shanghai",
        "is_active": "on",
        "password1": "",
        "password2": "",
        "version": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(("name", "args"), ADMIN_PAGES)
def test_admin_pages_are_403_for_non_admins(client, org, name, args):
    client.force_login(org.director)
    assert client.get(reverse(name, args=args)).status_code == 403


@pytest.mark.parametrize(("name", "args"), ADMIN_PAGES)
def test_admin_pages_render_for_admins(admin_client, name, args):
    assert admin_client.get(reverse(name, args=args)).status_code == 200


def test_admin_posts_are_403_for_non_admins(client, org):
    client.force_login(org.east_manager)
    response = client.post(reverse("admin-user-create"), user_post())
    assert response.status_code == 403
    assert not User.objects.filter(username="zhao.min").exists()
    response = client.post(reverse("admin-team-delete", args=[org.west.pk]))
    assert response.status_code == 403


def test_admin_menu_shows_for_admins_only(client, org):
    client.force_login(org.east_rep)
    page = client.get(reverse("home")).content.decode()
    assert reverse("admin-user-list") not in page
    assert reverse("admin-scheduled-tasks") not in page
    client.force_login(org.admin)
    page = client.get(reverse("home")).content.decode()
    assert reverse("admin-user-list") in page
    assert reverse("admin-scheduled-tasks") in page


def test_create_a_user_with_team_and_roles(admin_client, org):
    response = admin_client.post(
        reverse("admin-user-create"),
        user_post(
            team=str(org.east.pk),
            roles=["sales_rep", "marketing"],
            password1="Zhao-Min-2026!",
            password2="Zhao-Min-2026!",
        ),
    )
    assert response.status_code == 302
    user = User.objects.get(username="zhao.min")
    assert user.team == org.east
    assert sorted(user.roles.values_list("code", flat=True)) == ["marketing", "sales_rep"]
    assert user.language == "zh-hans"
    assert user.check_password("Zhao-Min-2026!")


def test_user_list_shows_team_roles_and_status(admin_client, org):
    response = admin_client.get(reverse("admin-user-list"))
    html = response.content.decode()
    assert 'data-user="eastrep"' in html
    assert "East" in html and "Sales rep" in html


def test_duplicate_username_is_an_error_next_to_the_field(admin_client, org):
    response = admin_client.post(reverse("admin-user-create"), user_post(username="EastRep"))
    assert response.status_code == 200
    assert "username" in response.context["form"].errors


def test_weak_password_is_an_error_next_to_the_password(admin_client):
    response = admin_client.post(
        reverse("admin-user-create"), user_post(password1="123", password2="123")
    )
    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    assert not User.objects.filter(username="zhao.min").exists()


def test_mismatched_passwords_are_refused(admin_client):
    response = admin_client.post(
        reverse("admin-user-create"),
        user_post(password1="Zhao-Min-2026!", password2="Zhao-Min-2027!"),
    )
    assert "password2" in response.context["form"].errors


def test_edit_user_roles_and_reset_the_password(admin_client, org):
    user = org.east_rep
    response = admin_client.post(
        reverse("admin-user-edit", args=[user.pk]),
        user_post(
            username=user.username,
            email=user.email,
            team=str(org.west.pk),
            roles=["sales_manager"],
            password1="Reset-By-Admin-2026",
            password2="Reset-By-Admin-2026",
            version=str(user.version),
        ),
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.team == org.west
    assert list(user.roles.values_list("code", flat=True)) == ["sales_manager"]
    assert user.check_password("Reset-By-Admin-2026")


def test_stale_user_edit_is_refused_and_shows_the_saved_value(admin_client, org):
    user = org.east_rep
    form_version = user.version
    people.update_user(org.admin, user, {"first_name": "Changed"}, expected_version=form_version)
    response = admin_client.post(
        reverse("admin-user-edit", args=[user.pk]),
        user_post(
            username=user.username,
            email=user.email,
            first_name="Mine",
            roles=["sales_rep"],
            version=str(form_version),
        ),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "Someone else saved this" in " ".join(form.non_field_errors())
    assert form.saved_values["first_name"] == "Changed"
    assert form["version"].value() == str(form_version + 1)
    user.refresh_from_db()
    assert user.first_name == "Changed"


def test_deactivate_a_user(admin_client, org):
    user = org.east_rep
    response = admin_client.post(
        reverse("admin-user-set-active", args=[user.pk]),
        {"active": "0", "version": str(user.version)},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active is False


def test_admin_cannot_deactivate_themself(admin_client, org):
    admin_client.post(
        reverse("admin-user-set-active", args=[org.admin.pk]),
        {"active": "0", "version": str(org.admin.version)},
    )
    org.admin.refresh_from_db()
    assert org.admin.is_active is True


def test_admin_emails_a_password_reset_link(admin_client, org):
    response = admin_client.post(reverse("admin-user-send-reset", args=[org.east_rep.pk]))
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[org.east_rep.email]]
    assert "/auth/password/reset/" in mail.outbox[0].body


def test_admin_lifts_a_login_lockout(admin_client, org):
    from django.test import Client

    visitor = Client()
    for _ in range(5):
        visitor.post(reverse("login"), {"username": "eastrep", "password": "wrong"})
    locked = visitor.post(reverse("login"), {"username": "eastrep", "password": "pw-Guanxi-2026"})
    assert locked.status_code == 429
    admin_client.post(reverse("admin-user-unlock", args=[org.east_rep.pk]))
    again = visitor.post(reverse("login"), {"username": "eastrep", "password": "pw-Guanxi-2026"})
    assert again.status_code == 302


# -- teams -----------------------------------------------------------------------------------


def test_team_tree_lists_children_under_their_parent(admin_client, org):
    response = admin_client.get(reverse("admin-team-list"))
    teams = [(t.name, t.depth) for t in response.context["teams"]]
    assert teams == [("Sales", 0), ("East", 1), ("West", 1)]


def test_create_a_team_under_a_parent_with_a_manager(admin_client, org):
    response = admin_client.post(
        reverse("admin-team-create"),
        {"name": "North", "parent": str(org.sales.pk), "manager": str(org.director.pk)},
    )
    assert response.status_code == 302
    team = Team.objects.get(name="North")
    assert team.parent == org.sales
    assert team.path.startswith(org.sales.path)


def test_team_cycle_is_refused_with_a_form_error(admin_client, org):
    response = admin_client.post(
        reverse("admin-team-edit", args=[org.sales.pk]),
        {
            "name": "Sales",
            "parent": str(org.east.pk),
            "manager": str(org.director.pk),
            "version": str(org.sales.version),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["parent"] == [
        "A team cannot be under one of its own teams."
    ]
    org.sales.refresh_from_db()
    assert org.sales.parent is None


def test_stale_team_edit_is_refused(admin_client, org):
    version = org.west.version
    people.update_team(org.admin, org.west, {"name": "West China"}, expected_version=version)
    response = admin_client.post(
        reverse("admin-team-edit", args=[org.west.pk]),
        {"name": "Westside", "parent": str(org.sales.pk), "manager": "", "version": str(version)},
    )
    assert response.status_code == 200
    assert response.context["form"].saved_values["name"] == "West China"
    org.west.refresh_from_db()
    assert org.west.name == "West China"


def test_team_with_members_is_not_deleted(admin_client, org):
    response = admin_client.post(reverse("admin-team-delete", args=[org.east.pk]), follow=True)
    assert Team.objects.filter(pk=org.east.pk).exists()
    assert "is kept" in response.content.decode()


def test_empty_team_is_deleted(admin_client, org):
    team = people.create_team(org.admin, {"name": "Empty", "parent": org.sales})
    admin_client.post(reverse("admin-team-delete", args=[team.pk]))
    assert not Team.objects.filter(pk=team.pk).exists()


# -- roles -----------------------------------------------------------------------------------


def test_create_a_role_from_the_matrix(admin_client):
    response = admin_client.post(
        reverse("admin-role-create"),
        {
            "code": "auditor",
            "name": "Auditor",
            "description": "",
            "perm__account__export": "on",
            "perm__contact__export": "on",
        },
    )
    assert response.status_code == 302
    role = Role.objects.get(code="auditor")
    assert role.permissions == {"account": ["export"], "contact": ["export"]}


def test_role_matrix_has_rows_for_records_people_and_every_type(admin_client):
    response = admin_client.get(reverse("admin-role-create"))
    rows = [key for key, _label in response.context["form"].object_types]
    assert {"account", "contact", "note", "user", "*"} <= set(rows)
    assert rows[-1] == "*"


def test_edit_a_builtin_role_keeps_its_code(admin_client):
    role = Role.objects.get(code="sales_rep")
    response = admin_client.post(
        reverse("admin-role-edit", args=[role.pk]),
        {
            "code": "renamed",
            "name": "Sales representative",
            "description": role.description,
            "perm__account__create": "on",
            "perm__account__edit": "on",
            "version": str(role.version),
        },
    )
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.code == "sales_rep"
    assert role.name == "Sales representative"
    assert role.permissions == {"account": ["create", "edit"]}


def test_builtin_role_is_not_deleted(admin_client):
    role = Role.objects.get(code="read_only")
    admin_client.post(reverse("admin-role-delete", args=[role.pk]))
    assert Role.objects.filter(pk=role.pk).exists()


def test_custom_role_is_deleted(admin_client, org):
    role = people.create_role(org.admin, {"code": "temp", "name": "Temp", "permissions": {}})
    admin_client.post(reverse("admin-role-delete", args=[role.pk]))
    assert not Role.objects.filter(pk=role.pk).exists()


# -- access policies -------------------------------------------------------------------------


def policy_post(**levels):
    """What the page posts: every object type's level and the version it showed."""
    data = {}
    for object_type, _label in policy_object_types():
        policy = AccessPolicy.objects.filter(object_type=object_type).first()
        data[object_type] = policy.default_access if policy else "private"
        data[f"version__{object_type}"] = str(policy.version) if policy else ""
    data.update(levels)
    return data


def test_set_accounts_to_public_read(admin_client, org):
    response = admin_client.post(
        reverse("admin-access-policies"), policy_post(account="public_read")
    )
    assert response.status_code == 302
    assert AccessPolicy.objects.get(object_type="account").default_access == "public_read"
    assert AccessPolicy.objects.get(object_type="contact").default_access == "private"


def test_stale_access_policy_change_is_refused(admin_client, org):
    data = policy_post(account="public_read_write")
    people.set_access_policy(org.admin, "account", "public_read")
    response = admin_client.post(reverse("admin-access-policies"), data, follow=True)
    assert "Someone else changed the access policies" in response.content.decode()
    assert AccessPolicy.objects.get(object_type="account").default_access == "public_read"


def test_user_list_queries_do_not_grow_with_rows(admin_client, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from guanxi.core.tests.factories import make_user

    def count():
        admin_client.get(reverse("admin-user-list"))  # warm the caches
        with CaptureQueriesContext(connection) as captured:
            admin_client.get(reverse("admin-user-list"))
        return len(captured)

    few = count()
    for i in range(10):
        make_user("marketing", team=org.west, username=f"extra{i}")
    assert count() == few


def test_admin_cannot_drop_their_own_admin_role(admin_client, org):
    me = org.admin
    response = admin_client.post(
        reverse("admin-user-edit", args=[me.pk]),
        user_post(username=me.username, email=me.email, roles=["sales_rep"], version=me.version),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["roles"] == [
        "You cannot remove your own administrator role."
    ]
    assert list(me.roles.values_list("code", flat=True)) == ["admin"]
