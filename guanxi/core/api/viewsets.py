"""The base viewsets every object type's API is built from.

:class:`VersionedViewSet` gives every versioned object the same HTTP contract: ``GET`` answers
with an ``ETag``; ``PUT``/``PATCH``/``DELETE`` need ``If-Match`` (428 without it, 412 when
stale, with the current ``ETag``); a write answers with the new ``ETag``; writes go through
service functions, never straight to the model.

:class:`RecordViewSet` adds record access: lists and lookups are scoped with ``visible_to``,
so a record the caller may not see answers 404 for every method, and an object type only
names its model, serializer, FilterSet and service functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from guanxi.core.models import Record

from .etags import expected_version, not_modified, set_etag

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag of the version this write is based on (from a GET or a list row).",
)
WRITE_DESCRIPTION = (
    "Needs `If-Match` with the ETag read: 428 without it, 412 (with the current ETag) when "
    "the object changed since. The answer carries the new ETag."
)


class VersionedViewSet(viewsets.ModelViewSet):
    """ETag on reads, If-Match on writes, writes through the ``perform_service_*`` hooks."""

    lookup_value_regex = r"\d+"
    # Relations the serializer reads; one query per list page, whatever its size.
    list_select_related: tuple[str, ...] = ()
    list_prefetch_related: tuple[str, ...] = ()

    # -- hooks a concrete viewset implements ---------------------------------------------------
    def perform_service_create(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def perform_service_update(self, obj: Any, data: dict[str, Any], version: int) -> Any:
        raise NotImplementedError

    def perform_service_delete(self, obj: Any, version: int) -> None:
        raise NotImplementedError

    # -- reading ------------------------------------------------------------------------------
    def optimise(self, queryset: models.QuerySet) -> models.QuerySet:
        if self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        if self.list_prefetch_related:
            queryset = queryset.prefetch_related(*self.list_prefetch_related)
        return queryset

    def reload(self, obj: Any) -> Any:
        """The object as written, with the relations its representation reads."""
        manager = getattr(type(obj), "all_objects", type(obj)._default_manager)
        return self.optimise(manager.all()).get(pk=obj.pk)

    def writable(self, validated: Mapping[str, Any]) -> dict[str, Any]:
        """What a body may set: the serializer's writable fields, nothing protected."""
        serializer_class = self.get_serializer_class()
        protected = getattr(serializer_class, "protected_names", set)()
        return {key: value for key, value in validated.items() if key not in protected}

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        if not_modified(request, obj):
            return set_etag(Response(status=status.HTTP_304_NOT_MODIFIED), obj)
        return set_etag(Response(self.get_serializer(obj).data), obj)

    # -- writing ------------------------------------------------------------------------------
    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = self.reload(self.perform_service_create(self.writable(serializer.validated_data)))
        response = Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)
        return set_etag(response, obj)

    @extend_schema(parameters=[IF_MATCH], description=WRITE_DESCRIPTION)
    def update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        obj = self.get_object()
        version = expected_version(request, obj)
        serializer = self.get_serializer(obj, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = self.writable(serializer.validated_data)
        obj = self.reload(self.perform_service_update(obj, data, version))
        return set_etag(Response(self.get_serializer(obj).data), obj)

    @extend_schema(parameters=[IF_MATCH], description=WRITE_DESCRIPTION)
    def partial_update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    @extend_schema(parameters=[IF_MATCH], description=WRITE_DESCRIPTION)
    def destroy(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        self.perform_service_delete(obj, expected_version(request, obj))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RecordViewSet(VersionedViewSet):
    """The API of one record type, scoped by record access and written through its services.

    A concrete viewset sets ``model``, ``serializer_class``, ``filterset_class``,
    ``ordering_fields`` and the three service functions, called as
    ``create_service(actor, data)``, ``update_service(actor, obj, data, expected_version=…)``
    and ``delete_service(actor, obj, expected_version=…)``.
    """

    model: type[Record]
    create_service: Callable[..., Any]
    update_service: Callable[..., Any]
    delete_service: Callable[..., Any]
    list_select_related: tuple[str, ...] = ("created_by", "updated_by")
    ordering_fields: Any = ("created_at", "updated_at", "id")

    def get_queryset(self) -> models.QuerySet:
        return self.optimise(self.model.objects.visible_to(self.request.user))

    def filter_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        queryset = super().filter_queryset(queryset)
        # A text search without an explicit ordering lists the best matches first.
        ordering_param = OrderingFilter.ordering_param
        if "search_rank" in queryset.query.annotations and not self.request.query_params.get(
            ordering_param
        ):
            queryset = queryset.order_by("-search_rank", "pk")
        return queryset

    def perform_service_create(self, data: dict[str, Any]) -> Any:
        return type(self).create_service(self.request.user, data)

    def perform_service_update(self, obj: Any, data: dict[str, Any], version: int) -> Any:
        return type(self).update_service(self.request.user, obj, data, expected_version=version)

    def perform_service_delete(self, obj: Any, version: int) -> None:
        type(self).delete_service(self.request.user, obj, expected_version=version)
