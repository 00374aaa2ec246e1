"""Customer relationship lifecycle stages (DOMAIN.md section 7).

The four stages of relationship development of Dwyer, Schurr & Oh (1987, "Developing
buyer-seller relationships", *Journal of Marketing* 51(2)) as taught in the CRM textbook:
exploration (考察期), formation (形成期), stability (稳定期) and decline (退化期).
A stage is assigned to every customer by the transparent rules of :class:`LifecycleRules`,
from the purchase history (number of purchases, tenure, recency, purchase-rate trend) and
optionally the probability that the customer is still "alive" from a BG/NBD or Pareto/NBD
model (``guanxi.analytics.clv``).

Rules, applied in this order (the first that matches wins):

1. **decline** — the relationship is fading:
   P(alive) < ``decline_p_alive`` (when P(alive) is given), or
   recency > ``decline_inactive_days`` (no purchase for a long time), or
   trend < ``decline_trend`` (the recent purchase rate fell well below the earlier rate);
2. **exploration** — the customer is still trying us out:
   purchases <= ``exploration_max_purchases`` or tenure < ``exploration_max_tenure_days``;
3. **formation** — the relationship is growing:
   trend >= ``formation_min_trend`` or purchases < ``stability_min_purchases``;
4. **stability** — everyone else: an established customer buying at a steady rate.

The **trend** compares the purchase rate in the recent window with the rate before it:
trend = (recent purchases / W) / (earlier purchases / (tenure - W)), where W =
``trend_window_days``, "recent" means within the last W days before ``as_of`` and "earlier"
means from the first purchase up to W days before ``as_of``.  It is only defined when the
customer has at least ``trend_min_earlier_days`` of history before the recent window (NaN
otherwise, and then no trend rule fires).  The earlier period always contains the first
purchase, so the rate ratio never divides by zero.

Which P(alive)?  The BG/NBD model lets customers drop out only right after a purchase, so its
P(alive) is exactly 1 for everyone without a repeat purchase; the recency rule is what catches
lapsed one-time buyers then.  The Pareto/NBD P(alive) decays for them as well.

Everything is vectorised with numpy: one million customers take well under a second from
summary arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "STAGES",
    "STAGE_LABELS_ZH",
    "LifecycleRules",
    "lifecycle_stages",
    "lifecycle_stages_from_summary",
]

#: Stage names in relationship order (the categories of the ``stage`` column).
STAGES: tuple[str, ...] = ("exploration", "formation", "stability", "decline")

#: Chinese names used by the textbook (DOMAIN.md section 7).
STAGE_LABELS_ZH: dict[str, str] = {
    "exploration": "考察期",
    "formation": "形成期",
    "stability": "稳定期",
    "decline": "退化期",
}


@dataclass(frozen=True)
class LifecycleRules:
    """Thresholds of the lifecycle rules (all durations in days; see the module docstring).

    Attributes
    ----------
    exploration_max_purchases : at most this many purchases -> still exploring (default 1: a
        one-time buyer has not formed a relationship yet).
    exploration_max_tenure_days : first purchase less than this many days ago -> exploring.
    stability_min_purchases : an established (stable) customer has at least this many purchases.
    formation_min_trend : a recent purchase rate at least this multiple of the earlier rate
        marks a growing relationship (formation).
    decline_trend : a recent purchase rate below this multiple of the earlier rate marks decline.
    decline_p_alive : P(alive) below this marks decline.
    decline_inactive_days : no purchase for more than this many days marks decline.
    trend_window_days : length W of the recent window of the trend.
    trend_min_earlier_days : history needed before the recent window for a trend (default W).
    """

    exploration_max_purchases: int = 1
    exploration_max_tenure_days: float = 90.0
    stability_min_purchases: int = 4
    formation_min_trend: float = 1.5
    decline_trend: float = 0.5
    decline_p_alive: float = 0.3
    decline_inactive_days: float = 365.0
    trend_window_days: float = 180.0
    trend_min_earlier_days: float | None = None

    def __post_init__(self) -> None:
        if self.trend_window_days <= 0:
            raise ValueError("trend_window_days must be positive")
        if not 0.0 <= self.decline_p_alive <= 1.0:
            raise ValueError("decline_p_alive must lie in [0, 1]")
        if self.decline_trend > self.formation_min_trend:
            raise ValueError("decline_trend cannot exceed formation_min_trend")

    @property
    def min_earlier_days(self) -> float:
        if self.trend_min_earlier_days is None:
            return self.trend_window_days
        return self.trend_min_earlier_days


def _trend(
    n_purchases: np.ndarray, tenure: np.ndarray, recent: np.ndarray, rules: LifecycleRules
) -> np.ndarray:
    window = rules.trend_window_days
    earlier_days = tenure - window
    defined = earlier_days >= rules.min_earlier_days
    earlier = n_purchases - recent
    safe_days = np.where(defined, earlier_days, 1.0)
    safe_earlier = np.where(defined & (earlier > 0), earlier, 1.0)
    ratio = (recent / window) / (safe_earlier / safe_days)
    return np.where(defined & (earlier > 0), ratio, np.nan)


def lifecycle_stages_from_summary(
    n_purchases: np.ndarray | pd.Series,
    tenure: np.ndarray | pd.Series,
    recency: np.ndarray | pd.Series,
    recent_purchases: np.ndarray | pd.Series,
    p_alive: np.ndarray | pd.Series | None = None,
    rules: LifecycleRules | None = None,
) -> pd.DataFrame:
    """Lifecycle stage per customer from summary arrays (all aligned, one entry per customer).

    Parameters (durations in days, the unit of :class:`LifecycleRules`)
    ----------
    n_purchases : total number of purchases, the first one included (>= 1).
    tenure : time from the first purchase to the evaluation date.
    recency : time from the last purchase to the evaluation date.
    recent_purchases : number of purchases within the last ``rules.trend_window_days``.
    p_alive : optional P(alive) per customer, e.g. ``BetaGeo.probability_alive(...)`` (note
        that those models count *repeat* purchases: frequency = n_purchases - 1).
    rules : the thresholds; ``LifecycleRules()`` by default.

    Returns a DataFrame (RangeIndex) with ``trend`` (NaN where undefined) and ``stage`` (a
    categorical with categories :data:`STAGES`), decided by the rules of the module docstring
    (Dwyer, Schurr & Oh 1987 stages).
    """
    rules = rules or LifecycleRules()
    n = np.asarray(n_purchases, dtype=float)
    ten = np.asarray(tenure, dtype=float)
    rec = np.asarray(recency, dtype=float)
    recent = np.asarray(recent_purchases, dtype=float)
    if not (n.shape == ten.shape == rec.shape == recent.shape) or n.ndim != 1:
        raise ValueError("the summary arrays must be 1-D and of equal length")
    if n.size and (n.min() < 1 or (recent > n).any() or (recent < 0).any()):
        raise ValueError("need n_purchases >= 1 and 0 <= recent_purchases <= n_purchases")
    if n.size and ((rec < 0).any() or (rec > ten).any()):
        raise ValueError("need 0 <= recency <= tenure")
    trend = _trend(n, ten, recent, rules)
    has_trend = ~np.isnan(trend)
    trend_or_one = np.where(has_trend, trend, 1.0)

    decline = rec > rules.decline_inactive_days
    decline |= has_trend & (trend_or_one < rules.decline_trend)
    if p_alive is not None:
        pa = np.asarray(p_alive, dtype=float)
        if pa.shape != n.shape:
            raise ValueError("p_alive must be aligned with the summary arrays")
        if np.isnan(pa).any():
            raise ValueError("p_alive contains NaN")
        decline |= pa < rules.decline_p_alive
    exploration = (n <= rules.exploration_max_purchases) | (ten < rules.exploration_max_tenure_days)
    formation = (has_trend & (trend_or_one >= rules.formation_min_trend)) | (
        n < rules.stability_min_purchases
    )
    codes = np.select(
        [decline, exploration, formation],
        [STAGES.index("decline"), STAGES.index("exploration"), STAGES.index("formation")],
        default=STAGES.index("stability"),
    ).astype(np.int8)
    return pd.DataFrame(
        {"trend": trend, "stage": pd.Categorical.from_codes(codes, categories=list(STAGES))}
    )


def lifecycle_stages(
    transactions: pd.DataFrame,
    as_of: str | pd.Timestamp | np.datetime64,
    customer: str = "customer_id",
    date: str = "date",
    p_alive: pd.Series | np.ndarray | None = None,
    rules: LifecycleRules | None = None,
) -> pd.DataFrame:
    """Lifecycle stage per customer from a transaction log (one row per purchase).

    Rows dated after ``as_of`` are ignored.  ``p_alive`` is either a Series indexed by customer
    id (customers missing from it get no P(alive) rule: NaN is treated as "unknown") or an
    array aligned with the sorted customer ids of the result.  Returns a DataFrame indexed by
    customer id (sorted) with ``n_purchases``, ``tenure``, ``recency`` (whole days),
    ``recent_purchases`` (within the last ``rules.trend_window_days`` days, i.e. dated after
    ``as_of`` - W), ``trend`` and ``stage``; see :func:`lifecycle_stages_from_summary` and the
    module docstring for the rules (Dwyer, Schurr & Oh 1987 stages).
    """
    rules = rules or LifecycleRules()
    for c in (customer, date):
        if c not in transactions.columns:
            raise KeyError(f"transactions lacks column {c!r}")
    as_of_ts = pd.Timestamp(as_of)
    dates = pd.to_datetime(transactions[date])
    keep = ((dates <= as_of_ts) & transactions[customer].notna()).to_numpy()  # drops NaT too
    codes, uniques = pd.factorize(transactions[customer].to_numpy()[keep], sort=True)
    k = len(uniques)
    day = dates.to_numpy(dtype="datetime64[ns]")[keep].astype("datetime64[D]").astype(np.int64)
    as_of_day = np.datetime64(as_of_ts.normalize().to_datetime64(), "D").astype(np.int64)
    n_purchases = np.bincount(codes, minlength=k)
    first = np.full(k, np.iinfo(np.int64).max)
    np.minimum.at(first, codes, day)
    last = np.full(k, np.iinfo(np.int64).min)
    np.maximum.at(last, codes, day)
    in_window = day > as_of_day - rules.trend_window_days
    recent = np.bincount(codes[in_window], minlength=k)
    tenure = as_of_day - first
    recency = as_of_day - last

    pa = None
    if p_alive is not None:
        if isinstance(p_alive, pd.Series):
            aligned = p_alive.reindex(uniques).to_numpy(dtype=float)
            pa = np.where(np.isnan(aligned), 1.0, aligned)  # unknown -> no P(alive) rule
        else:
            pa = np.asarray(p_alive, dtype=float)
    stages = lifecycle_stages_from_summary(n_purchases, tenure, recency, recent, pa, rules)
    out = pd.DataFrame(
        {
            "n_purchases": n_purchases,
            "tenure": tenure,
            "recency": recency,
            "recent_purchases": recent,
            "trend": stages["trend"].to_numpy(),
        },
        index=pd.Index(uniques, name=customer),
    )
    out["stage"] = stages["stage"].array
    return out
