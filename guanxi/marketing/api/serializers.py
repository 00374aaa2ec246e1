"""Campaigns as the API shows and takes them."""

from __future__ import annotations

from guanxi.core.api.fields import OwnedRecordSerializer

from ..models import Campaign

READ_ONLY = [
    "id",
    "etag",
    "version",
    "owner",
    "team",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
]


class CampaignSerializer(OwnedRecordSerializer):
    class Meta:
        model = Campaign
        fields = [
            *READ_ONLY,
            "name",
            "status",
            "start_date",
            "end_date",
            "cost",
            "currency",
            "description",
        ]
        read_only_fields = READ_ONLY
