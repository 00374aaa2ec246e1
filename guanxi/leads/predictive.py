"""The predictive score: a conversion model learnt from the company's own closed leads.

Beside the administrator's scoring rules (one standard for every lead), Guanxi learns which
leads tend to convert from history: every closed lead is an example (converted = 1,
disqualified = 0), described by its source, industry, province and decision timeline (one-hot),
whether it has an email, a mobile, a company and a campaign, its budget (log), its rule score
and how often it did each behaviour (log of the count). A logistic regression (scikit-learn,
classes weighted equally) is fitted once there is enough history — by default at least 50
closed leads with at least 10 of each outcome (``GUANXI_PREDICTIVE_MIN_CLOSED``,
``GUANXI_PREDICTIVE_MIN_PER_CLASS``). Its quality is measured as the AUC on a stratified
hold-out of a quarter of the examples; the stored model is then refitted on all of them.

The model is stored as numbers (:class:`~guanxi.leads.models.PredictiveModel`: feature names,
coefficients on the raw features, intercept), never as a pickle, so it can be read, shown and
applied without scikit-learn. Because the classes were weighted equally, the intercept is
corrected by the log of the real odds of conversion, so the predicted chance is on the scale of
the company's actual conversion rate (the ranking, and so the AUC, is the same either way).

:func:`train` is run weekly and :func:`predict_many` nightly (Celery beat, or
``manage.py train_lead_model`` from cron); both write ``Lead.predicted_conversion`` of open
leads only: a closed lead keeps the chance it was given while it was open.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    OPEN_STATUSES,
    BehaviourKind,
    DecisionTimeline,
    Lead,
    LeadBehaviour,
    LeadSource,
    LeadStatus,
    PredictiveModel,
)

CATEGORICAL = ("source", "industry", "province", "decision_timeline")
FLAGS = ("has_email", "has_mobile", "has_company", "has_campaign", "budget_unknown")
NUMERIC = ("log_budget", "score")
BEHAVIOUR_PREFIX = "behaviour:"
VALUE_FIELDS = (
    "pk",
    "status",
    "source",
    "industry",
    "province",
    "decision_timeline",
    "email",
    "mobile",
    "company",
    "campaign_id",
    "budget",
    "score",
    "predicted_conversion",
)
CHUNK = 5000
HOLDOUT = 0.25


def min_closed() -> int:
    return int(getattr(settings, "GUANXI_PREDICTIVE_MIN_CLOSED", 50))


def min_per_class() -> int:
    return int(getattr(settings, "GUANXI_PREDICTIVE_MIN_PER_CLASS", 10))


def max_samples() -> int:
    """The most recent closed leads a training reads at most (memory stays bounded)."""
    return int(getattr(settings, "GUANXI_PREDICTIVE_MAX_SAMPLES", 200_000))


# --------------------------------------------------------------------------------------------
# history: is there enough to learn from?
# --------------------------------------------------------------------------------------------


@dataclass
class History:
    converted: int
    disqualified: int

    @property
    def closed(self) -> int:
        return self.converted + self.disqualified

    @property
    def missing_converted(self) -> int:
        return max(0, min_per_class() - self.converted)

    @property
    def missing_disqualified(self) -> int:
        return max(0, min_per_class() - self.disqualified)

    @property
    def missing_closed(self) -> int:
        """Closed leads still needed (at least the per-outcome minimums, at least the total)."""
        return max(
            min_closed() - self.closed, self.missing_converted + self.missing_disqualified, 0
        )

    @property
    def enough(self) -> bool:
        return self.missing_closed == 0


def history() -> History:
    """How many closed leads the company has (deleted ones left out), by outcome."""
    counts = Lead.objects.aggregate(
        converted=Count("pk", filter=Q(status=LeadStatus.CONVERTED)),
        disqualified=Count("pk", filter=Q(status=LeadStatus.DISQUALIFIED)),
    )
    return History(counts["converted"] or 0, counts["disqualified"] or 0)


# --------------------------------------------------------------------------------------------
# features
# --------------------------------------------------------------------------------------------


def _behaviour_counts(leads: QuerySet) -> dict[int, Counter[str]]:
    counts: dict[int, Counter[str]] = {}
    for lead_id, kind, n in (
        LeadBehaviour.objects.filter(lead__in=leads.values("pk"))
        .values_list("lead", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts.setdefault(lead_id, Counter())[kind] = n
    return counts


def features(row: dict[str, Any], behaviours: Counter[str] | None = None) -> dict[str, float]:
    """A lead's features (name → value; one-hot names are ``field=value``)."""
    values: dict[str, float] = {}
    for name in CATEGORICAL:
        value = row.get(name) or ""
        if name == "province":
            value = value.strip()
        if value:
            values[f"{name}={value}"] = 1.0
    budget = row.get("budget")
    values["has_email"] = 1.0 if row.get("email") else 0.0
    values["has_mobile"] = 1.0 if row.get("mobile") else 0.0
    values["has_company"] = 1.0 if (row.get("company") or "").strip() else 0.0
    values["has_campaign"] = 1.0 if row.get("campaign_id") else 0.0
    values["budget_unknown"] = 0.0 if budget is not None else 1.0
    values["log_budget"] = math.log1p(float(budget)) if budget is not None else 0.0
    values["score"] = float(row.get("score") or 0)
    for kind, n in (behaviours or {}).items():
        values[BEHAVIOUR_PREFIX + kind] = math.log1p(n)
    return values


