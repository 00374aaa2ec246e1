"""Activities, call lists, call outcomes and notifications as the API shows and takes them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.core.api.fields import ETagField, OwnedRecordSerializer, UserSummarySerializer
from guanxi.core.models import Notification, SavedView, User

from .. import services
from ..models import Activity, CallList, CallListEntry, CallOutcome

OWNED_READ_ONLY = [
    "id",
    "etag",
    "version",
    "owner",
    "team",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
]


class ActivitySerializer(OwnedRecordSerializer):
    """A task, call, meeting or visit; ``object_type`` + ``object_id`` name the record it is on."""

    object_type = serializers.CharField(
        source="related_type",
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text=_("The type of the record it is on: account, contact, lead or opportunity."),
    )
    object_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    attendees = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, kind=User.Kind.STAFF),
        many=True,
        required=False,
        help_text=_("Meetings and visits: the users who take part."),
    )
    outcome = serializers.SlugRelatedField(slug_field="code", read_only=True)
    reminder_minutes = serializers.IntegerField(
        write_only=True,
        required=False,
        min_value=0,
        help_text=_("Sets the reminder this many minutes before the due time or start."),
    )

    class Meta:
        model = Activity
        fields = [
            *OWNED_READ_ONLY,
            "kind",
            "subject",
            "description",
            "object_type",
            "object_id",
            "account",
            "due_at",
            "start_at",
            "end_at",
            "all_day",
            "location",
            "priority",
            "status",
            "done_at",
            "outcome",
            "result",
            "reminder_at",
            "reminder_minutes",
            "reminded_at",
            "attendees",
            "note",
        ]
        read_only_fields = ["account", "status", "done_at", "reminded_at", "note"]

    def to_representation(self, instance: Activity) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["object_type"] = data["object_type"] or None
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_type, has_id = "related_type" in attrs, "object_id" in attrs
        object_type = attrs.pop("related_type", None)
        object_id = attrs.pop("object_id", None)
        if self.instance is None or has_type or has_id:
            if not object_type and not object_id:
                if has_type or has_id:
                    attrs["related"] = None
                return attrs
            if not object_type or not object_id:
                name = "object_id" if object_type else "object_type"
                raise serializers.ValidationError({name: _("Give both the type and the id.")})
            request = self.context["request"]
            try:
                attrs["related"] = services.find_related(request.user, object_type, object_id)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


class CompleteSerializer(serializers.Serializer):
    outcome = serializers.SlugRelatedField(
        slug_field="code",
        queryset=CallOutcome.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text=_("How it went (a call outcome code, see /api/v1/call-outcomes/)."),
    )
    result = serializers.CharField(required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CallOutcomeSerializer(serializers.ModelSerializer):
    etag = ETagField()
    display_label = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = CallOutcome
        fields = [
            "id",
            "etag",
            "version",
            "code",
            "label",
            "display_label",
            "is_success",
            "schedules_callback",
            "order",
            "is_active",
        ]
        read_only_fields = ["id", "etag", "version"]
        # the service checks uniqueness, with one message
        extra_kwargs: dict[str, Any] = {"code": {"validators": []}}


class VisibleSavedViewField(serializers.PrimaryKeyRelatedField):
    """The caller's saved views and the shared ones."""

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return SavedView.objects.none()
        return SavedView.objects.filter(Q(user=user) | Q(is_shared=True))


class CallListSerializer(OwnedRecordSerializer):
    """A call list built from a filter (``object_type`` + ``query``, or a saved view)."""

    object_type = serializers.ChoiceField(
        source="record_type",
        choices=CallList.ObjectType.choices,
        required=False,
        help_text=_("What the list calls: lead, contact or account."),
    )

    saved_view = VisibleSavedViewField(
        required=False, allow_null=True, help_text=_("A saved view whose filter builds the list.")
    )
    entry_count = serializers.IntegerField(read_only=True, default=0)
    done_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = CallList
        fields = [
            *OWNED_READ_ONLY,
            "name",
            "object_type",
            "query",
            "saved_view",
            "script",
            "built_at",
            "entry_count",
            "done_count",
        ]
        read_only_fields = ["built_at"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None:
            # a built list keeps its filter: build a new list for another one
            for name in ("object_type", "query", "saved_view"):
                fields[name].read_only = True
        return fields


class CallListEntrySerializer(serializers.ModelSerializer):
    object_type = serializers.CharField(read_only=True)
    outcome = serializers.SlugRelatedField(slug_field="code", read_only=True)
    caller = UserSummarySerializer(read_only=True)

    class Meta:
        model = CallListEntry
        fields = [
            "id",
            "position",
            "object_type",
            "object_id",
            "label",
            "status",
            "outcome",
            "notes",
            "called_at",
            "caller",
            "next_call_at",
            "activity",
            "next_activity",
        ]
        read_only_fields = fields


class LogCallSerializer(serializers.Serializer):
    outcome = serializers.SlugRelatedField(
        slug_field="code",
        queryset=CallOutcome.objects.filter(is_active=True),
        help_text=_("How the call went (a call outcome code)."),
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    next_call_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text=_("When to call again: a call is planned.")
    )


class SkipEntrySerializer(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "text", "url", "created_at", "read_at"]
        read_only_fields = fields


class ReadCountSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
