"""Shared pytest fixtures: an organisation with two teams, a manager above them and reps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # Django models are imported lazily so the pure analytics tests run without it
    from guanxi.core.models import Team, User


@dataclass
class Org:
    admin: User
    director: User  # manages the sales team, which is the parent of east and west
    east_manager: User
    east_rep: User
    east_rep2: User
    west_rep: User
    read_only: User
    service: User
    sales: Team
    east: Team
    west: Team


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: cached access policies must not outlive a test."""
    from django.conf import settings

    if not settings.configured:  # the pure analytics tests run without Django
        yield
        return
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _builtin_roles_after_flush(request: pytest.FixtureRequest) -> None:
    """Put the built-in roles back at the start of each transactional test.

    A transactional test (live server, two processes, jobs on a thread) empties the database
    when it ends, and with it the roles that migration 0002 created; later transactional
    tests would find no ``sales_rep`` role and fail for the wrong reason.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        marker is not None
        and bool(marker.kwargs.get("transaction", marker.args[0] if marker.args else False))
    ) or bool({"transactional_db", "live_server"} & set(request.fixturenames))
    if not transactional:
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    importlib.import_module("guanxi.core.migrations.0002_builtin_roles").create_roles(apps, None)


@pytest.fixture
def org(db: Any) -> Org:
    from guanxi.core.tests.factories import TeamFactory, make_user

    sales = TeamFactory(name="Sales")
    east = TeamFactory(name="East", parent=sales)
    west = TeamFactory(name="West", parent=sales)
    director = make_user("sales_manager", team=sales, username="director")
    east_manager = make_user("sales_manager", team=east, username="eastmgr")
    sales.manager = director
    sales.save()
    east.manager = east_manager
    east.save()
    return Org(
        admin=make_user("admin", username="admin1"),
        director=director,
        east_manager=east_manager,
        east_rep=make_user("sales_rep", team=east, username="eastrep"),
        east_rep2=make_user("sales_rep", team=east, username="eastrep2"),
        west_rep=make_user("sales_rep", team=west, username="westrep"),
        read_only=make_user("read_only", team=east, username="viewer"),
        service=make_user("service_agent", team=east, username="agent"),
        sales=sales,
        east=east,
        west=west,
    )
