"""Scale data for benchmarks: millions of accounts, contacts and timeline entries, fast.

Unlike the demo, this does not go through the services one record at a time: it builds rows
in memory and writes them in batches, one transaction per batch (``COPY`` on PostgreSQL,
``bulk_create`` elsewhere). Every row still gets the derived fields the services would give it
(``derive_fields()``: pinyin, initials, search tokens), so search and lists behave as on real
data. What it skips on purpose: the change log and domain events (a seeded row has no
history) and class transitions.

Owners are spread over a team hierarchy (``Seed HQ`` → regions → reps), so a benchmark can
measure a rep's and a manager's scoped view as well as an administrator's.
"""

from __future__ import annotations

import functools
import operator
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from pypinyin import lazy_pinyin

from guanxi.core.models import Note, RecordShare, Role, ShareAccess, Team, User

from .demo import (
    BRANDS,
    CITIES,
    CLASS_WEIGHTS,
    COMPANY_SUFFIXES,
    GIVEN_NAMES,
    NOTE_TEMPLATES,
    PRODUCTS,
    RECEIVABLES_WEIGHTS,
    ROADS,
    SETTLEMENT_WEIGHTS,
    SOURCE_WEIGHTS,
    SURNAMES,
    TITLES,
    TRADES,
    contribution_for,
    make_landline,
    make_mobile,
    make_uscc,
    pinyin_of,
    weighted,
)
from .models import Account, AccountKind, Channel, Contact, Profitability, RegionClass

SEED_PREFIX = "seed."
ROOT_TEAM = "Seed HQ"


@dataclass
class SeedResult:
    accounts: int = 0
    contacts: int = 0
    notes: int = 0
    shares: int = 0
    owners: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.accounts / self.seconds if self.seconds else 0.0


@contextmanager
def cached_pinyin() -> Iterator[None]:
    """Memoise pypinyin while seeding.

    Seeded names are composed from pools, so the same name comes back many times, and pypinyin
    costs about 0.1 ms per company name: on a million accounts that alone is minutes. The
    models' own ``derive_fields()`` stays the one definition of the derived fields; only its
    pinyin lookups are answered from a cache (``lazy_pinyin`` is a pure function of its text).
    """
    from guanxi.core import search

    from . import models

    cached = functools.lru_cache(maxsize=None)(lazy_pinyin)
    saved = search.lazy_pinyin, models.lazy_pinyin
    search.lazy_pinyin = models.lazy_pinyin = cached
    try:
        yield
    finally:
        search.lazy_pinyin, models.lazy_pinyin = saved


# --------------------------------------------------------------------------------------------
# owners
# --------------------------------------------------------------------------------------------


def _team(name: str, parent: Team | None, manager: User | None = None) -> Team:
    team = Team.objects.filter(name=name, parent=parent).first()
    if team is None:
        team = Team.objects.create(name=name, parent=parent, manager=manager)
        team.path = team.compute_path()
        Team.objects.filter(pk=team.pk).update(path=team.path)
    elif manager is not None and team.manager_id != manager.pk:
        Team.objects.filter(pk=team.pk).update(manager=manager)
    return team


