"""What can be imported and exported: one declaration per object type, one pipeline for all.

A domain app declares its types in its own ``dataio.py`` (found at start-up), for example::

    register(DataType(
        key="account", plural="accounts", model=Account, filterset=AccountFilterSet,
        create=services.create_account,
        fields=(ImportField("name", aliases=("客户名称", "company")), ...),
        duplicate_rules=(DuplicateRule("tax_number"), DuplicateRule("name", match="name")),
    ))

Everything else — reading files, suggesting the mapping, checking rows with the model's own
validation, finding duplicates, applying all-or-none, exporting what a user may see — is the
pipeline's, the same for every type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from .rows import RowContext


@dataclass(frozen=True)
class ImportField:
    """One field a file column can fill.

    ``name`` is a model field (plain, choice, date, number, a foreign key with ``resolve``,
    ``owner`` or ``tags``). ``aliases`` are header names, English and Chinese, that suggest this
    field besides its name and its verbose name in every language. ``resolve`` turns the cell
    text into the field's value (a foreign key's record) or raises ``ValidationError``.
    """

    name: str
    aliases: tuple[str, ...] = ()
    resolve: Callable[[RowContext, str], Any] | None = None
    help_text: Any = ""  # shown on the mapping page (a lazy translation)


@dataclass(frozen=True)
class DuplicateRule:
    """Rows that agree on ``field`` are likely the same record.

    ``match``: ``"exact"`` (after the model's own normalisation: lower-case email, upper-case
    code), ``"phone"`` (same digits) or ``"name"`` (near-same name: legal forms, case, spaces and
    punctuation ignored, or as ``normalise`` says). ``scope`` names a field that must agree too
    (a contact's account).
    """

    field: str
    match: Literal["exact", "phone", "name"] = "exact"
    scope: str = ""
    normalise: Callable[[str], str] | None = None  # for "name": the type's own normalisation


@dataclass(frozen=True)
class DataType:
    key: str  # the object type: "account"
    plural: str  # in URLs: "accounts"
    model: type[models.Model]
    filterset: type
    create: Callable[..., Any]  # the service: create(actor, data, owner=…) -> record
    fields: tuple[ImportField, ...]
    # Its bulk variant, if any: create_bulk(actor, [(unsaved record, {m2m: values})]) -> records.
    # An import then checks every row first and writes them in one short transaction.
    create_bulk: Callable[..., list[Any]] | None = None
    duplicate_rules: tuple[DuplicateRule, ...] = ()
    # (actor, unsaved record) -> [{"object_id", "label", "reasons"}]; default: the rules above.
    find_duplicates: Callable[[Any, Any], list[dict[str, Any]]] | None = None
    # build(actor, data, owner=…) -> the unsaved record the create service would write, checked
    # the same way; default ``core.services.build_record``. For a service that completes the
    # data itself (an opportunity's pipeline and stage), so the preview refuses what it refuses.
    build: Callable[..., Any] | None = None
    # Fields the model requires but the create service fills when a row leaves them empty.
    optional: tuple[str, ...] = ()
    # Columns of an export, in order; defaults to "id", the import fields, then bookkeeping.
    export_fields: tuple[str, ...] = ()
    export_select_related: tuple[str, ...] = ()
    export_prefetch_related: tuple[str, ...] = ()
    list_url_name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def label_plural(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    def field(self, name: str) -> ImportField:
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(name)

    def model_field(self, name: str) -> Any:
        return self.model._meta.get_field(name)

    def field_label(self, name: str) -> str:
        try:
            label = str(self.model_field(name).verbose_name)
        except Exception:
            label = name.replace("_", " ")
        return label[:1].upper() + label[1:]

    def columns(self) -> tuple[str, ...]:
        if self.export_fields:
            return self.export_fields
        return ("id", *(f.name for f in self.fields), "created_at", "updated_at")

    def required_fields(self) -> list[str]:
        """Fields a row cannot do without: the model's non-blank fields without a default
        (except those the create service fills, ``optional``)."""
        required = []
        for item in self.fields:
            if item.name in self.optional:
                continue
            try:
                model_field = self.model_field(item.name)
            except Exception:
                continue
            if (
                not model_field.blank
                and not model_field.has_default()
                and not model_field.many_to_many
            ):
                required.append(item.name)
        return required


_registry: dict[str, DataType] = {}


def register(data_type: DataType) -> DataType:
    """Make ``data_type`` importable and exportable; registering the same key again replaces."""
    _registry[data_type.key] = data_type
    return data_type


def get_type(name: str) -> DataType:
    """The type called ``name`` (``"account"`` or ``"accounts"``); 404 for an unknown one."""
    for data_type in _registry.values():
        if name in (data_type.key, data_type.plural):
            return data_type
    raise Http404(_("Nothing called “%(name)s” can be imported or exported.") % {"name": name})


def all_types() -> list[DataType]:
    return list(_registry.values())


def type_choices() -> list[tuple[str, str]]:
    return [(t.key, t.label_plural[:1].upper() + t.label_plural[1:]) for t in all_types()]
