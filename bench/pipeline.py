"""The selling process at scale: assigning new leads, the kanban board and the forecast.

    .venv/bin/python bench/pipeline.py [--repeat 50] [--assign 10000] [--explain]

On PostgreSQL, in a database of its own (``guanxi_bench_pipeline``: created, migrated and seeded
the first time, then kept, so the million leads are generated once), with

- 100,000 accounts (``seed_scale``'s generator, without contacts or notes), owned by 55 people in
  ``Seed HQ`` → 5 region teams of a manager and 10 reps each;
- 100,000 open opportunities in the default pipeline's four open stages (plus 20,000 closed ones,
  half won), each owned by its account's owner;
- 1,000,000 leads over three years in every status (a sixth of the converted ones linked to the
  closed and open opportunities they became), 20 campaigns with costs,

the script measures

(a) ``guanxi.leads.services.assign_leads`` on 10,000 new, unassigned leads, with three assignment
    rules (provinces → region 1 round-robin, trade-show sources → region 2 least-loaded,
    everything else → region 3 round-robin), one rep at capacity and one absent. The leads are
    inserted (untimed), assigned (timed: rules, caps, loads, one UPDATE per rep, the change log,
    the commit and the events after it), checked, and deleted again, so every run starts from
    the same database;
(b) p50/p95 of the kanban board (``sales:board``) and the forecast (``sales:forecast``) pages,
    and of the lead funnel (``funnel:report``) for information, as a rep, a region manager and the
    director above all regions: Django's test client with a logged-in session, the full page
    (middleware, session, views, selectors, templates). Target: p95 under 300 ms.

Prints a table (times in ms); record the figures in ``docs/performance.md`` ("Pipeline").
Needs the local PostgreSQL (``127.0.0.1:5432``, user ``postgres``; another server with
``BENCH_PG=postgres://user:password@host:port``). Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import statistics
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
TARGET_P95_MS = 300.0
OWNERS = 55  # ensure_owners: 5 regions of a manager and 10 reps each
CAMPAIGNS = 20
BATCH = 10_000
RULE_PREFIX = "bench: "


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} {five:.1f} {fifteen:.1f}"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def pct(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


# --------------------------------------------------------------------------------------------
# set-up: database, Django
# --------------------------------------------------------------------------------------------


def ensure_database(name: str, recreate: bool) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(dbname: str) -> None:
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{dbname}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "guanxi.settings.local"
    os.environ["DEBUG"] = "0"
    # jobs (webhook deliveries and the like) would start threads; nothing here enqueues any
    os.environ.setdefault("GUANXI_JOBS_MODE", "thread")
    sys.path.insert(0, str(ROOT))
    warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers")
    import django

    django.setup()

    from django.conf import settings
    from django.db import connection

    # a web worker keeps its connection; a reconnect in the middle of the timing is noise
    connection.settings_dict["CONN_MAX_AGE"] = None
    # Not setup_test_environment(): it instruments every template render to send a signal the
    # test client answers by copying the context, which on a board of 180 included cards costs
    # more than the rendering itself. The client only needs its host allowed.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


# --------------------------------------------------------------------------------------------
# seeding (kept between runs)
# --------------------------------------------------------------------------------------------


class Seeder:
    """Builds campaigns, opportunities and leads as rows and writes them with ``COPY``."""

    def __init__(self, rnd: random.Random) -> None:
        from django.utils import timezone

        from guanxi.customers.demo import CITIES, PRODUCTS, TRADES
        from guanxi.leads.models import Lead
        from guanxi.sales.models import Opportunity

        self.rnd = rnd
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.cities = CITIES
        self.products = PRODUCTS
        self.industries = sorted({industry for _trade, industry in TRADES})
        self._lead = Lead()
        self._opportunity = Opportunity()
        from psycopg.types.json import Jsonb

        self.empty_json = Jsonb([])

    # -- opportunities ---------------------------------------------------------------------

    def opportunity(self, account: tuple[int, int, int], stage: Any) -> dict[str, Any]:
        from guanxi.sales.models import StageKind

        rnd = self.rnd
        account_id, owner_id, team_id = account
        created = self.now - timedelta(days=rnd.random() * 365)
        name = f"{rnd.choice(self.products)}{rnd.choice(('采购', '项目', '升级', '扩容', '续约'))}"
        self._opportunity.name = name
        self._opportunity.derive_fields()
        category = {0: "pipeline", 1: "pipeline", 2: "best_case", 3: "commit"}.get(
            stage.order, "closed" if stage.kind == StageKind.WON else "omitted"
        )
        closed = stage.kind != StageKind.OPEN
        return {
            "name": name,
            "search_tokens": self._opportunity.search_tokens,
            "account_id": account_id,
            "pipeline_id": stage.pipeline_id,
            "stage_id": stage.pk,
            "amount": Decimal(int(rnd.lognormvariate(11.5, 1.0))).quantize(Decimal("0.01")),
            "currency": rnd.choices(("CNY", "USD", "EUR"), weights=(90, 7, 3))[0],
            "probability": stage.probability,
            "expected_close_date": self.today + timedelta(days=rnd.randint(-60, 240)),
            "forecast_category": category,
            "loss_reason": "价格" if stage.kind == StageKind.LOST else "",
            "stage_entered_at": created + (self.now - created) * rnd.random(),
            "closed_at": created + (self.now - created) * rnd.random() if closed else None,
            "owner_id": owner_id,
            "team_id": team_id,
            "created_at": created,
            "updated_at": created,
            "created_by_id": owner_id,
            "updated_by_id": owner_id,
        }

    # -- leads -----------------------------------------------------------------------------

    STATUSES = (
        ("new", 8),
        ("contacted", 12),
        ("nurturing", 10),
        ("qualified", 8),
        ("disqualified", 50),
        ("converted", 12),
    )
    SOURCES = (
        ("web_form", 30),
        ("trade_show", 15),
        ("business_card", 5),
        ("campaign", 15),
        ("referral", 10),
        ("phone_in", 10),
        ("cold_call", 10),
        ("other", 5),
    )

    def lead(
        self,
        owner: tuple[int, int] | None,
        campaigns: list[int],
        status: str | None = None,
        created: Any = None,
    ) -> dict[str, Any]:
        from guanxi.customers.demo import GIVEN_NAMES, SURNAMES, make_mobile, pinyin_of

        rnd = self.rnd
        status = status or rnd.choices(*zip(*self.STATUSES, strict=True))[0]
        created = created or self.now - timedelta(seconds=rnd.random() * 3 * 365 * 86400)
        city = rnd.choice(self.cities)
        surname, given = rnd.choice(SURNAMES), rnd.choice(GIVEN_NAMES)
        company = (
            f"{city.name}{rnd.choice(('恒达', '华信', '新科', '宏远', '金诚', '瑞丰'))}科技有限公司"
        )
        mobile = make_mobile(rnd) if rnd.random() < 0.8 else ""
        email = f"{pinyin_of(given)}.{pinyin_of(surname)}{rnd.randrange(10**6)}@example.cn"
        email = email if rnd.random() < 0.7 else ""
        lead = self._lead
        lead.person_name, lead.company, lead.mobile, lead.phone, lead.email = (
            surname + given,
            company,
            mobile,
            "",
            email,
        )
        lead.derive_fields()
        row: dict[str, Any] = {
            "person_name": lead.person_name,
            "company": company,
            "mobile": mobile,
            "email": email,
            "search_tokens": lead.search_tokens,
            "source": rnd.choices(*zip(*self.SOURCES, strict=True))[0],
            "campaign_id": rnd.choice(campaigns) if campaigns and rnd.random() < 0.3 else None,
            "industry": rnd.choice(self.industries),
            "province": city.province,
            "city": city.name,
            "product_interest": rnd.choice(self.products),
            "budget": Decimal(int(rnd.lognormvariate(11, 1.2))) if rnd.random() < 0.6 else None,
            "decision_timeline": rnd.choice(("now", "quarter", "half_year", "year", "unknown", "")),
            "status": status,
            "score": rnd.randint(0, 100),
            "score_breakdown": self.empty_json,
            "created_at": created,
            "updated_at": created,
        }
        if status == "disqualified":
            row["disqualify_reason"] = rnd.choice(("无预算", "无需求", "重复", "联系不上"))
        if owner is not None:
            owner_id, team_id = owner
            row |= {
                "owner_id": owner_id,
                "team_id": team_id,
                "assigned_at": created + timedelta(seconds=rnd.randint(1, 600)),
                "created_by_id": owner_id,
                "updated_by_id": owner_id,
            }
        if status != "new" and rnd.random() < 0.9:
            row["first_contacted_at"] = created + timedelta(hours=rnd.expovariate(1 / 20))
        if status in ("qualified", "converted"):
            row["qualified_at"] = created + timedelta(days=rnd.randint(1, 30))
        if status == "converted":
            row["converted_at"] = created + timedelta(days=rnd.randint(5, 60))
        return row


def seed(args: argparse.Namespace) -> None:
    """Accounts, opportunities, campaigns and leads up to the sizes asked for (idempotent)."""
    from django.db import connection, transaction

    from guanxi.core.models import User
    from guanxi.customers.models import Account
    from guanxi.customers.seed import TableWriter, cached_pinyin, ensure_owners, seed_scale
    from guanxi.leads.models import Lead
    from guanxi.marketing.models import Campaign
    from guanxi.sales.models import Opportunity, Pipeline, StageKind

    rnd = random.Random(5)
    started = time.perf_counter()
    people = ensure_owners(OWNERS)
    owners = [(u.pk, u.team_id) for u in people]
    seeded_something = False

    have = Account.all_objects.count()
    if have < args.accounts:
        log(f"seeding {args.accounts - have:,} accounts (seed_scale, no contacts or notes)")
        seed_scale(
            args.accounts - have,
            contacts_per_account=0,
            notes_per_account=0,
            owners=OWNERS,
            share_ratio=0,
            batch_size=BATCH,
            seed=have + 1,
            analyze=False,
        )
        seeded_something = True

    pipeline = Pipeline.default()
    stages = list(pipeline.stages.order_by("order"))
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    won = next(s for s in stages if s.kind == StageKind.WON)
    lost = next(s for s in stages if s.kind == StageKind.LOST)
    seeder = Seeder(rnd)

    with cached_pinyin():
        have_open = Opportunity.all_objects.filter(stage__kind=StageKind.OPEN).count()
        have_closed = Opportunity.all_objects.exclude(stage__kind=StageKind.OPEN).count()
        if have_open < args.opportunities or have_closed < args.closed:
            accounts = list(Account.all_objects.values_list("pk", "owner_id", "team_id"))
            writer = TableWriter(Opportunity)
            todo = [rnd.choice(open_stages) for _ in range(args.opportunities - have_open)]
            todo += [won if i % 2 else lost for i in range(max(0, args.closed - have_closed))]
            log(f"seeding {len(todo):,} opportunities")
            for start in range(0, len(todo), BATCH):
                with transaction.atomic():
                    writer.write(
                        [
                            seeder.opportunity(rnd.choice(accounts), stage)
                            for stage in todo[start : start + BATCH]
                        ]
                    )
            seeded_something = True

        if Campaign.all_objects.filter(name__startswith="Bench ").count() < CAMPAIGNS:
            director = User.objects.get(username="seed.director")
            for i in range(CAMPAIGNS):
                Campaign.all_objects.get_or_create(
                    name=f"Bench campaign {i + 1:02d}",
                    defaults={
                        "cost": Decimal(rnd.randrange(5_000, 500_000)),
                        "currency": "CNY" if i % 5 else "USD",
                        "status": "completed",
                        "owner": director,
                        "team_id": director.team_id,
                    },
                )
        campaigns = list(
            Campaign.all_objects.filter(name__startswith="Bench ").values_list("pk", flat=True)
        )

        have_leads = Lead.all_objects.count()
        if have_leads < args.leads:
            todo_leads = args.leads - have_leads
            # the converted leads take the opportunities no lead is linked to yet
            free = list(
                Opportunity.all_objects.filter(source_lead_id__isnull=True)
                .exclude(
                    pk__in=Lead.all_objects.filter(converted_opportunity__isnull=False).values(
                        "converted_opportunity"
                    )
                )
                .values_list("pk", "owner_id", "team_id")
            )
            rnd.shuffle(free)
            writer = TableWriter(Lead)
            log(f"seeding {todo_leads:,} leads ({len(free):,} opportunities to link to)")
            # in the order they came, over three years, as a CRM receives them: a date range
            # then reads neighbouring rows, not one row per page of the whole table
            span = 3 * 365 * 86400
            done = 0
            while done < todo_leads:
                size = min(BATCH, todo_leads - done)
                rows = []
                for i in range(size):
                    owner = rnd.choice(owners) if rnd.random() < 0.98 else None
                    age = span * (1 - (done + i + rnd.random()) / todo_leads)
                    row = seeder.lead(owner, campaigns, created=seeder.now - timedelta(seconds=age))
                    if row["status"] == "converted" and free and rnd.random() < 0.15:
                        opp_id, owner_id, team_id = free.pop()
                        row |= {
                            "converted_opportunity_id": opp_id,
                            "owner_id": owner_id,
                            "team_id": team_id,
                        }
                    rows.append(row)
                with transaction.atomic():
                    writer.write(rows)
                done += size
                if done % 100_000 == 0 or done == todo_leads:
                    log(f"  {have_leads + done:>9,} leads  {time.perf_counter() - started:6.0f} s")
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE sales_opportunity o SET source_lead_id = l.id FROM leads_lead l "
                    "WHERE l.converted_opportunity_id = o.id AND o.source_lead_id IS NULL"
                )
            seeded_something = True

    if seeded_something:
        log(f"seeded in {time.perf_counter() - started:.0f} s; VACUUM ANALYZE")
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def prepare_rules() -> dict[str, Any]:
    """Three assignment rules over three region teams, a rep at capacity and one absent."""
    from django.utils import timezone

    from guanxi.core.models import Team, User
    from guanxi.leads.models import OPEN_STATUSES, AssignmentRule, Lead, RepAvailability

    teams = {t.name: t for t in Team.objects.filter(name__startswith="Seed region ")}
    east = teams["Seed region 01"]
    fairs = teams["Seed region 02"]
    rest = teams["Seed region 03"]
    AssignmentRule.objects.exclude(name__startswith=RULE_PREFIX).update(is_active=False)
    specs = [
        (1, "east provinces", {"provinces": "上海市,江苏省,浙江省,安徽省"}, east, "round_robin"),
        (2, "trade shows", {"sources": "trade_show,business_card"}, fairs, "least_loaded"),
        (3, "everything else", {}, rest, "round_robin"),
    ]
    for order, name, conditions, team, method in specs:
        AssignmentRule.objects.update_or_create(
            name=RULE_PREFIX + name,
            defaults={
                "order": order,
                "team": team,
                "method": method,
                "is_active": True,
                "contact_within_hours": 24,
                **conditions,
            },
        )
    # region 2: one rep has room for 50 more open leads; region 3: one rep is on leave
    capped = User.objects.filter(team=fairs, username__startswith="seed.rep").order_by("pk")[0]
    load = Lead.objects.filter(owner=capped, status__in=OPEN_STATUSES).count()
    RepAvailability.objects.update_or_create(user=capped, defaults={"max_open_leads": load + 50})
    absent = User.objects.filter(team=rest, username__startswith="seed.rep").order_by("pk")[0]
    now = timezone.now()
    RepAvailability.objects.update_or_create(
        user=absent,
        defaults={"absent_from": now - timedelta(days=1), "absent_until": now + timedelta(days=30)},
    )
    return {"capped": capped, "capped_room": 50, "absent": absent, "teams": (east, fairs, rest)}


# --------------------------------------------------------------------------------------------
# (a) assigning new leads
# --------------------------------------------------------------------------------------------


@dataclass
class AssignRun:
    leads: int
    insert_s: float
    load_s: float
    assign_s: float
    per_team: dict[str, int] = field(default_factory=dict)
    unassigned: int = 0


def time_assignment(args: argparse.Namespace, setup: dict[str, Any]) -> list[AssignRun]:
    from django.db import connection, transaction
    from django.utils import timezone

    from guanxi.core.models import ChangeLogEntry, User
    from guanxi.customers.seed import TableWriter, cached_pinyin
    from guanxi.leads.models import Lead
    from guanxi.leads.services import assign_leads

    actor = User.objects.get(username="seed.director")
    writer = TableWriter(Lead)
    runs = []
    team_names = {t.pk: t.name for t in setup["teams"]}
    for run in range(args.assign_repeat):
        seeder = Seeder(random.Random(1000 + run))
        now = timezone.now()
        started = time.perf_counter()
        with cached_pinyin(), transaction.atomic():
            ids = writer.write(
                [seeder.lead(None, [], status="new", created=now) for _ in range(args.assign)]
            )
        insert_s = time.perf_counter() - started
        try:
            started = time.perf_counter()
            leads = list(Lead.objects.filter(pk__in=ids).order_by("pk"))
            load_s = time.perf_counter() - started
            started = time.perf_counter()
            result = assign_leads(leads, actor)
            assign_s = time.perf_counter() - started
            per_team = Counter(
                team_names.get(t, str(t))
                for t in Lead.objects.filter(pk__in=ids).values_list("team_id", flat=True)
            )
            unassigned = sum(1 for owner in result.values() if owner is None)
            capped = setup["capped"]
            got = sum(1 for owner in result.values() if owner == capped.pk)
            if got > setup["capped_room"] or any(o == setup["absent"].pk for o in result.values()):
                raise SystemExit("assign_leads broke a cap or gave a lead to an absent rep")
            logged = ChangeLogEntry.objects.filter(object_type="lead", object_id__in=ids).count()
            if logged != len(ids):
                raise SystemExit(f"{logged} change-log entries for {len(ids)} assigned leads")
        finally:
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM core_changelogentry WHERE object_type = 'lead' "
                    "AND object_id = ANY(%s)",
                    [ids],
                )
                cursor.execute("DELETE FROM leads_lead WHERE id = ANY(%s)", [ids])
        runs.append(AssignRun(len(ids), insert_s, load_s, assign_s, dict(per_team), unassigned))
        log(
            f"assign run {run + 1}: {len(ids):,} leads in {assign_s:.2f} s "
            f"(load {load_s:.2f} s) {dict(sorted(per_team.items()))} load avg {load()}"
        )
    return runs


# --------------------------------------------------------------------------------------------
# (b) pages
# --------------------------------------------------------------------------------------------


@dataclass
class PageResult:
    persona: str
    page: str
    queries: int
    bytes: int
    ms: list[float] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)


def personas() -> dict[str, tuple[Any, str]]:
    from guanxi.core.models import User
    from guanxi.leads.models import Lead
    from guanxi.sales.models import Opportunity, StageKind

    users = {
        "rep": User.objects.get(username="seed.rep0001"),
        "manager": User.objects.get(username="seed.mgr01"),
        "director": User.objects.get(username="seed.director"),
    }
    described = {}
    for name, user in users.items():
        opps = Opportunity.objects.visible_to(user).filter(stage__kind=StageKind.OPEN).count()
        leads = Lead.objects.visible_to(user).count()
        described[name] = (user, f"{user.username}: sees {opps:,} open deals, {leads:,} leads")
    return described


def pages() -> list[tuple[str, str]]:
    from django.urls import NoReverseMatch, reverse

    found = [("kanban", reverse("sales:board")), ("forecast", reverse("sales:forecast"))]
    with contextlib.suppress(NoReverseMatch):
        found.append(("funnel", reverse("funnel:report")))
    return found


def settle() -> None:
    """VACUUM the tables the pages read, as autovacuum keeps a live database: the assignment
    runs just deleted their leads, and a covering index answers from the index alone only on
    pages the visibility map marks all-visible."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("leads_lead", "sales_opportunity"):
            cursor.execute(f'VACUUM ANALYZE "{table}"')
    log(f"VACUUM ANALYZE of leads and opportunities: {time.perf_counter() - started:.0f} s")


