"""Campaigns under /api/v1/campaigns/: a record type over the campaign services."""

from __future__ import annotations

from guanxi.core.api.viewsets import RecordViewSet

from .. import services
from ..filters import CampaignFilterSet
from ..models import Campaign
from .serializers import CampaignSerializer


class CampaignViewSet(RecordViewSet):
    """Marketing campaigns (readable by all staff by default) and what they cost."""

    model = Campaign
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilterSet
    create_service = services.create_campaign
    update_service = services.update_campaign
    delete_service = services.delete_campaign
    list_select_related = ("owner", "team", "created_by", "updated_by")
    ordering_fields = ("name", "start_date", "end_date", "cost", "created_at", "id")
