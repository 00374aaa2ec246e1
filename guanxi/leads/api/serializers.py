"""Leads and their administration as the API shows and takes them."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from guanxi.core.api.fields import (
    ETagField,
    OwnedRecordSerializer,
    UserSummarySerializer,
    VisibleRelatedField,
)
from guanxi.core.models import Tag, Team, User
from guanxi.customers.models import Account
from guanxi.marketing.models import CURRENCIES, Campaign

from ..models import (
    AssignmentRule,
    BehaviourKind,
    Lead,
    LeadBehaviour,
    LeadScoringRule,
    RepAvailability,
    ScoringSettings,
    WebForm,
)
from ..rules import PUBLIC_FIELDS

LEAD_READ_ONLY = [
    "id",
    "etag",
    "version",
    "owner",
    "team",
    "score",
    "score_breakdown",
    "predicted_conversion",
    "web_form",
    "assigned_at",
    "first_contacted_at",
    "qualified_at",
    "escalated_at",
    "converted_at",
    "converted_account",
    "converted_contact",
    "converted_opportunity",
    "last_activity_at",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
]


class ScoreLineSerializer(serializers.Serializer):
    rule_id = serializers.IntegerField()
    rule = serializers.CharField()
    points = serializers.IntegerField()
    times = serializers.IntegerField()


class LeadSerializer(OwnedRecordSerializer):
    """A lead; ``score_breakdown`` says which rules gave it its score."""

    campaign = VisibleRelatedField(Campaign, allow_null=True, required=False)
    tags = serializers.PrimaryKeyRelatedField(queryset=Tag.objects.all(), many=True, required=False)
    score_breakdown = ScoreLineSerializer(many=True, read_only=True)
    assign = serializers.BooleanField(
        write_only=True,
        required=False,
        default=True,
        help_text=_(
            "On create: run the assignment rules (default). False keeps the lead with its creator."
        ),
    )

    class Meta:
        model = Lead
        fields = [
            *LEAD_READ_ONLY,
            "person_name",
            "company",
            "title",
            "mobile",
            "phone",
            "email",
            "source",
            "campaign",
            "industry",
            "province",
            "city",
            "product_interest",
            "budget",
            "currency",
            "need",
            "decision_timeline",
            "notes",
            "status",
            "disqualify_reason",
            "opted_out",
            "tags",
            "assign",
        ]
        read_only_fields = LEAD_READ_ONLY


# -- actions on a lead ------------------------------------------------------------------------


class OpportunityInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0, required=False)
    currency = serializers.ChoiceField(choices=CURRENCIES, required=False)
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    pipeline = serializers.IntegerField(required=False, help_text=_("Pipeline id (default one)."))

    def validate_pipeline(self, value: int) -> Any:
        from guanxi.sales.models import Pipeline

        pipeline = Pipeline.objects.filter(pk=value, is_active=True).first()
        if pipeline is None:
            raise serializers.ValidationError(_("No such active pipeline."))
        return pipeline


class ConvertSerializer(serializers.Serializer):
    account = VisibleRelatedField(
        Account,
        required=False,
        allow_null=True,
        help_text=_("Link to this account; empty: the matching account, else a new one."),
    )
    new_account = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Create a new account even when one matches."),
    )
    create_opportunity = serializers.BooleanField(required=False, default=True)
    opportunity = OpportunityInputSerializer(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("account") is not None and attrs.get("new_account"):
            raise serializers.ValidationError(
                {"new_account": _("Either name an account or ask for a new one.")}
            )
        return attrs


class ConversionSerializer(serializers.Serializer):
    lead = serializers.IntegerField()
    account = serializers.IntegerField()
    contact = serializers.IntegerField()
    opportunity = serializers.IntegerField(allow_null=True)
    account_was_existing = serializers.BooleanField()
    opportunity_url = serializers.CharField(allow_null=True)


class DisqualifySerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class ReassignSerializer(serializers.Serializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(kind=User.Kind.STAFF, is_active=True),
        allow_null=True,
        required=False,
        help_text=_("The rep who takes the lead; null or absent: back through the rules."),
    )


class BehaviourSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=BehaviourKind.choices)

    class Meta:
        model = LeadBehaviour
        fields = ["id", "kind", "at", "detail"]
        read_only_fields = ["id"]
        extra_kwargs: dict[str, Any] = {"at": {"required": False}}


# -- administration ---------------------------------------------------------------------------


class VersionedModelSerializer(serializers.ModelSerializer):
    etag = ETagField()


class ScoringRuleSerializer(VersionedModelSerializer):
    class Meta:
        model = LeadScoringRule
        fields = [
            "id",
            "etag",
            "version",
            "name",
            "kind",
            "field",
            "operator",
            "value",
            "behaviour",
            "points",
            "max_times",
            "is_active",
        ]
        read_only_fields = ["id", "etag", "version"]


class ScoringSettingsSerializer(VersionedModelSerializer):
    class Meta:
        model = ScoringSettings
        fields = ["etag", "version", "qualify_threshold"]
        read_only_fields = ["etag", "version"]


class AssignmentRuleSerializer(VersionedModelSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    last_assigned = UserSummarySerializer(read_only=True)

    class Meta:
        model = AssignmentRule
        fields = [
            "id",
            "etag",
            "version",
            "name",
            "order",
            "is_active",
            "provinces",
            "industries",
            "sources",
            "product_keywords",
            "team",
            "method",
            "contact_within_hours",
            "on_timeout",
            "last_assigned",
        ]
        read_only_fields = ["id", "etag", "version", "last_assigned"]


class RepAvailabilitySerializer(VersionedModelSerializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(kind=User.Kind.STAFF),
        help_text=_("The rep; set on create only."),
    )

    class Meta:
        model = RepAvailability
        fields = [
            "id",
            "etag",
            "version",
            "user",
            "max_open_leads",
            "absent_from",
            "absent_until",
            "accepts_leads",
        ]
        read_only_fields = ["id", "etag", "version"]
        # one row per rep: the service says so with its own message
        validators: list[Any] = []

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None:
            fields["user"].read_only = True
        return fields


class WebFormSerializer(VersionedModelSerializer):
    campaign = VisibleRelatedField(Campaign, allow_null=True, required=False)
    fields = serializers.ListField(
        child=serializers.ChoiceField(choices=[(f, f) for f in PUBLIC_FIELDS]),
        required=False,
        help_text=_("Lead fields the form asks for, in order; the name is always asked."),
    )
    public_url = serializers.SerializerMethodField()
    embed_html = serializers.SerializerMethodField()

    class Meta:
        model = WebForm
        fields = [
            "id",
            "etag",
            "version",
            "name",
            "token",
            "source",
            "campaign",
            "fields",
            "thank_you_message",
            "redirect_url",
            "is_active",
            "public_url",
            "embed_html",
            "created_at",
        ]
        read_only_fields = ["id", "etag", "version", "token", "created_at"]

    @extend_schema_field(serializers.URLField())
    def get_public_url(self, obj: WebForm) -> str:
        path = reverse("webforms:submit", args=[obj.token])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(serializers.CharField())
    def get_embed_html(self, obj: WebForm) -> str:
        from ..webforms import embed_snippet

        request = self.context.get("request")
        return embed_snippet(request, obj) if request is not None else ""