def _vocabulary(rows: Iterable[dict[str, float]]) -> list[str]:
    seen: set[str] = set()
    for row in rows:
        seen.update(name for name in row if "=" in name)
    behaviours = [BEHAVIOUR_PREFIX + kind for kind in BehaviourKind.values]
    return [*sorted(seen), *FLAGS, *NUMERIC, *behaviours]


def _matrix(rows: list[dict[str, float]], names: list[str]) -> Any:
    import numpy as np

    index = {name: i for i, name in enumerate(names)}
    matrix = np.zeros((len(rows), len(names)))
    for r, row in enumerate(rows):
        for name, value in row.items():
            column = index.get(name)
            if column is not None:  # a value the model never saw counts as none
                matrix[r, column] = value
    return matrix


def _rows(leads: QuerySet) -> list[tuple[dict[str, Any], dict[str, float]]]:
    """(values, features) of each lead of ``leads`` (one values query, one behaviour count)."""
    values = list(leads.values(*VALUE_FIELDS))
    counts = _behaviour_counts(leads) if values else {}
    return [(v, features(v, counts.get(v["pk"]))) for v in values]


# --------------------------------------------------------------------------------------------
# training
# --------------------------------------------------------------------------------------------


def train(now: Any = None) -> PredictiveModel | None:
    """Fit the model on the closed leads and make it the active one; None when the history is
    too short (nothing changes then: a model trained earlier stays active)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    known = history()
    if not known.enough:
        return None
    closed = Lead.objects.filter(
        status__in=[LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED]
    ).order_by("-updated_at", "-pk")[: max_samples()]
    examples = _rows(closed)
    y = np.array([1 if v["status"] == LeadStatus.CONVERTED else 0 for v, _f in examples])
    names = _vocabulary(f for _v, f in examples)
    x = _matrix([f for _v, f in examples], names)
    # standardise for the solver and the penalty; folded back into raw coefficients below
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    xs = (x - mean) / scale

    def fit(features_: Any, labels: Any) -> Any:
        model = LogisticRegression(class_weight="balanced", max_iter=2000)
        return model.fit(features_, labels)

    x_train, x_test, y_train, y_test = train_test_split(
        xs, y, test_size=HOLDOUT, stratify=y, random_state=0
    )
    auc = float(roc_auc_score(y_test, fit(x_train, y_train).predict_proba(x_test)[:, 1]))
    final = fit(xs, y)
    coefficients = final.coef_[0] / scale
    positives = int(y.sum())
    # balanced weights fit equal class odds; add the real log-odds back (prior correction)
    intercept = float(
        final.intercept_[0]
        - float(np.dot(coefficients, mean))
        + math.log(positives / (len(y) - positives))
    )
    with transaction.atomic():
        PredictiveModel.objects.filter(active=True).update(active=False)
        return PredictiveModel.objects.create(
            trained_at=now or timezone.now(),
            n_samples=len(y),
            n_converted=positives,
            n_holdout=len(y_test),
            auc=round(auc, 4),
            feature_names=names,
            coefficients=[round(float(c), 8) for c in coefficients],
            intercept=round(intercept, 8),
            active=True,
        )


def active_model() -> PredictiveModel | None:
    return PredictiveModel.objects.filter(active=True).order_by("-trained_at", "-pk").first()


# --------------------------------------------------------------------------------------------
# prediction
# --------------------------------------------------------------------------------------------


def probability(model: PredictiveModel, values: dict[str, float]) -> float:
    """The model's chance (0–1) for one lead's features."""
    weights = dict(zip(model.feature_names, model.coefficients, strict=True))
    z = model.intercept + sum(weights.get(name, 0.0) * value for name, value in values.items())
    return 1.0 / (1.0 + math.exp(-max(min(z, 500.0), -500.0)))


def _probabilities(model: PredictiveModel, rows: list[dict[str, float]]) -> list[float]:
    import numpy as np

    if not rows:
        return []
    z = _matrix(rows, model.feature_names) @ np.array(model.coefficients) + model.intercept
    return [float(p) for p in 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))]


def predict(lead: Lead, model: PredictiveModel | None = None) -> float | None:
    """The active model's chance that ``lead`` converts (0–1), or None without a model.

    Written to the lead's ``predicted_conversion`` (as a percentage) when the lead is open.
    """
    model = model or active_model()
    if model is None:
        return None
    ((values, lead_features),) = _rows(Lead.all_objects.filter(pk=lead.pk))
    chance = probability(model, lead_features)
    if values["status"] in OPEN_STATUSES:
        Lead.all_objects.filter(pk=lead.pk).update(predicted_conversion=round(chance * 100, 1))
        lead.predicted_conversion = round(chance * 100, 1)
    return chance


def predict_many(queryset: QuerySet | None = None, model: PredictiveModel | None = None) -> int:
    """Give every open lead of ``queryset`` (all leads by default) the active model's chance
    as ``predicted_conversion`` (a percentage), 5,000 leads a query; returns how many were
    scored. Only changed values are written, so a nightly run over unchanged leads writes
    (and bloats) nothing."""
    model = model or active_model()
    if model is None:
        return 0
    leads = (queryset if queryset is not None else Lead.objects.all()).filter(
        status__in=OPEN_STATUSES
    )
    done = 0
    last = 0
    while True:
        chunk = _rows(leads.filter(pk__gt=last).order_by("pk")[:CHUNK])
        if not chunk:
            return done
        chances = _probabilities(model, [f for _v, f in chunk])
        changed = [
            Lead(pk=v["pk"], predicted_conversion=round(p * 100, 1))
            for (v, _f), p in zip(chunk, chances, strict=True)
            if v["predicted_conversion"] != round(p * 100, 1)
        ]
        Lead.all_objects.bulk_update(changed, ["predicted_conversion"], batch_size=1000)
        done += len(chunk)
        last = chunk[-1][0]["pk"]


# --------------------------------------------------------------------------------------------
# jobs and what the page says
# --------------------------------------------------------------------------------------------


def train_and_score() -> dict[str, Any]:
    """The weekly job: train (when there is enough history), then score the open leads."""
    model = train()
    scored = predict_many() if active_model() is not None else 0
    known = history()
    if model is None:
        message = not_enough_message(known) if not known.enough else ""
    else:
        message = _(
            "Trained on %(n)s closed leads (AUC %(auc)s); %(scored)s open leads scored."
        ) % {"n": model.n_samples, "auc": f"{model.auc:.2f}", "scored": scored}
    return {
        "trained": model is not None,
        "model": model.pk if model else None,
        "scored": scored,
        "message": message,
    }


def score_open_leads() -> dict[str, Any]:
    """The nightly job: give every open lead the active model's chance."""
    scored = predict_many()
    return {"scored": scored}


