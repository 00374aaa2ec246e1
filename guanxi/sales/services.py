"""Opportunity use-cases: create, edit, move through stages, close, log objections."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.core import changelog, events
from guanxi.core import services as core
from guanxi.core.errors import StaleVersion
from guanxi.core.models import Action, ChangeAction
from guanxi.customers.models import Account, Contact

from .models import (
    ForecastCategory,
    Objection,
    Opportunity,
    OpportunityContact,
    Pipeline,
    Stage,
    StageHistory,
    StageKind,
)

DEFAULT_PIPELINE = gettext_noop("Sales")  # the name migration 0002 gives the first pipeline
DEFAULT_STAGES = [
    # name, probability, kind — the selling process of DOMAIN.md §4. The names are stored in
    # English and shown translated (Stage.__str__), so they are marked for the catalogue here.
    (gettext_noop("Prospecting"), 10, StageKind.OPEN),
    (gettext_noop("Approach and needs"), 25, StageKind.OPEN),
    (gettext_noop("Proposal"), 50, StageKind.OPEN),
    (gettext_noop("Negotiation"), 75, StageKind.OPEN),
    (gettext_noop("Closed won"), 100, StageKind.WON),
    (gettext_noop("Closed lost"), 0, StageKind.LOST),
]


def _forecast_for(stage: Stage) -> str:
    if stage.kind == StageKind.WON:
        return ForecastCategory.CLOSED
    if stage.kind == StageKind.LOST:
        return ForecastCategory.OMITTED
    return ForecastCategory.COMMIT if stage.probability >= 75 else ForecastCategory.PIPELINE


@transaction.atomic
def create_pipeline(
    actor: Any,
    name: str,
    stages: Iterable[tuple[str, int, str]] = DEFAULT_STAGES,
    *,
    is_default: bool = False,
) -> Pipeline:
    """Create a pipeline with its ordered stages (name, probability, kind)."""
    if not actor.is_admin_for("opportunity"):
        raise PermissionDenied(_("Only administrators configure pipelines."))
    stages = list(stages)
    if not any(kind == StageKind.WON for _n, _p, kind in stages) or not any(
        kind == StageKind.LOST for _n, _p, kind in stages
    ):
        raise ValidationError({"stages": _("A pipeline needs a won and a lost stage.")})
    if is_default:
        Pipeline.objects.filter(is_default=True).update(is_default=False)
    pipeline = Pipeline.objects.create(name=name, is_default=is_default)
    for order, (stage_name, probability, kind) in enumerate(stages):
        stage = Stage(
            pipeline=pipeline, name=stage_name, order=order, probability=probability, kind=kind
        )
        stage.full_clean()
        stage.save()
    return pipeline


def _name_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


def _names_of(stored: str) -> set[str]:
    """A pipeline's or stage's name as people may type it: as stored, or shown in a language
    (the built-in names are stored in English and shown translated)."""
    names = {_name_key(stored)}
    for language, _label in settings.LANGUAGES:
        with translation.override(language):
            names.add(_name_key(translation.gettext(stored)))
    return names


def pipeline_named(name: str) -> Pipeline:
    """The active pipeline called ``name`` (as stored or as shown in any language)."""
    key = _name_key(name)
    found = [p for p in Pipeline.objects.filter(is_active=True) if key in _names_of(p.name)]
    if not found:
        raise ValidationError(
            _("No %(type)s you can see is called “%(value)s”.")
            % {"type": Pipeline._meta.verbose_name, "value": name.strip()}
        )
    if len(found) > 1:
        raise ValidationError(
            _("Several pipelines are called “%(value)s”.") % {"value": name.strip()}
        )
    return found[0]


def stage_named(pipeline: Pipeline, name: str) -> Stage:
    """The stage of ``pipeline`` called ``name``: stage names repeat across pipelines, so a
    name means a stage only within its pipeline."""
    key = _name_key(name)
    for stage in pipeline.stages.order_by("order", "pk"):
        if key in _names_of(stage.name):
            return stage
    raise ValidationError(
        {
            "stage": _("The pipeline “%(pipeline)s” has no stage called “%(stage)s”.")
            % {"pipeline": pipeline, "stage": name.strip()}
        }
    )


def _resolve_stage(pipeline: Pipeline, stage: Stage | str | None) -> Stage:
    """The given stage (a record, or a name looked up within ``pipeline``), or its first open
    stage."""
    if isinstance(stage, str):
        return stage_named(pipeline, stage)
    if stage is None:
        first = pipeline.stages.filter(kind=StageKind.OPEN).order_by("order").first()
        if first is None:
            raise ValidationError({"stage": _("This pipeline has no open stage.")})
        return first
    if stage.pipeline_id != pipeline.pk:
        raise ValidationError({"stage": _("The stage belongs to another pipeline.")})
    return stage


def _set_decision_makers(opportunity: Opportunity, makers: Iterable[tuple[Contact, str]]) -> None:
    OpportunityContact.objects.filter(opportunity=opportunity).delete()
    OpportunityContact.objects.bulk_create(
        [OpportunityContact(opportunity=opportunity, contact=c, role=r) for c, r in makers]
    )


def _completed(actor: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """A new opportunity's data with its account checked, its pipeline (the default one when
    none is given), its stage (a record or a name within that pipeline; the first open stage
    when none is given) and the stage's probability and forecast category."""
    payload = dict(data)
    account = payload.get("account")
    if account is None or not Account.objects.visible_to(actor).filter(pk=account.pk).exists():
        raise ValidationError({"account": _("Select an account you can see.")})
    pipeline = payload.get("pipeline") or Pipeline.default()
    if pipeline is None:
        raise ValidationError({"pipeline": _("Create a pipeline first.")})
    stage = _resolve_stage(pipeline, payload.get("stage"))
    payload.update(pipeline=pipeline, stage=stage)
    payload.setdefault("probability", stage.probability)
    payload.setdefault("forecast_category", _forecast_for(stage))
    return payload


