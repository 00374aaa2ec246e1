"""What administrators set for leads: the scoring model and its threshold, the assignment rules,
reps' capacity and absence, and the public web forms.

Every function takes the acting user, refuses anyone who does not administer leads (403),
validates with the model's own rules, writes with a compare-and-set on ``version`` (so two
administrators cannot overwrite each other unknowingly) and appends to the change log. A change
to the scoring model re-scores the open leads: at once when there are few, otherwise as a
background job (returned, so the page can show its progress).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from guanxi.core import changelog, jobs
from guanxi.core.errors import StaleVersion
from guanxi.core.models import ChangeAction, Job, Team, User

from . import services
from .models import (
    OPEN_STATUSES,
    AssignmentRule,
    Lead,
    LeadScoringRule,
    LeadSource,
    RepAvailability,
    ScoringSettings,
    WebForm,
)

M = TypeVar("M", bound=models.Model)

SCORING_RULE_FIELDS = (
    "name",
    "kind",
    "field",
    "operator",
    "value",
    "behaviour",
    "points",
    "max_times",
    "is_active",
)
ASSIGNMENT_RULE_FIELDS = (
    "name",
    "order",
    "is_active",
    "provinces",
    "industries",
    "sources",
    "product_keywords",
    "team",
    "method",
    "contact_within_hours",
    "on_timeout",
)
AVAILABILITY_FIELDS = ("max_open_leads", "absent_from", "absent_until", "accepts_leads")
WEB_FORM_FIELDS = (
    "name",
    "source",
    "campaign",
    "fields",
    "thank_you_message",
    "redirect_url",
    "is_active",
)
#: Lead fields a public web form may ask for (never owner, status, score …).
PUBLIC_FIELDS = (
    "person_name",
    "company",
    "title",
    "mobile",
    "phone",
    "email",
    "province",
    "city",
    "industry",
    "product_interest",
    "budget",
    "need",
    "decision_timeline",
    "notes",
)
DEFAULT_WEB_FORM_FIELDS = ["person_name", "company", "mobile", "email", "need"]


def rescore_inline_limit() -> int:
    """Up to this many open leads are re-scored within the request; more go to a job."""
    return int(getattr(settings, "GUANXI_RESCORE_INLINE_LIMIT", 2000))


# --------------------------------------------------------------------------------------------
# shared pieces
# --------------------------------------------------------------------------------------------


def can_administer(actor: Any) -> bool:
    return bool(actor is not None and actor.is_authenticated and actor.is_admin_for("lead"))


def require_lead_admin(actor: Any) -> None:
    if not can_administer(actor):
        raise PermissionDenied(
            _("Only administrators change scoring, assignment rules and web forms.")
        )


def _apply(obj: models.Model, data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = [key for key in data if key not in allowed]
    if unknown:
        raise ValidationError({key: _("This field cannot be set.") for key in unknown})
    for key, value in data.items():
        setattr(obj, key, value)


def _save_versioned(obj: M, expected_version: int | None) -> M:
    """Compare-and-set: write only if the row is still at ``expected_version``."""
    model = type(obj)
    current = model.objects.select_for_update().get(pk=obj.pk)
    expected = current.version if expected_version is None else expected_version
    if current.version != expected:
        raise StaleVersion(current, expected)
    fields = {
        f.attname: getattr(obj, f.attname)
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name != "version"
    }
    written = model.objects.filter(pk=obj.pk, version=expected).update(
        version=F("version") + 1, **fields
    )
    if written != 1:
        raise StaleVersion(model.objects.get(pk=obj.pk), expected)
    obj.version = expected + 1
    return obj


def _create(actor: Any, model: type[M], data: Mapping[str, Any], allowed: tuple[str, ...]) -> M:
    obj = model()
    _apply(obj, data, allowed)
    obj.full_clean()
    obj.save(force_insert=True)
    changelog.log_change(actor, obj, ChangeAction.CREATE, changelog.created_changes(obj))
    return obj


def _update(
    actor: Any,
    obj: M,
    data: Mapping[str, Any],
    allowed: tuple[str, ...],
    expected_version: int | None,
) -> tuple[M, dict[str, list[Any]]]:
    current = type(obj).objects.get(pk=obj.pk)
    before = changelog.snapshot(current)
    _apply(current, data, allowed)
    current.full_clean()
    changes = changelog.diff(before, changelog.snapshot(current))
    _save_versioned(current, expected_version if expected_version is not None else obj.version)
    if changes:
        changelog.log_change(actor, current, ChangeAction.UPDATE, changes)
    return current, changes


def _delete(actor: Any, obj: M, expected_version: int | None) -> None:
    current = type(obj).objects.select_for_update().get(pk=obj.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(current, expected_version)
    changelog.log_change(actor, current, ChangeAction.DELETE, changelog.snapshot(current))
    current.delete()


# --------------------------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------------------------


def schedule_rescore(actor: Any) -> Job | None:
    """Re-apply the scoring model to the open leads: now when they are few, else as a job.

    Returns the job when one was started (it runs after the commit), None when done inline.
    """
    limit = rescore_inline_limit()
    open_leads = Lead.objects.filter(status__in=OPEN_STATUSES).values("pk")[: limit + 1]
    if open_leads.count() <= limit:
        services.rescore_all(actor)
        return None
    return jobs.start_job(
        actor,
        "leads.rescore",
        "guanxi.leads.tasks.rescore_job",
        message=_("Re-scoring the open leads…"),
    )


def _clean_scoring_data(data: Mapping[str, Any]) -> dict[str, Any]:
    clean = dict(data)
    kind = clean.get("kind")
    # A rule is either on a field or on a behaviour: the other half is left empty.
    if kind == LeadScoringRule.Kind.FIELD:
        clean["behaviour"] = ""
    elif kind == LeadScoringRule.Kind.BEHAVIOUR:
        clean.update(field="", operator="", value="")
    return clean


@transaction.atomic
def create_scoring_rule(actor: Any, data: Mapping[str, Any]) -> tuple[LeadScoringRule, Job | None]:
    """Add a rule to the scoring model; the open leads are re-scored."""
    require_lead_admin(actor)
    rule = _create(actor, LeadScoringRule, _clean_scoring_data(data), SCORING_RULE_FIELDS)
    return rule, schedule_rescore(actor)


@transaction.atomic
def update_scoring_rule(
    actor: Any, rule: LeadScoringRule, data: Mapping[str, Any], *, expected_version: int | None
) -> tuple[LeadScoringRule, Job | None]:
    """Change a rule (version-checked); the open leads are re-scored when it changed."""
    require_lead_admin(actor)
    merged = {"kind": data.get("kind", rule.kind), **data}
    rule, changes = _update(
        actor, rule, _clean_scoring_data(merged), SCORING_RULE_FIELDS, expected_version
    )
    return rule, schedule_rescore(actor) if changes else None


@transaction.atomic
def delete_scoring_rule(
    actor: Any, rule: LeadScoringRule, *, expected_version: int | None = None
) -> Job | None:
    """Remove a rule; the open leads are re-scored without it."""
    require_lead_admin(actor)
    _delete(actor, rule, expected_version)
    return schedule_rescore(actor)


@transaction.atomic
def set_qualify_threshold(
    actor: Any, threshold: int, *, expected_version: int | None
) -> tuple[ScoringSettings, Job | None]:
    """Set the score at which a lead counts as qualified; the open leads are re-scored."""
    require_lead_admin(actor)
    settings_ = ScoringSettings.current()
    try:
        threshold = int(threshold)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"qualify_threshold": _("Enter a whole number.")}) from exc
    settings_, changes = _update(
        actor,
        settings_,
        {"qualify_threshold": threshold},
        ("qualify_threshold",),
        expected_version,
    )
    return settings_, schedule_rescore(actor) if changes else None


# --------------------------------------------------------------------------------------------
# assignment
# --------------------------------------------------------------------------------------------


def _check_codes(data: Mapping[str, Any]) -> None:
    from guanxi.customers.models import Industry

    errors = {}
    for name, choices in (("sources", LeadSource.values), ("industries", Industry.values)):
        items = AssignmentRule._items(str(data.get(name) or ""))
        unknown = [item for item in items if item not in choices]
        if unknown:
            errors[name] = _("Unknown codes: %(codes)s. Use: %(known)s.") % {
                "codes": ", ".join(unknown),
                "known": ", ".join(choices),
            }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_assignment_rule(actor: Any, data: Mapping[str, Any]) -> AssignmentRule:
    """Add a rule routing matching new leads to a team (tried in ``order``)."""
    require_lead_admin(actor)
    _check_codes(data)
    payload = dict(data)
    if payload.get("order") in (None, ""):
        last = AssignmentRule.objects.order_by("-order").values_list("order", flat=True).first()
        payload["order"] = (last or 0) + 10
    return _create(actor, AssignmentRule, payload, ASSIGNMENT_RULE_FIELDS)


@transaction.atomic
def update_assignment_rule(
    actor: Any, rule: AssignmentRule, data: Mapping[str, Any], *, expected_version: int | None
) -> AssignmentRule:
    require_lead_admin(actor)
    _check_codes(data)
    payload = dict(data)
    if "order" in payload and payload["order"] in (None, ""):
        payload.pop("order")  # left empty: keeps its place
    rule, _changes = _update(actor, rule, payload, ASSIGNMENT_RULE_FIELDS, expected_version)
    return rule


@transaction.atomic
def delete_assignment_rule(
    actor: Any, rule: AssignmentRule, *, expected_version: int | None = None
) -> None:
    require_lead_admin(actor)
    _delete(actor, rule, expected_version)


@transaction.atomic
def move_assignment_rule(actor: Any, rule: AssignmentRule, direction: int) -> list[int]:
    """Move a rule one place earlier (``-1``) or later (``1``); orders become 10, 20, 30 …

    Returns the rule ids in their new order.
    """
    require_lead_admin(actor)
    rules = list(AssignmentRule.objects.select_for_update().order_by("order", "pk"))
    index = next((i for i, r in enumerate(rules) if r.pk == rule.pk), None)
    if index is None:
        raise ValidationError({"rule": _("No such rule.")})
    target = index + (1 if direction > 0 else -1)
    if 0 <= target < len(rules):
        rules[index], rules[target] = rules[target], rules[index]
    for position, item in enumerate(rules, start=1):
        new_order = position * 10
        if item.order != new_order:
            AssignmentRule.objects.filter(pk=item.pk).update(
                order=new_order, version=F("version") + 1
            )
            changelog.log_change(
                actor, item, ChangeAction.UPDATE, {"order": [item.order, new_order]}
            )
    return [item.pk for item in rules]


def rep_candidates() -> models.QuerySet[User]:
    """Staff who may take leads (their role lets them edit leads), for the availability page."""
    from guanxi.core.models import Role

    codes = [
        role.code
        for role in Role.objects.all()
        if role.grants("lead", "edit") or role.grants("lead", "admin")
    ]
    return (
        User.objects.filter(is_active=True, kind=User.Kind.STAFF, roles__code__in=codes)
        .distinct()
        .select_related("team", "availability")
        .order_by("team__path", "username")
    )


@transaction.atomic
def set_availability(
    actor: Any, user: User, data: Mapping[str, Any], *, expected_version: int | None = None
) -> RepAvailability:
    """A rep's capacity (most open leads at once), absence and whether they take new leads."""
    require_lead_admin(actor)
    current = RepAvailability.objects.filter(user=user).first()
    if current is None:
        availability = RepAvailability(user=user)
        _apply(availability, data, AVAILABILITY_FIELDS)
        availability.full_clean()
        availability.save(force_insert=True)
        changelog.log_change(
            actor, availability, ChangeAction.CREATE, changelog.created_changes(availability)
        )
        return availability
    availability, _changes = _update(actor, current, data, AVAILABILITY_FIELDS, expected_version)
    return availability


