"""Core endpoints under /api/v1/: timeline, people, shares, history, recycle bin, search, tokens."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from guanxi.core import people, scheduler
from guanxi.core import services as core
from guanxi.core.errors import StaleVersion
from guanxi.core.models import (
    AccessPolicy,
    ChangeLogEntry,
    DeletedRecord,
    Note,
    RecordShare,
    Role,
    Team,
    User,
    record_models,
)
from guanxi.core.scheduler import task_statuses
from guanxi.core.search import global_search

from .etags import set_etag
from .filters import NoteFilterSet, UserFilterSet
from .permissions import IsStaff, StaffReadAdminWrite, is_people_admin
from .serializers import (
    AccessPolicySerializer,
    ChangeLogEntrySerializer,
    DeletedRecordSerializer,
    NoteSerializer,
    PreferencesSerializer,
    RestoredSerializer,
    RoleSerializer,
    SearchQuerySerializer,
    SearchResultSerializer,
    ShareSerializer,
    TeamSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserPublicSerializer,
    UserSerializer,
    record_model_for,
)
from .viewsets import RecordViewSet, VersionedViewSet

# -- timeline ---------------------------------------------------------------------------------


class NoteViewSet(RecordViewSet):
    """Timeline entries (notes, calls, visits …) on the records the caller may see."""

    model = Note
    serializer_class = NoteSerializer
    filterset_class = NoteFilterSet
    update_service = core.update_record
    delete_service = core.delete_record
    list_select_related = ("content_type", "created_by", "updated_by")
    ordering_fields = ("occurred_at", "created_at", "id")

    def perform_service_create(self, data: dict[str, Any]) -> Any:
        target = data.pop("target")
        return core.add_note(self.request.user, target, data)


# -- people -----------------------------------------------------------------------------------


def _check_delete_version(model: type[models.Model], obj: Any, version: int) -> None:
    current = model.objects.select_for_update().get(pk=obj.pk)
    if current.version != version:
        raise StaleVersion(current, version)


class UserViewSet(VersionedViewSet):
    """Users. Staff list and read colleagues (safe fields only); administrators manage them.

    Users are deactivated (``is_active: false``), never deleted: their records keep an owner.
    """

    permission_classes = [StaffReadAdminWrite]
    filterset_class = UserFilterSet
    ordering_fields = ("username", "last_name", "date_joined", "id")
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def is_admin(self) -> bool:
        return getattr(self, "swagger_fake_view", False) or is_people_admin(self.request.user)

    def get_queryset(self) -> models.QuerySet:
        if self.is_admin():
            return User.objects.select_related("team").prefetch_related("roles")
        return User.objects.filter(kind=User.Kind.STAFF)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return UserSerializer if self.is_admin() else UserPublicSerializer

    def reload(self, obj: Any) -> Any:
        return self.get_queryset().get(pk=obj.pk)

    @staticmethod
    def _split(data: dict[str, Any]) -> tuple[dict[str, Any], str | None, list[str] | None]:
        password = data.pop("password", None)
        roles = data.pop("roles", None)
        codes = [role.code for role in roles] if roles is not None else None
        return data, password, codes

    def perform_service_create(self, data: dict[str, Any]) -> Any:
        data, password, codes = self._split(data)
        return people.create_user(self.request.user, data, password=password, roles=codes or [])

    def perform_service_update(self, obj: Any, data: dict[str, Any], version: int) -> Any:
        data, password, codes = self._split(data)
        return people.update_user(
            self.request.user, obj, data, expected_version=version, roles=codes, password=password
        )

    @extend_schema(responses=PreferencesSerializer, summary="The caller's own profile")
    @action(detail=False, methods=["get"], permission_classes=[IsAuthenticated])
    def me(self, request: Any) -> Response:
        return set_etag(Response(PreferencesSerializer(request.user).data), request.user)


class TeamViewSet(VersionedViewSet):
    """Teams in the hierarchy; staff read, administrators manage."""

    permission_classes = [StaffReadAdminWrite]
    serializer_class = TeamSerializer
    queryset = Team.objects.all()
    ordering_fields = ("name", "path", "id")

    def perform_service_create(self, data: dict[str, Any]) -> Any:
        return people.create_team(self.request.user, data)

    def perform_service_update(self, obj: Any, data: dict[str, Any], version: int) -> Any:
        return people.update_team(self.request.user, obj, data, expected_version=version)

    @transaction.atomic
    def perform_service_delete(self, obj: Any, version: int) -> None:
        _check_delete_version(Team, obj, version)
        people.delete_team(self.request.user, obj)


class RoleViewSet(VersionedViewSet):
    """Roles and the actions they grant; staff read, administrators manage."""

    permission_classes = [StaffReadAdminWrite]
    serializer_class = RoleSerializer
    queryset = Role.objects.all()
    ordering_fields = ("name", "code", "id")

    def perform_service_create(self, data: dict[str, Any]) -> Any:
        return people.create_role(self.request.user, data)

    def perform_service_update(self, obj: Any, data: dict[str, Any], version: int) -> Any:
        return people.update_role(self.request.user, obj, data, expected_version=version)

    @transaction.atomic
    def perform_service_delete(self, obj: Any, version: int) -> None:
        _check_delete_version(Role, obj, version)
        people.delete_role(self.request.user, obj)


class IsPeopleAdmin(StaffReadAdminWrite):
    def has_permission(self, request: Any, view: Any) -> bool:
        return is_people_admin(request.user)


class AccessPolicyViewSet(VersionedViewSet):
    """Organisation-wide default access per object type (administrators only)."""

    permission_classes = [IsPeopleAdmin]
    serializer_class = AccessPolicySerializer
    queryset = AccessPolicy.objects.order_by("object_type")
    lookup_field = "object_type"
    lookup_value_regex = r"[a-z_]+"
    http_method_names = ["get", "put", "patch", "head", "options"]
    filter_backends: list[Any] = []

    def perform_service_update(self, obj: Any, data: dict[str, Any], version: int) -> Any:
        return people.set_access_policy(
            self.request.user,
            obj.object_type,
            data.get("default_access", obj.default_access),
            expected_version=version,
        )


# -- shares -----------------------------------------------------------------------------------

RECORD_PARAMETERS = [
    OpenApiParameter("object_type", str, description="account, contact …"),
    OpenApiParameter("object_id", int),
]


@extend_schema(tags=["shares"])
class ShareViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Explicit shares of one record with a user or a team, on records the caller may see.

    Shares carry no version: a share is created or removed whole, never edited.
    """

    serializer_class = ShareSerializer
    permission_classes = [IsStaff]
    filter_backends: list[Any] = []
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> models.QuerySet:
        user = self.request.user
        params = self.request.query_params
        wanted = params.get("object_type")
        q = models.Q(pk__in=[])
        for model in record_models():
            if wanted and model.object_type() != wanted:
                continue
            q |= models.Q(
                content_type=ContentType.objects.get_for_model(model),
                object_id__in=model.objects.visible_to(user).values("pk"),
            )
        shares = RecordShare.objects.filter(q)
        if params.get("object_id", "").isdigit():
            shares = shares.filter(object_id=int(params["object_id"]))
        return shares.select_related("content_type", "created_by").order_by("-created_at", "-id")

    @extend_schema(parameters=RECORD_PARAMETERS)
    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = core.share_record(
            self.request.user,
            data["target"],
            user=data.get("user"),
            team=data.get("team"),
            access=data["access"],
        )

    def perform_destroy(self, instance: RecordShare) -> None:
        core.unshare_record(self.request.user, instance)


