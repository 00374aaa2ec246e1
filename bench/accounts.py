"""Account list and search through the API, against the same SQL sent straight through psycopg.

    .venv/bin/python bench/accounts.py --accounts 100000 [--accounts 1000000] [--repeat 50]

For each size, on PostgreSQL, in a database of its own (``guanxi_bench_<N>``, created, migrated
and seeded with ``manage.py seed_scale`` the first time, then kept so 1,000,000 accounts are not
generated again on the next run), the script measures the p50/p95 time of

- the account list API (a filter, a sort, one page of 50),
- the search API (``/api/v1/search/?q=``: a pinyin prefix, initials, a Chinese character pair, a
  phone tail), and
- the UI's account list page with the API's two lists (a full HTML page of 50 rows),

each as an administrator, as a sales manager (whose view is the team hierarchy below them) and as
a sales rep (own accounts and what is shared with the rep or the rep's team), measured in-process
with Django's test client: routing, middleware, session, authentication, filtering, queries and
JSON serialisation (HTML rendering for the page). Every request's SQL is captured once and the
very same statements are then replayed through a raw psycopg connection in the same run,
interleaved with the API requests: the
"raw" column is what the database alone costs, and the ratio is the price of everything Python
does on top of it. Targets (issue 3): p95 within 2x of raw and under 150 ms at 1,000,000 accounts.

Every size runs in a child process, because Django's settings (the database) are fixed once per
process. Not part of ``make test``; see ``bench/README.md`` and ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
TARGET_P95_MS = 150.0
TARGET_RATIO = 2.0
TARGET_SIZE = 1_000_000

# The list cases: a filter, a sort, one page.
LIST_CASES: list[tuple[str, dict[str, str]]] = [
    ("list class=repeat by -created", {"relationship_class": "repeat", "ordering": "-created_at"}),
    ("list city=上海 by name", {"city": "上海", "ordering": "name"}),
]
# The search cases: what people type in the header's box.
SEARCH_CASES: list[tuple[str, str]] = [
    ("search pinyin prefix", "zhang"),
    ("search initials", "zw"),
    ("search character pair", "科技"),
    ("search phone tail", "8888"),
]
# The same lists as the UI's page (/customers/accounts/, a full HTML page of 50 rows).
UI_CASES: list[tuple[str, dict[str, str]]] = [
    ("page class=repeat by -created", {"relationship_class": "repeat", "sort": "-created_at"}),
    ("page city=上海 by name", {"city": "上海", "sort": "name"}),
]
PAGE_SIZE = 50
PERSONAS = ("admin", "manager", "rep")
# What the rep is given on top of what the rep owns (see prepare_personas).
REP_USER_SHARES = 300
REP_TEAM_SHARES = 200


@dataclass
class Result:
    size: int
    persona: str
    case: str
    url: str
    queries: int
    rows: int
    api_ms: list[float] = field(default_factory=list)
    raw_ms: list[float] = field(default_factory=list)
    timed_out: bool = False
    statements: list[str] = field(default_factory=list, repr=False)

    @staticmethod
    def pct(values: list[float], p: int) -> float:
        if len(values) < 2:
            return values[0] if values else float("nan")
        return statistics.quantiles(values, n=100, method="inclusive")[p - 1]

    def summary(self) -> dict[str, Any]:
        api50, api95 = self.pct(self.api_ms, 50), self.pct(self.api_ms, 95)
        raw50, raw95 = self.pct(self.raw_ms, 50), self.pct(self.raw_ms, 95)
        return {
            "size": self.size,
            "persona": self.persona,
            "case": self.case,
            "url": self.url,
            "queries": self.queries,
            "rows": self.rows,
            "api_p50": api50,
            "api_p95": api95,
            "raw_p50": raw50,
            "raw_p95": raw95,
            "ratio_p50": api50 / raw50 if raw50 else float("nan"),
            "ratio_p95": api95 / raw95 if raw95 else float("nan"),
            "timed_out": self.timed_out,
        }


# --------------------------------------------------------------------------------------------
# The parent: one child per size, then one table
# --------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, action="append", help="size (repeatable)")
    parser.add_argument("--repeat", type=int, default=50, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per case")
    parser.add_argument("--persona", action="append", choices=PERSONAS, help="default: all")
    parser.add_argument("--case", action="append", help="only cases whose name contains this")
    parser.add_argument("--db-prefix", default="guanxi_bench", help="database name prefix")
    parser.add_argument("--reseed", action="store_true", help="drop and seed the database again")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE slow statements")
    parser.add_argument("--seed-only", action="store_true", help="prepare the database, no timing")
    parser.add_argument(
        "--timeout", type=float, default=0, help="statement timeout in seconds (0: none)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--sorts",
        action="store_true",
        help="instead: the account and contact list pages sorted by each sortable column",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.accounts = args.accounts or [100_000]
    args.persona = args.persona or list(PERSONAS)
    if args.child:
        return run_child(args)

    summaries: list[dict[str, Any]] = []
    for size in args.accounts:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            out = Path(handle.name)
        command = [sys.executable, __file__, "--child", "--accounts", str(size), "--out", str(out)]
        command += ["--repeat", str(args.repeat), "--warmup", str(args.warmup)]
        command += ["--db-prefix", args.db_prefix]
        command += [item for p in args.persona for item in ("--persona", p)]
        command += [item for c in args.case or () for item in ("--case", c)]
        command += ["--reseed"] * args.reseed + ["--explain"] * args.explain
        command += ["--seed-only"] * args.seed_only + ["--timeout", str(args.timeout)]
        command += ["--sorts"] * args.sorts
        if subprocess.run(command, cwd=ROOT, check=False).returncode != 0:
            print(f"the run with {size:,} accounts failed", file=sys.stderr)
            return 1
        summaries.extend(json.loads(out.read_text() or "[]"))
        out.unlink()
    if args.seed_only or args.sorts:
        return 0

    print()
    print(f"Guanxi accounts benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(server_settings())
    print_table(summaries)
    if args.json:
        args.json.write_text(json.dumps(summaries, indent=2, ensure_ascii=False))
    return 0


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


def print_table(summaries: list[dict[str, Any]]) -> None:
    header = (
        f"{'accounts':>9}  {'persona':<8} {'case':<30} {'q':>2} "
        f"{'API p50':>8} {'API p95':>8} {'raw p50':>8} {'raw p95':>8} "
        f"{'x p50':>6} {'x p95':>6}  target"
    )
    print(header)
    print("-" * len(header))
    for s in summaries:
        if s.get("timed_out"):
            print(f"{s['size']:>9,}  {s['persona']:<8} {s['case']:<30} a statement timed out")
            continue
        verdict = ""
        if s["size"] >= TARGET_SIZE:
            ok = s["api_p95"] < TARGET_P95_MS and s["ratio_p95"] <= TARGET_RATIO
            verdict = "ok" if ok else "MISSED"
        print(
            f"{s['size']:>9,}  {s['persona']:<8} {s['case']:<30} {s['queries']:>2} "
            f"{s['api_p50']:>8.1f} {s['api_p95']:>8.1f} {s['raw_p50']:>8.1f} {s['raw_p95']:>8.1f} "
            f"{s['ratio_p50']:>6.2f} {s['ratio_p95']:>6.2f}  {verdict}"
        )
    print("times in ms; q: SQL statements per request; x: API time / raw time of the same SQL")


# --------------------------------------------------------------------------------------------
# The child: one size, one database
# --------------------------------------------------------------------------------------------


def ensure_database(name: str, recreate: bool) -> bool:
    """Create the bench database when missing (or when asked to); True when it is new."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            return True
    return False


