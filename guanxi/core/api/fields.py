"""Serializer pieces every record type's API uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import ManyRelatedField, PKOnlyObject, RelatedField

from guanxi.core.models import OwnedRecord, Record, Team, User

from .etags import etag_for


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A record the client names by id; only records the caller may see are found.

    An id the caller may not see gets the same answer as one that does not exist, so a
    reference in a body does not leak what exists either.
    """

    def __init__(self, model: type[Record], **kwargs: Any) -> None:
        self.model = model
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", model.objects.all())  # narrowed per request
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        return self.model.objects.visible_to(getattr(request, "user", None))


class _SummarySerializer(serializers.ModelSerializer):
    """A related record in a few fields, the same in every row that names it.

    A page of 50 accounts names its owners, authors and teams 200 times, mostly the same few
    people: each is written once per response and copied, instead of going field by field
    through DRF every time (``display_name`` alone made DRF inspect ``__str__``'s signature
    per row).
    """

    def summary(self, obj: Any) -> dict[str, Any]:
        raise NotImplementedError

    def to_representation(self, instance: Any) -> dict[str, Any]:
        seen = self.__dict__.setdefault("_seen", {})
        data = seen.get(instance.pk)
        if data is None:
            data = seen[instance.pk] = self.summary(instance)
        return dict(data)


class UserSummarySerializer(_SummarySerializer):
    """A user as shown on a record (owner, author): what every colleague may know."""

    display_name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name"]
        read_only_fields = fields

    def summary(self, obj: Any) -> dict[str, Any]:
        return {"id": obj.pk, "username": obj.username, "display_name": str(obj)}


class TeamSummarySerializer(_SummarySerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]
        read_only_fields = fields

    def summary(self, obj: Any) -> dict[str, Any]:
        return {"id": obj.pk, "name": obj.name}


@extend_schema_field({"type": "string", "example": '"account-12-v3"'})
class ETagField(serializers.Field):
    """The entity tag of the object (as in the ``ETag`` header), for writes based on a list."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return etag_for(value)


# Fields derived by the model or set by services: never taken from a body.
DERIVED_FIELDS = ("name_pinyin", "name_initials", "search_tokens", "last_activity_at")


def _direct_attribute(serializer: serializers.ModelSerializer, field: Any) -> str | None:
    """The column's attribute name when ``field`` shows one plain column of the model."""
    if isinstance(field, serializers.BaseSerializer | RelatedField | ManyRelatedField):
        return None
    if len(field.source_attrs) != 1 or isinstance(field, serializers.SerializerMethodField):
        return None
    try:
        model_field = serializer.Meta.model._meta.get_field(field.source_attrs[0])
    except FieldDoesNotExist:
        return None
    if not model_field.concrete or model_field.is_relation:
        return None
    return model_field.attname if model_field.attname == field.source_attrs[0] else None


class RecordSerializer(serializers.ModelSerializer):
    """Base serializer of every record type.

    The model's ``protected_fields``, ``owner``, ``team`` and derived fields are read-only:
    a body that carries them is accepted and they are ignored (owner changes go through the
    ``assign`` action, which checks who may assign to whom).
    """

    etag = ETagField()
    created_by = UserSummarySerializer(read_only=True)
    updated_by = UserSummarySerializer(read_only=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        """DRF's representation, with the lookup of plain model columns made direct.

        DRF reads each field through ``get_attribute`` (a source path walk and a callable
        check per field and row: 2,000 calls for a page of 50 accounts); a field that shows
        one concrete, non-relational column of the model is read with ``getattr`` here. Every
        other field (relations, nested serializers, ``source="*"``, dotted sources) goes the
        usual way. Each value is still formatted by its field's ``to_representation``.
        """
        if isinstance(instance, Mapping):
            return super().to_representation(instance)
        plan = self.__dict__.get("_read_plan")
        if plan is None:
            fields = self._readable_fields
            plan = self._read_plan = [(f, _direct_attribute(self, f)) for f in fields]
        data: dict[str, Any] = {}
        for field, attname in plan:
            if attname is not None:
                value = getattr(instance, attname)
                if value is None:
                    data[field.field_name] = None
                else:
                    data[field.field_name] = field.to_representation(value)
                continue
            try:
                value = field.get_attribute(instance)
            except SkipField:
                continue
            check = value.pk if isinstance(value, PKOnlyObject) else value
            data[field.field_name] = None if check is None else field.to_representation(value)
        return data

    @classmethod
    def protected_names(cls) -> set[str]:
        model = cls.Meta.model
        names = set(getattr(model, "protected_fields", ())) | set(DERIVED_FIELDS)
        if issubclass(model, OwnedRecord):
            names |= {"owner", "team"}
        return names

    def get_extra_kwargs(self) -> dict[str, Any]:
        extra = super().get_extra_kwargs()
        for name in self.protected_names():
            kwargs = dict(extra.get(name, {}))
            kwargs["read_only"] = True
            extra[name] = kwargs
        return extra


class OwnedRecordSerializer(RecordSerializer):
    owner = UserSummarySerializer(read_only=True)
    team = TeamSummarySerializer(read_only=True)
