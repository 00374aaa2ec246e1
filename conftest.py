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


def _replay_data_migrations() -> None:
    """Run every data migration of Guanxi's apps again, in migration order.

    They are idempotent (get_or_create, update of role grants), so replaying them restores
    the built-in roles, access policies, default pipeline and the like however the database
    was emptied.
    """
    from django.apps import apps
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations.special import RunPython

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    ours = {config.label for config in apps.get_app_configs() if config.name.startswith("guanxi.")}
    seen: set[tuple[str, str]] = set()
    for leaf in sorted(loader.graph.leaf_nodes()):
        for key in loader.graph.forwards_plan(leaf):
            if key in seen or key[0] not in ours:
                continue
            seen.add(key)
            for operation in loader.graph.nodes[key].operations:
                if isinstance(operation, RunPython):
                    operation.code(apps, None)


@pytest.fixture(autouse=True)
def _builtin_data_after_flush(request: pytest.FixtureRequest) -> None:
    """Put the built-in data back at the start of each transactional test.

    A transactional test (live server, two processes, jobs on a thread) empties the database
    when it ends, and with it what the data migrations created (roles and their grants, access
    policies, the default pipeline, call outcomes …); later transactional tests would find no
    ``sales_rep`` role and fail for the wrong reason.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        marker is not None
        and bool(marker.kwargs.get("transaction", marker.args[0] if marker.args else False))
    ) or bool({"transactional_db", "live_server"} & set(request.fixturenames))
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    _replay_data_migrations()


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
