"""Opportunity use-cases: create, edit, move through stages, close, log objections."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import events
from guanxi.core import services as core
from guanxi.core.models import Action
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

DEFAULT_STAGES = [
    # name, probability, kind — the selling process of DOMAIN.md §4
    ("Prospecting", 10, StageKind.OPEN),
    ("Approach and needs", 25, StageKind.OPEN),
    ("Proposal", 50, StageKind.OPEN),
    ("Negotiation", 75, StageKind.OPEN),
    ("Closed won", 100, StageKind.WON),
    ("Closed lost", 0, StageKind.LOST),
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


def _resolve_stage(pipeline: Pipeline, stage: Stage | None) -> Stage:
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


@transaction.atomic
def create_opportunity(
    actor: Any,
    data: Mapping[str, Any],
    owner: Any = "actor",
    decision_makers: Iterable[tuple[Contact, str]] = (),
) -> Opportunity:
    """Create an opportunity on an account the actor can see, in a pipeline's first stage."""
    payload = dict(data)
    tags = payload.pop("tags", None)
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
