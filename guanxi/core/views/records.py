"""Panels every record's detail page embeds: its history (change log) and its shares."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from .. import services
from ..forms import ShareForm, apply_validation_error
from ..models import (
    AccessPolicy,
    ChangeLogEntry,
    Record,
    RecordShare,
    Role,
    ShareAccess,
    Team,
    User,
)
from .base import is_htmx, record_model_for, render_fragment_or_page

HISTORY_PAGE_SIZE = 50

# Administration objects have a change log too; only administrators read it.
ADMIN_TYPES: dict[str, type[models.Model]] = {
    "user": User,
    "team": Team,
    "role": Role,
    "accesspolicy": AccessPolicy,
}

# Keys services write that are not model fields.
EXTRA_LABELS = {
    "children": gettext_lazy("Related records"),
    "merged_into": gettext_lazy("Merged into"),
    "with": gettext_lazy("Shared with"),
    "access": gettext_lazy("Access"),
    "password": gettext_lazy("Password"),
    "roles": gettext_lazy("Roles"),
}
EXTRA_CHOICES = {"access": dict(ShareAccess.choices)}
# Bookkeeping a reader does not need to see.
HIDDEN_KEYS = {"content_type", "object_id", "path", "search_tokens"}


@dataclass
class FieldChange:
    label: str
    before: Any = None
    after: Any = None
    value: Any = None  # for keys that carry one value (e.g. related records on a delete)
    is_diff: bool = True


@dataclass
class HistoryRow:
    entry: ChangeLogEntry
    changes: list[FieldChange] = field(default_factory=list)
    is_child: bool = False  # an entry of a related record shown on its parent
    child_label: str = ""


def model_for_log_type(object_type: str) -> type[models.Model] | None:
    if object_type in ADMIN_TYPES:
        return ADMIN_TYPES[object_type]
    try:
        return record_model_for(object_type)
    except Http404:
        return None


class ChangeRenderer:
    """Turns stored before/after values into what a reader understands.

    Field names become their verbose names, choice values their labels, foreign keys the
    name of what they point to (only when the reader may see it: a history must not leak
    a record's name), dates and numbers typed values the template shows in the user's
    locale and time zone.
    """

    def __init__(self, user: Any) -> None:
        self.user = user
        self.wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
        self.names: dict[tuple[type[models.Model], Any], str] = {}

    @staticmethod
    def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
        if model is None:
            return None
        try:
            return model._meta.get_field(name)
        except FieldDoesNotExist:
            return None

    def _reference(self, model: type[models.Model] | None, name: str) -> Any:
        """The model a key's values point to, or None."""
        if name == "merged_into":
            return model
        found = self._field(model, name)
        if found is not None and found.is_relation and found.related_model is not None:
            return found.related_model
        return None

    def collect(self, entry: ChangeLogEntry) -> None:
        model = model_for_log_type(entry.object_type)
        for name, change in (entry.changes or {}).items():
            related = self._reference(model, name)
            if related is None or related is ContentType:
                continue
            values = change if isinstance(change, list) and len(change) == 2 else [change]
            for value in values:
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, (int, str)) and not isinstance(item, bool):
                        self.wanted[related].add(item)

    def resolve(self) -> None:
        for related, ids in self.wanted.items():
            if related is Role:
                # A user's roles are logged by code, which says what they grant.
                for role in Role.objects.all():
                    self.names[(Role, role.pk)] = self.names[(Role, role.code)] = str(role)
                continue
            ids = {i for i in ids if isinstance(i, int)}
            if issubclass(related, Record):
                rows = related.all_objects.visible_to(self.user).filter(pk__in=ids)
            else:
                rows = related._default_manager.filter(pk__in=ids)
            for obj in rows:
                self.names[(related, obj.pk)] = str(obj)

    def display(self, model: type[models.Model] | None, name: str, value: Any) -> Any:
        if value is None or value == "" or value == []:
            return None
        related = self._reference(model, name)
        if related is not None:
            items = value if isinstance(value, list) else [value]
            shown = [
                self.names.get((related, item), f"#{item}" if isinstance(item, int) else item)
                for item in items
            ]
            return ", ".join(str(s) for s in shown)
        found = self._field(model, name)
        choices = EXTRA_CHOICES.get(name)
        if found is not None and found.choices:
            choices = dict(found.flatchoices)
        if choices is not None:
            if isinstance(value, list):
                return ", ".join(str(choices.get(v, v)) for v in value)
            return choices.get(value, value)
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if found is not None and isinstance(value, str):
            if isinstance(found, models.DateTimeField):
                return parse_datetime(value) or value
            if isinstance(found, models.DateField):
                return parse_date(value) or value
            if isinstance(found, models.DecimalField):
                try:
                    return Decimal(value)
                except InvalidOperation:
                    return value
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return value

    def label(self, model: type[models.Model] | None, name: str) -> str:
        found = self._field(model, name)
        if found is not None and hasattr(found, "verbose_name"):
            return str(found.verbose_name)
        if name in EXTRA_LABELS:
            return str(EXTRA_LABELS[name])
        return name.replace("_", " ")

    def row(self, entry: ChangeLogEntry, object_type: str) -> HistoryRow:
        model = model_for_log_type(entry.object_type)
        row = HistoryRow(entry=entry, is_child=entry.object_type != object_type)
        if row.is_child and model is not None:
            row.child_label = str(model._meta.verbose_name)
        for name, change in (entry.changes or {}).items():
            if name in HIDDEN_KEYS:
                continue
            label = self.label(model, name)
            label = label[:1].upper() + label[1:]
            if name == "children" and not change:
                continue  # a delete that took nothing along
            if isinstance(change, list) and len(change) == 2:
                before = self.display(model, name, change[0])
                after = self.display(model, name, change[1])
                if before is None and after is None:
                    continue  # e.g. a record created without tags
                row.changes.append(FieldChange(label=label, before=before, after=after))
            else:
                row.changes.append(
                    FieldChange(label=label, value=self.display(model, name, change), is_diff=False)
                )
        return row

    def rows(self, entries: list[ChangeLogEntry], object_type: str) -> list[HistoryRow]:
        for entry in entries:
            self.collect(entry)
        self.resolve()
        return [self.row(entry, object_type) for entry in entries]


