"""Pipelines, opportunities, objections and the customer pool under /api/v1/: thin viewsets
over the sales and pool services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from guanxi.core.api.etags import expected_version, set_etag
from guanxi.core.api.permissions import IsStaff, is_staff_user
from guanxi.core.api.viewsets import IF_MATCH, RecordViewSet, VersionedViewSet
from guanxi.core.errors import StaleVersion
from guanxi.customers import pool
from guanxi.customers.api.serializers import AccountSerializer
from guanxi.customers.models import Account, Contact, PoolCap, PoolRule

from .. import selectors, services
from ..filters import ObjectionFilterSet, OpportunityFilterSet, PoolFilterSet
from ..models import Objection, Opportunity, OpportunityContact, Pipeline
from .serializers import (
    DecisionMakerSerializer,
    DecisionMakersSerializer,
    ForecastQuerySerializer,
    ForecastSerializer,
    KanbanQuerySerializer,
    KanbanSerializer,
    MoveSerializer,
    ObjectionOnOpportunitySerializer,
    ObjectionSerializer,
    OpportunitySerializer,
    PipelineSerializer,
    PoolAssignSerializer,
    PoolCapSerializer,
    PoolReturnSerializer,
    PoolRuleSerializer,
)

# -- pipelines -------------------------------------------------------------------------------


class StaffReadAdminWrite(permissions.BasePermission):
    """Staff read; administrators of ``admin_object_type`` write (403 for anyone else)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return is_staff_user(request.user)
        return bool(
            is_staff_user(request.user) and request.user.is_admin_for(view.admin_object_type)
        )


def _stage_specs(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": s.get("id"),
            "name": s["name"],
            "probability": s.get("probability", 0),
            "kind": s.get("kind", "open"),
        }
        for s in stages
    ]


class PipelineViewSet(VersionedViewSet):
    """Sales pipelines with their stages; administrators write."""

    serializer_class = PipelineSerializer
    permission_classes = [StaffReadAdminWrite]
    admin_object_type = "opportunity"
    pagination_class = None
    filter_backends: list[Any] = []
    queryset = Pipeline.objects.prefetch_related("stages").order_by("-is_default", "name")

    def perform_service_create(self, data: dict[str, Any]) -> Any:
        stages = _stage_specs(data["stages"])
        pipeline = services.create_pipeline(
            self.request.user,
            data["name"],
            [(s["name"], s["probability"], s["kind"]) for s in stages],
            is_default=data.get("is_default", False),
        )
        if data.get("is_active") is False:
            pipeline = services.update_pipeline(
                self.request.user, pipeline, {"is_active": False}, expected_version=None
            )
        return pipeline

    def perform_service_update(self, obj: Any, data: dict[str, Any], version: int) -> Any:
        stages = data.pop("stages", None)
        return services.update_pipeline(
            self.request.user,
            obj,
            data,
            _stage_specs(stages) if stages is not None else None,
            expected_version=version,
        )

    def perform_service_delete(self, obj: Any, version: int) -> None:
        if obj.version != version:
            raise StaleVersion(obj, version)
        services.delete_pipeline(self.request.user, obj)


# -- opportunities ---------------------------------------------------------------------------


