"""Nurturing under /api/v1/: ``sequences`` (with their ordered steps) and ``enrollments``.

Staff read sequences; administrators and marketing write them (403 for anyone else), with
ETag/If-Match like every versioned object. ``POST /sequences/{id}/enroll/`` puts leads the
caller may edit into a sequence and says which were skipped and why; ``/enrollments/`` lists
the enrolments of leads the caller may see, and ``POST /enrollments/{id}/stop/`` takes a lead
out of its sequence.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from guanxi.core.api.fields import ETagField, UserSummarySerializer
from guanxi.core.api.permissions import is_staff_user
from guanxi.core.api.router import register
from guanxi.core.api.viewsets import VersionedViewSet

from . import nurturing
from .models import Enrollment, Sequence, SequenceStep

# -- serializers ------------------------------------------------------------------------------


class SequenceStepSerializer(serializers.ModelSerializer):
    """One step; its place in the list is its order. ``wait_days`` is the pause before it."""

    class Meta:
        model = SequenceStep
        fields = ["id", "order", "kind", "wait_days", "subject", "body"]
        read_only_fields = ["id", "order"]


class SequenceSerializer(serializers.ModelSerializer):
    """A nurturing sequence with its steps in order (a write replaces them all)."""

    etag = ETagField()
    steps = SequenceStepSerializer(many=True)
    active_enrollments = serializers.IntegerField(read_only=True, source="active_count")
    completed_enrollments = serializers.IntegerField(read_only=True, source="completed_count")
    stopped_enrollments = serializers.IntegerField(read_only=True, source="stopped_count")

    class Meta:
        model = Sequence
        fields = [
            "id",
            "etag",
            "version",
            "name",
            "is_active",
            "steps",
            "active_enrollments",
            "completed_enrollments",
            "stopped_enrollments",
        ]
        read_only_fields = ["id", "etag", "version"]


class LeadSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="person_name")
    company = serializers.CharField()


class EnrollmentSerializer(serializers.ModelSerializer):
    """A lead going (or gone) through a sequence; ``next_step`` counts from 0."""

    lead = LeadSummarySerializer(read_only=True)
    enrolled_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "lead",
            "sequence",
            "status",
            "next_step",
            "next_run_at",
            "stop_reason",
            "enrolled_at",
            "enrolled_by",
        ]
        read_only_fields = fields


class EnrollRequestSerializer(serializers.Serializer):
    leads = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=10000,
        help_text=_("Ids of the leads to enrol."),
    )


class SkippedLeadSerializer(serializers.Serializer):
    lead = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=nurturing.SkipReason.choices)


class EnrollResultSerializer(serializers.Serializer):
    enrolled = EnrollmentSerializer(many=True)
    skipped = SkippedLeadSerializer(many=True)


class StopRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=100, required=False, allow_blank=True)


# -- viewsets ---------------------------------------------------------------------------------


class StaffReadSequenceManagerWrite(permissions.BasePermission):
    """Staff read; administrators and marketing write (403 for anyone else)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS or getattr(view, "action", "") == "enroll":
            return is_staff_user(request.user)
        return nurturing.can_manage_sequences(request.user)


def _steps_data(data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    steps = data.pop("steps", None)
    if steps is None:
        return data, None
    return data, [
        {k: v for k, v in dict(step).items() if k in nurturing.STEP_FIELDS} for step in steps
    ]


class SequenceViewSet(VersionedViewSet):
    """Nurturing sequences: ordered email, task and wait steps that enrolled leads go through."""

    permission_classes = [StaffReadSequenceManagerWrite]
    serializer_class = SequenceSerializer
    ordering_fields = ("name", "id")
    filterset_fields = ("is_active",)
    list_prefetch_related = ("steps",)

    def get_queryset(self) -> Any:
        return self.optimise(nurturing.sequences_with_counts())

    def reload(self, obj: Any) -> Any:
        return self.get_queryset().get(pk=obj.pk)  # with its enrolment counts

    def perform_service_create(self, data: dict[str, Any]) -> Any:
        plain, steps = _steps_data(data)
        return nurturing.create_sequence(self.request.user, plain, steps or [])

    def perform_service_update(self, obj: Any, data: dict[str, Any], version: int) -> Any:
        plain, steps = _steps_data(data)
        return nurturing.update_sequence(
            self.request.user, obj, plain, steps, expected_version=version
        )

    def perform_service_delete(self, obj: Any, version: int) -> None:
        nurturing.delete_sequence(self.request.user, obj, expected_version=version)

    @extend_schema(
        request=EnrollRequestSerializer,
        responses={200: EnrollResultSerializer},
        summary="Enrol leads in the sequence",
        description=(
            "Leads the caller may edit go into the sequence; the first step runs at once. "
            "Leads that opted out, are converted or disqualified, are in the sequence already, "
            "or that the caller may not change are listed in `skipped` with the reason."
        ),
    )
    @action(detail=True, methods=["post"])
    def enroll(self, request: Any, pk: Any = None) -> Response:
        sequence = self.get_object()
        body = EnrollRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = nurturing.enroll_leads(request.user, sequence, body.validated_data["leads"])
        enrolled = Enrollment.objects.filter(pk__in=[e.pk for e in result.enrolled])
        return Response(
            {
                "enrolled": EnrollmentSerializer(
                    enrolled.select_related("lead", "enrolled_by"), many=True
                ).data,
                "skipped": [
                    {"lead": lead_id, "reason": reason}
                    for lead_id, reason in result.skipped.items()
                ],
            }
        )

    @extend_schema(
        responses=EnrollmentSerializer(many=True),
        summary="The sequence's enrolments (of leads the caller may see)",
    )
    @action(detail=True, methods=["get"])
    def enrollments(self, request: Any, pk: Any = None) -> Response:
        sequence = self.get_object()
        queryset = (
            nurturing.enrollments_visible_to(request.user)
            .filter(sequence=sequence)
            .select_related("lead", "enrolled_by")
            .order_by("-enrolled_at", "-pk")
        )
        status_filter = request.query_params.get("status")
        if status_filter:
            queryset = queryset.filter(status=status_filter)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(EnrollmentSerializer(page, many=True).data)


class EnrollmentFilterSet(django_filters.FilterSet):
    lead = django_filters.NumberFilter()
    sequence = django_filters.NumberFilter()
    status = django_filters.ChoiceFilter(choices=Enrollment.Status.choices)

    class Meta:
        model = Enrollment
        fields = ["lead", "sequence", "status"]


class EnrollmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Enrolments of the leads the caller may see (others answer 404)."""

    serializer_class = EnrollmentSerializer
    filterset_class = EnrollmentFilterSet
    ordering_fields = ("enrolled_at", "next_run_at", "id")

    def get_queryset(self) -> Any:
        if not is_staff_user(self.request.user):
            return Enrollment.objects.none()
        return (
            nurturing.enrollments_visible_to(self.request.user)
            .select_related("lead", "enrolled_by")
            .order_by("-enrolled_at", "-pk")
        )

    @extend_schema(
        request=StopRequestSerializer,
        responses=EnrollmentSerializer,
        summary="Take the lead out of its sequence",
    )
    @action(detail=True, methods=["post"])
    def stop(self, request: Any, pk: Any = None) -> Response:
        enrollment = self.get_object()
        body = StopRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        enrollment = nurturing.stop_enrollment(
            request.user, enrollment, body.validated_data.get("reason", "")
        )
        return Response(EnrollmentSerializer(enrollment).data, status=status.HTTP_200_OK)


register("sequences", SequenceViewSet, "sequence")
register("enrollments", EnrollmentViewSet, "enrollment")
