"""``/api/v1/funnel/``: the lead funnel over the leads the caller may see, and the predictive
score's model (``/api/v1/funnel/predictive/``). Registered on the one v1 router; imported by
``guanxi/api_urls.py``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from guanxi.core.api.permissions import IsStaff
from guanxi.core.api.router import register
from guanxi.core.models import Team, User
from guanxi.marketing.models import Campaign

from . import funnel, predictive
from .models import LeadSource


class FunnelQuerySerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=list(funnel.GROUPINGS), default="source")
    start = serializers.DateField(
        required=False, help_text=_("First day of lead creation counted (default: 11 months ago).")
    )
    end = serializers.DateField(
        required=False, help_text=_("Last day of lead creation counted (default: today).")
    )
    period = serializers.ChoiceField(
        choices=list(funnel.PERIODS),
        default="month",
        help_text=_("Bucket of group_by=period: the month or quarter of creation."),
    )
    source = serializers.ChoiceField(choices=LeadSource.choices, required=False)
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all(), required=False)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(kind=User.Kind.STAFF), required=False
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, help_text=_("With the teams below it.")
    )

    def validate_campaign(self, campaign: Campaign) -> Campaign:
        user = self.context["request"].user
        if not Campaign.objects.visible_to(user).filter(pk=campaign.pk).exists():
            raise serializers.ValidationError(_("Select a campaign you can see."))
        return campaign

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        default_start, default_end = funnel.default_range()
        attrs.setdefault("start", default_start)
        attrs.setdefault("end", default_end)
        if attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"end": _("The end comes before the start.")})
        if (attrs["end"] - attrs["start"]).days > 3660:
            raise serializers.ValidationError({"end": _("Choose a period of ten years at most.")})
        return attrs


class CostLineSerializer(serializers.Serializer):
    currency = serializers.CharField()
    cost = serializers.DecimalField(
        max_digits=24, decimal_places=2, help_text=_("The group's share of campaign costs.")
    )
    per_lead = serializers.DecimalField(max_digits=24, decimal_places=2, allow_null=True)
    per_win = serializers.DecimalField(
        max_digits=24,
        decimal_places=2,
        allow_null=True,
        help_text=_("Null when no lead of a costed campaign was won."),
    )


class FunnelRowSerializer(serializers.Serializer):
    key = serializers.JSONField(
        help_text=_(
            "Source code, campaign id, owner id or first day of the period; null for leads "
            "without one (and for the total)."
        )
    )
    label = serializers.CharField()
    leads = serializers.IntegerField()
    qualified = serializers.IntegerField()
    opportunities = serializers.IntegerField()
    won = serializers.IntegerField()
    contacted = serializers.IntegerField(help_text=_("Leads with a first contact."))
    qualified_rate = serializers.FloatField(
        allow_null=True, help_text=_("Percentage of the leads qualified.")
    )
    opportunity_rate = serializers.FloatField(
        allow_null=True, help_text=_("Percentage of the qualified leads that became opportunities.")
    )
    win_rate = serializers.FloatField(
        allow_null=True, help_text=_("Percentage of the opportunities won.")
    )
    overall_rate = serializers.FloatField(
        allow_null=True, help_text=_("Percentage of the leads won.")
    )
    avg_hours_to_contact = serializers.FloatField(allow_null=True)
    median_hours_to_contact = serializers.FloatField(allow_null=True)
    costs = CostLineSerializer(many=True, source="cost_lines")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        key = instance.key
        data["key"] = key.isoformat() if hasattr(key, "isoformat") else key
        return data


class FunnelSerializer(serializers.Serializer):
    group_by = serializers.CharField()
    period = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    rows = FunnelRowSerializer(many=True)
    total = FunnelRowSerializer()


class PredictiveModelSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    trained_at = serializers.DateTimeField()
    n_samples = serializers.IntegerField(help_text=_("Closed leads learnt from."))
    n_converted = serializers.IntegerField()
    n_holdout = serializers.IntegerField(help_text=_("Leads kept aside to measure the AUC."))
    auc = serializers.FloatField(allow_null=True)


class PredictiveStatusSerializer(serializers.Serializer):
    model = PredictiveModelSerializer(allow_null=True)
    closed = serializers.IntegerField()
    converted = serializers.IntegerField()
    disqualified = serializers.IntegerField()
    enough_history = serializers.BooleanField()
    closed_needed = serializers.IntegerField(help_text=_("More closed leads needed to train."))
    message = serializers.CharField(allow_blank=True)


class FunnelViewSet(viewsets.ViewSet):
    """The lead funnel (lead → qualified → opportunity → won) of the leads the caller may see."""

    permission_classes = [IsStaff]

    @extend_schema(
        parameters=[FunnelQuerySerializer],
        responses=FunnelSerializer,
        summary="Lead funnel by source, campaign, rep or period",
        description=(
            "Leads the caller may see created in [start, end]: per group the leads, qualified "
            "leads, opportunities and won deals, conversion rates, hours to first contact "
            "(average and median), and, for campaigns whose cost is known, the cost, cost per "
            "lead and cost per win per currency (each lead of a campaign carries an equal share "
            "of its cost)."
        ),
    )
    def list(self, request: Any) -> Response:
        query = FunnelQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        data = query.validated_data
        queryset = funnel.funnel_queryset(
            request.user,
            data["start"],
            data["end"],
            source=data.get("source"),
            campaign=data.get("campaign"),
            owner=data.get("owner"),
            team=data.get("team"),
        )
        report = funnel.funnel(
            request.user,
            start=data["start"],
            end=data["end"],
            group_by=data["group_by"],
            period=data["period"],
            queryset=queryset,
        )
        return Response(FunnelSerializer(report).data)

    @extend_schema(
        responses=PredictiveStatusSerializer,
        summary="The predictive score's model, or how much history it still needs",
    )
    @action(detail=False, methods=["get"])
    def predictive(self, request: Any) -> Response:
        model = predictive.active_model()
        known = predictive.history()
        body = {
            "model": model,
            "closed": known.closed,
            "converted": known.converted,
            "disqualified": known.disqualified,
            "enough_history": known.enough,
            "closed_needed": known.missing_closed,
            "message": "" if known.enough else predictive.not_enough_message(known),
        }
        return Response(PredictiveStatusSerializer(body).data)


register("funnel", FunnelViewSet, "funnel")
