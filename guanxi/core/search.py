"""One global search over names, pinyin, phones, emails and tax numbers.

Each searchable model keeps a ``search_tokens`` column: space-separated lower-case tokens made
by :func:`tokens_for_name`, :func:`tokens_for_phone` … . A query matches when every query term
is a prefix of some token. Chinese names store each suffix of the name, so a prefix of a suffix
finds any part of the name (``三`` finds 张三), and their pinyin (``zhangsan``) and initials
(``zs``) with their suffixes too.

The index is backend-specific and created by :class:`CreateSearchIndex` in a migration:
PostgreSQL gets a GIN index on ``guanxi_search_vector(search_tokens)``, that is
``array_to_tsvector(string_to_array(search_tokens, ' '))`` (lexemes taken verbatim, so no
text-search parser or locale can split or drop Chinese), SQLite an FTS5 external-content table
kept in step by triggers (bulk writes included).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.migrations.operations.base import Operation
from pypinyin import lazy_pinyin

from .models import InSubquery

MAX_SUFFIXES = 16
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_DIGITS = re.compile(r"\d+")


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def _suffixes(items: list[str]) -> list[str]:
    return ["".join(items[i:]) for i in range(min(len(items), MAX_SUFFIXES))]


def tokens_for_name(name: str) -> list[str]:
    """Tokens for a person's or company's name: words, Chinese suffixes, pinyin, initials."""
    tokens: list[str] = []
    for run in _RUN.findall(normalise(name)):
        tokens.append(run)
        if re.match(rf"[{_CJK}]", run):
            tokens.extend(_suffixes(list(run))[1:])
            syllables = [s.lower() for s in lazy_pinyin(run)]
            initials = [s[0] for s in syllables if s]
            tokens.extend(_suffixes(syllables))
            tokens.extend(_suffixes(initials))
    return tokens


def tokens_for_phone(phone: str) -> list[str]:
    digits = "".join(_DIGITS.findall(phone or ""))
    if not digits:
        return []
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    tokens = [digits]
    if len(digits) > 4:
        tokens.append(digits[-4:])  # callers often give the last four digits (尾号)
    return tokens


def tokens_for_email(email: str) -> list[str]:
    return _RUN.findall(normalise(email))


def tokens_for_code(code: str) -> list[str]:
    return _RUN.findall(normalise(code))


def join_tokens(tokens: Iterable[str]) -> str:
    seen: dict[str, None] = {}
    for token in tokens:
        if token:
            seen.setdefault(token, None)
    return " ".join(seen)


def query_terms(query: str) -> list[str]:
    """The terms of a user's query; each must prefix-match a token."""
    return _RUN.findall(normalise(query))[:8]


class _RowSQL(models.Func):
    """Backend SQL around columns of the searched row.

    Unlike ``RawSQL``, the columns are real column references, so the expression stays right
    when the ORM nests the query as a subquery under another alias (``ranked_matches``).
    """

    def __init__(
        self, sql: str, params: list[Any], *columns: str, output_field: models.Field
    ) -> None:
        super().__init__(*(models.F(c) for c in columns), output_field=output_field)
        self.sql, self.params = sql, params

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        compiled = [compiler.compile(e) for e in self.get_source_expressions()]
        sql = self.sql.format(*(c_sql for c_sql, _c_params in compiled))
        column_params = [p for _c_sql, c_params in compiled for p in c_params]
        return sql, [*column_params, *self.params]


def _match_and_rank(model: type[models.Model], terms: list[str]) -> tuple[_RowSQL, _RowSQL]:
    """The backend's match condition and rank expression for ``terms`` on ``model``'s rows."""
    boolean, number = models.BooleanField(), models.FloatField()
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"'{term}':*" for term in terms)
        # the match: the very expression the GIN index is built on, or the index is not used;
        # the rank (of at most RANKED_CANDIDATES rows): the same vector, written out
        vector = "array_to_tsvector(string_to_array({0}, ' '))"
        return (
            _RowSQL(
                f"{SEARCH_VECTOR}({{0}}) @@ %s::tsquery",
                [tsquery],
                "search_tokens",
                output_field=boolean,
            ),
            _RowSQL(
                f"ts_rank({vector}, %s::tsquery)", [tsquery], "search_tokens", output_field=number
            ),
        )
    fts = f"{model._meta.db_table}_fts"
    match = " ".join(f'"{term}"*' for term in terms)
    return (
        _RowSQL(
            f'{{0}} IN (SELECT rowid FROM "{fts}" WHERE "{fts}" MATCH %s)',
            [match],
            "pk",
            output_field=boolean,
        ),
        _RowSQL(
            f'(SELECT -bm25("{fts}") FROM "{fts}" WHERE "{fts}" MATCH %s AND rowid = {{0}})',
            [match],
            "pk",
            output_field=number,
        ),
    )


