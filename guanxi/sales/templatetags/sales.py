"""Sales pieces on other apps' pages: ``{% load sales %}{% account_sales_actions %}``."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from guanxi.core.generic import assignable_owners, can_assign_others
from guanxi.core.models import Action

from ..forms import PoolAssignForm, ReturnToPoolForm
from ..models import Opportunity

register = template.Library()


@register.inclusion_tag("sales/includes/account_actions.html", takes_context=True)
def account_sales_actions(context: template.Context) -> dict[str, Any]:
    """On an account's page: its opportunities, a new one, and the pool's actions (claim,
    assign to…, return to the pool) for whoever may take them."""
    request = context["request"]
    user = request.user
    account = context["object"]
    in_pool = account.owner_id is None
    staff_editor = user.has_action("account", Action.EDIT)
    assigner = in_pool and staff_editor and can_assign_others(user, "account")
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "account": account,
        "in_pool": in_pool,
        "opportunity_count": Opportunity.objects.visible_to(user).filter(account=account).count(),
        "opportunities_url": f"{reverse('sales:opportunity-list')}?account={account.pk}",
        "new_opportunity_url": f"{reverse('sales:opportunity-create')}?account={account.pk}"
        if user.has_action("opportunity", Action.CREATE)
        else None,
        "can_claim": in_pool and staff_editor,
        "assign_form": PoolAssignForm(owners=assignable_owners(user, "account"))
        if assigner
        else None,
        "return_form": ReturnToPoolForm() if not in_pool and context.get("can_edit") else None,
        "next": request.get_full_path(),
    }