def build_opportunity(actor: Any, data: Mapping[str, Any], owner: Any = "actor") -> Opportunity:
    """The unsaved opportunity :func:`create_opportunity` would write, checked the same way and
    writing nothing (an import's preview)."""
    payload = _completed(actor, data)
    payload.pop("tags", None)
    return core.build_record(actor, Opportunity, payload, owner=owner)


@transaction.atomic
def create_opportunity(
    actor: Any,
    data: Mapping[str, Any],
    owner: Any = "actor",
    decision_makers: Iterable[tuple[Contact, str]] = (),
) -> Opportunity:
    """Create an opportunity on an account the actor can see, in a pipeline's first stage (or
    the stage given, as a record or by name within the pipeline)."""
    payload = _completed(actor, data)
    tags = payload.pop("tags", None)
    stage = payload["stage"]
    if stage.is_closed:
        payload["closed_at"] = timezone.now()
    opportunity = core.create_record(
        actor,
        Opportunity,
        {k: v for k, v in payload.items() if k != "closed_at"},
        m2m={"tags": tags} if tags is not None else None,
        owner=owner,
    )
    if stage.is_closed:
        Opportunity.all_objects.filter(pk=opportunity.pk).update(closed_at=payload["closed_at"])
    StageHistory.objects.create(
        opportunity=opportunity, stage=stage, actor=actor, entered_at=opportunity.created_at
    )
    _set_decision_makers(opportunity, decision_makers)
    return opportunity


@transaction.atomic
def update_opportunity(
    actor: Any,
    opportunity: Opportunity,
    data: Mapping[str, Any],
    *,
    expected_version: int | None,
    decision_makers: Iterable[tuple[Contact, str]] | None = None,
) -> Opportunity:
    """Edit an opportunity's fields; stage moves go through :func:`move_stage`."""
    payload = dict(data)
    if "stage" in payload or "pipeline" in payload:
        raise ValidationError({"stage": _("Move the opportunity with the stage control.")})
    tags = payload.pop("tags", None)
    if (
        "account" in payload
        and payload["account"].pk != opportunity.account_id  # keeping it needs no sight of it
        and not Account.objects.visible_to(actor).filter(pk=payload["account"].pk).exists()
    ):
        raise ValidationError({"account": _("Select an account you can see.")})
    updated = core.update_record(
        actor,
        opportunity,
        payload,
        expected_version=expected_version,
        m2m={"tags": tags} if tags is not None else None,
    )
    if decision_makers is not None:
        _set_decision_makers(updated, decision_makers)
    return updated