def search_filter(queryset: models.QuerySet, query: str) -> models.QuerySet:
    """Narrow ``queryset`` to rows matching ``query``, annotated with ``search_rank``."""
    terms = query_terms(query)
    if not terms:
        return queryset.none()
    match, rank = _match_and_rank(queryset.model, terms)
    return queryset.filter(match).annotate(search_rank=rank)


# How many matches global_search ranks per object type (see ranked_matches).
RANKED_CANDIDATES = 200


def ranked_matches(
    queryset: models.QuerySet, query: str, candidates: int = RANKED_CANDIDATES
) -> models.QuerySet:
    """Rows of ``queryset`` matching ``query``, best first, ranked among at most ``candidates``
    matches and annotated with ``search_rank``.

    Ranking needs every ranked row read and scored: a short query ('z', 'zhang', '科技') matches
    tens of thousands of rows at a million accounts, and scoring them all takes seconds. The
    matches are first narrowed, by the index and the caller's visibility, to ``candidates``
    rows (the first ones met, no score computed), and only those are scored. While a query
    matches fewer rows than that, the answer is exactly ``search_filter``'s, best first.
    """
    terms = query_terms(query)
    if not terms:
        return queryset.none()
    model = queryset.model
    match, rank = _match_and_rank(model, terms)
    first = queryset.filter(match).order_by().values("pk")[:candidates]
    # InSubquery: an array computed once on PostgreSQL. With "pk IN (…)", the planner trusts
    # the LIMIT as the candidates' number and may rather rank the whole table in rank order.
    return (
        model._default_manager.filter(InSubquery("pk", first))
        .annotate(search_rank=rank)
        .order_by("-search_rank", "pk")
    )


# A row's search vector on PostgreSQL, as a function with a cost. Written inline,
# array_to_tsvector(string_to_array(…)) is costed like a comparison although it takes about
# 7 µs a row, so the planner checked it first on every row a scan read, before the cheap
# visibility rules ("科技" for a region manager: 11,000 vectors built, 77 ms). With a cost the
# planner checks who may see the row first and builds the vector only for visible rows
# (33 ms). The SET clause keeps PostgreSQL from inlining the function, so the cost counts; the
# GIN index is built on this very call. COST 30: from 10 to 40 the nine searches of
# bench/accounts.py take the same time; from 60 up the planner prefers the GIN index for
# frequent terms and a region manager's "科技" takes 90 ms again (docs/performance.md).
SEARCH_VECTOR = "guanxi_search_vector"
SEARCH_VECTOR_FUNCTION_SQL = (
    f"CREATE OR REPLACE FUNCTION {SEARCH_VECTOR}(tokens text) RETURNS tsvector "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 30 SET search_path = pg_catalog "
    "AS $$ SELECT array_to_tsvector(string_to_array(tokens, ' ')) $$"
)


