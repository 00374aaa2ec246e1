"""Accounts and contacts under /api/v1/: thin viewsets over the customer services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from guanxi.core import services as core
from guanxi.core.api.etags import optional_expected_version, set_etag
from guanxi.core.api.viewsets import RecordViewSet

from .. import services
from ..filters import AccountFilterSet, ContactFilterSet
from ..models import Account, Contact
from ..selectors import flow_counts
from .serializers import (
    AccountSerializer,
    AssignSerializer,
    BulkAssignResultSerializer,
    BulkAssignSerializer,
    ConsentSerializer,
    ContactSerializer,
    FlowQuerySerializer,
    FlowSerializer,
    MergeSerializer,
    TransitionSerializer,
)

OPTIONAL_IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Optional: when sent, the action is refused with 412 if the record changed.",
)


class AccountViewSet(RecordViewSet):
    """Customer accounts: companies, people and households the caller may see."""

    model = Account
    serializer_class = AccountSerializer
    filterset_class = AccountFilterSet
    create_service = services.create_account
    update_service = services.update_account
    delete_service = services.delete_account
    list_select_related = ("owner", "team", "created_by", "updated_by")
    list_prefetch_related = ("tags",)
    ordering_fields = (
        "name",
        "created_at",
        "updated_at",
        "last_activity_at",
        "relationship_class",
        "profit_contribution",
        "city",
        "rating",
        "id",
    )

    @extend_schema(
        request=AssignSerializer,
        responses=AccountSerializer,
        parameters=[OPTIONAL_IF_MATCH],
        summary="Give the account to another owner",
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Any, pk: Any = None) -> Response:
        account = self.get_object()
        version = optional_expected_version(request, account)
        body = AssignSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        updated = services.update_account(
            request.user, account, {"owner": body.validated_data["owner"]}, expected_version=version
        )
        return self._answer(updated)

    @extend_schema(
        request=BulkAssignSerializer,
        responses=BulkAssignResultSerializer,
        summary="Give many accounts to one owner",
        description="Accounts the caller may not edit are left as they are.",
    )
    @action(detail=False, methods=["post"], url_path="bulk-assign")
    def bulk_assign(self, request: Any) -> Response:
        body = BulkAssignSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        updated = core.bulk_assign_owner(
            request.user, Account, body.validated_data["ids"], body.validated_data["owner"]
        )
        return Response({"updated": updated})

    @extend_schema(
        request=TransitionSerializer,
        responses=AccountSerializer,
        parameters=[OPTIONAL_IF_MATCH],
        summary="Move the account along the customer flow model",
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Any, pk: Any = None) -> Response:
        account = self.get_object()
        version = optional_expected_version(request, account)
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated = services.change_relationship_class(
            request.user,
            account,
            body.validated_data["relationship_class"],
            expected_version=version,
            reason=body.validated_data["reason"],
        )
        return self._answer(updated)

    @extend_schema(
        request=MergeSerializer,
        responses=AccountSerializer,
        parameters=[OPTIONAL_IF_MATCH],
        summary="Merge a duplicate into this account",
        description=(
            "Contacts, timeline and history move to this account; the duplicate goes to the "
            "recycle bin, and restoring it from there undoes the merge."
        ),
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Any, pk: Any = None) -> Response:
        survivor = self.get_object()
        version = optional_expected_version(request, survivor)
        context = {**self.get_serializer_context(), "survivor": survivor}
        body = MergeSerializer(data=request.data, context=context)
        body.is_valid(raise_exception=True)
        merged = services.merge_accounts(
            request.user,
            survivor,
            body.validated_data["duplicate"],
            values_from_duplicate=body.validated_data["values_from_duplicate"],
            expected_versions={survivor.pk: version} if version is not None else None,
        )
        return self._answer(merged)

    @extend_schema(
        parameters=[FlowQuerySerializer],
        responses=FlowSerializer,
        summary="Moves between relationship classes over a period (customer flow)",
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def flow(self, request: Any) -> Response:
        query = FlowQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        counts = flow_counts(
            request.user, query.validated_data["start"], query.validated_data["end"]
        )
        moves = [
            {"from_class": source, "to_class": target, "count": n}
            for source, row in sorted(counts.matrix.items())
            for target, n in sorted(row.items())
            if n
        ]
        body = {
            "start": counts.start,
            "end": counts.end,
            "total_moves": counts.total_moves,
            "moves": moves,
            "at_start": counts.at_start,
            "at_end": counts.at_end,
        }
        return Response(FlowSerializer(body).data)

    def _answer(self, account: Account) -> Response:
        account = self.reload(account)
        return set_etag(Response(self.get_serializer(account).data), account)


class ContactViewSet(RecordViewSet):
    """People at the accounts (or on their own) the caller may see."""

    model = Contact
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    create_service = services.create_contact
    update_service = services.update_contact
    delete_service = services.delete_contact
    list_select_related = ("owner", "team", "account", "created_by", "updated_by")
    list_prefetch_related = ("tags",)
    ordering_fields = (
        "name",
        "created_at",
        "updated_at",
        "last_activity_at",
        "account__name",
        "id",
    )

    @extend_schema(
        request=AssignSerializer,
        responses=ContactSerializer,
        parameters=[OPTIONAL_IF_MATCH],
        summary="Give the contact to another owner",
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Any, pk: Any = None) -> Response:
        contact = self.get_object()
        version = optional_expected_version(request, contact)
        body = AssignSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        updated = services.update_contact(
            request.user, contact, {"owner": body.validated_data["owner"]}, expected_version=version
        )
        updated = self.reload(updated)
        return set_etag(Response(self.get_serializer(updated).data), updated)

    @extend_schema(
        request=ConsentSerializer,
        responses={201: ConsentSerializer},
        summary="Record that the contact gave or withdrew consent on one channel",
    )
    @action(detail=True, methods=["post"])
    def consent(self, request: Any, pk: Any = None) -> Response:
        contact = self.get_object()
        body = ConsentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        record = services.record_consent(
            request.user,
            contact,
            data["channel"],
            data["status"],
            data["method"],
            note=data.get("note", ""),
            at=data.get("at"),
        )
        response = Response(ConsentSerializer(record).data, status=status.HTTP_201_CREATED)
        # The consent changed the contact: hand back its new ETag for the next write.
        return set_etag(response, Contact.objects.get(pk=contact.pk))
