"""The API's fast read path gives exactly what DRF's own representation gives."""

from __future__ import annotations

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from guanxi.core import services as core
from guanxi.customers.api.serializers import AccountSerializer, ContactSerializer
from guanxi.customers.models import Account, Contact
from guanxi.customers.services import create_account, create_contact

pytestmark = pytest.mark.django_db


def drf_representation(serializer, instance):
    """What DRF itself gives: field by field through get_attribute, nested serializers too."""
    data = {}
    for field in serializer._readable_fields:
        attribute = field.get_attribute(instance)
        if attribute is None:
            data[field.field_name] = None
        elif isinstance(field, serializers.BaseSerializer):
            data[field.field_name] = serializers.ModelSerializer.to_representation(field, attribute)
        else:
            data[field.field_name] = field.to_representation(attribute)
    return data


def context(user):
    request = APIRequestFactory().get("/")
    request.user = user
    return {"request": request}


def test_an_account_reads_as_drf_would(org):
    parent = create_account(org.east_rep, {"name": "集团"})
    account = create_account(
        org.east_rep,
        {
            "name": "上海科技",
            "parent": parent,
            "profit_contribution": "vip",
            "city": "上海",
            "rating": None,
        },
    )
    account.tags.add(*core.get_or_create_tags(org.east_rep, ["vip", "b2b"]))
    account = Account.objects.select_related("owner", "team", "created_by").get(pk=account.pk)
    serializer = AccountSerializer(account, context=context(org.east_rep))

    data = serializer.data

    assert data == drf_representation(serializer, account)
    assert data["parent"] == parent.pk and data["rating"] is None
    assert data["owner"] == {
        "id": org.east_rep.pk,
        "username": org.east_rep.username,
        "display_name": str(org.east_rep),
    }
    assert data["profit_contribution"] == "vip"
    assert data["created_at"].endswith("+08:00")  # shown in the active time zone


def test_a_page_names_each_user_the_same_and_rows_do_not_share_dicts(org):
    account = create_account(org.east_rep, {"name": "A"})
    contacts = [
        create_contact(org.east_rep, {"name": f"联系人{i}", "account": account}) for i in range(3)
    ]
    rows = Contact.objects.select_related("owner", "team", "account", "created_by").filter(
        pk__in=[c.pk for c in contacts]
    )
    serializer = ContactSerializer(rows, many=True, context=context(org.east_rep))

    data = serializer.data

    assert [row["owner"] for row in data] == [data[0]["owner"]] * 3
    assert data[0]["owner"] is not data[1]["owner"]
    assert [row["account_name"] for row in data] == ["A"] * 3
    assert all(
        row["team"] == {"id": org.east_rep.team_id, "name": org.east_rep.team.name} for row in data
    )
    for row, contact in zip(data, rows, strict=True):
        assert row == drf_representation(serializer.child, contact)
