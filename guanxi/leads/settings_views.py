"""Administration pages of leads: the scoring model with its threshold, the ordered assignment
rules, reps' capacity and absence, and the public web forms (with their embed snippets).

Only administrators of leads reach them (403 for anyone else); every write goes through
``guanxi.leads.rules``, version-checked.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.errors import StaleVersion
from guanxi.core.forms import apply_validation_error
from guanxi.core.models import Job, User

from . import rules
from .forms import (
    AssignmentRuleForm,
    AvailabilityForm,
    ScoringRuleForm,
    ThresholdForm,
    WebFormForm,
)
from .models import (
    OPEN_STATUSES,
    AssignmentRule,
    Lead,
    LeadScoringRule,
    RepAvailability,
    ScoringSettings,
    WebForm,
)
from .webforms import embed_snippet, iframe_snippet, public_url


def lead_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Log in first; anyone who does not administer leads gets 403 (these are not records)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not rules.can_administer(request.user):
            raise PermissionDenied(
                _("Only administrators change scoring, assignment rules and web forms.")
            )
        return view(request, *args, **kwargs)

    return wrapper


def _job_message(request: HttpRequest, job: Job | None) -> None:
    if job is None:
        messages.info(request, _("The open leads are re-scored."))
        return
    url = reverse("job-progress", args=[job.pk])
    messages.info(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            _("The open leads are being re-scored in the background."),
            url,
            _("Follow the progress"),
        ),
    )


def _stale(form: Any, exc: StaleVersion) -> None:
    data = form.data.copy()
    data["version"] = str(exc.current.version)
    form.data = data
    form.add_error(
        None,
        _(
            "Someone else saved this while you were editing it. Nothing of yours was saved; "
            "check the values and save again to keep yours."
        ),
    )


# --------------------------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------------------------


@lead_admin_required
def scoring(request: HttpRequest) -> HttpResponse:
    """The scoring rules and the threshold; saving the threshold re-scores the open leads."""
    current = ScoringSettings.current()
    form = ThresholdForm(
        request.POST or None,
        initial={"qualify_threshold": current.qualify_threshold, "version": current.version},
    )
    if request.method == "POST" and form.is_valid():
        try:
            _saved, job = rules.set_qualify_threshold(
                request.user,
                form.cleaned_data["qualify_threshold"],
                expected_version=form.cleaned_data["version"],
            )
        except StaleVersion as exc:
            _stale(form, exc)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Threshold saved."))
            _job_message(request, job)
            return redirect("leads:scoring")
    context = {
        "form": form,
        "rules": list(LeadScoringRule.objects.order_by("kind", "-is_active", "name")),
        "open_leads": Lead.objects.filter(status__in=OPEN_STATUSES).count(),
        "threshold": current.qualify_threshold,
        "section": "scoring",
    }
    return render(request, "leads/settings/scoring.html", context)


@lead_admin_required
def scoring_rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rule = get_object_or_404(LeadScoringRule, pk=pk) if pk is not None else None
    instance = LeadScoringRule.objects.get(pk=rule.pk) if rule else LeadScoringRule()
    form = ScoringRuleForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            if rule is None:
                _rule, job = rules.create_scoring_rule(request.user, form.service_data())
            else:
                _rule, job = rules.update_scoring_rule(
                    request.user,
                    rule,
                    form.service_data(),
                    expected_version=form.cleaned_data["version"],
                )
        except StaleVersion as exc:
            _stale(form, exc)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Scoring rule saved."))
            if job is not None or rule is None or form.has_changed():
                _job_message(request, job)
            return redirect("leads:scoring")
    context = {"form": form, "rule": rule, "section": "scoring"}
    return render(request, "leads/settings/scoring_rule_form.html", context)


@lead_admin_required
@require_POST
def scoring_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(LeadScoringRule, pk=pk)
    raw = request.POST.get("version", "")
    try:
        job = rules.delete_scoring_rule(
            request.user, rule, expected_version=int(raw) if raw.isdigit() else None
        )
    except StaleVersion:
        messages.error(request, _("The rule was changed meanwhile; look at it again."))
        return redirect("leads:scoring")
    messages.success(request, _("Deleted the rule “%(name)s”.") % {"name": rule.name})
    _job_message(request, job)
    return redirect("leads:scoring")


# --------------------------------------------------------------------------------------------
# assignment
# --------------------------------------------------------------------------------------------


@lead_admin_required
def assignment(request: HttpRequest) -> HttpResponse:
    """The assignment rules in the order they are tried; the first that matches wins."""
    assignment_rules = list(
        AssignmentRule.objects.select_related("team", "team__manager", "last_assigned").order_by(
            "order", "pk"
        )
    )
    context = {
        "rules": assignment_rules,
        "unassigned": Lead.objects.filter(owner__isnull=True, status__in=OPEN_STATUSES).count(),
        "section": "assignment",
    }
    return render(request, "leads/settings/assignment.html", context)


@lead_admin_required
def assignment_rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rule = get_object_or_404(AssignmentRule, pk=pk) if pk is not None else None
    instance = AssignmentRule.objects.get(pk=rule.pk) if rule else AssignmentRule()
    if rule is None and not request.POST:
        last = AssignmentRule.objects.order_by("-order").values_list("order", flat=True).first()
        instance.order = (last or 0) + 10
    form = AssignmentRuleForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            if rule is None:
                rules.create_assignment_rule(request.user, form.service_data())
            else:
                rules.update_assignment_rule(
                    request.user,
                    rule,
                    form.service_data(),
                    expected_version=form.cleaned_data["version"],
                )
        except StaleVersion as exc:
            _stale(form, exc)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Assignment rule saved."))
            return redirect("leads:assignment")
    context = {"form": form, "rule": rule, "section": "assignment"}
    return render(request, "leads/settings/assignment_rule_form.html", context)


@lead_admin_required
@require_POST
def assignment_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(AssignmentRule, pk=pk)
    raw = request.POST.get("version", "")
    try:
        rules.delete_assignment_rule(
            request.user, rule, expected_version=int(raw) if raw.isdigit() else None
        )
    except StaleVersion:
        messages.error(request, _("The rule was changed meanwhile; look at it again."))
        return redirect("leads:assignment")
    messages.success(request, _("Deleted the rule “%(name)s”.") % {"name": rule.name})
    return redirect("leads:assignment")


@lead_admin_required
@require_POST
def assignment_rule_move(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(AssignmentRule, pk=pk)
    direction = -1 if request.POST.get("direction") == "up" else 1
    rules.move_assignment_rule(request.user, rule, direction)
    return redirect("leads:assignment")


@lead_admin_required
def availability(request: HttpRequest) -> HttpResponse:
    """Reps who take leads: their open leads, capacity, absence."""
    reps = list(rules.rep_candidates())
    loads = dict(
        Lead.objects.filter(owner__in=reps, status__in=OPEN_STATUSES)
        .values_list("owner")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = [(rep, getattr(rep, "availability", None), loads.get(rep.pk, 0)) for rep in reps]
    return render(
        request,
        "leads/settings/availability.html",
        {"rows": rows, "section": "availability"},
    )


@lead_admin_required
def availability_edit(request: HttpRequest, user_pk: int) -> HttpResponse:
    rep = get_object_or_404(User.objects.filter(kind=User.Kind.STAFF), pk=user_pk)
    current = RepAvailability.objects.filter(user=rep).first()
    instance = current or RepAvailability(user=rep)
    form = AvailabilityForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            rules.set_availability(
                request.user,
                rep,
                form.service_data(),
                expected_version=form.cleaned_data["version"],
            )
        except StaleVersion as exc:
            _stale(form, exc)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Saved the availability of %(rep)s.") % {"rep": rep})
            return redirect("leads:availability")
    open_leads = Lead.objects.filter(owner=rep, status__in=OPEN_STATUSES).count()
    context = {"form": form, "rep": rep, "open_leads": open_leads, "section": "availability"}
    return render(request, "leads/settings/availability_form.html", context)


# --------------------------------------------------------------------------------------------
# web forms
# --------------------------------------------------------------------------------------------


@lead_admin_required
def web_forms(request: HttpRequest) -> HttpResponse:
    forms_ = list(
        WebForm.objects.select_related("campaign")
        .annotate(lead_count=Count("leads", filter=Q(leads__deleted_at__isnull=True)))
        .order_by("name")
    )
    return render(
        request, "leads/settings/web_forms.html", {"web_forms": forms_, "section": "web_forms"}
    )


@lead_admin_required
def web_form_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    web_form = get_object_or_404(WebForm, pk=pk) if pk is not None else None
    instance = WebForm.objects.get(pk=web_form.pk) if web_form else WebForm()
    form = WebFormForm(request.POST or None, instance=instance, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            if web_form is None:
                saved = rules.create_web_form(request.user, form.service_data())
            else:
                saved = rules.update_web_form(
                    request.user,
                    web_form,
                    form.service_data(),
                    expected_version=form.cleaned_data["version"],
                )
        except StaleVersion as exc:
            _stale(form, exc)
        except ValidationError as exc:
            apply_validation_error(form, exc, {"fields": "shown_fields"})
        else:
            messages.success(request, _("Web form saved."))
            return redirect("leads:web-form-edit", saved.pk)
    context: dict[str, Any] = {"form": form, "web_form": web_form, "section": "web_forms"}
    if web_form is not None:
        context.update(
            public_url=public_url(request, web_form),
            snippet=embed_snippet(request, web_form),
            iframe=iframe_snippet(request, web_form),
            lead_count=Lead.objects.filter(web_form=web_form).count(),
        )
    return render(request, "leads/settings/web_form_form.html", context)


@lead_admin_required
@require_POST
def web_form_delete(request: HttpRequest, pk: int) -> HttpResponse:
    web_form = get_object_or_404(WebForm, pk=pk)
    raw = request.POST.get("version", "")
    try:
        rules.delete_web_form(
            request.user, web_form, expected_version=int(raw) if raw.isdigit() else None
        )
    except StaleVersion:
        messages.error(request, _("The form was changed meanwhile; look at it again."))
        return redirect("leads:web-form-edit", web_form.pk)
    messages.success(request, _("Deleted the web form “%(name)s”.") % {"name": web_form.name})
    return redirect("leads:web-forms")
