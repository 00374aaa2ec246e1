"""Generic pages every object type is built from: list, detail, edit (with the version check)
and delete.

An app describes an object type once (its model, FilterSet, table columns, form and the
service functions that write it) and gets list pages with filters, search, sorting, column
choice, saved views, fast pagination and bulk actions; detail pages with tabs; create and edit
forms that refuse to overwrite someone else's change; and delete to the recycle bin.

Reads go through ``visible_to`` / ``editable_by``; writes go through the services given in a
:class:`RecordServices`. Nothing here writes a model directly.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core import signing
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.template.defaultfilters import date as date_filter
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from . import services as core
from .errors import StaleVersion
from .models import (
    COUNT_CAP,
    Action,
    ChangeLogEntry,
    OwnedRecord,
    Record,
    SavedView,
    Tag,
    User,
    count_up_to,
)
from .renderers import shown

# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request that wants a fragment (a boosted link wants the whole page)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and not headers.get("HX-Boosted")
        and not headers.get("HX-History-Restore-Request")
    )


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` parameter when it points into this site, else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def reverse_or_none(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def plain_value(value: Any) -> Any:
    """A comparable, JSON-safe form of a form or field value (records by pk, lists sorted)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (QuerySet, list, tuple, set)):
        return sorted((plain_value(v) for v in value), key=str)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value.normalize())
    if isinstance(value, Promise):
        return str(value)
    return value


def _empty(value: Any) -> bool:
    return value in (None, "", [], ())


def record_field_values(obj: models.Model, names: Iterable[str]) -> dict[str, Any]:
    """Current values of ``obj``'s model fields in :func:`plain_value` form."""
    values: dict[str, Any] = {}
    for name in names:
        try:
            model_field = obj._meta.get_field(name)
        except Exception:  # noqa: BLE001 - a form-only field has no stored value
            continue
        if model_field.many_to_many:
            values[name] = sorted(getattr(obj, name).values_list("pk", flat=True)) if obj.pk else []
        elif model_field.is_relation:
            values[name] = getattr(obj, model_field.attname)
        else:
            values[name] = plain_value(getattr(obj, name))
    return values


def display_value(model: type[models.Model], name: str, value: Any) -> str:
    """How a stored (plain) value of ``model.name`` reads to a person."""
    if _empty(value):
        return "—"
    model_field = model._meta.get_field(name)
    if model_field.many_to_many:
        related = model_field.related_model
        manager = getattr(related, "all_objects", related.objects)
        return ", ".join(str(o) for o in manager.filter(pk__in=value)) or "—"
    if model_field.is_relation:
        related = model_field.related_model
        manager = getattr(related, "all_objects", related.objects)
        obj = manager.filter(pk=value).first()
        return str(obj) if obj is not None else "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return _("Yes") if value else _("No")
    return str(value)


# --------------------------------------------------------------------------------------------
# services of one object type
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordServices:
    """The write use-cases of one object type, as the generic views call them.

    ``create(actor, data, owner=…)``, ``update(actor, obj, data, expected_version=…)`` and
    ``delete(actor, obj, expected_version=…)``; data holds model field names (``tags`` as a
    list of tags).
    """

    model: type[Record]
    create: Callable[..., Record]
    update: Callable[..., Record]
    delete: Callable[..., Any]

    @property
    def object_type(self) -> str:
        return self.model.object_type()


def assignable_owners(actor: Any, object_type: str) -> QuerySet[User]:
    """Users the actor may give records to: anyone (admin), their teams' members, or self."""
    staff = User.objects.filter(is_active=True, kind=User.Kind.STAFF)
    if actor.is_admin_for(object_type):
        return staff
    managed = actor.managed_team_ids()
    if managed:
        return staff.filter(models.Q(pk=actor.pk) | models.Q(team_id__in=managed))
    return staff.filter(pk=actor.pk)


def can_assign_others(actor: Any, object_type: str) -> bool:
    return actor.is_admin_for(object_type) or bool(actor.managed_team_ids())


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------


@dataclass
class Column:
    """One column of a list page.

    ``kind`` says how the cell is drawn: ``link`` (to the record), ``text``, ``choice`` (the
    label of a choice field), ``related`` (a foreign key, linked when it has a URL), ``tags``,
    ``datetime``, ``date``, ``number`` or ``bool``. ``sort`` is the field path to order by;
    None makes the column unsortable. Columns a user may hide are chosen by ``default``.
    """

    name: str
    label: Any
    kind: str = "text"
    attr: str | None = None
    sort: str | None = None
    default: bool = True
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return self.attr or self.name

    def value(self, obj: Any) -> Any:
        if self.kind == "choice":
            return getattr(obj, f"get_{self.path}_display")()
        if self.kind == "tags":
            return list(getattr(obj, self.path).all())
        value = obj
        for part in self.path.split("."):
            value = getattr(value, part, None)
            if value is None:
                break
        return value

    def render(self, obj: Any, value: Any) -> str:
        """The cell's HTML: what ``generic/includes/cell.html`` drew, written in Python.

        A page of 50 rows × 8 columns included that template 400 times; this is the same text
        (``guanxi/core/tests/test_list_cells.py`` renders both) at a fraction of the cost.
        """
        kind = self.kind
        if kind == "link":
            return format_html(
                '<a href="{}" class="fw-medium">{}</a>', obj.get_absolute_url(), shown(value)
            )
        if kind == "related":
            if not value:
                return ""
            url_of = getattr(value, "get_absolute_url", None)
            url = url_of() if callable(url_of) else url_of
            return format_html('<a href="{}">{}</a>', url, shown(value)) if url else shown(value)
        if kind == "tags":
            return format_html_join(
                "",
                '<span class="badge rounded-pill me-1" style="background-color: {}">{}</span>',
                ((tag.color, tag.name) for tag in value),
            )
        if kind == "datetime":
            if not value:
                return ""
            local = template_localtime(value)
            return format_html(
                '<time datetime="{}" class="text-nowrap">{}</time>',
                date_filter(local, "c"),
                date_filter(local, "SHORT_DATETIME_FORMAT"),
            )
        if kind == "date":
            return conditional_escape(date_filter(value, "SHORT_DATE_FORMAT")) if value else ""
        if kind == "bool":
            return mark_safe('<i class="bi bi-check-lg" aria-label="✓"></i>') if value else ""
        return "" if value is None else shown(value)