class OpportunityViewSet(RecordViewSet):
    """Opportunities (deals) the caller may see. Stage changes go through ``move``."""

    model = Opportunity
    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilterSet
    create_service = services.create_opportunity
    update_service = services.update_opportunity
    delete_service = services.delete_opportunity
    list_select_related = (
        "owner",
        "team",
        "account",
        "pipeline",
        "stage",
        "created_by",
        "updated_by",
    )
    list_prefetch_related = ("tags", "decision_makers__contact")
    ordering_fields = (
        "name",
        "amount",
        "expected_close_date",
        "probability",
        "created_at",
        "updated_at",
        "closed_at",
        "stage__order",
        "id",
    )

    def perform_service_update(self, obj: Any, data: dict[str, Any], version: int) -> Any:
        # A full PUT carries the pipeline and stage it read: unchanged, they are no move.
        for name in ("pipeline", "stage"):
            if name in data and getattr(data[name], "pk", None) == getattr(obj, f"{name}_id"):
                data.pop(name)
        return services.update_opportunity(self.request.user, obj, data, expected_version=version)

    def _answer(self, opportunity: Opportunity, code: int = status.HTTP_200_OK) -> Response:
        opportunity = self.reload(opportunity)
        return set_etag(Response(self.get_serializer(opportunity).data, status=code), opportunity)

    @extend_schema(
        request=MoveSerializer,
        responses=OpportunitySerializer,
        parameters=[IF_MATCH],
        summary="Move the opportunity to another stage of its pipeline",
        description=(
            "The kanban drag. Needs `If-Match` (428 without, 412 when someone else changed "
            "the opportunity). A lost stage needs `loss_reason` (400 naming it)."
        ),
    )
    @action(detail=True, methods=["post"])
    def move(self, request: Any, pk: Any = None) -> Response:
        opportunity = self.get_object()
        version = expected_version(request, opportunity)
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        moved = services.move_stage(
            request.user,
            opportunity,
            body.validated_data["stage"],
            expected_version=version,
            loss_reason=body.validated_data["loss_reason"].strip(),
        )
        return self._answer(moved)

    @extend_schema(
        methods=["GET"],
        responses=ObjectionOnOpportunitySerializer(many=True),
        summary="The objections raised on this opportunity",
    )
    @extend_schema(
        methods=["POST"],
        request=ObjectionOnOpportunitySerializer,
        responses={201: ObjectionOnOpportunitySerializer},
        summary="Log an objection on this opportunity",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        pagination_class=None,
        filterset_class=None,
        serializer_class=ObjectionOnOpportunitySerializer,
    )
    def objections(self, request: Any, pk: Any = None) -> Response:
        opportunity = self.get_object()
        if request.method == "GET":
            rows = (
                Objection.objects.visible_to(request.user)
                .filter(opportunity=opportunity)
                .select_related("owner", "team", "created_by", "updated_by")
                .order_by("-raised_at", "-id")
            )
            return Response(ObjectionOnOpportunitySerializer(rows, many=True).data)
        body = ObjectionOnOpportunitySerializer(
            data=request.data, context=self.get_serializer_context()
        )
        body.is_valid(raise_exception=True)
        data = {
            k: v
            for k, v in body.validated_data.items()
            if k not in ObjectionOnOpportunitySerializer.protected_names()
        }
        objection = services.log_objection(request.user, opportunity, data)
        objection = Objection.objects.select_related("owner", "team").get(pk=objection.pk)
        response = Response(
            ObjectionOnOpportunitySerializer(objection).data, status=status.HTTP_201_CREATED
        )
        return set_etag(response, objection)

    @extend_schema(
        methods=["GET"],
        responses=DecisionMakerSerializer(many=True),
        summary="The decision makers: contacts of the account with their buying role",
    )
    @extend_schema(
        methods=["PUT"],
        request=DecisionMakersSerializer,
        responses=DecisionMakerSerializer(many=True),
        parameters=[IF_MATCH],
        summary="Replace the decision makers",
        description="Contacts of the opportunity's account the caller can see (400 otherwise).",
    )
    @action(
        detail=True,
        methods=["get", "put"],
        url_path="decision-makers",
        pagination_class=None,
        filterset_class=None,
        serializer_class=DecisionMakerSerializer,
    )
    def decision_makers(self, request: Any, pk: Any = None) -> Response:
        opportunity = self.get_object()
        if request.method == "PUT":
            version = expected_version(request, opportunity)
            body = DecisionMakersSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            rows = body.validated_data["decision_makers"]
            ids = [row["contact_id"] for row in rows]
            contacts = {
                c.pk: c for c in Contact.objects.visible_to(request.user).filter(pk__in=ids)
            }
            if len(contacts) != len(set(ids)):
                raise ValidationError(
                    {"decision_makers": _("Choose contacts of the opportunity's account.")}
                )
            opportunity = services.set_decision_makers(
                request.user,
                opportunity,
                [(contacts[row["contact_id"]], row["role"]) for row in rows],
                expected_version=version,
            )
        makers = (
            OpportunityContact.objects.filter(opportunity=opportunity)
            .filter(contact__in=Contact.objects.visible_to(request.user).values("pk"))
            .select_related("contact")
            .order_by("contact__name")
        )
        response = Response(DecisionMakerSerializer(makers, many=True).data)
        return set_etag(response, Opportunity.all_objects.get(pk=opportunity.pk))

    @extend_schema(
        parameters=[ForecastQuerySerializer],
        responses=ForecastSerializer,
        summary="Forecast: amounts and weighted amounts by period, rep or team, category",
        description=(
            "Open and won opportunities expected to close in [start, end] that the caller may "
            "see (lost ones are left out), per period, rep (or team), currency and forecast "
            "category. The totals per currency are the sums of the opportunities."
        ),
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def forecast(self, request: Any) -> Response:
        query = ForecastQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        queryset = Opportunity.objects.visible_to(request.user)
        if data.get("pipeline"):
            queryset = queryset.filter(pipeline=data["pipeline"])
        if data.get("team"):
            queryset = queryset.filter(team__path__startswith=data["team"].path)
        if data.get("owner"):
            queryset = queryset.filter(owner=data["owner"])
        rows = selectors.forecast(
            request.user,
            start=data["start"],
            end=data["end"],
            period=data["period"],
            group_by=data["group_by"],
            queryset=queryset,
        )
        _lines, totals = selectors.forecast_table(rows)
        body = {
            "start": data["start"],
            "end": data["end"],
            "period": data["period"],
            "group_by": data["group_by"],
            "rows": rows,
            "totals": [
                {
                    "currency": t.currency,
                    "count": t.count,
                    "amount": t.amount,
                    "weighted": t.weighted,
                    "categories": {c: a for c, a in t.amounts.items() if a != Decimal("0")},
                }
                for t in totals.values()
            ],
        }
        return Response(ForecastSerializer(body).data)

    @extend_schema(
        parameters=[KanbanQuerySerializer],
        responses=KanbanSerializer,
        summary="The kanban board of a pipeline: per stage the count, sums and top cards",
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def kanban(self, request: Any) -> Response:
        query = KanbanQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        pipeline = data.get("pipeline") or Pipeline.default()
        if pipeline is None:
            raise Http404(_("There is no pipeline yet."))
        queryset: QuerySet = Opportunity.objects.visible_to(request.user)
        if data.get("owner"):
            queryset = queryset.filter(owner=data["owner"])
        if data.get("team"):
            queryset = queryset.filter(team__path__startswith=data["team"].path)
        if data.get("close_after"):
            queryset = queryset.filter(expected_close_date__gte=data["close_after"])
        if data.get("close_before"):
            queryset = queryset.filter(expected_close_date__lte=data["close_before"])
        columns = selectors.kanban(
            request.user, pipeline, queryset=queryset, per_stage=data["per_stage"]
        )
        return Response(KanbanSerializer({"pipeline": pipeline.pk, "columns": columns}).data)


class ObjectionViewSet(RecordViewSet):
    """Objections raised during sales, on the opportunities the caller may see."""

    model = Objection
    serializer_class = ObjectionSerializer
    filterset_class = ObjectionFilterSet
    update_service = services.update_objection
    delete_service = services.delete_objection
    list_select_related = ("owner", "team", "created_by", "updated_by")
    ordering_fields = ("raised_at", "type", "resolved", "created_at", "id")

    def perform_service_create(self, data: dict[str, Any]) -> Any:
        opportunity = data.pop("opportunity")
        return services.log_objection(self.request.user, opportunity, data)


# -- the pool --------------------------------------------------------------------------------


class PoolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The customer pool (公海): accounts without an owner, to claim within the cap of one's
    role, or (managers) to assign to a member of their teams."""

    serializer_class = AccountSerializer
    permission_classes = [IsStaff]
    filterset_class = PoolFilterSet
    lookup_value_regex = r"\d+"
    ordering_fields = ("name", "pooled_at", "created_at", "last_activity_at", "id")

    def get_queryset(self) -> QuerySet:
        return (
            pool.pool_queryset(self.request.user)
            .select_related("team", "created_by", "updated_by")
            .prefetch_related("tags")
            .order_by("name", "pk")
        )

    def _answer(self, account: Any) -> Response:
        account = Account.objects.select_related("owner", "team").get(pk=account.pk)
        return set_etag(
            Response(AccountSerializer(account, context={"request": self.request}).data), account
        )

    @extend_schema(
        request=None,
        responses=AccountSerializer,
        summary="Claim the account",
        description="400 (naming `owner`) when the caller holds the most accounts their role "
        "allows, or someone claimed it first.",
    )
    @action(detail=True, methods=["post"])
    def claim(self, request: Any, pk: Any = None) -> Response:
        return self._answer(pool.claim_account(request.user, self.get_object()))

    @extend_schema(
        request=PoolAssignSerializer,
        responses=AccountSerializer,
        summary="Give the account to a member of a team the caller manages",
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Any, pk: Any = None) -> Response:
        account = self.get_object()
        body = PoolAssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            pool.assign_from_pool(request.user, account, body.validated_data["owner"])
        )

    @extend_schema(
        request=PoolReturnSerializer,
        responses=AccountSerializer,
        summary="Give an account back to the pool",
        description="The account's owner, or a manager above them, may return it.",
    )
    @action(detail=False, methods=["post"], url_path="return", filterset_class=None)
    def return_account(self, request: Any) -> Response:
        body = PoolReturnSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        account = pool.return_to_pool(
            request.user, body.validated_data["account"], body.validated_data["reason"]
        )
        return self._answer(account)


class PoolSettingViewSet(viewsets.ModelViewSet):
    """Base of the pool's rules and caps: staff read, account administrators write."""

    permission_classes = [StaffReadAdminWrite]
    admin_object_type = "account"
    pagination_class = None
    filter_backends: list[Any] = []
    lookup_value_regex = r"\d+"


class PoolRuleViewSet(PoolSettingViewSet):
    """When accounts of a relationship class go back to the pool (one rule per class)."""

    serializer_class = PoolRuleSerializer
    queryset = PoolRule.objects.order_by("relationship_class")

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        code = data.pop("relationship_class")
        if PoolRule.objects.filter(relationship_class=code).exists():
            raise ValidationError(
                {"relationship_class": _("This class has a rule already; change that one.")}
            )
        serializer.instance = pool.save_pool_rule(self.request.user, code, data)

    def perform_update(self, serializer: Any) -> None:
        rule = serializer.instance
        serializer.instance = pool.save_pool_rule(
            self.request.user, rule.relationship_class, dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: PoolRule) -> None:
        pool.delete_pool_rule(self.request.user, instance)


class PoolCapViewSet(PoolSettingViewSet):
    """How many accounts a user with a role may hold."""

    serializer_class = PoolCapSerializer
    queryset = PoolCap.objects.select_related("role").order_by("role__name")

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = pool.set_pool_cap(
            self.request.user, data["role"], data["max_accounts"]
        )

    def perform_update(self, serializer: Any) -> None:
        cap = serializer.instance
        data = serializer.validated_data
        if data.get("role", cap.role) != cap.role:
            raise ValidationError({"role": _("A cap stays with its role.")})
        serializer.instance = pool.set_pool_cap(
            self.request.user, cap.role, data.get("max_accounts", cap.max_accounts)
        )

    def perform_destroy(self, instance: PoolCap) -> None:
        pool.set_pool_cap(self.request.user, instance.role, None)
