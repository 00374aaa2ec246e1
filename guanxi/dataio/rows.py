"""From a row's cell texts to the service's input, checked by the model's own validation.

The preview builds every row with :meth:`RowBuilder.build`, which ends in
``core.services.build_record`` (or the type's own ``build``, where its create service completes
the data): the unsaved record ``create_record`` would write, derived and ``full_clean``-ed the
same way; the apply hands the same input to the type's create service.
Nothing here restates a validation rule of a model.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from guanxi.core import services as core
from guanxi.core.models import Tag, User

from .registry import DataType

_TAG_SPLIT = re.compile(r"[,，;；、|]+")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%d.%m.%Y")
_TRUE = {"1", "true", "yes", "y", "是", "对", "x", "✓"}
_FALSE = {"0", "false", "no", "n", "否", "不"}


def _key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)).casefold())


def messages_of(exc: ValidationError | PermissionDenied, field_name: str = "__all__") -> dict:
    """A domain error as ``{field: [messages]}``."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return {name: [str(m) for m in msgs] for name, msgs in exc.message_dict.items()}
    if isinstance(exc, ValidationError):
        return {field_name: [str(m) for m in exc.messages]}
    return {field_name: [str(exc) or _("Not allowed.")]}


class RowContext:
    """What converting rows needs more than once: the actor and lookups made so far."""

    def __init__(self, data_type: DataType, actor: Any) -> None:
        self.data_type = data_type
        self.actor = actor
        self._cache: dict[Any, Any] = {}

    def cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key not in self._cache:
            try:
                self._cache[key] = ("ok", compute())
            except (ValidationError, PermissionDenied) as exc:
                self._cache[key] = ("error", exc)
        kind, value = self._cache[key]
        if kind == "error":
            raise value
        return value


# --------------------------------------------------------------------------------------------
# resolvers for foreign keys
# --------------------------------------------------------------------------------------------


def visible_record_by_name_or_code(
    model: type[models.Model], code_field: str = "", code_length: int = 0
) -> Callable[[RowContext, str], Any]:
    """A resolver finding one record the actor can see by its code (if it looks like one) or name.

    Only visible records are found, so a file cannot attach rows to a record the importing
    user may not see, nor learn whether it exists.
    """

    def resolve(ctx: RowContext, value: str) -> Any:
        def lookup() -> Any:
            visible = model.objects.visible_to(ctx.actor)
            text = value.strip()
            code = text.replace(" ", "").upper()
            matches: list[Any] = []
            if code_field and (not code_length or len(code) == code_length):
                matches = list(visible.filter(**{code_field: code})[:2])
            if not matches:
                matches = list(visible.filter(name=text)[:2]) or list(
                    visible.filter(name__iexact=text)[:2]
                )
            label = model._meta.verbose_name
            if not matches:
                raise ValidationError(
                    _("No %(type)s you can see is called “%(value)s”.")
                    % {"type": label, "value": text}
                )
            if len(matches) > 1:
                raise ValidationError(
                    _("Several %(type)s are called “%(value)s”; give its code instead.")
                    % {"type": label, "value": text}
                )
            return matches[0]

        return ctx.cached(("record", model, value), lookup)

    return resolve


def _user_index(ctx: RowContext) -> dict[str, list[User]]:
    def build() -> dict[str, list[User]]:
        index: dict[str, list[User]] = {}
        for user in User.objects.filter(is_active=True, kind=User.Kind.STAFF):
            names = {
                user.username,
                user.email,
                f"{user.first_name}{user.last_name}",
                f"{user.last_name}{user.first_name}",
                f"{user.first_name} {user.last_name}",
                str(user),
            }
            for name in names:
                if _key(name):
                    index.setdefault(_key(name), [])
                    if user not in index[_key(name)]:
                        index[_key(name)].append(user)
        return index

    return ctx.cached("users", build)


def resolve_user(ctx: RowContext, value: str) -> User:
    """An active staff user by user name, email or full name."""
    found = _user_index(ctx).get(_key(value), [])
    if not found:
        raise ValidationError(_("No user is called “%(value)s”.") % {"value": value})
    if len(found) > 1:
        raise ValidationError(
            _("Several users are called “%(value)s”; give the user name.") % {"value": value}
        )
    return found[0]


# --------------------------------------------------------------------------------------------
# converting cells
# --------------------------------------------------------------------------------------------


def _choice_index(model_field: models.Field) -> dict[str, str]:
    """Codes and labels (in every language) of a choice field, to its codes."""
    index: dict[str, str] = {}
    for code, label in model_field.flatchoices:
        index.setdefault(_key(code), code)
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                index.setdefault(_key(str(label)), code)
    return index


