"""The notifications menu of the header (an htmx fragment) and the notifications page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from guanxi.core.generic import is_htmx, paginate
from guanxi.core.models import Notification
from guanxi.core.notifications import mark_read

MENU_SIZE = 8
PAGE_SIZE = 50


def _menu(request: HttpRequest) -> HttpResponse:
    mine = Notification.objects.filter(user=request.user)
    unread = mine.filter(read_at__isnull=True).count()
    latest = list(mine.order_by("-created_at", "-pk")[:MENU_SIZE])
    return render(
        request, "activities/includes/notifications_menu.html", {"unread": unread, "latest": latest}
    )


@login_required
def notifications_menu(request: HttpRequest) -> HttpResponse:
    """The bell of the header: how many unread, the latest few."""
    return _menu(request)


@login_required
def notifications_page(request: HttpRequest) -> HttpResponse:
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    page = paginate(
        Notification.objects.filter(user=request.user).order_by("-created_at", "-pk"),
        number,
        PAGE_SIZE,
    )
    return render(request, "activities/notifications.html", {"page": page})


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and follow its link (a link into this site only)."""
    note = get_object_or_404(Notification, pk=pk, user=request.user)
    mark_read(request.user, [note.pk])
    target = note.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(reverse("activities:notifications"))


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark the given notifications (``ids``) or all of them read."""
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    mark_read(request.user, ids or None)
    if is_htmx(request):
        return _menu(request)
    return HttpResponseRedirect(reverse("activities:notifications"))
