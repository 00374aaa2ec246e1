"""The recycle bin: what the user may see of deleted records, and restoring them."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services
from ..models import DeletedRecord, record_models
from .base import safe_next

PAGE_SIZE = 50


def _types() -> list[tuple[str, str]]:
    return [
        (model.object_type(), str(model._meta.verbose_name_plural).capitalize())
        for model in record_models()
    ]


@login_required
def recycle_bin(request: HttpRequest) -> HttpResponse:
    user = request.user
    types = _types()
    models_by_type = {model.object_type(): model for model in record_models()}
    entries = DeletedRecord.visible_to(user).select_related("deleted_by")
    selected = request.GET.get("type", "")
    if selected in models_by_type:
        entries = entries.filter(object_type=selected)
    else:
        selected = ""
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        model = models_by_type.get(entry.object_type)
        entry.type_label = model._meta.verbose_name if model else entry.object_type
        entry.can_restore = user.has_action(entry.object_type, "delete")
        # The survivor of a merge: its page answers 404 if this user may not see it.
        entry.merged_into_url = (
            model(pk=entry.merged_into).get_absolute_url()
            if entry.merged_into and model and hasattr(model, "get_absolute_url")
            else ""
        )
    return render(
        request,
        "core/recycle_bin.html",
        {
            "page": page,
            "types": types,
            "selected": selected,
            "retention_days": settings.GUANXI_RECYCLE_BIN_DAYS,
        },
    )


@login_required
@require_POST
def recycle_bin_restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Restore a deleted record with what was deleted along with it."""
    entry = get_object_or_404(DeletedRecord.visible_to(request.user), pk=pk)
    back = safe_next(request, "")
    try:
        restored = services.restore_record(request.user, entry)
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(
            request,
            _("%(record)s was not restored: %(reason)s")
            % {
                "record": entry.object_repr,
                "reason": text,
            },
        )
        return redirect(back or "recycle-bin")
    url = restored.get_absolute_url() if hasattr(restored, "get_absolute_url") else ""
    if url:
        messages.success(
            request,
            format_html(_("{} is restored.") + ' <a href="{}">{}</a>', restored, url, _("Open it")),
        )
    else:
        messages.success(request, _("%s is restored.") % restored)
    return redirect(back or "recycle-bin")
