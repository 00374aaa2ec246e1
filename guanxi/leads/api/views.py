"""Leads and their administration under /api/v1/: thin viewsets over the lead services.

``/leads/`` is a record type (access, ETag/If-Match, change log, recycle bin) with actions to
convert, mark contacted, disqualify, reassign and record behaviours. Scoring rules (with the
threshold at ``/lead-scoring-rules/settings/``), assignment rules, rep availability and web
forms are read by staff and written by administrators of leads only (403 for anyone else).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from guanxi.core.api.etags import expected_version, optional_expected_version, set_etag
from guanxi.core.api.permissions import is_staff_user
from guanxi.core.api.viewsets import IF_MATCH, RecordViewSet, VersionedViewSet
from guanxi.core.generic import reverse_or_none

from .. import rules, services
from ..filters import LeadFilterSet
from ..models import (
    AssignmentRule,
    Lead,
    LeadScoringRule,
    RepAvailability,
    ScoringSettings,
    WebForm,
)
from .serializers import (
    AssignmentRuleSerializer,
    BehaviourSerializer,
    ConversionSerializer,
    ConvertSerializer,
    DisqualifySerializer,
    LeadSerializer,
    ReassignSerializer,
    RepAvailabilitySerializer,
    ScoringRuleSerializer,
    ScoringSettingsSerializer,
    WebFormSerializer,
)

OPTIONAL_IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Optional: when sent, the action is refused with 412 if the lead changed.",
)
JOB_HEADER = "X-Guanxi-Job"


class LeadViewSet(RecordViewSet):
    """Leads the caller may see. Creating one scores it and (unless ``assign`` is false) runs
    the assignment rules; ``score_breakdown`` says why it has its score."""

    model = Lead
    serializer_class = LeadSerializer
    filterset_class = LeadFilterSet
    update_service = services.update_lead
    delete_service = services.delete_lead
    list_select_related = ("owner", "team", "created_by", "updated_by")
    list_prefetch_related = ("tags",)
    ordering_fields = (
        "created_at",
        "updated_at",
        "score",
        "person_name",
        "company",
        "status",
        "last_activity_at",
        "id",
    )

    def perform_service_create(self, data: dict[str, Any]) -> Any:
        assign = data.pop("assign", True)
        return services.create_lead(self.request.user, data, assign=assign)

    def perform_service_update(self, obj: Any, data: dict[str, Any], version: int) -> Any:
        data.pop("assign", None)
        return services.update_lead(self.request.user, obj, data, expected_version=version)

    def _answer(self, lead: Lead, code: int = status.HTTP_200_OK) -> Response:
        lead = self.reload(lead)
        return set_etag(Response(self.get_serializer(lead).data, status=code), lead)

    @extend_schema(
        request=ConvertSerializer,
        responses=ConversionSerializer,
        parameters=[OPTIONAL_IF_MATCH],
        summary="Convert the lead into account + contact + opportunity",
        description=(
            "In one transaction. Links to the account (and contact) that matches by email, "
            "mobile, phone or near-same company name, unless `account` names another or "
            "`new_account` asks for a new one. The lead keeps links to what it became."
        ),
    )
    @action(detail=True, methods=["post"])
    def convert(self, request: Any, pk: Any = None) -> Response:
        lead = self.get_object()
        version = optional_expected_version(request, lead)
        body = ConvertSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        existing = data.get("account") or (
            None if data["new_account"] else services.find_matching_account(request.user, lead)
        )
        account, contact, opportunity = services.convert_lead(
            request.user,
            lead,
            account=data.get("account"),
            new_account=data["new_account"],
            create_opportunity=data["create_opportunity"],
            opportunity_data=dict(data.get("opportunity") or {}),
            expected_version=version,
        )
        answer = {
            "lead": lead.pk,
            "account": account.pk,
            "contact": contact.pk,
            "opportunity": opportunity.pk if opportunity else None,
            "account_was_existing": existing is not None and existing.pk == account.pk,
            "opportunity_url": reverse_or_none("sales:opportunity-detail", opportunity.pk)
            if opportunity
            else None,
        }
        response = Response(ConversionSerializer(answer).data)
        return set_etag(response, Lead.all_objects.get(pk=lead.pk))

    @extend_schema(
        request=None,
        responses=LeadSerializer,
        summary="Mark the lead contacted (stops its escalation clock)",
    )
    @action(detail=True, methods=["post"], url_path="mark-contacted")
    def mark_contacted(self, request: Any, pk: Any = None) -> Response:
        lead = self.get_object()
        return self._answer(services.mark_contacted(request.user, lead))

    @extend_schema(
        request=DisqualifySerializer,
        responses=LeadSerializer,
        parameters=[OPTIONAL_IF_MATCH],
        summary="Disqualify the lead, saying why",
    )
    @action(detail=True, methods=["post"])
    def disqualify(self, request: Any, pk: Any = None) -> Response:
        lead = self.get_object()
        version = optional_expected_version(request, lead)
        body = DisqualifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated = services.disqualify_lead(
            request.user, lead, body.validated_data["reason"], expected_version=version
        )
        return self._answer(updated)

    @extend_schema(
        request=ReassignSerializer,
        responses=LeadSerializer,
        summary="Give the lead to a named rep, or back through the assignment rules",
        description=(
            "A rep may keep a lead or send it back through the rules; naming another owner "
            "needs the right to assign to them (their manager or an administrator)."
        ),
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request: Any, pk: Any = None) -> Response:
        lead = self.get_object()
        body = ReassignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated = services.reassign_lead(request.user, lead, body.validated_data.get("owner"))
        if not Lead.objects.visible_to(request.user).filter(pk=updated.pk).exists():
            # given to someone the caller cannot follow: say where it went, nothing more
            return Response({"id": updated.pk, "owner": updated.owner_id})
        return self._answer(updated)

    @extend_schema(
        methods=["GET"],
        responses=BehaviourSerializer(many=True),
        summary="What the lead did (replies, visits, form submits …), newest first",
    )
    @extend_schema(
        methods=["POST"],
        request=BehaviourSerializer,
        responses={201: BehaviourSerializer},
        summary="Record something the lead did; its score follows at once",
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def behaviours(self, request: Any, pk: Any = None) -> Response:
        lead = self.get_object()
        if request.method == "GET":
            rows = lead.behaviours.all()[:500]
            return Response(BehaviourSerializer(rows, many=True).data)
        body = BehaviourSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        updated = services.log_behaviour(
            request.user, lead, data["kind"], detail=data.get("detail", ""), at=data.get("at")
        )
        behaviour = updated.behaviours.order_by("-id").first()
        response = Response(BehaviourSerializer(behaviour).data, status=status.HTTP_201_CREATED)
        return set_etag(response, updated)


# -- administration ---------------------------------------------------------------------------


class StaffReadLeadAdminWrite(permissions.BasePermission):
    """Staff read; only administrators of leads write (403 for anyone else)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return is_staff_user(request.user)
        return rules.can_administer(request.user)