@transaction.atomic
def delete_availability(
    actor: Any, availability: RepAvailability, *, expected_version: int | None = None
) -> None:
    """Forget a rep's settings: no cap, not absent, taking leads."""
    require_lead_admin(actor)
    _delete(actor, availability, expected_version)


# --------------------------------------------------------------------------------------------
# web forms
# --------------------------------------------------------------------------------------------


def _clean_web_form(data: Mapping[str, Any]) -> dict[str, Any]:
    clean = dict(data)
    if "fields" in clean:
        fields = clean["fields"]
        if not isinstance(fields, (list, tuple)) or not all(isinstance(f, str) for f in fields):
            raise ValidationError({"fields": _("Give a list of field names.")})
        unknown = [f for f in fields if f not in PUBLIC_FIELDS]
        if unknown:
            raise ValidationError(
                {
                    "fields": _("These cannot be on a public form: %(fields)s.")
                    % {"fields": ", ".join(unknown)}
                }
            )
        # The name is always asked (a lead needs one), first; each field once.
        ordered = ["person_name", *(f for f in fields if f != "person_name")]
        clean["fields"] = list(dict.fromkeys(ordered))
    return clean


@transaction.atomic
def create_web_form(actor: Any, data: Mapping[str, Any]) -> WebForm:
    """A new public form (with a fresh random token for its address)."""
    require_lead_admin(actor)
    payload = _clean_web_form({"fields": DEFAULT_WEB_FORM_FIELDS, **data})
    return _create(actor, WebForm, payload, WEB_FORM_FIELDS)


@transaction.atomic
def update_web_form(
    actor: Any, web_form: WebForm, data: Mapping[str, Any], *, expected_version: int | None
) -> WebForm:
    require_lead_admin(actor)
    web_form, _changes = _update(
        actor, web_form, _clean_web_form(data), WEB_FORM_FIELDS, expected_version
    )
    return web_form


@transaction.atomic
def delete_web_form(actor: Any, web_form: WebForm, *, expected_version: int | None = None) -> None:
    """Remove a form; its leads stay (without the link). Deactivating keeps the address."""
    require_lead_admin(actor)
    _delete(actor, web_form, expected_version)


def team_choices() -> models.QuerySet[Team]:
    return Team.objects.order_by("path")
