"""Campaign pages: thin views over the generic pages and the campaign services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy

from guanxi.core.generic import (
    ASSIGN_OWNER,
    DELETE,
    HISTORY_TAB,
    SHARING_TAB,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    RecordServices,
    Tab,
    paginate,
)
from guanxi.core.models import Action
from guanxi.customers.views import _field_rows

from . import services
from .filters import CampaignFilterSet
from .forms import CampaignForm
from .models import Campaign
from .tables import CampaignTable

CAMPAIGN_SERVICES = RecordServices(
    model=Campaign,
    create=services.create_campaign,
    update=services.update_campaign,
    delete=services.delete_campaign,
)


class CampaignListView(ObjectListView):
    services = CAMPAIGN_SERVICES
    filterset_class = CampaignFilterSet
    table_class = CampaignTable
    title = gettext_lazy("Campaigns")
    create_url_name = "marketing:campaign-create"
    bulk_actions = (ASSIGN_OWNER, DELETE)
    primary_filters = ("status", "owner", "team", "starts_after", "starts_before")


class CampaignDetailView(ObjectDetailView):
    services = CAMPAIGN_SERVICES
    template_name = "marketing/campaign_detail.html"
    tabs = (
        Tab("overview", gettext_lazy("Overview"), "marketing/tabs/overview.html"),
        Tab("leads", gettext_lazy("Leads"), "marketing/tabs/leads.html"),
        HISTORY_TAB,
        SHARING_TAB,
    )
    select_related = ("owner", "team", "created_by", "updated_by")
    edit_url_name = "marketing:campaign-edit"
    delete_url_name = "marketing:campaign-delete"
    list_url_name = "marketing:campaign-list"

    overview_fields = ["status", "start_date", "end_date", "owner", "team"]

    def lead_stats(self, obj: Campaign) -> dict[str, Any]:
        """Leads of the campaign the user can see and how many converted; the cost of each lead
        and of each conversion over all the campaign's leads, since the cost paid for all."""
        from guanxi.leads.funnel import campaign_lead_counts
        from guanxi.leads.models import Lead

        counts = (
            Lead.objects.visible_to(self.request.user)
            .filter(campaign=obj)
            .aggregate(
                total=Count("pk"),
                qualified=Count("pk", filter=Q(qualified_at__isnull=False)),
                converted=Count("pk", filter=Q(status="converted")),
            )
        )
        cost = obj.cost
        if not cost:
            return {**counts, "per_lead": None, "per_conversion": None}
        all_leads = campaign_lead_counts([obj.pk])[obj.pk]
        all_converted = Lead.objects.filter(campaign=obj, status="converted").count()
        return {
            **counts,
            "per_lead": (cost / all_leads).quantize(Decimal("0.01")) if all_leads else None,
            "per_conversion": (
                (cost / all_converted).quantize(Decimal("0.01")) if all_converted else None
            ),
        }

    def tab_overview_context(self, obj: Campaign) -> dict[str, Any]:
        return {"fields": _field_rows(obj, self.overview_fields), "stats": self.lead_stats(obj)}

    def tab_leads_context(self, obj: Campaign) -> dict[str, Any]:
        from guanxi.leads.models import Lead

        leads = (
            Lead.objects.visible_to(self.request.user)
            .filter(campaign=obj)
            .select_related("owner")
            .order_by("-created_at", "-pk")
        )
        page = paginate(leads, 1, 100)
        user = self.request.user
        return {
            "leads": page.rows,
            "leads_page": page,
            "all_leads_url": f"{reverse('leads:lead-list')}?campaign={obj.pk}",
            "add_lead_url": f"{reverse('leads:lead-create')}?campaign={obj.pk}"
            if user.has_action("lead", Action.CREATE)
            else None,
        }


class CampaignEditView(ObjectEditView):
    services = CAMPAIGN_SERVICES
    form_class = CampaignForm
    list_url_name = "marketing:campaign-list"


class CampaignDeleteView(ObjectDeleteView):
    services = CAMPAIGN_SERVICES
    list_url_name = "marketing:campaign-list"
