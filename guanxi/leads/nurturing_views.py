"""Nurturing pages: sequences (list, detail with enrolments, create and edit with ordered
steps), enrolling leads (from the lead list's bulk action and the lead page), stopping an
enrolment, and the public unsubscribe page linked from nurturing emails.

Staff see sequences; administrators and marketing change them (403 for anyone else); leads are
enrolled by whoever may edit them. Every write goes through ``guanxi.leads.nurturing``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from guanxi.core.api.permissions import is_staff_user
from guanxi.core.errors import StaleVersion
from guanxi.core.forms import apply_validation_error
from guanxi.core.generic import BulkAction, BulkResult, RecordServices, safe_next
from guanxi.core.models import Action

from . import nurturing, services
from .models import Enrollment, Lead, Sequence
from .nurturing_forms import (
    BulkEnrollForm,
    EnrollForm,
    SequenceForm,
    StepFormSet,
    step_initial,
    steps_from,
)


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_staff_user(request.user):
            raise PermissionDenied(_("Only staff see nurturing sequences."))
        return view(request, *args, **kwargs)

    return wrapper


def manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Log in first; who may not change sequences gets 403 (they are not records)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        nurturing.require_sequence_manager(request.user)
        return view(request, *args, **kwargs)

    return wrapper


# --------------------------------------------------------------------------------------------
# sequences
# --------------------------------------------------------------------------------------------


@staff_required
def sequence_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "leads/nurturing/sequence_list.html",
        {
            "sequences": nurturing.sequences_with_counts(),
            "can_manage": nurturing.can_manage_sequences(request.user),
        },
    )


@staff_required
def sequence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sequence = get_object_or_404(nurturing.sequences_with_counts(), pk=pk)
    steps = list(sequence.steps.order_by("order", "pk"))
    enrollments = (
        nurturing.enrollments_visible_to(request.user)
        .filter(sequence=sequence)
        .select_related("lead", "enrolled_by")
        .order_by("-enrolled_at", "-pk")
    )
    status = request.GET.get("status", "")
    if status in Enrollment.Status.values:
        enrollments = enrollments.filter(status=status)
    page = Paginator(enrollments, 50).get_page(request.GET.get("page"))
    editable = set(
        Lead.objects.editable_by(request.user)
        .filter(pk__in=[e.lead_id for e in page])
        .values_list("pk", flat=True)
    )
    for enrollment in page:
        enrollment.can_stop = (
            enrollment.status == Enrollment.Status.ACTIVE and enrollment.lead_id in editable
        )
        enrollment.next_step_obj = (
            steps[enrollment.next_step]
            if enrollment.status == Enrollment.Status.ACTIVE and enrollment.next_step < len(steps)
            else None
        )
    return render(
        request,
        "leads/nurturing/sequence_detail.html",
        {
            "sequence": sequence,
            "steps": steps,
            "page": page,
            "status": status,
            "statuses": Enrollment.Status.choices,
            "can_manage": nurturing.can_manage_sequences(request.user),
        },
    )


def _edit_page(
    request: HttpRequest,
    form: SequenceForm,
    formset: Any,
    sequence: Sequence | None,
    step_errors: list[str] = (),  # type: ignore[assignment]
) -> HttpResponse:
    return render(
        request,
        "leads/nurturing/sequence_form.html",
        {
            "form": form,
            "formset": formset,
            "sequence": sequence,
            "creating": sequence is None,
            "step_errors": list(step_errors),
        },
    )


def _step_errors(exc: ValidationError) -> list[str]:
    return list(exc.message_dict.get("steps", [])) if hasattr(exc, "error_dict") else []


@manager_required
def sequence_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SequenceForm(request.POST)
        formset = StepFormSet(request.POST, prefix="steps")
        if form.is_valid() and formset.is_valid():
            try:
                sequence = nurturing.create_sequence(
                    request.user, form.sequence_data(), steps_from(formset)
                )
            except ValidationError as exc:
                apply_validation_error(form, _without_steps(exc))
                return _edit_page(request, form, formset, None, _step_errors(exc))
            messages.success(request, _("Sequence %s is created.") % sequence)
            return redirect("nurturing:sequence-detail", sequence.pk)
    else:
        form = SequenceForm(initial={"is_active": True})
        formset = StepFormSet(prefix="steps")
    return _edit_page(request, form, formset, None)


def _without_steps(exc: ValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        rest = {k: v for k, v in exc.error_dict.items() if k != "steps"}
        return ValidationError(rest) if rest else ValidationError({})
    return exc


@manager_required
def sequence_edit(request: HttpRequest, pk: int) -> HttpResponse:
    sequence = get_object_or_404(Sequence, pk=pk)
    if request.method == "POST":
        form = SequenceForm(request.POST)
        formset = StepFormSet(request.POST, prefix="steps")
        if form.is_valid() and formset.is_valid():
            try:
                nurturing.update_sequence(
                    request.user,
                    sequence,
                    form.sequence_data(),
                    steps_from(formset),
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersion as exc:
                data = request.POST.copy()
                data["version"] = str(exc.current.version)
                form = SequenceForm(data)
                form.is_valid()
                form.show_saved_values(SequenceForm.initial_for(exc.current))
                form.add_error(
                    None,
                    _(
                        "Someone else saved this sequence while you were editing it. Nothing of "
                        "yours was saved. Their values are shown under the fields that differ; "
                        "save again to keep yours."
                    ),
                )
            except ValidationError as exc:
                apply_validation_error(form, _without_steps(exc))
                return _edit_page(request, form, formset, sequence, _step_errors(exc))
            else:
                messages.success(request, _("Sequence %s is saved.") % form.cleaned_data["name"])
                return redirect("nurturing:sequence-detail", sequence.pk)
    else:
        form = SequenceForm(initial=SequenceForm.initial_for(sequence))
        formset = StepFormSet(prefix="steps", initial=step_initial(sequence))
    return _edit_page(request, form, formset, sequence)


@manager_required
@require_POST
def sequence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    sequence = get_object_or_404(Sequence, pk=pk)
    try:
        version: int | None = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        nurturing.delete_sequence(request.user, sequence, expected_version=version)
    except StaleVersion:
        messages.error(request, _("The sequence was changed meanwhile; look again and retry."))
        return redirect("nurturing:sequence-detail", pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("nurturing:sequence-detail", pk)
    messages.success(request, _("Sequence %s is deleted.") % sequence)
    return redirect("nurturing:sequence-list")


# --------------------------------------------------------------------------------------------
# enrolling and stopping
# --------------------------------------------------------------------------------------------


def _report(request: HttpRequest, sequence: Sequence, result: nurturing.EnrollResult) -> None:
    if result.enrolled:
        messages.success(
            request,
            ngettext(
                "%(count)s lead is enrolled in %(sequence)s.",
                "%(count)s leads are enrolled in %(sequence)s.",
                len(result.enrolled),
            )
            % {"count": len(result.enrolled), "sequence": sequence},
        )
    if result.skipped:
        reasons: dict[str, int] = {}
        for reason in result.skipped.values():
            reasons[reason] = reasons.get(reason, 0) + 1
        detail = ", ".join(
            f"{nurturing.SkipReason(reason).label}: {count}" for reason, count in reasons.items()
        )
        messages.warning(
            request,
            ngettext(
                "%(count)s lead is not enrolled (%(detail)s).",
                "%(count)s leads are not enrolled (%(detail)s).",
                len(result.skipped),
            )
            % {"count": len(result.skipped), "detail": detail},
        )


@staff_required
@require_POST
def enroll(request: HttpRequest) -> HttpResponse:
    """Enrol the posted leads (``lead`` values) in the chosen sequence, then go back."""
    back = safe_next(request, reverse("leads:lead-list"))
    form = EnrollForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an active sequence."))
        return redirect(back)
    sequence = form.cleaned_data["sequence"]
    try:
        result = nurturing.enroll_leads(request.user, sequence, request.POST.getlist("lead"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        _report(request, sequence, result)
    return redirect(back)


@staff_required
@require_POST
def enrollment_stop(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = get_object_or_404(nurturing.enrollments_visible_to(request.user), pk=pk)
    nurturing.stop_enrollment(request.user, enrollment, request.POST.get("reason", ""))
    messages.success(
        request,
        _("%(lead)s is taken out of %(sequence)s.")
        % {"lead": enrollment.lead, "sequence": enrollment.sequence},
    )
    fallback = reverse("nurturing:sequence-detail", args=[enrollment.sequence_id])
    return redirect(safe_next(request, fallback))


def _bulk_enroll(
    request: HttpRequest, record_services: RecordServices, ids: list[int], form: Any
) -> BulkResult:
    sequence = form.cleaned_data["sequence"]
    try:
        result = nurturing.enroll_leads(request.user, sequence, ids)
    except ValidationError as exc:
        return BulkResult(skipped=len(ids), errors=list(exc.messages))
    if result.skipped:  # say why, which the list's own message cannot
        _report(request, sequence, nurturing.EnrollResult(skipped=result.skipped))
    return BulkResult(done=len(result.enrolled), skipped=len(result.skipped))


#: The lead list's bulk action "Enrol in a sequence" (add it to ``LeadListView.bulk_actions``).
ENROLL_IN_SEQUENCE = BulkAction(
    "enroll",
    gettext_lazy("Enrol in a nurturing sequence"),
    Action.EDIT,
    _bulk_enroll,
    form_class=BulkEnrollForm,
)


def lead_panel_context(request: HttpRequest, lead: Lead) -> dict[str, Any]:
    """What the lead page's nurturing panel shows: the lead's enrolments and the enrol form."""
    enrollments = list(
        Enrollment.objects.filter(lead=lead)
        .select_related("sequence")
        .prefetch_related("sequence__steps")
        .order_by("-enrolled_at", "-pk")[:20]
    )
    for enrollment in enrollments:
        enrollment.next_step_obj = nurturing.next_step_of(enrollment)
    can_edit = lead.can_edit(request.user)
    return {
        "lead": lead,
        "enrollments": enrollments,
        "can_edit": can_edit,
        "can_enroll": can_edit and lead.is_open and not lead.opted_out,
        "enroll_form": EnrollForm(prefix=None),
        "request": request,
    }


# --------------------------------------------------------------------------------------------
# unsubscribe (public)
# --------------------------------------------------------------------------------------------


def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link at the foot of nurturing emails: confirm (a POST, so that mail scanners that
    open links do not unsubscribe anyone), then the lead is opted out and its nurturing stops.
    """
    lead = nurturing.lead_for_token(token)
    if lead is None:
        raise Http404(_("This link is not valid."))
    with translation.override(nurturing.lead_language(lead)):
        done = False
        if request.method == "POST":
            if not lead.opted_out:
                services.record_behaviour(lead, "unsubscribed", detail="unsubscribe link")
            done = True
        return render(request, "leads/nurturing/unsubscribe.html", {"done": done or lead.opted_out})