def _user(username: str, team: Team, role: Role, password_hash: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create(
            username=username,
            email=f"{username}@seed.example.com",
            team=team,
            password=password_hash,
        )
        user.roles.add(role)
    return user


def ensure_owners(count: int, password: str | None = None) -> list[User]:
    """``count`` owners in a hierarchy: Seed HQ (a director) → regions (a manager each) → reps.

    One region per ten owners; its manager owns records too. Existing seed users are reused,
    so seeding twice adds customers, not people.
    """
    count = max(count, 1)
    password_hash = make_password(password) if password else make_password(None)
    manager_role = Role.objects.get(code="sales_manager")
    rep_role = Role.objects.get(code="sales_rep")
    root = _team(ROOT_TEAM, None)
    director = _user(f"{SEED_PREFIX}director", root, manager_role, password_hash)
    _team(ROOT_TEAM, None, manager=director)
    regions = max(1, count // 10)
    owners: list[User] = []
    region_teams = []
    for r in range(1, regions + 1):
        team = _team(f"Seed region {r:02d}", root)
        manager = _user(f"{SEED_PREFIX}mgr{r:02d}", team, manager_role, password_hash)
        _team(team.name, root, manager=manager)
        region_teams.append(team)
        owners.append(manager)
    for i in range(1, count - regions + 1):
        team = region_teams[(i - 1) % regions]
        owners.append(_user(f"{SEED_PREFIX}rep{i:04d}", team, rep_role, password_hash))
    return owners


# --------------------------------------------------------------------------------------------
# rows
# --------------------------------------------------------------------------------------------


class TableWriter:
    """Writes rows (dicts of attribute name to value) of one model and returns their ids.

    On PostgreSQL it reserves ids from the table's sequence and streams the rows with
    ``COPY``, several times faster than ``INSERT``; elsewhere it uses ``bulk_create``. Fields
    a row leaves out get their model default, so a new column with a default needs no change
    here.
    """

    def __init__(self, model: type[Any]) -> None:
        self.model = model
        self.table = model._meta.db_table
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.copy = connection.vendor == "postgresql"

    def write(self, rows: list[dict[str, Any]]) -> list[int]:
        if not rows:
            return []
        if not self.copy:
            objs = [self.model(**row) for row in rows]
            self.model.objects.bulk_create(objs, batch_size=1000)
            return [obj.pk for obj in objs]
        defaults = {f.attname: f.get_default() for f in self.fields}
        values = operator.itemgetter(*(f.attname for f in self.fields))
        columns = ", ".join(f'"{f.column}"' for f in self.fields)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [self.table, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            with cursor.cursor.copy(f'COPY "{self.table}" ("id", {columns}) FROM STDIN') as copy:
                for pk, row in zip(ids, rows, strict=True):
                    copy.write_row((pk, *values(defaults | row)))
        return ids


class RowMaker:
    """Builds Account, Contact and Note rows (dicts) from the demo's name pools."""

    def __init__(self, rnd: random.Random, owners: list[User], now: Any) -> None:
        self.rnd = rnd
        self.owners = owners
        self.now = now
        # each region team works the cities of one sales region
        regions = ("east", "south")
        team_ids = sorted({o.team_id for o in owners})
        self.team_region = {tid: regions[i % 2] for i, tid in enumerate(team_ids)}
        self.brand_pinyin = {b: pinyin_of(b) for b in BRANDS}
        self.trade_pinyin = {t: pinyin_of(t)[:6] for t, _i in TRADES}
        self.person_pinyin = {p: pinyin_of(p) for p in (*SURNAMES, *GIVEN_NAMES)}
        self.account_ct_id = ContentType.objects.get_for_model(Account).pk
        # one instance of each model computes every row's derived fields, so the models'
        # derive_fields() stays their one definition without building a model per row
        self._account = Account()
        self._contact = Contact()

    @staticmethod
    def _derive(instance: Any, row: dict[str, Any], sources: tuple[str, ...]) -> None:
        for name in sources:
            setattr(instance, name, row.get(name, ""))
        instance.derive_fields()
        row["name"] = instance.name
        row["name_pinyin"] = instance.name_pinyin
        row["name_initials"] = instance.name_initials
        row["search_tokens"] = instance.search_tokens

    def account(self, owner: User) -> dict[str, Any]:
        rnd = self.rnd
        city = rnd.choice(CITIES)
        relationship = weighted(rnd, CLASS_WEIGHTS)
        created = self.now - timedelta(seconds=rnd.random() * 5 * 365 * 86400)
        row = {
            "relationship_class": relationship,
            "source_class": weighted(rnd, SOURCE_WEIGHTS),
            "region_class": RegionClass.OWN_REGION
            if city.region == self.team_region.get(owner.team_id)
            else RegionClass.OTHER_REGION,
            "settlement": weighted(rnd, SETTLEMENT_WEIGHTS),
            "receivables_class": weighted(rnd, RECEIVABLES_WEIGHTS),
            "profit_contribution": contribution_for(rnd, relationship),
            "profitability": rnd.choice(("", Profitability.PROFITABLE, Profitability.UNPROFITABLE)),
            "rating": rnd.choice((None, None, 1, 2, 3, 4, 5)),
            "country": "CN",
            "province": city.province,
            "city": city.name,
            "district": rnd.choice(city.districts),
            "street": f"{rnd.choice(ROADS)}{rnd.randrange(1, 999)}号",
            "owner_id": owner.pk,
            "team_id": owner.team_id,
            "created_at": created,
            "updated_at": created,
            "created_by_id": owner.pk,
            "updated_by_id": owner.pk,
        }
        if rnd.random() < 0.9:
            brand = rnd.choice(BRANDS)
            trade, industry = rnd.choice(TRADES)
            domain = f"{self.brand_pinyin[brand]}{self.trade_pinyin[trade]}.com.cn"
            row |= {
                "name": f"{city.name}{brand}{trade}{rnd.choice(COMPANY_SUFFIXES)}",
                "kind": AccountKind.COMPANY,
                "industry": industry,
                "tax_number": make_uscc(rnd, city.division),
                "phone": make_landline(rnd, city.area_code),
                "email": f"info@{domain}",
            }
        else:
            domain = "example.cn"
            surname, given = rnd.choice(SURNAMES), rnd.choice(GIVEN_NAMES)
            row |= {"name": surname + given, "kind": AccountKind.PERSON, "phone": make_mobile(rnd)}
        self._derive(self._account, row, ("name", "phone", "email", "tax_number"))
        row["_domain"] = domain
        return row

    def contact(self, account: dict[str, Any], n: int) -> dict[str, Any]:
        rnd = self.rnd
        surname, given = rnd.choice(SURNAMES), rnd.choice(GIVEN_NAMES)
        title, department, role = rnd.choice(TITLES)
        local = f"{self.person_pinyin[given]}.{self.person_pinyin[surname]}{n}"
        row = {
            "account_id": account["id"],
            "name": surname + given,
            "title": title,
            "department": department,
            "buying_role": role,
            "mobile": make_mobile(rnd),
            "email": f"{local}@{account['_domain']}",
            "preferred_channel": rnd.choice((Channel.PHONE, Channel.WECHAT, Channel.EMAIL, "")),
            "owner_id": account["owner_id"],
            "team_id": account["team_id"],
            "created_at": account["created_at"],
            "updated_at": account["created_at"],
            "created_by_id": account["owner_id"],
            "updated_by_id": account["owner_id"],
        }
        self._derive(self._contact, row, ("name", "mobile", "phone", "email", "wechat_id"))
        return row

    def note(self, account: dict[str, Any], when: Any) -> dict[str, Any]:
        kind, direction, subject, body = self.rnd.choice(NOTE_TEMPLATES)
        return {
            "content_type_id": self.account_ct_id,
            "object_id": account["id"],
            "kind": kind,
            "direction": direction,
            "subject": subject,
            "body": body.format(p=self.rnd.choice(PRODUCTS), n=account["name"]),
            "occurred_at": when,
            "created_at": when,
            "updated_at": when,
            "created_by_id": account["owner_id"],
            "updated_by_id": account["owner_id"],
        }


# --------------------------------------------------------------------------------------------
# the seeder
# --------------------------------------------------------------------------------------------


def seed_scale(
    accounts: int,
    *,
    contacts_per_account: int = 2,
    notes_per_account: int = 1,
    owners: int = 50,
    share_ratio: float = 0.01,
    batch_size: int = 5000,
    seed: int = 1,
    password: str | None = None,
    analyze: bool = True,
    progress: Callable[[SeedResult], None] | None = None,
) -> SeedResult:
    """Insert ``accounts`` accounts, each with its contacts and timeline entries.

    Each batch of ``batch_size`` accounts is one transaction: its accounts, then their
    contacts, notes and shares (a ``share_ratio`` share of accounts is shared read-only with
    an owner of another team). ``progress`` is called after each batch.
    """
    started = time.monotonic()
    result = SeedResult()
    rnd = random.Random(seed)
    people = ensure_owners(owners, password)
    result.owners = len(people)
    maker = RowMaker(rnd, people, timezone.now())
    writers = {m: TableWriter(m) for m in (Account, Contact, Note, RecordShare)}
    with cached_pinyin():
        done = 0
        while done < accounts:
            size = min(batch_size, accounts - done)
            rows = [maker.account(rnd.choice(people)) for _ in range(size)]
            note_times = []
            for row in rows:
                times = sorted(
                    row["created_at"] + (maker.now - row["created_at"]) * rnd.random()
                    for _ in range(notes_per_account)
                )
                note_times.append(times)
                row["last_activity_at"] = times[-1] if times else None
            with transaction.atomic():
                plain = [{k: v for k, v in row.items() if k[0] != "_"} for row in rows]
                for row, pk in zip(rows, writers[Account].write(plain), strict=True):
                    row["id"] = pk
                contacts = [
                    maker.contact(row, n) for row in rows for n in range(contacts_per_account)
                ]
                writers[Contact].write(contacts)
                notes = [
                    maker.note(row, when) for i, row in enumerate(rows) for when in note_times[i]
                ]
                writers[Note].write(notes)
                shares = []
                for row in rows:
                    if rnd.random() < share_ratio:
                        others = [p for p in people if p.team_id != row["team_id"]] or people
                        shares.append(
                            {
                                "content_type_id": maker.account_ct_id,
                                "object_id": row["id"],
                                "user_id": rnd.choice(others).pk,
                                "access": ShareAccess.READ,
                                "created_at": maker.now,
                            }
                        )
                writers[RecordShare].write(shares)
            done += size
            result.accounts += size
            result.contacts += len(contacts)
            result.notes += len(notes)
            result.shares += len(shares)
            result.seconds = time.monotonic() - started
            if progress:
                progress(result)
    if analyze:
        analyze_tables()
    result.seconds = time.monotonic() - started
    return result


def analyze_tables() -> None:
    """Refresh the planner's statistics after a bulk load, so benchmarks see real plans."""
    tables = [m._meta.db_table for m in (Account, Contact, Note, RecordShare)]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'ANALYZE "{table}"')
