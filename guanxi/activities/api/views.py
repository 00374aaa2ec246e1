"""Activities, call lists, call outcomes and notifications under /api/v1/: thin viewsets."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from guanxi.core.api.etags import optional_expected_version, set_etag
from guanxi.core.api.permissions import is_staff_user
from guanxi.core.api.viewsets import RecordViewSet, VersionedViewSet
from guanxi.core.models import Notification
from guanxi.core.notifications import mark_read

from .. import services
from ..filters import ActivityFilterSet, CallListFilterSet
from ..models import Activity, CallList, CallListEntry, CallOutcome, EntryStatus
from ..selectors import with_counts
from .serializers import (
    ActivitySerializer,
    CallListEntrySerializer,
    CallListSerializer,
    CallOutcomeSerializer,
    CancelSerializer,
    CompleteSerializer,
    LogCallSerializer,
    NotificationSerializer,
    ReadCountSerializer,
    SkipEntrySerializer,
)

OPTIONAL_IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Optional: when sent, the action is refused with 412 if the activity changed.",
)


class ActivityViewSet(RecordViewSet):
    """Tasks, calls, meetings and visits the caller may see (their own, their teams', and
    those on records they may see)."""

    model = Activity
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilterSet
    create_service = services.create_activity
    update_service = services.update_activity
    delete_service = services.delete_activity
    list_select_related = ("owner", "team", "outcome", "created_by", "updated_by")
    list_prefetch_related = ("attendees", "related")
    ordering_fields = ("due_at", "done_at", "created_at", "updated_at", "priority", "id")

    @extend_schema(
        request=CompleteSerializer,
        responses=ActivitySerializer,
        parameters=[OPTIONAL_IF_MATCH],
        summary="Mark the activity done",
        description=(
            "A call, meeting or visit is logged on its record's timeline; on a lead, a call, "
            "meeting or visit marks it contacted."
        ),
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Any, pk: Any = None) -> Response:
        activity = self.get_object()
        version = optional_expected_version(request, activity)
        body = CompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = services.complete_activity(
            request.user,
            activity,
            outcome=body.validated_data.get("outcome"),
            result=body.validated_data.get("result", ""),
            expected_version=version,
        )
        return self._answer(done)

    @extend_schema(
        request=CancelSerializer,
        responses=ActivitySerializer,
        parameters=[OPTIONAL_IF_MATCH],
        summary="Call the activity off",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Any, pk: Any = None) -> Response:
        activity = self.get_object()
        version = optional_expected_version(request, activity)
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cancelled = services.cancel_activity(
            request.user, activity, expected_version=version, reason=body.validated_data["reason"]
        )
        return self._answer(cancelled)

    def _answer(self, activity: Activity) -> Response:
        activity = self.reload(activity)
        return set_etag(Response(self.get_serializer(activity).data), activity)


class OutcomePermission(permissions.BasePermission):
    """Staff read the outcomes; administrators change them."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return is_staff_user(request.user)
        return bool(request.user.is_authenticated and request.user.is_admin_for("calloutcome"))


class CallOutcomeViewSet(VersionedViewSet):
    """How calls end; reps choose one when they log a call. Administrators edit them."""

    serializer_class = CallOutcomeSerializer
    permission_classes = [OutcomePermission]
    queryset = CallOutcome.objects.order_by("order", "pk")
    filterset_fields = ("is_active", "is_success", "schedules_callback")
    ordering_fields = ("order", "code", "id")

    def perform_service_create(self, data: dict[str, Any]) -> Any:
        return services.save_call_outcome(self.request.user, None, data)

    def perform_service_update(self, obj: Any, data: dict[str, Any], version: int) -> Any:
        return services.save_call_outcome(self.request.user, obj, data, expected_version=version)

    def perform_service_delete(self, obj: Any, version: int) -> None:
        services.delete_call_outcome(self.request.user, obj, expected_version=version)


