"""Serializer pieces every record type's API uses."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

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


class UserSummarySerializer(serializers.ModelSerializer):
    """A user as shown on a record (owner, author): what every colleague may know."""

    display_name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name"]
        read_only_fields = fields


class TeamSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]
        read_only_fields = fields


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


class RecordSerializer(serializers.ModelSerializer):
    """Base serializer of every record type.

    The model's ``protected_fields``, ``owner``, ``team`` and derived fields are read-only:
    a body that carries them is accepted and they are ignored (owner changes go through the
    ``assign`` action, which checks who may assign to whom).
    """

    etag = ETagField()
    created_by = UserSummarySerializer(read_only=True)
    updated_by = UserSummarySerializer(read_only=True)

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
