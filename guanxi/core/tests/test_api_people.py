"""Users, teams, roles and access policies through the API: administrators write, staff read."""

from __future__ import annotations

import pytest

from guanxi.core.api.testing import client_for, write
from guanxi.core.models import AccessPolicy, Role, Team, User
from guanxi.customers.services import create_account

pytestmark = pytest.mark.django_db

STRONG = "Lanzhou-Noodles-42"


def etag(obj) -> str:
    return f'"{obj._meta.model_name}-{obj.pk}-v{obj.version}"'


# -- users ------------------------------------------------------------------------------------


def test_admin_creates_a_user_with_team_and_roles_by_code(org):
    body = {
        "username": "xiaoming",
        "password": STRONG,
        "email": "xiaoming@example.com",
        "team": org.west.pk,
        "roles": ["sales_rep", "marketing"],
    }

    response = write(client_for(org.admin), "post", "/api/v1/users/", body)

    assert response.status_code == 201
    user = User.objects.get(username="xiaoming")
    assert user.team == org.west
    assert sorted(user.roles.values_list("code", flat=True)) == ["marketing", "sales_rep"]
    assert user.check_password(STRONG)
    assert "password" not in response.data
    assert sorted(response.data["roles"]) == ["marketing", "sales_rep"]
    assert response["ETag"] == etag(user)


def test_a_created_user_can_get_a_token_and_use_the_api(org):
    write(
        client_for(org.admin),
        "post",
        "/api/v1/users/",
        {"username": "newrep", "password": STRONG, "team": org.east.pk, "roles": ["sales_rep"]},
    )
    anonymous = client_for(None)

    token = anonymous.post(
        "/api/v1/auth/token/", {"username": "newrep", "password": STRONG}, format="json"
    ).data["token"]
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    created = anonymous.post("/api/v1/accounts/", {"name": "First customer"}, format="json")

    assert created.status_code == 201
    assert created.data["owner"]["username"] == "newrep"


@pytest.mark.parametrize("user_name", ["director", "east_rep", "read_only", "service"])
def test_non_admins_get_403_on_writes_to_users_teams_and_roles(org, user_name):
    client = client_for(getattr(org, user_name))

    codes = [
        write(client, "post", "/api/v1/users/", {"username": "x", "password": STRONG}).status_code,
        write(client, "post", "/api/v1/teams/", {"name": "Rogue"}).status_code,
        write(client, "post", "/api/v1/roles/", {"code": "x", "name": "X"}).status_code,
        write(
            client,
            "patch",
            f"/api/v1/users/{org.east_rep.pk}/",
            {"roles": ["admin"]},
            etag=etag(org.east_rep),
        ).status_code,
    ]

    assert codes == [403, 403, 403, 403]
    assert not User.objects.filter(username="x").exists()
    assert not org.east_rep.roles.filter(code="admin").exists()


def test_staff_list_users_with_safe_fields_only(org):
    response = client_for(org.east_rep).get("/api/v1/users/", {"page_size": 100})

    assert response.status_code == 200
    row = next(r for r in response.data["results"] if r["username"] == "westrep")
    assert set(row) == {
        "id",
        "username",
        "first_name",
        "last_name",
        "display_name",
        "team",
        "is_active",
    }


def test_admin_sees_email_and_roles(org):
    response = client_for(org.admin).get(f"/api/v1/users/{org.west_rep.pk}/")

    assert response.data["email"] == org.west_rep.email
    assert response.data["roles"] == ["sales_rep"]
    assert response["ETag"] == etag(org.west_rep)


def test_users_filter_by_team_and_q(org):
    client = client_for(org.east_rep)

    by_team = client.get("/api/v1/users/", {"team": org.west.pk})
    by_q = client.get("/api/v1/users/", {"q": "eastrep2"})

    assert [r["username"] for r in by_team.data["results"]] == ["westrep"]
    assert [r["username"] for r in by_q.data["results"]] == ["eastrep2"]


def test_update_user_needs_if_match_and_refuses_stale(org):
    client = client_for(org.admin)
    url = f"/api/v1/users/{org.east_rep.pk}/"
    stale = etag(org.east_rep)

    missing = write(client, "patch", url, {"first_name": "A"})
    first = write(
        client, "patch", url, {"first_name": "Lei", "roles": ["sales_manager"]}, etag=stale
    )
    second = write(client, "patch", url, {"first_name": "Overwritten"}, etag=stale)

    assert missing.status_code == 428
    assert first.status_code == 200
    assert second.status_code == 412
    user = User.objects.get(pk=org.east_rep.pk)
    assert (user.first_name, user.version) == ("Lei", 2)
    assert second["ETag"] == first["ETag"] == etag(user)
    assert list(user.roles.values_list("code", flat=True)) == ["sales_manager"]


def test_unknown_role_code_is_400_naming_roles(org):
    response = write(
        client_for(org.admin),
        "post",
        "/api/v1/users/",
        {"username": "x", "password": STRONG, "roles": ["emperor"]},
    )

    assert response.status_code == 400
    assert list(response.data) == ["roles"]
    assert not User.objects.filter(username="x").exists()


def test_weak_password_is_400_naming_password(org):
    response = write(
        client_for(org.admin), "post", "/api/v1/users/", {"username": "x", "password": "123"}
    )

    assert response.status_code == 400
    assert list(response.data) == ["password"]


def test_duplicate_username_is_400_naming_username(org):
    response = write(
        client_for(org.admin),
        "post",
        "/api/v1/users/",
        {"username": "EASTREP", "password": STRONG},
    )

    assert response.status_code == 400
    assert list(response.data) == ["username"]