class Table:
    """The columns of one object type's list page."""

    columns: Sequence[Column] = ()
    #: shown whatever the user picks (the record's name, so each row can be opened)
    required: tuple[str, ...] = ("name",)
    default_sort: str = "name"

    @classmethod
    def column_map(cls) -> dict[str, Column]:
        return {c.name: c for c in cls.columns}

    @classmethod
    def default_columns(cls) -> list[str]:
        return [c.name for c in cls.columns if c.default or c.name in cls.required]

    @classmethod
    def clean_columns(cls, names: Iterable[str]) -> list[str]:
        known = cls.column_map()
        chosen = [n for n in dict.fromkeys(names) if n in known]
        for name in reversed(cls.required):
            if name not in chosen:
                chosen.insert(0, name)
        return chosen

    @classmethod
    def sortable(cls) -> dict[str, str]:
        return {c.name: c.sort for c in cls.columns if c.sort}


# --------------------------------------------------------------------------------------------
# pagination without counting a million rows
# --------------------------------------------------------------------------------------------


@dataclass
class Page:
    """One page of rows; ``count`` is exact when cheap, else None with ``count_capped``."""

    rows: list[Any]
    number: int
    per_page: int
    has_next: bool
    count: int | None
    count_capped: bool
    cap: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.rows)

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1

    @property
    def last_number(self) -> int | None:
        if self.count is None:
            return None
        return max(1, -(-self.count // self.per_page))


def _nullable(model: type[models.Model], path: str) -> bool:
    """Whether the value at ``path`` (``name``, ``owner__username``) may be NULL in a row."""
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return True
        if not field.concrete or field.null:
            return True
        if field.is_relation:
            model = field.related_model
    return False


def paginate(queryset: QuerySet, number: int, per_page: int, cap: int = 10_000) -> Page:
    """Fetch one page as ``per_page + 1`` rows: the extra row only says a next page exists.

    The total is known for free when this is the last page; otherwise it is counted up to
    ``cap`` rows (``SELECT COUNT(*) FROM (… LIMIT cap+1)``), so no page ever counts the whole
    visible set of a million-row table.
    """
    number = max(1, number)
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page + 1])
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    if not has_next and (rows or number == 1):
        return Page(rows, number, per_page, False, offset + len(rows), False, cap)
    capped = count_up_to(queryset, cap)
    if capped > cap:
        return Page(rows, number, per_page, has_next, None, True, cap)
    return Page(rows, number, per_page, has_next, capped, False, cap)


# --------------------------------------------------------------------------------------------
# bulk actions
# --------------------------------------------------------------------------------------------


@dataclass
class BulkResult:
    done: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class BulkAction:
    """An action on the records a user ticked on a list page.

    ``run(request, services, ids, form)`` performs it through services and reports how many
    records were done and skipped; ``action`` is the role action a user needs to see it.
    """

    name: str
    label: Any
    action: str
    run: Callable[[HttpRequest, RecordServices, list[int], forms.Form | None], BulkResult]
    form_class: Callable[[Any, RecordServices], forms.Form] | None = None
    danger: bool = False