@transaction.atomic
def move_stage(
    actor: Any,
    opportunity: Opportunity,
    stage: Stage,
    *,
    expected_version: int | None,
    loss_reason: str = "",
) -> Opportunity:
    """Move an opportunity to another stage of its pipeline (the kanban drag, the stage control).

    Records the stage history for sales velocity, sets the probability and forecast category
    of the stage, stamps the close date on won or lost, and emits ``opportunity.stage_changed``
    and ``opportunity.won`` / ``opportunity.lost``. A lost deal needs a loss reason.
    """
    current = Opportunity.all_objects.select_related("stage").get(pk=opportunity.pk)
    if stage.pipeline_id != current.pipeline_id:
        raise ValidationError({"stage": _("The stage belongs to another pipeline.")})
    if stage.pk == current.stage_id:
        return current
    if stage.kind == StageKind.LOST and not (loss_reason or current.loss_reason).strip():
        raise ValidationError({"loss_reason": _("Say why the deal was lost.")})
    now = timezone.now()
    data: dict[str, Any] = {
        "stage": stage,
        "probability": stage.probability,
        "forecast_category": _forecast_for(stage),
        "stage_entered_at": now,
        "closed_at": now if stage.is_closed else None,
    }
    if loss_reason:
        data["loss_reason"] = loss_reason
    # stage/stage_entered_at/closed_at are not client-writable, so bypass the protected check
    # by writing them through update_record's data after the permission check.
    updated = core.update_record(
        actor,
        current,
        data,
        expected_version=expected_version,
        event=None,
    )
    StageHistory.objects.filter(opportunity=current, left_at__isnull=True).update(left_at=now)
    StageHistory.objects.create(opportunity=current, stage=stage, entered_at=now, actor=actor)
    events.emit(
        "opportunity.stage_changed", updated, actor, from_stage=current.stage_id, to_stage=stage.pk
    )
    if stage.kind == StageKind.WON:
        # a won deal keeps the account out of the pool's "no deal won in M days" rule
        Account.all_objects.filter(pk=updated.account_id).update(last_won_at=now)
        events.emit(
            "opportunity.won", updated, actor, amount=str(updated.amount), currency=updated.currency
        )
    elif stage.kind == StageKind.LOST:
        events.emit("opportunity.lost", updated, actor, loss_reason=updated.loss_reason)
    return updated


def delete_opportunity(
    actor: Any, opportunity: Opportunity, *, expected_version: int | None
) -> Any:
    return core.delete_record(actor, opportunity, expected_version=expected_version)


@transaction.atomic
def log_objection(actor: Any, opportunity: Opportunity, data: Mapping[str, Any]) -> Objection:
    """Record an objection raised during the sale and, if known, how it was handled."""
    core.require_editable(actor, opportunity)
    core.require_action(actor, "opportunity", Action.EDIT)
    return core.create_record(
        actor, Objection, {**data, "opportunity": opportunity}, check_permission=False
    )


@transaction.atomic
def update_objection(
    actor: Any, objection: Objection, data: Mapping[str, Any], *, expected_version: int | None
) -> Objection:
    payload = {k: v for k, v in data.items() if k != "opportunity"}
    return core.update_record(actor, objection, payload, expected_version=expected_version)


# --------------------------------------------------------------------------------------------
# pipelines (administrators)
# --------------------------------------------------------------------------------------------


def _require_pipeline_admin(actor: Any) -> None:
    if not actor.is_admin_for("opportunity"):
        raise PermissionDenied(_("Only administrators configure pipelines."))


def stage_in_use(stage: Stage) -> bool:
    """Whether any opportunity (the recycle bin's too) is or was in this stage."""
    return (
        Opportunity.all_objects.filter(stage=stage).exists()
        or StageHistory.objects.filter(stage=stage).exists()
    )


def _check_stage_kinds(kinds: Iterable[str]) -> None:
    kinds = list(kinds)
    if StageKind.WON not in kinds or StageKind.LOST not in kinds:
        raise ValidationError({"stages": _("A pipeline needs a won and a lost stage.")})
    if StageKind.OPEN not in kinds:
        raise ValidationError({"stages": _("A pipeline needs at least one open stage.")})


