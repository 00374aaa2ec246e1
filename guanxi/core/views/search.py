"""The global search: a full results page grouped by type, and the header box's dropdown."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers

from ..search import global_search, query_terms, searchable_models
from .base import is_htmx

DROPDOWN_HITS = 8
PAGE_HITS_PER_TYPE = 25


def list_url(model: type) -> str:
    """The object type's list page (``<app>:<type>-list``), where a search can go on."""
    try:
        return reverse(f"{model._meta.app_label}:{model._meta.model_name}-list")
    except NoReverseMatch:
        return ""


@login_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    searchable = bool(query_terms(query))
    if request.GET.get("partial") == "1" or is_htmx(request):
        hits = global_search(request.user, query, limit=DROPDOWN_HITS) if searchable else []
        labels = {m._meta.model_name: m._meta.verbose_name for m in searchable_models()}
        rows = [(hit, labels.get(hit.object_type, hit.object_type)) for hit in hits]
        response = render(request, "core/includes/search_dropdown.html", {"q": query, "hits": rows})
        patch_vary_headers(response, ["HX-Request"])
        return response
    groups = []
    if searchable:
        for model in searchable_models():
            object_type = model._meta.model_name
            hits = global_search(request.user, query, limit=PAGE_HITS_PER_TYPE, types=[object_type])
            groups.append(
                {
                    "object_type": object_type,
                    "label": model._meta.verbose_name_plural,
                    "hits": hits,
                    "more": len(hits) == PAGE_HITS_PER_TYPE,
                    "list_url": list_url(model),
                }
            )
    total = sum(len(g["hits"]) for g in groups)
    return render(
        request,
        "core/search.html",
        {"q": query, "groups": groups, "total": total, "searched": searchable},
    )