class CallListViewSet(RecordViewSet):
    """Call lists the caller may see; each built from a filter over leads, contacts or accounts."""

    model = CallList
    serializer_class = CallListSerializer
    filterset_class = CallListFilterSet
    create_service = services.create_call_list
    update_service = services.update_call_list
    delete_service = services.delete_call_list
    list_select_related = ("owner", "team", "created_by", "updated_by")
    ordering_fields = ("name", "built_at", "created_at", "updated_at", "id")

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        if self.action in ("list", "retrieve", "create", "update", "partial_update"):
            queryset = with_counts(queryset)
        return queryset

    def reload(self, obj: Any) -> Any:
        return with_counts(self.optimise(CallList.all_objects.all())).get(pk=obj.pk)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status", str, enum=list(EntryStatus.values), description="Only these entries."
            )
        ],
        responses=CallListEntrySerializer(many=True),
        summary="The entries of the list, in calling order",
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def entries(self, request: Any, pk: Any = None) -> Response:
        call_list = self.get_object()
        entries = call_list.entries.select_related("outcome", "caller").order_by("position")
        wanted = request.query_params.get("status")
        if wanted in EntryStatus.values:
            entries = entries.filter(status=wanted)
        page = self.paginate_queryset(entries)
        data = CallListEntrySerializer(page if page is not None else entries, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def _entry(self, call_list: CallList, entry_id: Any) -> CallListEntry:
        entry = call_list.entries.filter(pk=entry_id).first()
        if entry is None:
            raise Http404(_("No such entry."))
        return entry

    @extend_schema(
        request=LogCallSerializer,
        responses={200: CallListEntrySerializer},
        summary="Log the call made to one entry",
        description=(
            "The call becomes a completed call activity on the record (and a note on its "
            "timeline); `next_call_at` plans the next call. An outcome that needs a next call "
            "refuses the log without one (400)."
        ),
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"entries/(?P<entry_id>\d+)/log",
        filterset_class=None,
    )
    def log(self, request: Any, pk: Any = None, entry_id: Any = None) -> Response:
        call_list = self.get_object()
        entry = self._entry(call_list, entry_id)
        body = LogCallSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        logged = services.log_list_call(
            request.user,
            entry,
            outcome=body.validated_data["outcome"],
            notes=body.validated_data.get("notes", ""),
            next_call_at=body.validated_data.get("next_call_at"),
        )
        return Response(CallListEntrySerializer(logged).data)

    @extend_schema(
        request=SkipEntrySerializer,
        responses={200: CallListEntrySerializer},
        summary="Pass over one entry without calling",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"entries/(?P<entry_id>\d+)/skip",
        filterset_class=None,
    )
    def skip(self, request: Any, pk: Any = None, entry_id: Any = None) -> Response:
        call_list = self.get_object()
        entry = self._entry(call_list, entry_id)
        body = SkipEntrySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        skipped = services.skip_list_entry(request.user, entry, notes=body.validated_data["notes"])
        return Response(CallListEntrySerializer(skipped).data)


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The caller's own notifications (reminders, pool warnings, escalations …)."""

    serializer_class = NotificationSerializer
    filterset_fields: tuple[str, ...] = ()
    ordering_fields = ("created_at", "id")
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        queryset = Notification.objects.filter(user=self.request.user).order_by(
            "-created_at", "-pk"
        )
        unread = self.request.query_params.get("unread")
        if unread in ("1", "true", "yes"):
            queryset = queryset.filter(read_at__isnull=True)
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", bool, description="Only the notifications not read yet.")
        ]
    )
    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=NotificationSerializer, summary="Mark it read")
    @action(detail=True, methods=["post"])
    def read(self, request: Any, pk: Any = None) -> Response:
        note = self.get_object()
        mark_read(request.user, [note.pk])
        note.refresh_from_db()
        return Response(NotificationSerializer(note).data)

    @extend_schema(request=None, responses=ReadCountSerializer, summary="Mark all read")
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Any) -> Response:
        return Response({"marked": mark_read(request.user)}, status=status.HTTP_200_OK)
