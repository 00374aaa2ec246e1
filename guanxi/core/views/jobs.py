"""The progress of a background job, polled by the pages that started one (htmx)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from ..jobs import job_state
from ..models import Job
from .base import safe_next


@login_required
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """A progress bar that polls itself until the job ends, then sends the page to ``next``.

    Only who started the job (or an administrator) sees it; anyone else gets 404.
    """
    job = Job.objects.visible_to(request.user).filter(pk=pk).first()
    if job is None:
        raise Http404(_("No such job."))
    state = job_state(job)
    finished = state["status"] in (Job.Status.DONE, Job.Status.FAILED)
    next_url = safe_next(request, "")
    response = render(
        request,
        "core/includes/job_progress.html",
        {"job": job, "state": state, "finished": finished, "next_url": next_url},
    )
    if finished and next_url and request.headers.get("HX-Request") == "true":
        response["HX-Redirect"] = next_url
    return response