def time_pages(args: argparse.Namespace) -> list[PageResult]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    results = []
    for persona, (user, description) in personas().items():
        log(description)
        client = Client()
        client.force_login(user)
        for page, url in pages():
            if args.page and not any(p in page for p in args.page):
                continue
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} as {persona} answered {response.status_code}")
            result = PageResult(persona, page, len(ctx.captured_queries), len(response.content))
            result.slowest = sorted(
                ((float(q["time"]) * 1000, q["sql"]) for q in ctx.captured_queries), reverse=True
            )[:3]
            for _ in range(args.warmup):
                client.get(url)
            for _ in range(args.repeat):
                started = time.perf_counter()
                response = client.get(url)
                result.ms.append((time.perf_counter() - started) * 1000)
            results.append(result)
            log(
                f"{persona:<8} {page:<8} p50 {pct(result.ms, 50):7.1f} ms  "
                f"p95 {pct(result.ms, 95):7.1f} ms  {result.queries} queries  load avg {load()}"
            )
            if args.explain:
                explain(result.slowest)
    return results


def explain(statements: list[tuple[float, str]]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for ms, sql in statements:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            print(f"\n-- {ms:.1f} ms\n{sql}")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print("\n".join(row[0] for row in cursor.fetchall()))


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="guanxi_bench_pipeline", help="database name")
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--opportunities", type=int, default=100_000, help="open ones")
    parser.add_argument("--closed", type=int, default=20_000, help="closed (half won) ones")
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--assign", type=int, default=10_000, help="new leads per assign run")
    parser.add_argument("--assign-repeat", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=50, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--page", action="append", help="only pages whose name contains this")
    parser.add_argument("--skip-assign", action="store_true")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--reseed", action="store_true", help="drop the database and seed again")
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE slow statements")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    ensure_database(args.db, args.reseed)
    setup_django(args.db)
    from django.core.management import call_command

    log(f"{args.db}: migrating; load avg {load()}")
    call_command("migrate", verbosity=0)
    seed(args)
    if args.seed_only:
        return 0
    setup = prepare_rules()
    load_before = load()
    runs = [] if args.skip_assign else time_assignment(args, setup)
    if not args.skip_pages:
        settle()
    results = [] if args.skip_pages else time_pages(args)
    report(args, runs, results, load_before)
    return 0


def report(
    args: argparse.Namespace, runs: list[AssignRun], results: list[PageResult], load_before: str
) -> None:
    from guanxi.leads.models import Lead
    from guanxi.sales.models import Opportunity, StageKind

    leads = Lead.all_objects.count()
    open_deals = Opportunity.all_objects.filter(stage__kind=StageKind.OPEN).count()
    print()
    print(
        f"Guanxi pipeline benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}; "
        f"{leads:,} leads, {open_deals:,} open opportunities; "
        f"load average {load_before} before, {load()} after"
    )
    if runs:
        print(f"\n(a) assign_leads, {args.assign:,} new leads, 3 rules, 3 teams of 10 reps")
        print(f"{'run':>4} {'assign s':>9} {'leads/s':>9} {'load s':>7} {'insert s':>9}")
        for i, run in enumerate(runs, 1):
            print(
                f"{i:>4} {run.assign_s:>9.2f} {run.leads / run.assign_s:>9,.0f} "
                f"{run.load_s:>7.2f} {run.insert_s:>9.2f}"
            )
    if results:
        print(f"\n(b) pages, {args.repeat} timed requests each (ms)")
        header = f"{'persona':<9}{'page':<9}{'p50':>8}{'p95':>8}{'max':>8}{'queries':>8}  target"
        print(header)
        print("-" * len(header))
        for r in results:
            ok = pct(r.ms, 95) < TARGET_P95_MS
            verdict = ("ok" if ok else "MISSED") if r.page != "funnel" else "(information)"
            print(
                f"{r.persona:<9}{r.page:<9}{pct(r.ms, 50):>8.1f}{pct(r.ms, 95):>8.1f}"
                f"{max(r.ms):>8.1f}{r.queries:>8}  {verdict}"
            )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "date": f"{date.today()}",
                    "machine": machine(),
                    "leads": leads,
                    "open_opportunities": open_deals,
                    "assign": [run.__dict__ for run in runs],
                    "pages": [
                        {
                            "persona": r.persona,
                            "page": r.page,
                            "queries": r.queries,
                            "p50": pct(r.ms, 50),
                            "p95": pct(r.ms, 95),
                        }
                        for r in results
                    ],
                },
                indent=2,
                ensure_ascii=False,
            )
        )


if __name__ == "__main__":
    sys.exit(main())