def run_child(args: argparse.Namespace) -> int:
    size = args.accounts[0]
    dbname = f"{args.db_prefix}_{size}"
    ensure_database(dbname, recreate=args.reseed)
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{dbname}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "guanxi.settings.local"
    os.environ["DEBUG"] = "0"
    # The bench sends thousands of requests as one user: no throttling in the way.
    os.environ["API_RATE_USER"] = "100000000/hour"
    if args.timeout:
        # libpq reads it for Django's connection and the raw one alike
        os.environ["PGOPTIONS"] = f"-c statement_timeout={int(args.timeout * 1000)}"
    sys.path.insert(0, str(ROOT))

    import warnings

    import django

    # WhiteNoise warns that collectstatic never ran; the API does not serve static files.
    warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers")
    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    # A web worker keeps its connection; a reconnect in the middle of the timing is noise.
    connection.settings_dict["CONN_MAX_AGE"] = None
    setup_test_environment(debug=False)  # lets the test client's "testserver" host in
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

    log(f"{dbname}: migrating")
    call_command("migrate", verbosity=0)
    seed(size, dbname)

    personas = prepare_personas()
    for persona in personas.values():
        log(f"{persona.name}: {persona.description}")
    if args.seed_only:
        return 0
    # As guanxi.wsgi does in a server process: views imported, start-up objects frozen.
    from guanxi.core.startup import settle

    settle()
    if args.sorts:
        run_sorts(size, personas, args)
        return 0
    load_before = os.getloadavg()[0]
    results = run_cases(size, personas, args)
    load_after = os.getloadavg()[0]
    summaries = [r.summary() for r in results]
    print(f"\n{size:,} accounts ({dbname}), {args.repeat} timed requests per case")
    print(f"load average (1 min) {load_before:.1f} before, {load_after:.1f} after")
    print_table(summaries)
    if args.out:
        args.out.write_text(json.dumps(summaries, ensure_ascii=False))
    return 0


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def seed(size: int, dbname: str) -> None:
    """Seed with ``seed_scale`` unless the database already holds ``size`` accounts."""
    from django.core.management import call_command
    from django.db import connection

    from guanxi.customers.models import Account

    current = Account.all_objects.count()
    if current == size:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        prewarm()
        return
    if current:
        raise SystemExit(
            f"{dbname} holds {current:,} accounts, not {size:,}: run again with --reseed"
        )
    log(f"{dbname}: seeding {size:,} accounts with seed_scale (minutes at a million)")
    started = time.perf_counter()
    call_command("seed_scale", accounts=size)
    log(f"{dbname}: seeded in {time.perf_counter() - started:.0f} s; VACUUM ANALYZE")
    connection.close()
    with connection.cursor() as cursor:
        # Sets the visibility map too, so counts can be index-only, as on a settled database.
        cursor.execute("VACUUM ANALYZE")
    prewarm()


