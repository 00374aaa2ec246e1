"""The core objects as the API shows and takes them: timeline, people, shares, history."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from guanxi.core.models import (
    AccessLevel,
    AccessPolicy,
    ChangeLogEntry,
    DeletedRecord,
    Note,
    RecordShare,
    Role,
    ShareAccess,
    Team,
    User,
    record_models,
    timeline_models,
)

from .fields import ETagField, RecordSerializer, UserSummarySerializer

# -- timeline ---------------------------------------------------------------------------------


class NoteSerializer(RecordSerializer):
    """A timeline entry; ``object_type`` and ``object_id`` name the record it is on."""

    object_type = serializers.CharField(
        source="content_type.model",
        help_text=_("The type of the record the entry is on: account, contact …"),
    )
    object_id = serializers.IntegerField(min_value=1)

    class Meta:
        model = Note
        fields = [
            "id",
            "etag",
            "version",
            "object_type",
            "object_id",
            "kind",
            "direction",
            "subject",
            "body",
            "occurred_at",
            "duration_minutes",
            "created_at",
            "created_by",
            "updated_at",
            "updated_by",
        ]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None:
            # An entry stays on the record it was written on.
            for name in ("object_type", "object_id"):
                fields[name].read_only = True
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            return attrs
        object_type = attrs.pop("content_type", {}).get("model", "")
        models = {m.object_type(): m for m in timeline_models()}
        model = models.get(object_type)
        if model is None:
            raise serializers.ValidationError(
                {"object_type": _("Choose one of: %s.") % ", ".join(sorted(models))}
            )
        request = self.context["request"]
        target = model.objects.visible_to(request.user).filter(pk=attrs["object_id"]).first()
        if target is None:
            raise serializers.ValidationError(
                {"object_id": _("Select an existing record you can see.")}
            )
        attrs["target"] = target
        return attrs


# -- people -----------------------------------------------------------------------------------


class UserPublicSerializer(serializers.ModelSerializer):
    """What any colleague may see of a user: enough to pick an owner."""

    display_name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "display_name", "team", "is_active"]
        read_only_fields = fields


class UserSerializer(serializers.ModelSerializer):
    """A user as administrators see and edit them; roles by code, password write-only."""

    etag = ETagField()
    display_name = serializers.CharField(source="__str__", read_only=True)
    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=False,
        style={"input_type": "password"},
        help_text=_("Checked against the password rules; without one the user cannot log in."),
    )
    roles = serializers.SlugRelatedField(
        slug_field="code", queryset=Role.objects.all(), many=True, required=False
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = User
        fields = [
            "id",
            "etag",
            "version",
            "username",
            "password",
            "email",
            "first_name",
            "last_name",
            "display_name",
            "kind",
            "team",
            "roles",
            "language",
            "time_zone",
            "is_active",
            "last_login",
            "date_joined",
        ]
        read_only_fields = ["id", "etag", "version", "last_login", "date_joined"]
        # Uniqueness (case-insensitive) is the service's check, with one message for both.
        extra_kwargs: dict[str, Any] = {"username": {"validators": []}}


class PreferencesSerializer(serializers.ModelSerializer):
    """What every user may change about themself."""

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "language", "time_zone"]
        read_only_fields = ["id", "username"]


class TeamSerializer(serializers.ModelSerializer):
    etag = ETagField()
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )
    manager = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(kind=User.Kind.STAFF), allow_null=True, required=False
    )

    class Meta:
        model = Team
        fields = ["id", "etag", "version", "name", "parent", "manager", "path", "created_at"]
        read_only_fields = ["id", "etag", "version", "path", "created_at"]


class RoleSerializer(serializers.ModelSerializer):
    etag = ETagField()
    permissions = serializers.JSONField(
        required=False,
        help_text=_('Actions per object type, e.g. {"account": ["create", "edit"], "*": []}.'),
    )

    class Meta:
        model = Role
        fields = ["id", "etag", "version", "code", "name", "description", "permissions"]
        fields += ["is_builtin"]
        read_only_fields = ["id", "etag", "version", "is_builtin"]
        extra_kwargs: dict[str, Any] = {"code": {"validators": []}}


class AccessPolicySerializer(serializers.ModelSerializer):
    etag = ETagField()
    default_access = serializers.ChoiceField(choices=AccessLevel.choices)

    class Meta:
        model = AccessPolicy
        fields = ["object_type", "etag", "version", "default_access"]
        read_only_fields = ["object_type", "etag", "version"]


# -- shares, history, recycle bin -------------------------------------------------------------


def record_model_for(object_type: str) -> Any:
    """The record model called ``object_type`` (``account``), or None."""
    for model in record_models():
        if model.object_type() == object_type:
            return model
    return None


class ShareSerializer(serializers.ModelSerializer):
    object_type = serializers.CharField(source="content_type.model")
    object_id = serializers.IntegerField(min_value=1)
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True, required=False
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )
    access = serializers.ChoiceField(choices=ShareAccess.choices)
    created_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = RecordShare
        fields = [
            "id",
            "object_type",
            "object_id",
            "user",
            "team",
            "access",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["id", "created_by", "created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        object_type = attrs.pop("content_type", {}).get("model", "")
        model = record_model_for(object_type)
        if model is None:
            raise serializers.ValidationError({"object_type": _("Unknown object type.")})
        request = self.context["request"]
        target = model.objects.visible_to(request.user).filter(pk=attrs["object_id"]).first()
        if target is None:
            raise serializers.ValidationError(
                {"object_id": _("Select an existing record you can see.")}
            )
        attrs["target"] = target
        return attrs


class ChangeLogEntrySerializer(serializers.ModelSerializer):
    actor = UserSummarySerializer(read_only=True)

    class Meta:
        model = ChangeLogEntry
        fields = [
            "id",
            "object_type",
            "object_id",
            "object_repr",
            "action",
            "actor",
            "actor_repr",
            "at",
            "changes",
            "request_id",
            "parent_type",
            "parent_id",
        ]
        read_only_fields = fields


class DeletedRecordSerializer(serializers.ModelSerializer):
    deleted_by = UserSummarySerializer(read_only=True)
    expires_at = serializers.SerializerMethodField()

    class Meta:
        model = DeletedRecord
        fields = [
            "id",
            "object_type",
            "object_id",
            "object_repr",
            "deleted_at",
            "deleted_by",
            "children",
            "merged_into",
            "expires_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_expires_at(self, obj: DeletedRecord) -> Any:
        return serializers.DateTimeField().to_representation(obj.expires_at())


class RestoredSerializer(serializers.Serializer):
    object_type = serializers.CharField()
    id = serializers.IntegerField()
    etag = serializers.CharField()
    title = serializers.CharField()


# -- search and tokens ------------------------------------------------------------------------


class SearchHitSerializer(serializers.Serializer):
    object_type = serializers.CharField()
    id = serializers.IntegerField()
    title = serializers.CharField()
    subtitle = serializers.CharField()
    url = serializers.CharField()
    rank = serializers.FloatField()


class SearchResultSerializer(serializers.Serializer):
    query = serializers.CharField()
    count = serializers.IntegerField()
    results = SearchHitSerializer(many=True)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(help_text=_("Name, pinyin (full or initials), phone, email, code."))
    types = serializers.CharField(
        required=False, help_text=_("Comma-separated object types, e.g. account,contact.")
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(help_text=_("Username or email address."))
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