class AdminObjectViewSet(VersionedViewSet):
    """Versioned administration objects; a write that re-scores leads names the job in the
    ``X-Guanxi-Job`` header when it runs in the background."""

    permission_classes = [StaffReadLeadAdminWrite]
    job: Any = None

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.job is not None:
            response[JOB_HEADER] = str(self.job.pk)
        return response


class LeadScoringRuleViewSet(AdminObjectViewSet):
    """The one qualification standard: rules on fields and behaviours, each with points.

    Every change re-scores the open leads (in the background when there are many)."""

    serializer_class = ScoringRuleSerializer
    queryset = LeadScoringRule.objects.order_by("kind", "name", "pk")
    ordering_fields = ("name", "points", "id")

    def perform_service_create(self, data: dict[str, Any]) -> Any:
        rule, self.job = rules.create_scoring_rule(self.request.user, data)
        return rule

    def perform_service_update(self, obj: Any, data: dict[str, Any], version: int) -> Any:
        rule, self.job = rules.update_scoring_rule(
            self.request.user, obj, data, expected_version=version
        )
        return rule

    def perform_service_delete(self, obj: Any, version: int) -> None:
        self.job = rules.delete_scoring_rule(self.request.user, obj, expected_version=version)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses=ScoringSettingsSerializer,
        summary="The qualification threshold",
    )
    @extend_schema(
        methods=["PUT", "PATCH"],
        request=ScoringSettingsSerializer,
        responses=ScoringSettingsSerializer,
        parameters=[IF_MATCH],
        summary="Set the qualification threshold (re-scores the open leads)",
    )
    @action(
        detail=False,
        methods=["get", "put", "patch"],
        url_path="settings",
        pagination_class=None,
        serializer_class=ScoringSettingsSerializer,
    )
    def scoring_settings(self, request: Any) -> Response:
        current = ScoringSettings.current()
        if request.method != "GET":
            version = expected_version(request, current)
            body = ScoringSettingsSerializer(current, data=request.data, partial=True)
            body.is_valid(raise_exception=True)
            threshold = body.validated_data.get("qualify_threshold", current.qualify_threshold)
            current, self.job = rules.set_qualify_threshold(
                request.user, threshold, expected_version=version
            )
        return set_etag(Response(ScoringSettingsSerializer(current).data), current)