def test_users_cannot_be_deleted_only_deactivated(org):
    client = client_for(org.admin)
    url = f"/api/v1/users/{org.west_rep.pk}/"

    deleted = write(client, "delete", url, etag=etag(org.west_rep))
    deactivated = write(client, "patch", url, {"is_active": False}, etag=etag(org.west_rep))

    assert deleted.status_code == 405
    assert deactivated.status_code == 200
    assert not User.objects.get(pk=org.west_rep.pk).is_active


def test_me_shows_the_callers_profile(org):
    response = client_for(org.east_rep).get("/api/v1/users/me/")

    assert response.data["username"] == "eastrep"
    assert response.data["email"] == org.east_rep.email


# -- teams and roles --------------------------------------------------------------------------


def test_admin_creates_a_team_under_a_parent_with_a_manager(org):
    response = write(
        client_for(org.admin),
        "post",
        "/api/v1/teams/",
        {"name": "North", "parent": org.sales.pk, "manager": org.east_manager.pk},
    )

    assert response.status_code == 201
    team = Team.objects.get(name="North")
    assert (team.parent, team.manager) == (org.sales, org.east_manager)
    assert team.path == f"{org.sales.path}{team.pk}/"
    assert org.director.managed_team_ids().count(team.pk) == 1


def test_team_cycle_is_400_naming_parent(org):
    response = write(
        client_for(org.admin),
        "patch",
        f"/api/v1/teams/{org.sales.pk}/",
        {"parent": org.east.pk},
        etag=etag(org.sales),
    )

    assert response.status_code == 400
    assert list(response.data) == ["parent"]


def test_team_delete_needs_if_match_and_an_empty_team(org):
    empty = Team.objects.create(name="Empty")
    client = client_for(org.admin)

    missing = write(client, "delete", f"/api/v1/teams/{empty.pk}/")
    busy = write(client, "delete", f"/api/v1/teams/{org.east.pk}/", etag=etag(org.east))
    done = write(client, "delete", f"/api/v1/teams/{empty.pk}/", etag=etag(empty))

    assert (missing.status_code, busy.status_code, done.status_code) == (428, 400, 204)
    assert not Team.objects.filter(pk=empty.pk).exists()


def test_staff_read_teams_and_roles(org):
    client = client_for(org.east_rep)

    teams = client.get("/api/v1/teams/")
    roles = client.get("/api/v1/roles/", {"page_size": 50})

    assert {t["name"] for t in teams.data["results"]} >= {"Sales", "East", "West"}
    assert {r["code"] for r in roles.data["results"]} == {
        "admin",
        "sales_manager",
        "sales_rep",
        "service_agent",
        "marketing",
        "read_only",
    }


def test_admin_creates_and_edits_a_role(org):
    client = client_for(org.admin)
    created = write(
        client,
        "post",
        "/api/v1/roles/",
        {"code": "auditor", "name": "Auditor", "permissions": {"account": ["export"]}},
    )
    role = Role.objects.get(code="auditor")

    edited = write(
        client,
        "patch",
        f"/api/v1/roles/{role.pk}/",
        {"permissions": {"account": ["export", "edit"]}},
        etag=created["ETag"],
    )

    assert (created.status_code, edited.status_code) == (201, 200)
    role.refresh_from_db()
    assert role.permissions == {"account": ["export", "edit"]}


def test_role_with_an_unknown_action_is_400_naming_permissions(org):
    response = write(
        client_for(org.admin),
        "post",
        "/api/v1/roles/",
        {"code": "odd", "name": "Odd", "permissions": {"account": ["fly"]}},
    )

    assert response.status_code == 400
    assert list(response.data) == ["permissions"]


def test_builtin_role_cannot_be_deleted(org):
    role = Role.objects.get(code="read_only")

    response = write(client_for(org.admin), "delete", f"/api/v1/roles/{role.pk}/", etag=etag(role))

    assert response.status_code == 400
    assert Role.objects.filter(code="read_only").exists()


# -- access policies --------------------------------------------------------------------------


def test_admin_opens_accounts_to_public_read(org):
    create_account(org.east_rep, {"name": "Acme"})
    policy = AccessPolicy.objects.get(object_type="account")
    client = client_for(org.admin)

    response = write(
        client,
        "patch",
        "/api/v1/access-policies/account/",
        {"default_access": "public_read"},
        etag=etag(policy),
    )

    assert response.status_code == 200
    assert client_for(org.west_rep).get("/api/v1/accounts/").data["count"] == 1
    policy.refresh_from_db()
    assert response["ETag"] == etag(policy)


def test_access_policies_are_for_administrators_only(org):
    client = client_for(org.director)

    listing = client.get("/api/v1/access-policies/")
    change = write(
        client,
        "patch",
        "/api/v1/access-policies/account/",
        {"default_access": "public_read_write"},
        etag='"accesspolicy-1-v1"',
    )

    assert (listing.status_code, change.status_code) == (403, 403)
    assert AccessPolicy.objects.get(object_type="account").default_access == "private"


def test_unknown_access_level_is_400_naming_the_field(org):
    policy = AccessPolicy.objects.get(object_type="account")

    response = write(
        client_for(org.admin),
        "patch",
        "/api/v1/access-policies/account/",
        {"default_access": "everyone"},
        etag=etag(policy),
    )

    assert response.status_code == 400
    assert list(response.data) == ["default_access"]
