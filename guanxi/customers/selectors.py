"""Reads about customers that are more than one queryset call: duplicates, timelines, flows.

Every function takes the user it reads for and sees only what ``visible_to`` gives them.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import Note
from guanxi.core.search import search_filter

from .models import Account, ClassTransition, Contact, RelationshipClass, name_pinyin

# --------------------------------------------------------------------------------------------
# likely duplicates
# --------------------------------------------------------------------------------------------

# Longest first: "股份有限公司" must go before "有限公司" and "公司".
_CN_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "集团股份公司",
    "有限公司",
    "股份公司",
    "集团公司",
    "分公司",
    "总公司",
    "集团",
    "股份",
    "公司",
    "有限",
)
_EN_SUFFIXES = {
    "limited",
    "ltd",
    "co",
    "company",
    "inc",
    "incorporated",
    "llc",
    "corp",
    "corporation",
    "group",
    "gmbh",
    "plc",
    "holdings",
}
_BRACKETS = re.compile(r"[(（【\[][^)）】\]]*[)）】\]]")
_WORD = re.compile(r"[a-z0-9]+|[^\sa-z0-9]+")
_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)


def normalised_name(name: str) -> str:
    """A company name without legal-form suffixes, brackets, case, spaces and punctuation.

    ``北京星辰科技有限公司``, ``北京星辰科技集团股份有限公司`` and ``北京星辰科技（集团）``
    all become ``北京星辰科技``; ``Acme Co., Ltd.`` becomes ``acme``.
    """
    text = unicodedata.normalize("NFKC", name or "").lower()
    text = _BRACKETS.sub(" ", text)
    words = [w for w in re.split(r"[\s,.;·、，。]+", text) if w]
    while len(words) > 1 and words[-1] in _EN_SUFFIXES:
        words.pop()
    text = whole = "".join(words)
    changed = True
    while changed:
        changed = False
        for suffix in _CN_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                changed = True
                break
    if text in _CN_SUFFIXES:  # the name is nothing but a legal form: keep it whole
        text = whole
    return _NON_ALNUM.sub("", text)


def _digits(value: str) -> str:
    digits = "".join(ch for ch in value or "" if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


@dataclass
class Duplicate:
    """An account that looks like the same customer, and why."""

    account: Account
    reasons: list[Any] = field(default_factory=list)
    #: identifiers (tax number, phone, email) weigh more than a similar name
    score: int = 0


SAME_TAX_NUMBER = _("same unified social credit code")
SAME_PHONE = _("same phone")
SAME_EMAIL = _("same email")
SAME_NAME = _("same name")
SIMILAR_NAME = _("name sounds the same")


def likely_duplicates(
    user: Any,
    *,
    name: str = "",
    tax_number: str = "",
    phone: str = "",
    email: str = "",
    city: str = "",
    exclude: int | None = None,
    limit: int = 20,
) -> list[Duplicate]:
    """Accounts the user can see that are probably the customer these values describe.

    A match is the same unified social credit code, phone (digits only) or email, or a
    near-same name: equal once legal-form suffixes (有限公司, 股份, 集团 …) are dropped, or
    sounding the same (equal pinyin of that core name; with ``city`` given, only in that
    city). Used by the "Find duplicates" page and by the import preview. Each lookup is an
    indexed query, so it is cheap enough to run once per imported row.
    """
    visible = Account.objects.visible_to(user)
    if exclude is not None:
        visible = visible.exclude(pk=exclude)
    found: dict[int, Duplicate] = {}

    def add(account: Account, reason: Any, weight: int) -> None:
        entry = found.setdefault(account.pk, Duplicate(account))
        if reason not in entry.reasons:
            entry.reasons.append(reason)
            entry.score += weight

    tax_number = (tax_number or "").strip().upper()
    if tax_number:
        for account in visible.filter(tax_number=tax_number)[:limit]:
            add(account, SAME_TAX_NUMBER, 10)
    email = (email or "").strip().lower()
    if email:
        for account in visible.filter(email=email)[:limit]:
            add(account, SAME_EMAIL, 8)
    digits = _digits(phone)
    if len(digits) >= 5:
        # the search index holds each phone's digits, so this is an index lookup
        for account in search_filter(visible, digits)[: limit * 3]:
            if _digits(account.phone) == digits:
                add(account, SAME_PHONE, 8)
    core = normalised_name(name)
    if core:
        core_pinyin, core_initials = name_pinyin(core)
        candidates = list(search_filter(visible, core)[: limit * 5])
        if len(core_initials) >= 2 and core_pinyin != core:
            homophones = visible.filter(name_initials__startswith=core_initials)
            if city:
                homophones = homophones.filter(city__iexact=city.strip())
            candidates.extend(homophones[: limit * 5])
        for account in candidates:
            other = normalised_name(account.name)
            if other == core:
                add(account, SAME_NAME, 5)
            elif core_pinyin and name_pinyin(other)[0] == core_pinyin:
                add(account, SIMILAR_NAME, 3)
    ranked = sorted(found.values(), key=lambda d: (-d.score, d.account.name, d.account.pk))
    return ranked[:limit]


def find_duplicate_accounts(user: Any, account: Account, limit: int = 20) -> list[Duplicate]:
    """Accounts the user can see that look like ``account`` (see :func:`likely_duplicates`)."""
    return likely_duplicates(
        user,
        name=account.name,
        tax_number=account.tax_number,
        phone=account.phone,
        email=account.email,
        city=account.city,
        exclude=account.pk,
        limit=limit,
    )


# --------------------------------------------------------------------------------------------
# timeline
# --------------------------------------------------------------------------------------------


def account_timeline(user: Any, account: Account) -> QuerySet[Note]:
    """Everything logged about the customer, newest first: on the account, on its contacts,
    on its opportunities and on the leads that were converted into it.

    Each entry is seen as its own record allows (``Note.visible_to``): a rep who sees the
    account but not a colleague's deal does not see that deal's notes here either.
    """
    from guanxi.leads.models import Lead
    from guanxi.sales.models import Opportunity

    type_of = ContentType.objects.get_for_model
    contacts = Contact.objects.filter(account=account).values("pk")
    deals = Opportunity.objects.filter(account=account).values("pk")
    leads = Lead.objects.filter(converted_account=account).values("pk")
    return (
        Note.objects.visible_to(user)
        .filter(
            Q(content_type=type_of(Account), object_id=account.pk)
            | Q(content_type=type_of(Contact), object_id__in=contacts)
            | Q(content_type=type_of(Opportunity), object_id__in=deals)
            | Q(content_type=type_of(Lead), object_id__in=leads)
        )
        .select_related("created_by", "content_type")
        .order_by("-occurred_at", "-id")
    )


def contact_timeline(user: Any, contact: Contact) -> QuerySet[Note]:
    """Notes and interactions on one contact, newest first."""
    return (
        Note.objects.visible_to(user)
        .filter(content_type=ContentType.objects.get_for_model(Contact), object_id=contact.pk)
        .select_related("created_by", "content_type")
        .order_by("-occurred_at", "-id")
    )


# --------------------------------------------------------------------------------------------
# customer flow report
# --------------------------------------------------------------------------------------------

NEW = ""  # the "from" of an account's first class: it entered the books


@dataclass
class FlowCounts:
    """Moves between relationship classes over a period, and the class counts around it.

    ``matrix[from][to]`` counts the moves in the period (``from`` is ``""`` for accounts
    created in it); ``at_start`` and ``at_end`` count accounts per class at the two instants.
    """

    start: dt.date
    end: dt.date
    classes: list[str]
    matrix: dict[str, dict[str, int]]
    at_start: dict[str, int]
    at_end: dict[str, int]

    @property
    def total_moves(self) -> int:
        return sum(n for row in self.matrix.values() for n in row.values())

    def count(self, from_class: str, to_class: str) -> int:
        return self.matrix.get(from_class, {}).get(to_class, 0)

    def rows(self) -> list[tuple[str, list[int], int]]:
        """The matrix as table rows: (from class, counts per to class, row total)."""
        rows = []
        for source in [NEW, *self.classes]:
            counts = [self.count(source, target) for target in self.classes]
            rows.append((source, counts, sum(counts)))
        return rows

    def column_totals(self) -> list[int]:
        return [sum(self.count(s, t) for s in [NEW, *self.classes]) for t in self.classes]

    def sankey(self) -> dict[str, Any]:
        """Nodes and links for an ECharts Sankey diagram.

        A Sankey must be acyclic, but the flow model has cycles (repeat → lost → repeat), so
        each class appears twice: as a source on the left and as a target on the right.
        """
        labels = dict(RelationshipClass.choices)
        labels[NEW] = _("New account")
        nodes, links = [], []
        used_sources = {s for s, row in self.matrix.items() if any(row.values())}
        used_targets = {t for row in self.matrix.values() for t, n in row.items() if n}
        for source in [NEW, *self.classes]:
            if source in used_sources:
                nodes.append({"name": f"from:{source}", "label": str(labels[source])})
        for target in self.classes:
            if target in used_targets:
                nodes.append({"name": f"to:{target}", "label": str(labels[target])})
        for source, row in self.matrix.items():
            for target, n in row.items():
                if n:
                    links.append({"source": f"from:{source}", "target": f"to:{target}", "value": n})
        return {"nodes": nodes, "links": links}


def _as_matrix(rows: Any) -> dict[str, dict[str, int]]:
    matrix: dict[str, dict[str, int]] = {}
    for row in rows:
        matrix.setdefault(row["from_class"], {})[row["to_class"]] = row["n"]
    return matrix


def _roll_back(counts: dict[str, int], moves: dict[str, dict[str, int]]) -> dict[str, int]:
    """Class counts before ``moves`` happened, from the counts after them."""
    before = dict(counts)
    for source, row in moves.items():
        for target, n in row.items():
            before[target] = before.get(target, 0) - n
            if source != NEW:
                before[source] = before.get(source, 0) + n
    return before


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants a period of whole days starts and ends at, in the active time zone."""
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def flow_counts(user: Any, start: dt.date, end: dt.date) -> FlowCounts:
    """Count the customer flow (客户流转) over ``start``–``end`` (whole days, inclusive, in the
    active time zone) for the accounts the user can see.

    Every class change is a :class:`ClassTransition`, so the counts at an instant follow from
    today's counts by undoing the moves made since: three grouped queries, however many
    accounts there are.
    """
    start_at, end_at = period_bounds(start, end)
    visible = Account.objects.visible_to(user)
    moves = ClassTransition.objects.filter(account__in=visible.values("pk"))

    def grouped(qs: QuerySet) -> dict[str, dict[str, int]]:
        return _as_matrix(qs.values("from_class", "to_class").annotate(n=Count("id")).order_by())

    in_period = grouped(moves.filter(at__gte=start_at, at__lt=end_at))
    after_end = grouped(moves.filter(at__gte=end_at))
    now_counts = {
        row["relationship_class"]: row["n"]
        for row in visible.values("relationship_class").annotate(n=Count("id")).order_by()
    }
    classes = list(RelationshipClass.values)
    at_end = _roll_back(now_counts, after_end)
    at_start = _roll_back(at_end, in_period)
    return FlowCounts(
        start=start,
        end=end,
        classes=classes,
        matrix=in_period,
        at_start={c: max(0, at_start.get(c, 0)) for c in classes},
        at_end={c: max(0, at_end.get(c, 0)) for c in classes},
    )