def not_enough_message(known: History) -> str:
    return _(
        "Not enough history yet: %(closed)s closed leads (%(converted)s converted, "
        "%(disqualified)s disqualified). The predictive score needs at least %(min)s, with at "
        "least %(per_class)s of each outcome: %(missing)s more closed leads."
    ) % {
        "closed": known.closed,
        "converted": known.converted,
        "disqualified": known.disqualified,
        "min": min_closed(),
        "per_class": min_per_class(),
        "missing": known.missing_closed,
    }


def feature_label(name: str) -> str:
    """A feature in words: ``source=referral`` → “Source: Referral”."""
    if name.startswith(BEHAVIOUR_PREFIX):
        kind = name[len(BEHAVIOUR_PREFIX) :]
        return str(dict(BehaviourKind.choices).get(kind, kind))
    if "=" in name:
        field_name, value = name.split("=", 1)
        choices: dict[str, Any] = {
            "source": dict(LeadSource.choices),
            "decision_timeline": dict(DecisionTimeline.choices),
        }.get(field_name, {})
        if field_name == "industry":
            from guanxi.customers.models import Industry

            choices = dict(Industry.choices)
        label = str(Lead._meta.get_field(field_name).verbose_name).capitalize()
        return f"{label}: {choices.get(value, value)}"
    return {
        "has_email": _("Has an email"),
        "has_mobile": _("Has a mobile"),
        "has_company": _("Has a company"),
        "has_campaign": _("Came from a campaign"),
        "budget_unknown": _("Budget unknown"),
        "log_budget": _("Budget (log)"),
        "score": _("Rule score (per point)"),
    }.get(name, name)


@dataclass
class Driver:
    name: str
    label: str
    coefficient: float

    @property
    def odds(self) -> float:
        """How the odds of converting are multiplied when the feature is present."""
        return round(math.exp(self.coefficient), 2)


def drivers(model: PredictiveModel, limit: int = 5) -> tuple[list[Driver], list[Driver]]:
    """The yes/no features that raise and lower the odds most (the one-hot values and flags,
    whose coefficients read directly as odds ratios)."""
    binary = [
        Driver(name, feature_label(name), coefficient)
        for name, coefficient in zip(model.feature_names, model.coefficients, strict=True)
        if "=" in name or name in FLAGS
    ]
    raising = sorted((d for d in binary if d.coefficient > 0), key=lambda d: -d.coefficient)
    lowering = sorted((d for d in binary if d.coefficient < 0), key=lambda d: d.coefficient)
    return raising[:limit], lowering[:limit]


def train_job(job: Any) -> dict[str, Any]:
    """What "Train now" runs in the background (:func:`guanxi.core.jobs.start_job`)."""
    return train_and_score()