class AssignmentRuleViewSet(AdminObjectViewSet):
    """Rules routing new leads to a team (the first match by ``order`` wins), then to a rep by
    round-robin or least-loaded, respecting capacity and absence."""

    serializer_class = AssignmentRuleSerializer
    queryset = AssignmentRule.objects.select_related("last_assigned").order_by("order", "pk")
    ordering_fields = ("order", "name", "id")

    def perform_service_create(self, data: dict[str, Any]) -> Any:
        return rules.create_assignment_rule(self.request.user, data)

    def perform_service_update(self, obj: Any, data: dict[str, Any], version: int) -> Any:
        return rules.update_assignment_rule(self.request.user, obj, data, expected_version=version)

    def perform_service_delete(self, obj: Any, version: int) -> None:
        rules.delete_assignment_rule(self.request.user, obj, expected_version=version)


class RepAvailabilityViewSet(AdminObjectViewSet):
    """Reps' capacity (most open leads at once), absences and whether they take new leads."""

    serializer_class = RepAvailabilitySerializer
    queryset = RepAvailability.objects.select_related("user").order_by("user__username")
    ordering_fields = ("id",)

    def perform_service_create(self, data: dict[str, Any]) -> Any:
        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext as _

        user = data.pop("user")
        if RepAvailability.objects.filter(user=user).exists():
            raise ValidationError({"user": _("This rep has an entry already; change that one.")})
        return rules.set_availability(self.request.user, user, data)

    def perform_service_update(self, obj: Any, data: dict[str, Any], version: int) -> Any:
        data.pop("user", None)
        return rules.set_availability(self.request.user, obj.user, data, expected_version=version)

    def perform_service_delete(self, obj: Any, version: int) -> None:
        rules.delete_availability(self.request.user, obj, expected_version=version)


class WebFormViewSet(AdminObjectViewSet):
    """Public web forms: where each is (``public_url``) and the HTML to embed it."""

    serializer_class = WebFormSerializer
    queryset = WebForm.objects.select_related("campaign").order_by("name", "pk")
    ordering_fields = ("name", "created_at", "id")

    def perform_service_create(self, data: dict[str, Any]) -> Any:
        return rules.create_web_form(self.request.user, data)

    def perform_service_update(self, obj: Any, data: dict[str, Any], version: int) -> Any:
        return rules.update_web_form(self.request.user, obj, data, expected_version=version)

    def perform_service_delete(self, obj: Any, version: int) -> None:
        rules.delete_web_form(self.request.user, obj, expected_version=version)