def _history_subject(request: HttpRequest, object_type: str, pk: int) -> tuple[Any, Any]:
    """The object and its change-log queryset; 404 when the user may not see it."""
    if object_type in ADMIN_TYPES:
        if not request.user.is_admin_for("user"):
            raise Http404(_("No such record."))
        obj = get_object_or_404(ADMIN_TYPES[object_type], pk=pk)
        entries = ChangeLogEntry.objects.filter(
            object_type=object_type, object_id=pk
        ).select_related("actor")
        return obj, entries
    model = record_model_for(object_type)
    obj = services.get_visible(request.user, model, pk)
    return obj, services.history_for(obj)


@login_required
def history(request: HttpRequest, object_type: str, pk: int) -> HttpResponse:
    """A record's change log: who changed what, when, from what to what, in which request."""
    obj, entries = _history_subject(request, object_type, pk)
    page = Paginator(entries, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = ChangeRenderer(request.user).rows(list(page.object_list), object_type)
    context = {
        "object": obj,
        "object_type": object_type,
        "object_label": obj._meta.verbose_name,
        "object_url": obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else "",
        "page": page,
        "rows": rows,
        "history_url": reverse("history", args=[object_type, pk]),
    }
    return render_fragment_or_page(
        request, "core/includes/history.html", "core/history.html", context
    )


# --------------------------------------------------------------------------------------------
# shares
# --------------------------------------------------------------------------------------------


def _editable_record(request: HttpRequest, object_type: str, pk: int) -> Record:
    """The record when the user may edit it: 404 when unseen, 403 when only readable."""
    model = record_model_for(object_type)
    obj = services.get_visible(request.user, model, pk)
    services.require_editable(request.user, obj)
    return obj


def _shares_response(
    request: HttpRequest, obj: Record, form: ShareForm, status: int = 200
) -> HttpResponse:
    object_type = obj.object_type()
    shares = RecordShare.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk
    ).select_related("user", "team", "created_by")
    context = {
        "object": obj,
        "object_type": object_type,
        "object_label": obj._meta.verbose_name,
        "object_url": obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else "",
        "shares": shares,
        "form": form,
        "shares_url": reverse("shares", args=[object_type, obj.pk]),
    }
    return render_fragment_or_page(
        request, "core/includes/shares.html", "core/shares.html", context, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def shares(request: HttpRequest, object_type: str, pk: int) -> HttpResponse:
    """List a record's shares and add one (user or team, read or edit)."""
    obj = _editable_record(request, object_type, pk)
    if request.method == "POST":
        form = ShareForm(request.POST, exclude_user=request.user)
        if form.is_valid():
            user, team = form.cleaned_data["target"]
            try:
                services.share_record(
                    request.user, obj, user=user, team=team, access=form.cleaned_data["access"]
                )
            except ValidationError as exc:
                apply_validation_error(form, exc, {"user": "target", "team": "target"})
            else:
                if not is_htmx(request):
                    messages.success(request, _("Shared with %s.") % (user or team))
                    return redirect("shares", object_type, pk)
                form = ShareForm(exclude_user=request.user)
                form.saved_message = _("Shared with %s.") % (user or team)
    else:
        form = ShareForm(exclude_user=request.user)
    return _shares_response(request, obj, form)


@login_required
@require_POST
def share_delete(request: HttpRequest, object_type: str, pk: int, share_id: int) -> HttpResponse:
    """Remove one share of a record."""
    obj = _editable_record(request, object_type, pk)
    share = get_object_or_404(
        RecordShare,
        pk=share_id,
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
    )
    services.unshare_record(request.user, share)
    if not is_htmx(request):
        messages.success(request, _("The share is removed."))
        return redirect("shares", object_type, pk)
    return _shares_response(request, obj, ShareForm(exclude_user=request.user))
