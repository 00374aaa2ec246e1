"""Pipelines, opportunities, objections and the customer pool as the API shows and takes them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.core.api.fields import (
    ETagField,
    OwnedRecordSerializer,
    UserSummarySerializer,
    VisibleRelatedField,
)
from guanxi.core.models import Role, Tag, Team, User
from guanxi.customers.models import Account, BuyingRole, PoolCap, PoolRule

from ..models import (
    Objection,
    Opportunity,
    OpportunityContact,
    Pipeline,
    Stage,
    StageKind,
)

# -- pipelines -------------------------------------------------------------------------------


class StageSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(
        required=False, help_text=_("An existing stage's id; leave out for a new stage.")
    )
    kind = serializers.ChoiceField(choices=StageKind.choices, default=StageKind.OPEN)

    class Meta:
        model = Stage
        fields = ["id", "name", "order", "probability", "kind"]
        read_only_fields = ["order"]


class PipelineSerializer(serializers.ModelSerializer):
    """A pipeline with its stages in order; writing ``stages`` replaces the list (in the order
    given). A stage opportunities are or were in cannot be left out."""

    etag = ETagField()
    stages = StageSerializer(many=True, required=False)

    class Meta:
        model = Pipeline
        fields = ["id", "etag", "version", "name", "is_default", "is_active", "stages"]
        read_only_fields = ["id", "etag", "version"]

    def validate_stages(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kinds = [s.get("kind", StageKind.OPEN) for s in value]
        if StageKind.WON not in kinds or StageKind.LOST not in kinds:
            raise serializers.ValidationError(_("A pipeline needs a won and a lost stage."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and not attrs.get("stages"):
            from ..services import DEFAULT_STAGES

            attrs["stages"] = [
                {"name": n, "probability": p, "kind": k} for n, p, k in DEFAULT_STAGES
            ]
        return attrs


# -- opportunities ---------------------------------------------------------------------------


class DecisionMakerSerializer(serializers.ModelSerializer):
    contact = serializers.IntegerField(source="contact_id", help_text=_("A contact's id."))
    contact_name = serializers.CharField(source="contact.name", read_only=True)
    role = serializers.ChoiceField(choices=BuyingRole.choices, allow_blank=True, default="")

    class Meta:
        model = OpportunityContact
        fields = ["contact", "contact_name", "role"]


class OpportunitySerializer(OwnedRecordSerializer):
    """A deal. ``stage`` is set on create (default: the pipeline's first open stage) and moved
    afterwards with the ``move`` action; ``pipeline`` is fixed once created."""

    account = VisibleRelatedField(Account)
    account_name = serializers.CharField(source="account.name", read_only=True)
    pipeline = serializers.PrimaryKeyRelatedField(
        queryset=Pipeline.objects.filter(is_active=True),
        required=False,
        help_text=_("Default: the default pipeline."),
    )
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all(), required=False)
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    stage_kind = serializers.CharField(source="stage.kind", read_only=True)
    weighted_amount = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)
    tags = serializers.PrimaryKeyRelatedField(queryset=Tag.objects.all(), many=True, required=False)
    decision_makers = DecisionMakerSerializer(many=True, read_only=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "etag",
            "version",
            "owner",
            "team",
            "name",
            "account",
            "account_name",
            "pipeline",
            "stage",
            "stage_name",
            "stage_kind",
            "amount",
            "currency",
            "probability",
            "weighted_amount",
            "expected_close_date",
            "forecast_category",
            "products_of_interest",
            "competitors",
            "loss_reason",
            "description",
            "tags",
            "decision_makers",
            "source_lead_id",
            "stage_entered_at",
            "closed_at",
            "created_at",
            "created_by",
            "updated_at",
            "updated_by",
        ]
        extra_kwargs: dict[str, Any] = {
            "probability": {"required": False},
            "forecast_category": {"required": False},
        }


class MoveSerializer(serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(
        queryset=Stage.objects.all(), help_text=_("A stage of the opportunity's pipeline.")
    )
    loss_reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required when moving to a lost stage."),
    )


class DecisionMakersSerializer(serializers.Serializer):
    decision_makers = DecisionMakerSerializer(many=True)


class ObjectionSerializer(OwnedRecordSerializer):
    opportunity = VisibleRelatedField(Opportunity)

    class Meta:
        model = Objection
        fields = [
            "id",
            "etag",
            "version",
            "owner",
            "team",
            "opportunity",
            "type",
            "description",
            "handling",
            "resolved",
            "raised_at",
            "created_at",
            "created_by",
            "updated_at",
            "updated_by",
        ]
        extra_kwargs: dict[str, Any] = {"raised_at": {"required": False}}

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            fields["opportunity"].read_only = True  # an objection stays on its opportunity
        return fields


class ObjectionOnOpportunitySerializer(ObjectionSerializer):
    """An objection logged through ``/opportunities/{id}/objections/`` (the opportunity is the
    one in the address)."""

    opportunity = serializers.PrimaryKeyRelatedField(read_only=True)


# -- forecast and board ----------------------------------------------------------------------


class ForecastQuerySerializer(serializers.Serializer):
    start = serializers.DateField(help_text=_("First expected close date counted."))
    end = serializers.DateField(help_text=_("Last expected close date counted."))
    period = serializers.ChoiceField(choices=["month", "quarter"], default="month")
    group_by = serializers.ChoiceField(choices=["owner", "team"], default="owner")
    pipeline = serializers.PrimaryKeyRelatedField(queryset=Pipeline.objects.all(), required=False)
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, help_text=_("With the teams below it.")
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(kind=User.Kind.STAFF), required=False
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"end": _("The end comes before the start.")})
        if (attrs["end"] - attrs["start"]).days > 3660:
            raise serializers.ValidationError({"end": _("Choose a period of ten years at most.")})
        return attrs


class ForecastRowSerializer(serializers.Serializer):
    period = serializers.DateField(help_text=_("First day of the month or quarter."))
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    team = serializers.IntegerField(source="team_id", allow_null=True)
    currency = serializers.CharField()
    category = serializers.CharField(help_text=_("pipeline, best_case, commit, closed, omitted"))
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=24, decimal_places=2)
    weighted = serializers.DecimalField(max_digits=24, decimal_places=2)


class ForecastTotalSerializer(serializers.Serializer):
    currency = serializers.CharField()
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=24, decimal_places=2)
    weighted = serializers.DecimalField(max_digits=24, decimal_places=2)
    categories = serializers.DictField(
        child=serializers.DecimalField(max_digits=24, decimal_places=2),
        help_text=_("Amount per forecast category."),
    )


class ForecastSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    period = serializers.CharField()
    group_by = serializers.CharField()
    rows = ForecastRowSerializer(many=True)
    totals = ForecastTotalSerializer(many=True)


class KanbanQuerySerializer(serializers.Serializer):
    pipeline = serializers.PrimaryKeyRelatedField(
        queryset=Pipeline.objects.all(), required=False, help_text=_("Default: the default one.")
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(kind=User.Kind.STAFF), required=False
    )
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False)
    close_after = serializers.DateField(required=False)
    close_before = serializers.DateField(required=False)
    per_stage = serializers.IntegerField(min_value=1, max_value=200, default=30)


class CardSerializer(serializers.ModelSerializer):
    etag = ETagField()
    account_name = serializers.CharField(source="account.name", read_only=True)
    owner = UserSummarySerializer(read_only=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "etag",
            "version",
            "name",
            "account",
            "account_name",
            "amount",
            "currency",
            "probability",
            "expected_close_date",
            "owner",
        ]
        read_only_fields = fields


class KanbanStageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stage
        fields = ["id", "name", "order", "probability", "kind"]
        read_only_fields = fields


class KanbanColumnSerializer(serializers.Serializer):
    stage = KanbanStageSerializer()
    count = serializers.IntegerField()
    totals = serializers.DictField(
        child=serializers.DecimalField(max_digits=24, decimal_places=2),
        help_text=_("Sum of the amounts per currency."),
    )
    cards = CardSerializer(many=True)


class KanbanSerializer(serializers.Serializer):
    pipeline = serializers.IntegerField()
    columns = KanbanColumnSerializer(many=True)


# -- the pool --------------------------------------------------------------------------------


class PoolAssignSerializer(serializers.Serializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(kind=User.Kind.STAFF, is_active=True),
        help_text=_("A member of a team the caller manages (administrators: anyone)."),
    )


class PoolReturnSerializer(serializers.Serializer):
    account = VisibleRelatedField(Account, help_text=_("An account the caller may edit."))
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PoolRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = PoolRule
        fields = [
            "id",
            "relationship_class",
            "days_without_followup",
            "days_without_win",
            "warning_days",
            "is_active",
        ]
        read_only_fields = ["id"]
        # one rule per class: the service says so with a clear message
        extra_kwargs: dict[str, Any] = {"relationship_class": {"validators": []}}

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            fields["relationship_class"].read_only = True
        return fields


class PoolCapSerializer(serializers.ModelSerializer):
    role = serializers.SlugRelatedField(slug_field="code", queryset=Role.objects.all())

    class Meta:
        model = PoolCap
        fields = ["id", "role", "max_accounts"]
        read_only_fields = ["id"]