class CreateSearchIndex(Operation):
    """Migration operation creating the search index of one model on the current backend."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def describe(self) -> str:
        return f"Create search index on {self.model_name}"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.model_name], {})

    def _table(self, app_label: str, state: Any) -> tuple[str, str]:
        model = state.apps.get_model(app_label, self.model_name)
        return model._meta.db_table, model._meta.pk.column

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        table, pk = self._table(app_label, to_state)
        for sql in self.forward_sql(schema_editor.connection.vendor, table, pk):
            schema_editor.execute(sql)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        table, pk = self._table(app_label, from_state)
        for sql in self.backward_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(sql)

    @staticmethod
    def forward_sql(vendor: str, table: str, pk: str) -> list[str]:
        if vendor == "postgresql":
            return [
                SEARCH_VECTOR_FUNCTION_SQL,
                f'CREATE INDEX "{table}_search_gin" ON "{table}" '
                f"USING gin ({SEARCH_VECTOR}(search_tokens))",
            ]
        if vendor == "sqlite":
            fts = f"{table}_fts"
            return [
                f'CREATE VIRTUAL TABLE "{fts}" USING fts5(search_tokens, content="{table}", '
                f'content_rowid="{pk}", tokenize="unicode61 remove_diacritics 0", '
                "prefix='1 2 3')",
                f'CREATE TRIGGER "{fts}_ai" AFTER INSERT ON "{table}" BEGIN '
                f'INSERT INTO "{fts}"(rowid, search_tokens) '
                f'VALUES (new."{pk}", new.search_tokens); END',
                f'CREATE TRIGGER "{fts}_ad" AFTER DELETE ON "{table}" BEGIN '
                f'INSERT INTO "{fts}"("{fts}", rowid, search_tokens) '
                f"VALUES ('delete', old.\"{pk}\", old.search_tokens); END",
                f'CREATE TRIGGER "{fts}_au" AFTER UPDATE OF search_tokens ON "{table}" BEGIN '
                f'INSERT INTO "{fts}"("{fts}", rowid, search_tokens) '
                f"VALUES ('delete', old.\"{pk}\", old.search_tokens); "
                f'INSERT INTO "{fts}"(rowid, search_tokens) '
                f'VALUES (new."{pk}", new.search_tokens); END',
                f'INSERT INTO "{fts}"("{fts}") VALUES (\'rebuild\')',
            ]
        return []

    @staticmethod
    def backward_sql(vendor: str, table: str) -> list[str]:
        if vendor == "postgresql":
            return [f'DROP INDEX IF EXISTS "{table}_search_gin"']
        if vendor == "sqlite":
            fts = f"{table}_fts"
            return [f'DROP TRIGGER IF EXISTS "{fts}_{s}"' for s in ("ai", "ad", "au")] + [
                f'DROP TABLE IF EXISTS "{fts}"'
            ]
        return []


class RebuildSearchIndex(CreateSearchIndex):
    """Rebuild a PostgreSQL search index made before it was built on ``guanxi_search_vector``
    (SQLite's full-text tables stay as they are)."""

    def describe(self) -> str:
        return f"Rebuild the search index on {self.model_name}"

    @staticmethod
    def forward_sql(vendor: str, table: str, pk: str) -> list[str]:
        if vendor != "postgresql":
            return []
        return [
            f'DROP INDEX IF EXISTS "{table}_search_gin"',
            *CreateSearchIndex.forward_sql(vendor, table, pk),
        ]

    @staticmethod
    def backward_sql(vendor: str, table: str) -> list[str]:
        if vendor != "postgresql":
            return []
        vector = "array_to_tsvector(string_to_array(search_tokens, ' '))"
        return [
            f'DROP INDEX IF EXISTS "{table}_search_gin"',
            f'CREATE INDEX "{table}_search_gin" ON "{table}" USING gin (({vector}))',
        ]


@dataclass(frozen=True)
class SearchHit:
    object_type: str
    id: int
    title: str
    subtitle: str
    url: str
    rank: float


def searchable_models() -> list[type[models.Model]]:
    from django.apps import apps

    return [
        m
        for m in apps.get_models()
        if hasattr(m, "search_hit") and any(f.name == "search_tokens" for f in m._meta.fields)
    ]


def global_search(
    user: Any, query: str, limit: int = 20, types: Iterable[str] | None = None
) -> list[SearchHit]:
    """Search every searchable object type the user may see; best matches first."""
    wanted = set(types or ())
    hits: list[SearchHit] = []
    for model in searchable_models():
        if wanted and model._meta.model_name not in wanted:
            continue
        qs = model.search_queryset(ranked_matches(model.objects.visible_to(user), query))
        hits.extend(obj.search_hit() for obj in qs[:limit])
    hits.sort(key=lambda h: (-h.rank, h.object_type, h.id))
    return hits[:limit]