class AssignOwnerForm(forms.Form):
    # several actions share one <form>: a required field must not block the others
    use_required_attribute = False

    owner = forms.ModelChoiceField(label=gettext_lazy("New owner"), queryset=User.objects.none())

    def __init__(self, user: Any, services: RecordServices, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_owners(user, services.object_type)
        self.fields["owner"].empty_label = gettext_lazy("New owner…")
        self.fields["owner"].widget.attrs["class"] = "form-select form-select-sm"


class AddTagForm(forms.Form):
    # several actions share one <form>: a required field must not block the others
    use_required_attribute = False

    tag = forms.CharField(label=gettext_lazy("Tag"), max_length=50)

    def __init__(self, user: Any, services: RecordServices, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tag"].widget.attrs.update(
            {
                "class": "form-control form-control-sm",
                "list": "bulk-tag-names",
                "placeholder": gettext_lazy("Tag name"),
            }
        )


def _bulk_assign_owner(
    request: HttpRequest, services: RecordServices, ids: list[int], form: forms.Form | None
) -> BulkResult:
    assert form is not None
    done = core.bulk_assign_owner(request.user, services.model, ids, form.cleaned_data["owner"])
    return BulkResult(done=done, skipped=len(ids) - done)


def _bulk_add_tag(
    request: HttpRequest, services: RecordServices, ids: list[int], form: forms.Form | None
) -> BulkResult:
    assert form is not None
    result = BulkResult()
    with transaction.atomic():
        (tag,) = core.get_or_create_tags(request.user, [form.cleaned_data["tag"]])
    editable = services.model.objects.editable_by(request.user).filter(pk__in=ids)
    for obj in editable.prefetch_related("tags"):
        current = list(obj.tags.all())
        if tag in current:
            result.skipped += 1
            continue
        try:
            services.update(
                request.user, obj, {"tags": [*current, tag]}, expected_version=obj.version
            )
            result.done += 1
        except (StaleVersion, ValidationError, PermissionDenied, Http404):
            result.skipped += 1
    result.skipped += len(ids) - result.done - result.skipped
    return result


def _bulk_delete(
    request: HttpRequest, services: RecordServices, ids: list[int], form: forms.Form | None
) -> BulkResult:
    result = BulkResult()
    core.require_action(request.user, services.object_type, Action.DELETE)
    for obj in services.model.objects.editable_by(request.user).filter(pk__in=ids):
        try:
            services.delete(request.user, obj, expected_version=obj.version)
            result.done += 1
        except (StaleVersion, PermissionDenied, Http404, ValidationError):
            result.skipped += 1
    result.skipped += len(ids) - result.done - result.skipped
    return result


ASSIGN_OWNER = BulkAction(
    "assign_owner",
    gettext_lazy("Assign owner"),
    Action.EDIT,
    _bulk_assign_owner,
    form_class=AssignOwnerForm,
)
ADD_TAG = BulkAction(
    "add_tag", gettext_lazy("Add tag"), Action.EDIT, _bulk_add_tag, form_class=AddTagForm
)
DELETE = BulkAction(
    "delete", gettext_lazy("Delete"), Action.DELETE, _bulk_delete, form_class=None, danger=True
)


# --------------------------------------------------------------------------------------------
# list
# --------------------------------------------------------------------------------------------

PER_PAGE_CHOICES = (25, 50, 100, 200)
#: list parameters that are not filters and are not kept in a saved view
NON_FILTER_PARAMS = {"page", "per_page", "columns", "saved"}


class ObjectListView(LoginRequiredMixin, View):
    """A list page: filters, ``q`` search, sorting, columns, saved views, pages, bulk actions.

    For an htmx request the same view answers the table fragment only.
    """

    services: RecordServices
    filterset_class: type
    table_class: type[Table]
    template_name = "generic/list.html"
    fragment_template = "generic/table.html"
    title: Any = ""
    create_url_name: str | None = None
    per_page = 50
    # "1–50 of 1,000+": counting N matching rows reads about N / selectivity rows, so the cap
    # bounds what every page view costs (see docs/performance.md, "Accounts list and search").
    count_cap = COUNT_CAP
    bulk_actions: Sequence[BulkAction] = (ASSIGN_OWNER, ADD_TAG, DELETE)
    #: filters always shown; the others fold under "More filters" unless one is in use
    primary_filters: Sequence[str] = ()

    @property
    def model(self) -> type[Record]:
        return self.services.model

    @property
    def object_type(self) -> str:
        return self.model.object_type()

    # -- queryset ---------------------------------------------------------------------------
    def base_queryset(self) -> QuerySet:
        return self.model.objects.visible_to(self.request.user)

    def optimise(self, queryset: QuerySet, columns: Iterable[Column]) -> QuerySet:
        related = {name for c in columns for name in c.select_related}
        prefetch = {name for c in columns for name in c.prefetch_related}
        if related:
            queryset = queryset.select_related(*sorted(related))
        if prefetch:
            queryset = queryset.prefetch_related(*sorted(prefetch))
        return queryset

    def get_filterset(self, data: QueryDict) -> Any:
        filterset = self.filterset_class(data, queryset=self.base_queryset(), request=self.request)
        style_filter_form(filterset.form)
        return filterset

    def filtered_queryset(self, data: QueryDict | None = None) -> QuerySet:
        """The records the list shows for ``data`` (the request's query), unsorted, unpaged.

        Import/export and other pages reuse this to act on "what the list shows".
        """
        return self.get_filterset(self.request.GET if data is None else data).qs

    def sort_key(self) -> str:
        sortable = self.table_class.sortable()
        requested = self.request.GET.get("sort", "")
        if requested.lstrip("-") in sortable:
            return requested
        if self.request.GET.get("q", "").strip():
            return ""  # best match first
        return self.table_class.default_sort

    def order(self, queryset: QuerySet, sort: str) -> QuerySet:
        if not sort:
            if "search_rank" in queryset.query.annotations:
                return queryset.order_by(F("search_rank").desc(nulls_last=True), "-pk")
            return queryset.order_by("-pk")
        path = self.table_class.sortable()[sort.lstrip("-")]
        # NULLS LAST only where a NULL can occur: "created_at DESC NULLS LAST" cannot use the
        # created_at index (a DESC index keeps NULLs first), so the first page of a
        # million-row list would sort every match.
        nulls = {"nulls_last": True} if _nullable(queryset.model, path) else {}
        if sort.startswith("-"):
            return queryset.order_by(F(path).desc(**nulls), "-pk")
        return queryset.order_by(F(path).asc(**nulls), "pk")

    # -- columns ----------------------------------------------------------------------------
    def session_key(self) -> str:
        return f"guanxi:columns:{self.object_type}"

    def selected_columns(self) -> list[str]:
        table = self.table_class
        requested = self.request.GET.getlist("columns")
        if requested:
            names = [n for item in requested for n in item.split(",") if n]
            chosen = table.clean_columns(names)
            # the choice sticks for this user's later visits (per session)
            self.request.session[self.session_key()] = chosen
            return chosen
        stored = self.request.session.get(self.session_key())
        if stored:
            return table.clean_columns(stored)
        return table.default_columns()

    # -- saved views ------------------------------------------------------------------------
    @property
    def saved_view_type(self) -> str:
        """The key this list's saved views are kept under: the object type, unless a second
        list of the same type (the customer pool's accounts) keeps views of its own."""
        return self.object_type

    def saved_views(self) -> list[SavedView]:
        return list(
            SavedView.objects.filter(object_type=self.saved_view_type)
            .filter(models.Q(user=self.request.user) | models.Q(is_shared=True))
            .select_related("user")
            .order_by("name", "pk")
        )

    def current_query(self) -> str:
        """The filters and sort of this request, as a saved view keeps them."""
        data = self.request.GET.copy()
        for key in NON_FILTER_PARAMS:
            data.pop(key, None)
        return data.urlencode()

    def open_saved_view(self, pk: str) -> HttpResponse:
        view = (
            SavedView.objects.filter(object_type=self.saved_view_type, pk=pk if pk.isdigit() else 0)
            .filter(models.Q(user=self.request.user) | models.Q(is_shared=True))
            .first()
        )
        if view is None:
            raise Http404(_("No such saved view."))
        params = QueryDict(view.query, mutable=True)
        if view.columns:
            params["columns"] = ",".join(view.columns)
        return HttpResponseRedirect(f"{self.request.path}?{params.urlencode()}")

    # -- GET --------------------------------------------------------------------------------
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.GET.get("saved"):
            return self.open_saved_view(request.GET["saved"])
        return render(request, self.get_template(), self.get_context_data())

    def get_template(self) -> str:
        return self.fragment_template if is_htmx(self.request) else self.template_name

    def page_params(self) -> tuple[int, int]:
        try:
            number = int(self.request.GET.get("page", 1))
        except ValueError:
            number = 1
        try:
            per_page = int(self.request.GET.get("per_page", self.per_page))
        except ValueError:
            per_page = self.per_page
        if per_page not in PER_PAGE_CHOICES:
            per_page = self.per_page
        return max(1, number), per_page

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        request = self.request
        table = self.table_class
        column_names = self.selected_columns()
        column_map = table.column_map()
        columns = [column_map[n] for n in column_names]
        filterset = self.get_filterset(request.GET)
        sort = self.sort_key()
        queryset = self.order(self.optimise(filterset.qs, columns), sort)
        number, per_page = self.page_params()
        page = paginate(queryset, number, per_page, self.count_cap)
        rows = [(obj, [c.render(obj, c.value(obj)) for c in columns]) for obj in page.rows]
        user = request.user
        bulk = [b for b in self.bulk_actions if user.has_action(self.object_type, b.action)]
        bulk_forms = [
            (b, b.form_class(user, self.services, prefix=b.name) if b.form_class else None)
            for b in bulk
        ]
        headers = []
        for c in columns:
            entry: dict[str, Any] = {"column": c, "sorted": "", "url": None}
            if c.sort:
                if sort == c.name:
                    entry["sorted"], next_sort = "asc", f"-{c.name}"
                elif sort == f"-{c.name}":
                    entry["sorted"], next_sort = "desc", c.name
                else:
                    next_sort = c.name
                entry["url"] = self.url_with(sort=next_sort, page=None)
            headers.append(entry)
        active_filters = [
            name
            for name in filterset.form.fields
            if name != "q" and any(v for v in request.GET.getlist(name))
        ]
        fields = [f for f in filterset.form if f.name != "q"]
        order = list(self.primary_filters)
        if order:
            chosen = [f for f in fields if f.name in order]
            primary = sorted(chosen, key=lambda f: order.index(f.name))
        else:
            primary = fields
        more = [f for f in fields if f.name not in {p.name for p in primary}]
        return {
            "view": self,
            "title": self.title or self.model._meta.verbose_name_plural.capitalize(),
            "object_type": self.object_type,
            "model_meta": self.model._meta,
            "filterset": filterset,
            "filter_form": filterset.form,
            "active_filters": active_filters,
            "primary_filters": primary,
            "more_filters": more,
            "more_filters_active": any(f.name in active_filters for f in more),
            "table": table,
            "columns": columns,
            "all_columns": [(c, c.name in column_names) for c in table.columns],
            "required_columns": table.required,
            "headers": headers,
            "rows": rows,
            "page": page,
            "per_page_choices": PER_PAGE_CHOICES,
            "previous_url": self.url_with(page=page.previous_number) if page.has_previous else None,
            "next_url": self.url_with(page=page.next_number) if page.has_next else None,
            "sort": sort,
            "query": request.GET.get("q", ""),
            "current_query": self.current_query(),
            "columns_param": ",".join(column_names),
            "saved_views": self.saved_views(),
            "can_share_views": can_assign_others(user, self.object_type),
            "bulk_forms": bulk_forms,
            "tag_names": list(Tag.objects.values_list("name", flat=True)[:500]) if bulk else [],
            "create_url": reverse(self.create_url_name)
            if self.create_url_name and user.has_action(self.object_type, Action.CREATE)
            else None,
            "list_url": request.path,
            "fragment": is_htmx(request),
            **extra,
        }

    def url_with(self, **changes: Any) -> str:
        params = self.request.GET.copy()
        for key, value in changes.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = value
        encoded = params.urlencode()
        return f"{self.request.path}?{encoded}" if encoded else self.request.path

    # -- POST: saved views and bulk actions -------------------------------------------------
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = request.POST.get("_action", "")
        back = f"{request.path}?{request.POST.get('_query', '')}".rstrip("?")
        if action == "save_view":
            return self.post_save_view(back)
        if action == "delete_view":
            return self.post_delete_view(back)
        for bulk in self.bulk_actions:
            if bulk.name == action:
                return self.post_bulk(bulk, back)
        return HttpResponse(status=400)

    def post_save_view(self, back: str) -> HttpResponse:
        request = self.request
        query = request.POST.get("_query", "")
        params = QueryDict(query, mutable=True)
        columns = [n for n in params.get("columns", "").split(",") if n]
        for key in NON_FILTER_PARAMS:
            params.pop(key, None)
        try:
            view = core.save_view(
                request.user,
                self.saved_view_type,
                request.POST.get("name", ""),
                query=params.urlencode(),
                columns=self.table_class.clean_columns(columns) if columns else [],
                shared=request.POST.get("shared") == "on",
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(back)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(back)
        messages.success(request, _("Saved the view “%(name)s”.") % {"name": view.name})
        return HttpResponseRedirect(f"{request.path}?{urlencode({'saved': view.pk})}")

    def post_delete_view(self, back: str) -> HttpResponse:
        request = self.request
        pk = request.POST.get("view", "")
        view = SavedView.objects.filter(
            user=request.user, object_type=self.saved_view_type, pk=pk if pk.isdigit() else 0
        ).first()
        if view is None:
            raise Http404(_("No such saved view."))
        core.delete_saved_view(request.user, view)
        messages.success(request, _("Deleted the view “%(name)s”.") % {"name": view.name})
        return HttpResponseRedirect(request.path)

    def post_bulk(self, bulk: BulkAction, back: str) -> HttpResponse:
        request = self.request
        ids = sorted({int(i) for i in request.POST.getlist("ids") if i.isdigit()})
        if not ids:
            messages.warning(request, _("Tick the records to act on first."))
            return HttpResponseRedirect(back)
        if not request.user.has_action(self.object_type, bulk.action):
            raise PermissionDenied(_("You are not allowed to do this."))
        form = None
        if bulk.form_class is not None:
            form = bulk.form_class(request.user, self.services, request.POST, prefix=bulk.name)
            if not form.is_valid():
                for errors in form.errors.values():
                    for error in errors:
                        messages.error(request, error)
                return HttpResponseRedirect(back)
        try:
            result = bulk.run(request, self.services, ids, form)
        except (PermissionDenied, ValidationError) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, text)
            return HttpResponseRedirect(back)
        text = ngettext(
            "%(action)s: %(done)d record done.",
            "%(action)s: %(done)d records done.",
            result.done,
        ) % {"action": bulk.label, "done": result.done}
        if result.skipped:
            text += " " + ngettext(
                "%(skipped)d skipped (not yours to change, or changed meanwhile).",
                "%(skipped)d skipped (not yours to change, or changed meanwhile).",
                result.skipped,
            ) % {"skipped": result.skipped}
        (messages.success if result.done else messages.warning)(request, text)
        return HttpResponseRedirect(back)


def style_filter_form(form: forms.Form) -> None:
    """Bootstrap classes and native date pickers on a FilterSet's form."""
    for name, form_field in form.fields.items():
        widget = form_field.widget
        if isinstance(form_field, forms.DateField):
            widget.input_type = "date"
        if isinstance(widget, forms.SelectMultiple):
            widget.attrs.setdefault("class", "form-select form-select-sm")
            # a fixed height: counting a model choice's options would cost a query
            choices = getattr(form_field, "choices", None)
            size = min(6, max(3, len(choices))) if isinstance(choices, list) else 5
            widget.attrs.setdefault("size", size)
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select form-select-sm")
        else:
            widget.attrs.setdefault("class", "form-control form-control-sm")
        widget.attrs.setdefault("id", f"filter-{name}")


# --------------------------------------------------------------------------------------------
# forms
# --------------------------------------------------------------------------------------------


class RecordAutocompleteWidget(forms.Widget):
    """A search box that picks one record by id; the choices are never all rendered.

    The text box asks ``url`` (``?q=…``) for matching records the user can see; choosing one
    fills the hidden input that the form reads. Safe at a million rows.
    """

    template_name = "generic/widgets/autocomplete.html"

    def __init__(self, url: Any, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.url = url
        self.choices: Any = ()

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        label = ""
        queryset = getattr(self.choices, "queryset", None)
        if value not in (None, "") and queryset is not None:
            try:
                obj = queryset.filter(pk=value).first()
            except (ValueError, TypeError, ValidationError):
                obj = None
            label = str(obj) if obj is not None else ""
        context["widget"].update({"url": str(self.url), "label": label})
        return context


class VisibleRecordChoiceField(forms.ModelChoiceField):
    """A record picker limited to what the user can see, with an autocomplete widget."""

    def __init__(self, queryset: QuerySet, url: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", RecordAutocompleteWidget(url))
        super().__init__(queryset, **kwargs)


class TagsField(forms.ModelMultipleChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Tag.objects.all())
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", gettext_lazy("Tags"))
        super().__init__(**kwargs)


class RecordForm(forms.ModelForm):
    """Base form of a record: a hidden ``version`` on edits, no protected field ever.

    ``owner`` is offered only to those who may give records to others (administrators and
    team managers); the service checks the choice again. ``new_tags`` creates tags on the
    fly. The form never saves: the view hands :meth:`service_data` to a service.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    base = forms.CharField(widget=forms.HiddenInput, required=False)
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Owner"), queryset=User.objects.none(), required=False
    )
    new_tags = forms.CharField(
        label=gettext_lazy("New tags"),
        required=False,
        help_text=gettext_lazy("Comma-separated; created if they do not exist."),
    )
    #: form fields that are not model fields
    extra_fields = ("version", "base", "owner", "new_tags")
    #: ((legend, (field names …)), …): how the form template groups the fields
    fieldsets: tuple[tuple[Any, tuple[str, ...]], ...] = ()

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        model = self._meta.model
        for name in getattr(model, "protected_fields", ()):
            if name != "version":  # ours: the hidden version the edit was based on
                self.fields.pop(name, None)
        if self.instance.pk is None:
            self.fields.pop("version")
            self.fields.pop("base")
        else:
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version
        object_type = model.object_type()
        if issubclass(model, OwnedRecord) and can_assign_others(user, object_type):
            owners = assignable_owners(user, object_type)
            self.fields["owner"].queryset = owners
            self.fields["owner"].initial = (
                self.instance.owner_id if self.instance.pk else getattr(user, "pk", None)
            )
            # left empty, a new record is the actor's and an edited one keeps its owner
            self.fields["owner"].empty_label = None
        else:
            self.fields.pop("owner")
        if "tags" not in self.fields:
            self.fields.pop("new_tags")
        if "base" in self.fields and not self.is_bound:
            self.fields["base"].initial = self.sign_base(self.instance)
        self.style()

    # -- appearance -------------------------------------------------------------------------
    def style(self) -> None:
        for form_field in self.fields.values():
            widget = form_field.widget
            if isinstance(widget, (forms.HiddenInput, RecordAutocompleteWidget)):
                continue
            if isinstance(form_field, forms.DateField) and not isinstance(
                form_field, forms.DateTimeField
            ):
                widget.input_type = "date"
                widget.format = "%Y-%m-%d"
            if isinstance(widget, (forms.CheckboxInput,)):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")
            if isinstance(widget, forms.Textarea):
                widget.attrs.setdefault("rows", 3)

    def grouped_fields(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """The visible fields in the groups of :attr:`fieldsets`; the rest in a last group."""
        visible = {bf.name: bf for bf in self.visible_fields()}
        groups, used = [], set()
        for legend, names in self.fieldsets:
            members = [visible[n] for n in names if n in visible]
            used.update(n for n in names if n in visible)
            if members:
                groups.append((legend, members))
        rest = [bf for name, bf in visible.items() if name not in used]
        if rest:
            groups.append(("", rest))
        return groups

    def enable_inline_validation(self, url: str) -> None:
        """Each visible field asks the server to check it when it changes (htmx)."""
        for name, form_field in self.fields.items():
            widget = form_field.widget
            if isinstance(widget, (forms.HiddenInput, RecordAutocompleteWidget)):
                continue
            widget.attrs.update(
                {
                    "hx-post": url,
                    "hx-trigger": "change",
                    "hx-target": f"#field-{self.add_prefix(name)}",
                    "hx-swap": "outerHTML",
                    "hx-vals": f'{{"_validate": "{name}"}}',
                    "hx-sync": "closest form:abort",
                }
            )

    def mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = (widget.attrs.get("class", "") + " is-invalid").strip()
                widget.attrs["aria-invalid"] = "true"

    # -- the base version's values, for the conflict page -----------------------------------
    def model_field_names(self) -> list[str]:
        return [n for n in self.fields if n not in self.extra_fields] + (
            ["owner"] if "owner" in self.fields else []
        )

    def sign_base(self, obj: models.Model, conflicts: Iterable[str] = ()) -> str:
        """The values the user starts editing from, and (on a conflict page) the fields they
        must decide, signed so a client cannot forge them."""
        values = record_field_values(obj, self.model_field_names())
        return signing.dumps({"v": values, "c": list(conflicts)}, salt="guanxi.form-base")

    def _signed_base(self) -> dict[str, Any]:
        raw = self.data.get(self.add_prefix("base"), "") if self.is_bound else ""
        try:
            return signing.loads(raw, salt="guanxi.form-base") if raw else {}
        except signing.BadSignature:
            return {}

    def base_values(self) -> dict[str, Any]:
        return self._signed_base().get("v", {})

    def pending_conflicts(self) -> list[str]:
        """Fields the conflict page asked about; each needs "keep mine" or "take theirs"."""
        return [n for n in self._signed_base().get("c", []) if n in self.fields]

    def mine(self) -> dict[str, Any]:
        return {
            name: plain_value(self.cleaned_data.get(name))
            for name in self.model_field_names()
            if name in self.cleaned_data
        }

    # -- what the service receives ----------------------------------------------------------
    def service_data(self) -> dict[str, Any]:
        """Model field values from the form; ``owner`` is left to :meth:`chosen_owner`."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in self.extra_fields
        }
        if "tags" in data:
            data["tags"] = list(data["tags"] or [])
        return data

    def new_tag_names(self) -> list[str]:
        raw = self.cleaned_data.get("new_tags") or ""
        return [part.strip() for part in raw.replace("，", ",").split(",") if part.strip()]

    def chosen_owner(self) -> Any:
        """The owner picked in the form, or ``"actor"`` (the service's default)."""
        return self.cleaned_data.get("owner") or "actor"


def apply_service_error(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names (or above the form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = name if name in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


# --------------------------------------------------------------------------------------------
# detail
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    """One tab of a detail page; ``template`` draws it, ``when(view, obj)`` decides if shown."""

    name: str
    label: Any
    template: str
    when: Callable[[Any, Any], bool] | None = None


HISTORY_TAB = Tab("history", gettext_lazy("History"), "generic/tabs/history.html")
SHARING_TAB = Tab(
    "sharing",
    gettext_lazy("Sharing"),
    "generic/tabs/sharing.html",
    when=lambda view, obj: view.can_edit(obj),
)


class ObjectDetailView(LoginRequiredMixin, View):
    """A record's page with tabs; a record the user may not see answers 404.

    ``?tab=name`` picks the tab; an htmx request gets that tab's fragment only. Subclasses
    add a tab's context in ``tab_<name>_context(obj)``.
    """

    services: RecordServices
    template_name = "generic/detail.html"
    tabs: Sequence[Tab] = (HISTORY_TAB,)
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    edit_url_name: str | None = None
    delete_url_name: str | None = None
    list_url_name: str | None = None

    @property
    def model(self) -> type[Record]:
        return self.services.model

    def get_object(self, pk: Any) -> Record:
        queryset = self.model.objects.visible_to(self.request.user)
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        try:
            return queryset.get(pk=pk)
        except (self.model.DoesNotExist, ValueError, TypeError) as exc:
            raise Http404(_("No such record.")) from exc

    def can_edit(self, obj: Record) -> bool:
        if not hasattr(self, "_can_edit"):
            self._can_edit = obj.can_edit(self.request.user)
        return self._can_edit

    def can_delete(self, obj: Record) -> bool:
        return self.can_edit(obj) and self.request.user.has_action(
            self.model.object_type(), Action.DELETE
        )

    def visible_tabs(self, obj: Record) -> list[Tab]:
        return [t for t in self.tabs if t.when is None or t.when(self, obj)]

    def get(self, request: HttpRequest, pk: Any) -> HttpResponse:
        obj = self.get_object(pk)
        tabs = self.visible_tabs(obj)
        names = [t.name for t in tabs]
        name = request.GET.get("tab") or names[0]
        if name not in names:
            raise Http404(_("No such tab."))
        tab = tabs[names.index(name)]
        context = self.get_context_data(obj, tab, tabs)
        if is_htmx(request) and request.GET.get("tab"):
            return render(request, tab.template, context)
        return render(request, self.template_name, context)

    def get_context_data(self, obj: Record, tab: Tab, tabs: list[Tab]) -> dict[str, Any]:
        object_type = self.model.object_type()
        context: dict[str, Any] = {
            "view": self,
            "object": obj,
            "object_type": object_type,
            "model_meta": self.model._meta,
            "tab": tab,
            "tabs": tabs,
            "can_edit": self.can_edit(obj),
            "can_delete": self.can_delete(obj),
            "edit_url": reverse(self.edit_url_name, args=[obj.pk])
            if self.edit_url_name and self.can_edit(obj)
            else None,
            "delete_url": reverse(self.delete_url_name, args=[obj.pk])
            if self.delete_url_name and self.can_delete(obj)
            else None,
            "list_url": reverse(self.list_url_name) if self.list_url_name else None,
            "history_url": reverse_or_none("history", object_type, obj.pk),
            "shares_url": reverse_or_none("shares", object_type, obj.pk),
        }
        context.update(self.get_extra_context(obj))
        extra = getattr(self, f"tab_{tab.name}_context", None)
        if extra is not None:
            context.update(extra(obj))
        return context

    def get_extra_context(self, obj: Record) -> dict[str, Any]:
        return {}


# --------------------------------------------------------------------------------------------
# create / edit with the version check
# --------------------------------------------------------------------------------------------


@dataclass
class ConflictField:
    name: str
    label: Any
    mine: str
    theirs: str
    base: str
    i_changed: bool
    choice: str  # "mine", "theirs" or "" (the user must choose)


class ObjectEditView(LoginRequiredMixin, View):
    """Create (no ``pk``) or edit a record through its services.

    An edit form carries the version it was loaded at and a signed copy of the values it
    started from. When the service raises :class:`StaleVersion`, the view shows, field by
    field, what the other person saved next to what you entered, lets you keep yours or take
    theirs for each, and resubmits on the new version. Nothing is overwritten silently.
    """

    services: RecordServices
    form_class: type[RecordForm]
    template_name = "generic/form.html"
    conflict_template = "generic/conflict.html"
    field_template = "generic/includes/field.html"
    detail_url_name: str | None = None
    list_url_name: str | None = None

    @property
    def model(self) -> type[Record]:
        return self.services.model

    def get_object(self, pk: Any) -> Record | None:
        if pk is None:
            core.require_action(self.request.user, self.model.object_type(), Action.CREATE)
            return None
        obj = core.get_visible(self.request.user, self.model, pk)
        core.require_editable(self.request.user, obj)
        return obj

    def get_initial(self) -> dict[str, Any]:
        return {}

    def get_form(self, obj: Record | None, data: Any = None) -> RecordForm:
        form = self.form_class(
            data,
            instance=obj if obj is not None else self.model(),
            initial=self.get_initial() if obj is None else None,
            user=self.request.user,
        )
        form.enable_inline_validation(self.request.path)
        return form

    def get(self, request: HttpRequest, pk: Any = None) -> HttpResponse:
        obj = self.get_object(pk)
        return self.render_form(self.get_form(obj), obj)

    def render_form(self, form: RecordForm, obj: Record | None, status: int = 200) -> HttpResponse:
        form.mark_invalid()
        return render(
            self.request,
            self.template_name,
            self.get_context_data(form=form, object=obj),
            status=status,
        )

    def get_context_data(self, **context: Any) -> dict[str, Any]:
        obj = context.get("object")
        meta = self.model._meta
        if obj is None:
            title = _("New %(type)s") % {"type": meta.verbose_name}
            cancel = reverse(self.list_url_name) if self.list_url_name else "/"
        else:
            title = _("Edit %(type)s: %(name)s") % {"type": meta.verbose_name, "name": obj}
            cancel = obj.get_absolute_url()
        context.setdefault("title", title)
        context.setdefault("cancel_url", safe_next(self.request, cancel))
        context.setdefault("next", self.request.POST.get("next") or self.request.GET.get("next"))
        context["model_meta"] = meta
        context["field_template"] = self.field_template
        return context

    def post(self, request: HttpRequest, pk: Any = None) -> HttpResponse:
        obj = self.get_object(pk)
        form = self.get_form(obj, request.POST)
        validate = request.POST.get("_validate")
        if validate:
            return self.validate_field(form, validate)
        if not form.is_valid():
            return self.render_form(form, obj, status=422 if is_htmx(request) else 200)
        if obj is not None:
            self.apply_resolutions(form, obj)
        try:
            with transaction.atomic():
                saved = self.save(form, obj)
        except StaleVersion as exc:
            return self.render_conflict(form, exc.current)
        except ValidationError as exc:
            apply_service_error(form, exc)
            return self.render_form(form, obj)
        if obj is None:
            messages.success(request, _("Created “%(name)s”.") % {"name": saved})
        else:
            messages.success(request, _("Saved “%(name)s”.") % {"name": saved})
        return HttpResponseRedirect(safe_next(request, self.success_url(saved)))

    def success_url(self, obj: Record) -> str:
        return obj.get_absolute_url()

    def save(self, form: RecordForm, obj: Record | None) -> Record:
        """Hand the form's data to the service (inside the view's transaction)."""
        user = self.request.user
        data = form.service_data()
        new_tags = form.new_tag_names() if "new_tags" in form.fields else []
        if new_tags:
            data["tags"] = [*data.get("tags", []), *core.get_or_create_tags(user, new_tags)]
        if obj is None:
            return self.services.create(user, data, owner=form.chosen_owner())
        if form.cleaned_data.get("owner") is not None:
            data["owner"] = form.cleaned_data["owner"]
        return self.services.update(user, obj, data, expected_version=form.cleaned_data["version"])

    # -- inline validation of one field (htmx) ---------------------------------------------
    def validate_field(self, form: RecordForm, name: str) -> HttpResponse:
        if name not in form.fields:
            return HttpResponse(status=400)
        form.is_valid()
        form.mark_invalid()
        return render(self.request, self.field_template, {"field": form[name], "inline": True})

    # -- the conflict page -----------------------------------------------------------------
    def conflict_fields(self, form: RecordForm, current: Record) -> list[ConflictField]:
        base = form.base_values()
        mine = form.mine()
        names = [n for n in form.model_field_names() if n in mine]
        theirs = record_field_values(current, names)
        conflicts = []
        for name in names:
            if name not in base or base[name] == theirs.get(name):
                continue  # they did not change it: yours is applied as usual
            i_changed = mine[name] != base[name]
            if i_changed and mine[name] == theirs.get(name):
                continue  # you both made the same change
            conflicts.append(
                ConflictField(
                    name=name,
                    label=form.fields[name].label,
                    mine=display_value(self.model, name, mine[name]),
                    theirs=display_value(self.model, name, theirs.get(name)),
                    base=display_value(self.model, name, base[name]),
                    i_changed=i_changed,
                    choice="" if i_changed else "theirs",
                )
            )
        return conflicts

    def own_changes(self, form: RecordForm, conflicts: list[ConflictField]) -> list[Any]:
        """(label, your value) of what you changed that nobody else did: saved as you left it."""
        base = form.base_values()
        asked = {c.name for c in conflicts}
        return [
            (form.fields[name].label, display_value(self.model, name, value))
            for name, value in form.mine().items()
            if name in base and value != base[name] and name not in asked
        ]

    def render_conflict(self, form: RecordForm, current: Record) -> HttpResponse:
        conflicts = self.conflict_fields(form, current)
        own_changes = self.own_changes(form, conflicts)
        data = form.data.copy()
        data[form.add_prefix("version")] = str(current.version)
        data[form.add_prefix("base")] = form.sign_base(current, [c.name for c in conflicts])
        for key in [k for k in data if k.startswith("_resolve_") or k == "_validate"]:
            data.pop(key)
        resubmit = self.get_form(current, data)
        last_change = (
            ChangeLogEntry.objects.filter(
                object_type=self.model.object_type(), object_id=current.pk
            )
            .select_related("actor")
            .first()
        )
        context = self.get_context_data(
            form=resubmit,
            object=current,
            conflicts=conflicts,
            own_changes=own_changes,
            last_change=last_change,
            title=_("Someone else changed “%(name)s”") % {"name": current},
        )
        return render(self.request, self.conflict_template, context, status=409)

    def apply_resolutions(self, form: RecordForm, obj: Record) -> None:
        """On a resubmitted conflict form, "take theirs" puts the stored value back.

        A field the conflict page asked about and that came back without an answer keeps
        the stored value too: only an explicit "keep mine" overwrites the other person.
        """
        theirs = [
            name
            for name in form.pending_conflicts()
            if self.request.POST.get(f"_resolve_{name}") != "mine"
        ]
        if not theirs:
            return
        current = type(obj).all_objects.get(pk=obj.pk)
        for name in theirs:
            if name not in form.cleaned_data or name not in form.model_field_names():
                continue
            model_field = current._meta.get_field(name)
            if model_field.many_to_many:
                form.cleaned_data[name] = list(getattr(current, name).all())
            else:
                form.cleaned_data[name] = getattr(current, name)


# --------------------------------------------------------------------------------------------
# delete
# --------------------------------------------------------------------------------------------


class ObjectDeleteView(LoginRequiredMixin, View):
    """Confirm (GET) and move to the recycle bin (POST) through the service."""

    services: RecordServices
    template_name = "generic/confirm_delete.html"
    list_url_name: str | None = None

    @property
    def model(self) -> type[Record]:
        return self.services.model

    def get_object(self, pk: Any) -> Record:
        user = self.request.user
        obj = core.get_visible(user, self.model, pk)
        core.require_editable(user, obj)
        core.require_action(user, self.model.object_type(), Action.DELETE)
        return obj

    def related_summary(self, obj: Record) -> list[tuple[Any, int]]:
        """What goes to the recycle bin along with the record (label, count)."""
        return []

    def get(self, request: HttpRequest, pk: Any) -> HttpResponse:
        obj = self.get_object(pk)
        return render(
            request,
            self.template_name,
            {
                "object": obj,
                "model_meta": self.model._meta,
                "related": self.related_summary(obj),
                "cancel_url": obj.get_absolute_url(),
                "title": _("Delete %(name)s") % {"name": obj},
            },
        )

    def post(self, request: HttpRequest, pk: Any) -> HttpResponse:
        obj = self.get_object(pk)
        raw = request.POST.get("version", "")
        expected = int(raw) if raw.isdigit() else None
        try:
            self.services.delete(request.user, obj, expected_version=expected)
        except StaleVersion:
            messages.error(
                request,
                _("“%(name)s” was changed by someone else meanwhile; look again before deleting.")
                % {"name": obj},
            )
            return HttpResponseRedirect(obj.get_absolute_url())
        bin_url = reverse_or_none("recycle-bin")
        text = _("Moved “%(name)s” to the recycle bin; it can be restored from there.") % {
            "name": obj
        }
        messages.success(request, text)
        target = reverse(self.list_url_name) if self.list_url_name else (bin_url or "/")
        return HttpResponseRedirect(target)


def choices_as_options(mapping: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return list(mapping.items())