# -- history ----------------------------------------------------------------------------------


class ChangeQuerySerializer(serializers.Serializer):
    object_type = serializers.CharField()
    object_id = serializers.IntegerField(min_value=1)


# The admin objects' history is shown to administrators; records' to who may see the record.
PEOPLE_TYPES = {"user", "team", "role", "accesspolicy"}


@extend_schema(parameters=[ChangeQuerySerializer])
class ChangeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The change log of one record (with its children's and merged records' entries).

    Newest first. A record the caller may not see answers 404.
    """

    serializer_class = ChangeLogEntrySerializer
    permission_classes = [IsStaff]
    filter_backends: list[Any] = []

    def get_queryset(self) -> models.QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return ChangeLogEntry.objects.none()
        query = ChangeQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        object_type = query.validated_data["object_type"]
        object_id = query.validated_data["object_id"]
        model = record_model_for(object_type)
        if model is not None:
            obj = core.get_visible(self.request.user, model, object_id)
            return core.history_for(obj)
        if object_type in PEOPLE_TYPES and is_people_admin(self.request.user):
            return ChangeLogEntry.objects.filter(
                object_type=object_type, object_id=object_id
            ).select_related("actor")
        if object_type in PEOPLE_TYPES:
            raise Http404(_("No such record."))
        raise serializers.ValidationError({"object_type": [_("Unknown object type.")]})


# -- recycle bin ------------------------------------------------------------------------------


class RecycleBinViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """What the caller deleted, owned or whose team they manage; administrators see all."""

    serializer_class = DeletedRecordSerializer
    permission_classes = [IsStaff]
    filter_backends: list[Any] = []
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> models.QuerySet:
        entries = DeletedRecord.visible_to(self.request.user).select_related("deleted_by")
        object_type = self.request.query_params.get("object_type")
        if object_type:
            entries = entries.filter(object_type=object_type)
        return entries

    @extend_schema(parameters=[OpenApiParameter("object_type", str)])
    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=RestoredSerializer, summary="Restore from the bin")
    @action(detail=True, methods=["post"])
    def restore(self, request: Any, pk: Any = None) -> Response:
        entry = self.get_object()
        record = core.restore_record(request.user, entry)
        body = {
            "object_type": record.object_type(),
            "id": record.pk,
            "etag": record.etag,
            "title": str(record),
        }
        return set_etag(Response(RestoredSerializer(body).data), record)


# -- search -----------------------------------------------------------------------------------


class SearchView(APIView):
    """Global search over every searchable record type the caller may see, best first."""

    permission_classes = [IsStaff]

    @extend_schema(parameters=[SearchQuerySerializer], responses=SearchResultSerializer)
    def get(self, request: Any) -> Response:
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        types = [t.strip() for t in data.get("types", "").split(",") if t.strip()] or None
        hits = global_search(request.user, data["q"], limit=data["limit"], types=types)
        body = {"query": data["q"], "count": len(hits), "results": [h.__dict__ for h in hits]}
        return Response(SearchResultSerializer(body).data)


# -- tokens -----------------------------------------------------------------------------------


class ScheduledTaskSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The task's key in the schedule.")
    label = serializers.CharField(help_text="What the task does, in the caller's language.")
    task = serializers.CharField(help_text="The function run (with its arguments).")
    interval_seconds = serializers.IntegerField(help_text="How often it runs.")
    last_started_at = serializers.DateTimeField(allow_null=True)
    last_finished_at = serializers.DateTimeField(allow_null=True)
    last_status = serializers.CharField(help_text="running, done, failed, or empty: never run.")
    last_message = serializers.CharField(help_text="The last run's result or error.")
    run_count = serializers.IntegerField()
    next_due_at = serializers.DateTimeField(
        allow_null=True, help_text="Empty when it runs at the scheduler's next check."
    )


class ScheduledTaskView(APIView):
    """The periodic tasks (recycle bin purge, reminders, pool …) and how their last run went."""

    permission_classes = [IsPeopleAdmin]

    @extend_schema(responses=ScheduledTaskSerializer(many=True))
    def get(self, request: Any) -> Response:
        return Response(ScheduledTaskSerializer(task_statuses(), many=True).data)


class ScheduledTaskRunView(APIView):
    """Start one periodic task now, off the request (202); its row tells how it went."""

    permission_classes = [IsPeopleAdmin]

    @extend_schema(request=None, responses={202: ScheduledTaskSerializer})
    def post(self, request: Any, name: str) -> Response:
        try:
            scheduler.run_now(name, actor=request.user)
        except KeyError:
            raise Http404(_("No such scheduled task.")) from None
        status_row = next(t for t in task_statuses() if t.name == name)
        return Response(ScheduledTaskSerializer(status_row).data, status=status.HTTP_202_ACCEPTED)


class TokenView(APIView):
    """Trade a username (or email) and password for an API token; DELETE revokes it.

    Failed attempts count towards the same lockout as the login page (django-axes), and the
    endpoint has its own rate limit (scope ``login``).
    """

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def get_authenticators(self) -> list[Any]:
        # Posting credentials needs no session (and so no CSRF token); revoking does.
        if getattr(self.request, "method", None) == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self) -> list[Any]:
        if getattr(self.request, "method", None) == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Wrong username or password."),
            429: OpenApiResponse(description="Locked out after repeated failures."),
        },
        auth=[],
    )
    def post(self, request: Any) -> Response:
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        http_request = request._request
        user = authenticate(
            http_request,
            username=body.validated_data["username"],
            password=body.validated_data["password"],
        )
        if getattr(http_request, "axes_locked_out", False):
            # Answered here as JSON; otherwise axes' middleware would send its HTML page.
            http_request.axes_locked_out = False
            return Response(
                {
                    "detail": _("Too many failed logins. Try again later."),
                    "code": "locked_out",
                },
                status=settings.AXES_HTTP_RESPONSE_CODE,
            )
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Unable to log in with these credentials.")]}
            )
        # A successful login resets the failure count and records the last login.
        user_logged_in.send(sender=type(user), request=http_request, user=user)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Any) -> Response:
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