def parse_date(text: str) -> dt.date | str:
    """A date in the forms people type; anything else goes to the model to be refused."""
    cleaned = text.strip().split(" ")[0].split("T")[0]
    for form in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(cleaned, form).date()
        except ValueError:
            continue
    return text


@dataclass
class BuiltRow:
    values: dict[str, str]
    data: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    owner: Any = "actor"
    instance: Any = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add_error(self, field_name: str, message: str) -> None:
        self.errors.setdefault(field_name, []).append(str(message))


class RowBuilder:
    """Turns ``{field: cell text}`` into the input of the type's create service."""

    def __init__(self, data_type: DataType, actor: Any) -> None:
        self.data_type = data_type
        self.actor = actor
        self.context = RowContext(data_type, actor)
        self._choices: dict[str, dict[str, str]] = {}

    def _model_field(self, name: str) -> models.Field | None:
        try:
            return self.data_type.model_field(name)
        except FieldDoesNotExist:
            return None

    def _convert(self, name: str, text: str, row: BuiltRow) -> None:
        import_field = self.data_type.field(name)
        model_field = self._model_field(name)
        if import_field.resolve is not None:
            row.data[name] = import_field.resolve(self.context, text)
            return
        if name == "owner":
            row.owner = resolve_user(self.context, text)
            return
        if model_field is not None and model_field.many_to_many:
            if model_field.related_model is not Tag:
                raise ValidationError(_("This column cannot be imported."))
            names = [n.strip() for n in _TAG_SPLIT.split(text) if n.strip()]
            limit = Tag._meta.get_field("name").max_length
            for tag in names:
                if len(tag) > limit:
                    raise ValidationError(
                        _("A tag has at most %(limit)s characters.") % {"limit": limit}
                    )
            row.tags = names
            return
        if model_field is None or model_field.is_relation:
            raise ValidationError(_("This column cannot be imported."))
        if model_field.choices:
            if name not in self._choices:
                self._choices[name] = _choice_index(model_field)
            # An unknown value goes through as typed: the model refuses it with its own message.
            row.data[name] = self._choices[name].get(_key(text), text)
        elif isinstance(model_field, models.DateTimeField):
            row.data[name] = text
        elif isinstance(model_field, models.DateField):
            row.data[name] = parse_date(text)
        elif isinstance(model_field, models.BooleanField):
            row.data[name] = _key(text) in _TRUE if _key(text) in _TRUE | _FALSE else text
        elif isinstance(model_field, (models.IntegerField, models.DecimalField)):
            row.data[name] = re.sub(r"\.0+$", "", text.replace(",", ""))
        else:
            row.data[name] = text

    def convert(self, values: Mapping[str, str]) -> BuiltRow:
        """Service input from cell texts; an empty cell leaves the field at its default."""
        row = BuiltRow(values=dict(values))
        for name, text in values.items():
            if not text:
                continue
            try:
                self._convert(name, text, row)
            except (ValidationError, PermissionDenied) as exc:
                for message in messages_of(exc, name).get(name, []) or [str(exc)]:
                    row.add_error(name, message)
        return row

    def build(self, values: Mapping[str, str]) -> BuiltRow:
        """Convert and validate one row as the create service would, writing nothing."""
        row = self.convert(values)
        if row.errors:
            return row
        try:
            if self.data_type.build is not None:
                row.instance = self.data_type.build(self.actor, row.data, owner=row.owner)
            else:
                row.instance = core.build_record(
                    self.actor, self.data_type.model, row.data, owner=row.owner
                )
        except ValidationError as exc:
            for name, messages in messages_of(exc).items():
                for message in messages:
                    row.add_error(name, message)
        except PermissionDenied as exc:
            row.add_error("owner" if row.owner != "actor" else "__all__", str(exc))
        return row

    def create(self, row: BuiltRow) -> Any:
        """Write one converted row through the type's create service (tags created as needed)."""
        data = dict(row.data)
        if row.tags:
            data["tags"] = core.get_or_create_tags(self.actor, row.tags)
        return self.data_type.create(self.actor, data, owner=row.owner)

    def create_all(self, rows: list[BuiltRow]) -> list[Any]:
        """Write built and validated rows through the type's bulk create service."""
        assert self.data_type.create_bulk is not None
        names: dict[str, str] = {}
        for row in rows:
            for name in row.tags:
                names.setdefault(_tag_key(name), name)
        found = core.get_or_create_tags(self.actor, list(names.values())) if names else []
        tags = dict(zip(names, found, strict=True))
        items = [
            (row.instance, {"tags": [tags[_tag_key(n)] for n in row.tags]} if row.tags else {})
            for row in rows
        ]
        return self.data_type.create_bulk(self.actor, items)


def _tag_key(name: str) -> str:
    # get_or_create_tags matches names this way: spaces collapsed, case ignored.
    return " ".join(name.split()).lower()
