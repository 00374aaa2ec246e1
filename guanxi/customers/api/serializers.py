"""Accounts and contacts as the API shows and takes them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.core.api.fields import OwnedRecordSerializer, VisibleRelatedField
from guanxi.core.models import Tag, User

from ..models import (
    CONSENT_CHANNELS,
    Account,
    ConsentRecord,
    ConsentStatus,
    Contact,
    RelationshipClass,
)
from ..services import MERGEABLE_FIELDS

COMMON_READ_ONLY = [
    "id",
    "etag",
    "version",
    "owner",
    "team",
    "name_pinyin",
    "name_initials",
    "last_activity_at",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
]


class AccountSerializer(OwnedRecordSerializer):
    parent = VisibleRelatedField(Account, allow_null=True, required=False)
    tags = serializers.PrimaryKeyRelatedField(queryset=Tag.objects.all(), many=True, required=False)

    class Meta:
        model = Account
        fields = [
            *COMMON_READ_ONLY,
            "name",
            "kind",
            "industry",
            "relationship_class",
            "source_class",
            "region_class",
            "settlement",
            "receivables_class",
            "profitability",
            "profit_contribution",
            "tax_number",
            "phone",
            "email",
            "website",
            "country",
            "province",
            "city",
            "district",
            "street",
            "postal_code",
            "parent",
            "tags",
            "rating",
            "description",
        ]


class ContactSerializer(OwnedRecordSerializer):
    account = VisibleRelatedField(Account, allow_null=True, required=False)
    account_name = serializers.CharField(
        source="account.name", read_only=True, allow_null=True, default=None
    )
    tags = serializers.PrimaryKeyRelatedField(queryset=Tag.objects.all(), many=True, required=False)

    class Meta:
        model = Contact
        fields = [
            *COMMON_READ_ONLY,
            "account",
            "account_name",
            "name",
            "title",
            "department",
            "buying_role",
            "mobile",
            "phone",
            "email",
            "wechat_id",
            "birthday",
            "preferred_channel",
            "consent_email",
            "consent_phone",
            "consent_sms",
            "tags",
            "description",
        ]


# -- actions ---------------------------------------------------------------------------------


class AssignSerializer(serializers.Serializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(kind=User.Kind.STAFF, is_active=True),
        help_text=_("The user who will own the record (and whose team it joins)."),
    )


class BulkAssignSerializer(AssignSerializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=10000
    )


class BulkAssignResultSerializer(serializers.Serializer):
    updated = serializers.IntegerField(help_text=_("How many records changed owner."))


class TransitionSerializer(serializers.Serializer):
    relationship_class = serializers.ChoiceField(choices=RelationshipClass.choices)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MergeSerializer(serializers.Serializer):
    duplicate = VisibleRelatedField(
        Account, help_text=_("The account merged into this one, then moved to the recycle bin.")
    )
    values_from_duplicate = serializers.ListField(
        child=serializers.ChoiceField(choices=[(f, f) for f in MERGEABLE_FIELDS]),
        required=False,
        default=list,
        help_text=_("Fields that take the duplicate's value."),
    )

    def validate_duplicate(self, value: Account) -> Account:
        survivor = self.context.get("survivor")
        if survivor is not None and value.pk == survivor.pk:
            raise serializers.ValidationError(_("Choose two different accounts."))
        return value


class FlowQuerySerializer(serializers.Serializer):
    start = serializers.DateField(
        required=False, help_text=_("First day of the period (default: 30 days before end).")
    )
    end = serializers.DateField(required=False, help_text=_("Last day (default: today)."))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        import datetime as dt

        from django.utils import timezone

        attrs.setdefault("end", timezone.localdate())
        attrs.setdefault("start", attrs["end"] - dt.timedelta(days=30))
        if attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"start": _("The period starts after it ends.")})
        return attrs


class FlowMoveSerializer(serializers.Serializer):
    from_class = serializers.CharField(help_text=_("'' for accounts created in the period."))
    to_class = serializers.CharField()
    count = serializers.IntegerField()


class FlowSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    total_moves = serializers.IntegerField()
    moves = FlowMoveSerializer(many=True)
    at_start = serializers.DictField(
        child=serializers.IntegerField(), help_text=_("Accounts per class when the period began.")
    )
    at_end = serializers.DictField(
        child=serializers.IntegerField(), help_text=_("Accounts per class when it ended.")
    )


class ConsentSerializer(serializers.ModelSerializer):
    channel = serializers.ChoiceField(choices=[(c.value, c.label) for c in CONSENT_CHANNELS])
    status = serializers.ChoiceField(
        choices=[(s.value, s.label) for s in (ConsentStatus.GRANTED, ConsentStatus.WITHDRAWN)]
    )
    recorded_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = ConsentRecord
        fields = ["id", "channel", "status", "method", "note", "at", "recorded_by"]
        read_only_fields = ["id", "recorded_by"]
        extra_kwargs: dict[str, Any] = {"at": {"required": False}}