@transaction.atomic
def update_pipeline(
    actor: Any,
    pipeline: Pipeline,
    data: Mapping[str, Any],
    stages: Iterable[Mapping[str, Any]] | None = None,
    *,
    expected_version: int | None,
) -> Pipeline:
    """Rename a pipeline, make it the default or (in)active, and replace its list of stages.

    ``stages`` lists the stages in their new order as mappings with ``name``, ``probability``,
    ``kind`` and, for an existing stage, its ``id``. A stage left out is deleted, which is
    refused while an opportunity is or was in it. Compare-and-set on the pipeline's version.
    """
    _require_pipeline_admin(actor)
    current = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(current, expected_version)
    for name in ("name", "is_default", "is_active"):
        if name in data:
            setattr(current, name, data[name])
    if not str(current.name).strip():
        raise ValidationError({"name": _("Give the pipeline a name.")})
    if current.is_default and not current.is_active:
        raise ValidationError({"is_active": _("The default pipeline must stay active.")})
    if stages is not None:
        specs = [dict(s) for s in stages]
        _check_stage_kinds(s.get("kind", StageKind.OPEN) for s in specs)
        existing = {s.pk: s for s in current.stages.all()}
        kept = {int(s["id"]) for s in specs if s.get("id")}
        unknown = kept - set(existing)
        if unknown:
            raise ValidationError({"stages": _("A stage belongs to another pipeline.")})
        for stage in [s for pk, s in existing.items() if pk not in kept]:
            if stage_in_use(stage):
                raise ValidationError(
                    {
                        "stages": _(
                            "The stage “%(stage)s” is in use by opportunities and cannot be "
                            "deleted; rename it or move its opportunities first."
                        )
                        % {"stage": stage.name}
                    }
                )
            stage.delete()
        for order, spec in enumerate(specs):
            stage = existing[int(spec["id"])] if spec.get("id") else Stage(pipeline=current)
            stage.name = spec["name"]
            stage.order = order
            stage.probability = spec.get("probability", 0)
            kind = spec.get("kind", StageKind.OPEN)
            if stage.pk and kind != stage.kind and stage_in_use(stage):
                raise ValidationError(
                    {
                        "stages": _(
                            "The stage “%(stage)s” is in use: its kind (open, won, lost) "
                            "cannot change."
                        )
                        % {"stage": stage.name}
                    }
                )
            stage.kind = kind
            try:
                stage.full_clean(exclude=["pipeline"])
            except ValidationError as exc:
                raise ValidationError({"stages": exc.messages}) from exc
            stage.save()
    if current.is_default:
        Pipeline.objects.exclude(pk=current.pk).filter(is_default=True).update(is_default=False)
    current.version += 1
    current.save()
    return current


@transaction.atomic
def delete_pipeline(actor: Any, pipeline: Pipeline) -> None:
    """Delete a pipeline nobody uses (no opportunity, not even in the recycle bin)."""
    _require_pipeline_admin(actor)
    if Opportunity.all_objects.filter(pipeline=pipeline).exists():
        raise ValidationError(
            {"pipeline": _("Opportunities use this pipeline; make it inactive instead.")}
        )
    if pipeline.is_default:
        raise ValidationError(
            {"pipeline": _("Make another pipeline the default before deleting this one.")}
        )
    StageHistory.objects.filter(stage__pipeline=pipeline).delete()
    pipeline.stages.all().delete()
    pipeline.delete()


# --------------------------------------------------------------------------------------------
# decision makers and objections
# --------------------------------------------------------------------------------------------


@transaction.atomic
def set_decision_makers(
    actor: Any,
    opportunity: Opportunity,
    makers: Iterable[tuple[Contact, str]],
    *,
    expected_version: int | None,
) -> Opportunity:
    """Replace the decision makers of an opportunity (contacts of its account, with the role
    each plays in the decision); logged on the opportunity's history like any other change."""
    core.require_editable(actor, opportunity)
    current = Opportunity.all_objects.select_for_update().get(pk=opportunity.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(current, expected_version)
    makers = list(makers)
    visible = set(
        Contact.objects.visible_to(actor)
        .filter(account_id=current.account_id, pk__in=[c.pk for c, _r in makers])
        .values_list("pk", flat=True)
    )
    if any(c.pk not in visible for c, _r in makers):
        raise ValidationError(
            {"decision_makers": _("Choose contacts of the opportunity's account.")}
        )
    before = sorted(
        [c, r]
        for c, r in OpportunityContact.objects.filter(opportunity=current).values_list(
            "contact_id", "role"
        )
    )
    after = sorted([c.pk, r] for c, r in makers)
    if before == after:
        return current
    _set_decision_makers(current, makers)
    now = timezone.now()
    Opportunity.all_objects.filter(pk=current.pk).update(
        version=current.version + 1, updated_at=now, updated_by=actor
    )
    current.refresh_from_db()
    changelog.log_change(actor, current, ChangeAction.UPDATE, {"decision_makers": [before, after]})
    return current


def delete_objection(actor: Any, objection: Objection, *, expected_version: int | None) -> Any:
    return core.delete_record(actor, objection, expected_version=expected_version)