# What a server that has been answering for a while holds in its buffers: the customer tables
# and their indexes (shared_buffers permitting; see server_settings in the header).
PREWARM_TABLES = ("customers_account", "customers_contact", "core_note", "core_recordshare")


def prewarm() -> None:
    """Load the customer tables and indexes into PostgreSQL's buffers (``pg_prewarm``)."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        cursor.execute(
            "SELECT coalesce(sum(pg_prewarm(c.oid)), 0) FROM pg_class c"
            " LEFT JOIN pg_index i ON i.indexrelid = c.oid"
            " WHERE c.relkind IN ('r', 'i')"
            " AND coalesce(i.indrelid, c.oid) = ANY(%s::regclass[])",
            [list(PREWARM_TABLES)],
        )
        (blocks,) = cursor.fetchone()
    log(f"prewarmed {blocks * 8 / 1024:,.0f} MB in {time.perf_counter() - started:.0f} s")


def server_settings() -> str:
    """The PostgreSQL settings the figures depend on."""
    import psycopg

    names = ("server_version", "shared_buffers", "work_mem", "random_page_cost", "jit")
    with psycopg.connect(f"{PG_SERVER}/postgres") as conn:
        values = [f"{name} {conn.execute(f'SHOW {name}').fetchone()[0]}" for name in names]
    return "PostgreSQL: " + ", ".join(values)


# --------------------------------------------------------------------------------------------
# Who asks
# --------------------------------------------------------------------------------------------


@dataclass
class Persona:
    name: str
    user: Any
    description: str


def prepare_personas() -> dict[str, Persona]:
    """An administrator, a region manager and a rep of ``seed_scale``'s hierarchy (idempotent).

    The rep is also given shares, through the share service: ``REP_USER_SHARES`` accounts of
    other teams shared with the rep (edit) and ``REP_TEAM_SHARES`` with the rep's team (read),
    on top of the read shares ``seed_scale`` spreads over every owner.
    """
    from django.contrib.contenttypes.models import ContentType

    from guanxi.core.models import RecordShare, Role, ShareAccess, User
    from guanxi.core.services import share_record
    from guanxi.customers.models import Account

    admin, created = User.objects.get_or_create(
        username="bench.admin", defaults={"email": "bench.admin@example.com"}
    )
    if created:
        admin.set_unusable_password()
        admin.save()
        admin.roles.add(Role.objects.get(code="admin"))
    manager = User.objects.get(username="seed.mgr01")
    rep = User.objects.get(username="seed.rep0001")

    ct = ContentType.objects.get_for_model(Account)
    given = RecordShare.objects.filter(content_type=ct, created_by=admin)
    if not given.exists():
        log("giving the rep shares")
        others = (
            Account.objects.exclude(team_id=rep.team_id)
            .order_by("?")
            .values_list("pk", flat=True)[: REP_USER_SHARES + REP_TEAM_SHARES]
        )
        for i, account in enumerate(Account.objects.filter(pk__in=list(others))):
            if i < REP_USER_SHARES:
                share_record(admin, account, user=rep, access=ShareAccess.EDIT)
            else:
                share_record(admin, account, team=rep.team, access=ShareAccess.READ)

    def describe(user: User) -> str:
        owned = Account.objects.filter(owner=user).count()
        visible = Account.objects.visible_to(user).count()
        return f"owns {owned:,} accounts, sees {visible:,}"

    return {
        "admin": Persona("admin", admin, "administrator: sees every account"),
        "manager": Persona("manager", manager, f"region manager: {describe(manager)}"),
        "rep": Persona("rep", rep, f"sales rep with shares: {describe(rep)}"),
    }


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


def case_urls() -> list[tuple[str, str]]:
    urls = []
    for name, params in LIST_CASES:
        urls.append((name, "/api/v1/accounts/?" + urlencode({**params, "page_size": PAGE_SIZE})))
    for name, q in SEARCH_CASES:
        urls.append((name, "/api/v1/search/?" + urlencode({"q": q})))
    for name, params in UI_CASES:
        urls.append((name, "/customers/accounts/?" + urlencode(params)))
    return urls


def raw_connection() -> Any:
    """A plain psycopg connection to the same database, set up as Django sets up its own."""
    import psycopg

    conn = psycopg.connect(
        os.environ["DATABASE_URL"],
        autocommit=True,
        prepare_threshold=None,  # Django does not prepare statements either
    )
    conn.execute("SET TIME ZONE 'UTC'")
    return conn


_SKIPPED = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


# Django reads a select widget's choices through a server-side cursor on PostgreSQL; the
# replay runs the cursor's query itself (a held cursor of the same name would exist already).
_DECLARE = re.compile(r'^DECLARE "[^"]+" .*?CURSOR (?:WITH(?:OUT)? HOLD )?FOR (.*)$', re.S)


def replay(conn: Any, statements: list[str]) -> int:
    """Run the statements as they were sent and fetch every row; the number of rows read."""
    rows = 0
    with conn.cursor() as cursor:
        for sql in statements:
            declared = _DECLARE.match(sql)
            cursor.execute(declared.group(1) if declared else sql)
            if cursor.description is not None:
                rows += len(cursor.fetchall())
    return rows


def capture(client: Any, url: str) -> tuple[list[str], Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
    statements = [q["sql"] for q in ctx.captured_queries]
    return [s for s in statements if not s.upper().startswith(_SKIPPED)], response


def run_cases(size: int, personas: dict[str, Persona], args: argparse.Namespace) -> list[Result]:
    import psycopg
    from django.db import DatabaseError
    from django.test import Client

    database_errors = (DatabaseError, psycopg.Error)  # a statement timeout (--timeout)
    conn = raw_connection()
    results: list[Result] = []
    for persona_name in args.persona:
        persona = personas[persona_name]
        client = Client()
        client.force_login(persona.user)
        for case, url in case_urls():
            if args.case and not any(c in case for c in args.case):
                continue
            try:
                result = time_case(client, conn, size, persona_name, case, url, args)
            except database_errors as exc:
                log(f"{persona_name:<8} {case:<30} {type(exc).__name__}: {exc}".strip())
                results.append(Result(size, persona_name, case, url, 0, 0, timed_out=True))
                continue
            results.append(result)
            statements = result.statements
            s = result.summary()
            log(
                f"{persona_name:<8} {case:<30} API p95 {s['api_p95']:7.1f} ms, "
                f"raw p95 {s['raw_p95']:7.1f} ms ({len(statements)} statements)"
            )
            if args.explain:
                explain(conn, statements)
    conn.close()
    return results


def time_case(
    client: Any, conn: Any, size: int, persona: str, case: str, url: str, args: Any
) -> Result:
    for _ in range(args.warmup):
        client.get(url)
    # Captured once the per-process caches (content types, access policies) are warm, as they
    # are in a web worker that has served a few requests.
    statements, response = capture(client, url)
    result = Result(size, persona, case, url, len(statements), count_rows(response))
    result.statements = statements
    for _ in range(args.warmup):
        replay(conn, statements)
    for i in range(args.repeat):
        # Alternate which goes first, so neither always finds the other's cache warm.
        order = (True, False) if i % 2 == 0 else (False, True)
        for api in order:
            started = time.perf_counter()
            if api:
                response = client.get(url)
                response.content  # noqa: B018  rendered before it leaves the view
            else:
                replay(conn, statements)
            elapsed = (time.perf_counter() - started) * 1000
            (result.api_ms if api else result.raw_ms).append(elapsed)
    return result


def run_sorts(size: int, personas: dict[str, Persona], args: argparse.Namespace) -> None:
    """The first page of the account and contact list pages sorted by each column they can be
    sorted by, both ways, against the same page in its default order (by name) in the same
    run: sorting by any column should cost about what the default order costs."""
    from django.test import Client

    from guanxi.customers.tables import AccountTable, ContactTable

    repeat = max(3, args.repeat // 5)
    print(f"\n{size:,} accounts: list pages by sort order, {repeat} timed requests each (ms)")
    print(f"{'persona':<8} {'page':<9} {'sort':<22} {'p50':>7} {'max':>7} {'default':>8} {'x':>5}")

    def timed(client: Any, url: str) -> list[float]:
        for _ in range(args.warmup):
            client.get(url)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}")
        return times

    for persona_name in args.persona:
        client = Client()
        client.force_login(personas[persona_name].user)
        for page, table in (("accounts", AccountTable), ("contacts", ContactTable)):
            base_url = f"/customers/{page}/"

            default = statistics.median(timed(client, base_url))
            for key in table.sortable():
                for sort in (key, f"-{key}"):
                    times = timed(client, base_url + "?" + urlencode({"sort": sort}))
                    p50 = statistics.median(times)
                    print(
                        f"{persona_name:<8} {page:<9} {sort:<22} {p50:7.1f} {max(times):7.1f} "
                        f"{default:8.1f} {p50 / default:5.2f}",
                        flush=True,
                    )


def count_rows(response: Any) -> int:
    if not response.get("Content-Type", "").startswith("application/json"):
        return response.content.count(b"<tr") - 1  # a UI page: its table's rows
    body = response.json()
    if isinstance(body, dict):
        for key in ("results", "hits"):
            if isinstance(body.get(key), list):
                return len(body[key])
    return len(body) if isinstance(body, list) else 0


def explain(conn: Any, statements: list[str], top: int = 2, slower_than_ms: float = 5.0) -> None:
    """EXPLAIN ANALYZE the slowest SELECTs of one request."""
    timed = []
    for sql in statements:
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        started = time.perf_counter()
        conn.execute(sql).fetchall()
        timed.append(((time.perf_counter() - started) * 1000, sql))
    for elapsed, sql in sorted(timed, reverse=True)[:top]:
        if elapsed < slower_than_ms:
            continue
        print(f"\n--- {elapsed:.1f} ms\n{sql}\n")
        for (line,) in conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}").fetchall():
            print("    " + line)


if __name__ == "__main__":
    raise SystemExit(main())
