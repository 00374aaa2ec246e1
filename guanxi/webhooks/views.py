"""Webhook pages (administrators only; 403 for anyone else): the list, the form, the secret
shown once, and each webhook's delivery log with redelivery.

Every write goes through ``guanxi.webhooks.services``; a form saved on an old version is refused
and shown again with what was saved meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from guanxi.core.errors import StaleVersion
from guanxi.core.forms import apply_validation_error

from . import delivery, services
from .forms import DeliveryFilterForm, WebhookForm
from .models import DeliveryStatus, WebhookDelivery, WebhookSubscription


def webhook_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Log in first; anyone who does not administer webhooks gets 403 (they are not records)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not services.can_manage(request.user):
            raise PermissionDenied(_("Only administrators manage webhooks."))
        return view(request, *args, **kwargs)

    return wrapper


def _secret_page(request: HttpRequest, subscription: WebhookSubscription) -> HttpResponse:
    # The secret is in this one answer only, never cached, never on another page.
    return render(
        request,
        "webhooks/secret.html",
        {"subscription": subscription, "secret": subscription.secret},
    )


@webhook_admin_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    latest = WebhookDelivery.objects.filter(subscription=OuterRef("pk")).order_by("-created_at")
    subscriptions = WebhookSubscription.objects.annotate(
        last_status=Subquery(latest.values("status")[:1]),
        last_at=Subquery(latest.values("created_at")[:1]),
        waiting=Count(
            "deliveries",
            filter=Q(deliveries__status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED)),
        ),
    ).order_by("name", "pk")
    labels = dict(DeliveryStatus.choices)
    rows = list(subscriptions)
    for row in rows:
        row.last_status_label = labels.get(row.last_status, "")
    return render(request, "webhooks/webhook_list.html", {"subscriptions": rows})


@never_cache
@webhook_admin_required
def webhook_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                subscription = services.create_subscription(request.user, form.subscription_data())
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("Webhook %s is created.") % subscription)
                return _secret_page(request, subscription)
    else:
        form = WebhookForm(initial={"is_active": True})
    return render(request, "webhooks/webhook_form.html", {"form": form, "creating": True})


@webhook_admin_required
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    if request.method == "POST":
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                services.update_subscription(
                    request.user,
                    subscription,
                    form.subscription_data(),
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersion as exc:
                data = request.POST.copy()
                data["version"] = str(exc.current.version)
                form = WebhookForm(data)
                form.is_valid()
                form.show_saved_values(WebhookForm.initial_for(exc.current))
                form.add_error(
                    None,
                    _(
                        "Someone else saved this webhook while you were editing it. Nothing of "
                        "yours was saved. Their values are shown under the fields that differ; "
                        "save again to keep yours."
                    ),
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("Webhook %s is saved.") % form.cleaned_data["name"])
                return redirect("webhooks:list")
    else:
        form = WebhookForm(initial=WebhookForm.initial_for(subscription))
    return render(
        request,
        "webhooks/webhook_form.html",
        {"form": form, "creating": False, "subscription": subscription},
    )


@webhook_admin_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    try:
        version: int | None = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        services.delete_subscription(request.user, subscription, expected_version=version)
    except StaleVersion:
        messages.error(
            request, _("Webhook %s was changed meanwhile; look again and retry.") % subscription
        )
        return redirect("webhooks:edit", pk)
    messages.success(request, _("Webhook %s is deleted.") % subscription)
    return redirect("webhooks:list")


@never_cache
@webhook_admin_required
@require_POST
def webhook_rotate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    subscription = services.regenerate_secret(request.user, subscription)
    messages.success(
        request,
        _("Webhook %s has a new secret; deliveries are signed with it from now on.") % subscription,
    )
    return _secret_page(request, subscription)


@webhook_admin_required
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    services.send_test(request.user, subscription)
    messages.info(request, _("A test ping is on its way; its outcome shows at the top of the log."))
    return redirect("webhooks:deliveries", pk)


@webhook_admin_required
def delivery_log(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    deliveries = services.deliveries_for(request.user, subscription)
    filters = DeliveryFilterForm(request.GET or None)
    if filters.is_valid():
        if filters.cleaned_data["status"]:
            deliveries = deliveries.filter(status=filters.cleaned_data["status"])
        if filters.cleaned_data["event"]:
            deliveries = deliveries.filter(event=filters.cleaned_data["event"].strip())
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "webhooks/delivery_log.html",
        {
            "subscription": subscription,
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "max_attempts": delivery.max_attempts(),
        },
    )


@webhook_admin_required
@require_POST
def delivery_redeliver(request: HttpRequest, pk: Any) -> HttpResponse:
    original = get_object_or_404(WebhookDelivery.objects.select_related("subscription"), pk=pk)
    try:
        services.redeliver(request.user, original)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, _("The event is sent again as a new delivery."))
    return redirect("webhooks:deliveries", original.subscription_id)
