"""The start page: what I own, what changed lately among what I may see, my timeline entries."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..models import Note, OwnedRecord, Record, record_models

RECENT = 10


def page_models() -> list[type[Record]]:
    """Record types with their own pages (a detail URL), in registration order."""
    return [m for m in record_models() if hasattr(m, "get_absolute_url")]


def attach_targets(notes: list[Note]) -> None:
    """Load the records the notes are on with one query per object type, not one per note."""
    wanted: dict[int, set[int]] = defaultdict(set)
    for note in notes:
        wanted[note.content_type_id].add(note.object_id)
    found: dict[tuple[int, int], Any] = {}
    for ct_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is None:
            continue
        for obj in model.all_objects.filter(pk__in=ids):
            found[(ct_id, obj.pk)] = obj
    for note in notes:
        note.target_record = found.get((note.content_type_id, note.object_id))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    counts = []
    recent: list[Record] = []
    for model in page_models():
        visible = model.objects.visible_to(user)
        row = {
            "label": model._meta.verbose_name_plural,
            "object_type": model.object_type(),
            "visible": visible.count(),
            "mine": visible.filter(owner=user).count() if issubclass(model, OwnedRecord) else None,
        }
        counts.append(row)
        recent.extend(visible.order_by("-updated_at", "-pk")[:RECENT])
    recent.sort(key=lambda obj: obj.updated_at, reverse=True)
    recent = recent[:RECENT]
    for obj in recent:
        obj.type_label = obj._meta.verbose_name
    notes = list(
        Note.objects.visible_to(user)
        .filter(created_by=user)
        .select_related("content_type")
        .order_by("-occurred_at", "-pk")[:RECENT]
    )
    attach_targets(notes)
    return render(request, "core/home.html", {"counts": counts, "recent": recent, "notes": notes})
