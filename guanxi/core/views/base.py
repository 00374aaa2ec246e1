"""Pieces every core page uses: htmx fragments, object types, the administrator check."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from ..models import Record, record_models


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request that wants a fragment (a boosted link or history restore wants a page)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and not headers.get("HX-Boosted")
        and not headers.get("HX-History-Restore-Request")
    )


def render_fragment_or_page(
    request: HttpRequest,
    fragment: str,
    page: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """The same view answers htmx with a fragment and a browser with the full page."""
    partial = is_htmx(request) or request.GET.get("partial") == "1"
    response = render(request, fragment if partial else page, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def record_model_for(object_type: str) -> type[Record]:
    """The record model of an object type name (``account``); 404 for an unknown one."""
    for model in record_models():
        if model.object_type() == object_type:
            return model
    raise Http404(_("No such record."))


def type_label(object_type: str, plural: bool = False) -> str:
    for model in record_models():
        if model.object_type() == object_type:
            meta = model._meta
            return str(meta.verbose_name_plural if plural else meta.verbose_name)
    return object_type


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` the request names when it stays on this site, else ``fallback``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Administration pages: log in first; non-administrators get 403 (these are not records)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_admin_for("user"):
            raise PermissionDenied(_("Only administrators manage users, teams and roles."))
        return view(request, *args, **kwargs)

    return wrapper
