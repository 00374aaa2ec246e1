"""factory_boy factories for people and customers, used by every app's tests."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from guanxi.core.models import Role, Team, User
from guanxi.customers.models import Account, Contact


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")

    @factory.post_generation
    def set_path(obj, create, extracted, **kwargs):  # noqa: N805
        obj.path = obj.compute_path()
        if create:
            Team.objects.filter(pk=obj.pk).update(path=obj.path)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-Guanxi-2026")

    @factory.post_generation
    def roles(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()
            if extracted:
                obj.roles.set(Role.objects.filter(code__in=extracted))


def make_user(role: str | None = "sales_rep", team: Team | None = None, **kwargs) -> User:
    """A user with one built-in role (by code) in ``team``."""
    return UserFactory(roles=[role] if role else [], team=team, **kwargs)


def make_team(name: str = "", parent: Team | None = None, manager: User | None = None) -> Team:
    kwargs = {"name": name} if name else {}
    return TeamFactory(parent=parent, manager=manager, **kwargs)


class AccountFactory(DjangoModelFactory):
    """Builds through the model directly; tests of services call the services instead."""

    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        owner = kwargs.get("owner")
        if owner is not None and "team" not in kwargs:
            kwargs["team"] = owner.team
        obj = model_class(*args, **kwargs)
        obj.derive_fields()
        obj.save()
        return obj


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Sequence(lambda n: f"Contact {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        owner = kwargs.get("owner")
        if owner is not None and "team" not in kwargs:
            kwargs["team"] = owner.team
        obj = model_class(*args, **kwargs)
        obj.derive_fields()
        obj.save()
        return obj
