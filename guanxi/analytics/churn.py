"""Churn risk: P(alive) and a classifier trained on a calibration / hold-out split.

In non-contractual settings (retail, e-commerce) nobody announces that they have left, so churn
is defined on the history itself: split the transaction log at a *calibration* date, compute
features of every customer from the calibration period, and label the customer a churner when
they make no purchase in the following *hold-out* window (the calibration / hold-out design of
Schmittlein, Morrison & Colombo 1987 and Fader, Hardie & Lee 2005).  A classifier (logistic
regression, or gradient boosting; Friedman 2001) learns P(churn | features); applied to features
computed as of today it scores the current customers.  P(alive) and the expected number of
purchases in the hold-out window from a BG/NBD or Pareto/NBD model (``guanxi.analytics.clv``)
can be added as features, and each is also a model-based churn score on its own (Schmittlein et
al. 1987), reported alongside for comparison.

Caveat: the BG/NBD model lets a customer drop out only right after a purchase, so its P(alive)
is exactly 1 for every customer without a repeat purchase — on CDNOW the one-time buyers, most
of whom never come back.  1 - P(alive) of a BG/NBD model therefore ranks churners *worse* than
chance (AUC 0.33 on CDNOW); use its expected purchases (AUC 0.75) or the Pareto/NBD P(alive)
(AUC 0.71) as the model-based score instead.

Evaluation: the area under the ROC curve (AUC; Hanley & McNeil 1982), computed on customers held
out from training, and a decile lift table (customers sorted by predicted risk; the standard
direct-marketing gains chart, e.g. Blattberg, Kim & Neslin 2008, ch. 10).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import rankdata

__all__ = [
    "FEATURES",
    "ChurnResult",
    "auc",
    "churn_features",
    "churn_labels",
    "fit_churn_model",
    "lift_table",
]

#: Feature columns computed by :func:`churn_features` (``p_alive`` is added when given).
FEATURES: tuple[str, ...] = (
    "recency",
    "frequency",
    "monetary",
    "tenure",
    "recent_purchases",
    "rate",
    "trend",
    "log_total",
)

Classifier = Literal["logistic", "boosting"]


def _day_numbers(values: pd.Series) -> np.ndarray:
    return (
        pd.to_datetime(values)
        .to_numpy(dtype="datetime64[ns]")
        .astype("datetime64[D]")
        .astype(np.int64)
    )


def _as_day(ts: str | pd.Timestamp | np.datetime64) -> int:
    return int(np.datetime64(pd.Timestamp(ts).normalize().to_datetime64(), "D").astype(np.int64))


def churn_features(
    transactions: pd.DataFrame,
    as_of: str | pd.Timestamp | np.datetime64,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    *,
    window_days: float = 90.0,
    p_alive: pd.Series | None = None,
    expected_purchases: pd.Series | None = None,
) -> pd.DataFrame:
    """Per-customer features from the purchases dated on or before ``as_of``.

    One row per customer who bought by ``as_of`` (indexed by sorted customer id):

    * ``recency`` days since the last purchase, ``tenure`` days since the first,
    * ``frequency`` number of purchases, ``monetary`` mean amount per purchase,
      ``log_total`` = log(1 + total amount),
    * ``recent_purchases`` purchases in the last ``window_days`` days,
    * ``rate`` = frequency / (tenure + 1) purchases per day,
    * ``trend`` = log((recent_purchases + 1) / window) - log((earlier purchases + 1) /
      (tenure - window + 1)) with earlier purchases = frequency - recent (a smoothed log rate
      ratio; 0 when the customer is younger than the window),
    * ``p_alive`` if given (a Series indexed by customer id; missing customers get 1.0),
    * ``expected_purchases`` if given (a Series indexed by customer id, e.g. a BG/NBD model's
      conditional expected purchases over the prediction window; missing customers get 0.0).
    """
    for c in (customer, date, amount):
        if c not in transactions.columns:
            raise KeyError(f"transactions lacks column {c!r}")
    day = _day_numbers(transactions[date])
    as_of_day = _as_day(as_of)
    valid = (pd.to_datetime(transactions[date]).notna() & transactions[customer].notna()).to_numpy()
    keep = valid & (day <= as_of_day)
    codes, uniques = pd.factorize(transactions[customer].to_numpy()[keep], sort=True)
    day = day[keep]
    amounts = transactions[amount].to_numpy(dtype=float)[keep]
    k = len(uniques)
    frequency = np.bincount(codes, minlength=k).astype(float)
    total = np.bincount(codes, weights=amounts, minlength=k)
    first = np.full(k, np.iinfo(np.int64).max)
    np.minimum.at(first, codes, day)
    last = np.full(k, np.iinfo(np.int64).min)
    np.maximum.at(last, codes, day)
    recent = np.bincount(codes[day > as_of_day - window_days], minlength=k).astype(float)
    tenure = (as_of_day - first).astype(float)
    recency = (as_of_day - last).astype(float)
    earlier_days = np.maximum(tenure - window_days, 0.0)
    trend = np.where(
        tenure > window_days,
        np.log((recent + 1.0) / window_days)
        - np.log((frequency - recent + 1.0) / (earlier_days + 1.0)),
        0.0,
    )
    out = pd.DataFrame(
        {
            "recency": recency,
            "frequency": frequency,
            "monetary": total / np.maximum(frequency, 1.0),
            "tenure": tenure,
            "recent_purchases": recent,
            "rate": frequency / (tenure + 1.0),
            "trend": trend,
            "log_total": np.log1p(np.maximum(total, 0.0)),
        },
        index=pd.Index(uniques, name=customer),
    )
    if p_alive is not None:
        out["p_alive"] = p_alive.reindex(out.index).fillna(1.0).to_numpy(dtype=float)
    if expected_purchases is not None:
        aligned = expected_purchases.reindex(out.index).fillna(0.0)
        out["expected_purchases"] = aligned.to_numpy(dtype=float)
    return out


def churn_labels(
    transactions: pd.DataFrame,
    customers: pd.Index,
    calibration_end: str | pd.Timestamp | np.datetime64,
    holdout_end: str | pd.Timestamp | np.datetime64,
    customer: str = "customer_id",
    date: str = "date",
) -> pd.Series:
    """1 for customers (of ``customers``) with no purchase in (calibration_end, holdout_end]."""
    day = _day_numbers(transactions[date])
    start, end = _as_day(calibration_end), _as_day(holdout_end)
    if end <= start:
        raise ValueError("holdout_end must be after calibration_end")
    active_ids = pd.unique(transactions[customer].to_numpy()[(day > start) & (day <= end)])
    churned = ~customers.isin(active_ids)
    return pd.Series(churned.astype(np.int8), index=customers, name="churn")


def auc(y_true: np.ndarray | pd.Series, score: np.ndarray | pd.Series) -> float:
    """Area under the ROC curve by the Mann-Whitney statistic (Hanley & McNeil 1982).

    AUC = (Σ ranks of the positives - n₁(n₁ + 1)/2) / (n₁ n₀), with average ranks for tied
    scores (a tie counts one half).  It is the probability that a random churner is scored
    above a random non-churner.  Raises ``ValueError`` unless both classes are present.
    """
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(score, dtype=float)
    if y.shape != s.shape:
        raise ValueError("y_true and score must have the same shape")
    n1 = int(y.sum())
    n0 = y.size - n1
    if n1 == 0 or n0 == 0:
        raise ValueError("AUC needs both churners and non-churners")
    ranks = rankdata(s)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def lift_table(
    y_true: np.ndarray | pd.Series, score: np.ndarray | pd.Series, n_bins: int = 10
) -> pd.DataFrame:
    """Decile lift (gains) table: customers sorted by ``score``, highest risk first.

    Customers are sorted by descending score (ties keep the input order) and cut into
    ``n_bins`` groups of (near) equal size: group g holds positions floor((g - 1) n / bins) ..
    floor(g n / bins) - 1.  Columns: ``decile``, ``customers``, ``churners``, ``rate``
    (churners / customers), ``lift`` (rate / overall churn rate), ``cumulative_churners``,
    ``cumulative_capture`` (share of all churners found in the top groups; 1.0 in the last)
    and ``cumulative_lift``.
    """
    y = np.asarray(y_true).astype(float)
    s = np.asarray(score, dtype=float)
    if y.shape != s.shape:
        raise ValueError("y_true and score must have the same shape")
    n = y.size
    if n == 0:
        raise ValueError("no customers")
    if n_bins < 1:
        raise ValueError("n_bins must be at least 1")
    order = np.argsort(-s, kind="stable")
    bins = (np.arange(n) * n_bins) // n  # 0 .. n_bins - 1, sizes differ by at most one
    y_sorted = y[order]
    customers = np.bincount(bins, minlength=n_bins).astype(float)
    churners = np.bincount(bins, weights=y_sorted, minlength=n_bins)
    overall = y.mean()
    rate = np.divide(churners, customers, out=np.zeros(n_bins), where=customers > 0)
    lift = rate / overall if overall > 0 else np.zeros(n_bins)
    cum_churners = np.cumsum(churners)
    cum_customers = np.cumsum(customers)
    total = churners.sum()
    capture = cum_churners / total if total > 0 else np.zeros(n_bins)
    cum_rate = np.divide(cum_churners, cum_customers, out=np.zeros(n_bins), where=cum_customers > 0)
    cum_lift = cum_rate / overall if overall > 0 else np.zeros(n_bins)
    return pd.DataFrame(
        {
            "decile": np.arange(1, n_bins + 1),
            "customers": customers.astype(np.int64),
            "churners": churners.astype(np.int64),
            "rate": rate,
            "lift": lift,
            "cumulative_churners": cum_churners.astype(np.int64),
            "cumulative_capture": capture,
            "cumulative_lift": cum_lift,
        }
    )


def _make_classifier(kind: Classifier, seed: int | None):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    if kind == "logistic":
        # counts and durations are right-skewed: log1p them, then standardise
        return make_pipeline(
            FunctionTransformer(_signed_log1p),
            StandardScaler(),
            LogisticRegression(max_iter=1000),
        )
    if kind == "boosting":
        return HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.05, max_leaf_nodes=15, random_state=seed
        )
    raise ValueError("classifier must be 'logistic' or 'boosting'")


def _signed_log1p(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return np.sign(x) * np.log1p(np.abs(x))


@dataclass
class ChurnResult:
    """Result of :func:`fit_churn_model`.

    Attributes
    ----------
    model : the fitted scikit-learn classifier (``predict_proba`` on :attr:`feature_names`).
    features, labels : the calibration-period features and hold-out churn labels.
    risk : P(churn) for every customer of :attr:`features`; out-of-sample for the test
        customers, in-sample for the training customers.
    test_mask : boolean array, True for the customers held out from training.
    auc : AUC of the classifier on the test customers.
    auc_p_alive : AUC of 1 - P(alive) on the same customers (when P(alive) was given).
    auc_expected_purchases : AUC of minus the expected purchases on the same customers (when
        they were given).
    lift : decile lift table of the classifier on the test customers.
    """

    model: object
    classifier: str
    feature_names: list[str]
    features: pd.DataFrame
    labels: pd.Series
    risk: pd.Series
    test_mask: np.ndarray
    auc: float
    lift: pd.DataFrame
    auc_p_alive: float | None = None
    auc_expected_purchases: float | None = None
    window_days: float = 90.0
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def churn_rate(self) -> float:
        return float(self.labels.mean())

    def predict(
        self,
        transactions: pd.DataFrame,
        as_of: str | pd.Timestamp | np.datetime64,
        p_alive: pd.Series | None = None,
        expected_purchases: pd.Series | None = None,
    ) -> pd.Series:
        """P(churn in the next hold-out-length window) for every customer, as of ``as_of``.

        Features are computed exactly as in training (same window and column names); pass
        ``p_alive`` / ``expected_purchases`` (as of ``as_of``) if the model was trained with
        them.
        """
        feats = churn_features(
            transactions,
            as_of,
            window_days=self.window_days,
            p_alive=p_alive,
            expected_purchases=expected_purchases,
            **self.columns,
        )
        missing = [c for c in self.feature_names if c not in feats.columns]
        if missing:
            raise ValueError(f"the model needs feature(s) {missing}")
        proba = self.model.predict_proba(feats[self.feature_names].to_numpy())[:, 1]
        return pd.Series(proba, index=feats.index, name="churn_risk")


def fit_churn_model(
    transactions: pd.DataFrame,
    calibration_end: str | pd.Timestamp | np.datetime64,
    holdout_end: str | pd.Timestamp | np.datetime64,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    *,
    p_alive: pd.Series | None = None,
    expected_purchases: pd.Series | None = None,
    classifier: Classifier = "logistic",
    window_days: float = 90.0,
    test_size: float = 0.3,
    seed: int | None = 0,
    n_bins: int = 10,
    n_threads: int | None = None,
) -> ChurnResult:
    """Train and evaluate a churn classifier on a calibration / hold-out split.

    Features (:func:`churn_features`) are computed from the purchases up to
    ``calibration_end`` for every customer who bought by then; the label is 1 when the
    customer makes no purchase in (``calibration_end``, ``holdout_end``] (:func:`churn_labels`).
    The customers are split at random (stratified by label, ``seed``) into a training part and
    a test part of share ``test_size``; the classifier — ``"logistic"`` (logistic regression on
    log-transformed, standardised features) or ``"boosting"`` (histogram gradient boosting,
    Friedman 2001) — is fitted on the training part, and :func:`auc` and :func:`lift_table`
    are reported on the test part.  ``p_alive`` and ``expected_purchases`` (Series indexed by
    customer id, computed from the calibration period only, e.g. by ``BetaGeo`` for the
    hold-out length) are added as features and also evaluated on their own (see the module
    docstring for why BG/NBD's P(alive) is a poor churn score by itself).  ``n_threads``
    caps the OpenMP / BLAS threads used while fitting (1 is much faster for gradient boosting
    on a machine whose cores are busy with other work); by default all cores are used.
    """
    from sklearn.model_selection import train_test_split
    from threadpoolctl import threadpool_limits

    if not 0.0 < test_size < 1.0:
        raise ValueError("test_size must lie in (0, 1)")
    features = churn_features(
        transactions,
        calibration_end,
        customer,
        date,
        amount,
        window_days=window_days,
        p_alive=p_alive,
        expected_purchases=expected_purchases,
    )
    labels = churn_labels(
        transactions, features.index, calibration_end, holdout_end, customer, date
    )
    if labels.nunique() < 2:
        raise ValueError("the hold-out window has only churners or only non-churners")
    names = list(features.columns)
    x = features.to_numpy()
    y = labels.to_numpy()
    idx = np.arange(len(y))
    train_idx, test_idx = train_test_split(idx, test_size=test_size, random_state=seed, stratify=y)
    model = _make_classifier(classifier, seed)
    with threadpool_limits(limits=n_threads):
        model.fit(x[train_idx], y[train_idx])
        risk = model.predict_proba(x)[:, 1]
    test_mask = np.zeros(len(y), dtype=bool)
    test_mask[test_idx] = True
    result_auc = auc(y[test_mask], risk[test_mask])
    auc_pa = auc_ep = None
    if p_alive is not None:
        auc_pa = auc(y[test_mask], 1.0 - features["p_alive"].to_numpy()[test_mask])
    if expected_purchases is not None:
        auc_ep = auc(y[test_mask], -features["expected_purchases"].to_numpy()[test_mask])
    return ChurnResult(
        model=model,
        classifier=classifier,
        feature_names=names,
        features=features,
        labels=labels,
        risk=pd.Series(risk, index=features.index, name="churn_risk"),
        test_mask=test_mask,
        auc=result_auc,
        lift=lift_table(y[test_mask], risk[test_mask], n_bins),
        auc_p_alive=auc_pa,
        auc_expected_purchases=auc_ep,
        window_days=window_days,
        columns={"customer": customer, "date": date, "amount": amount},
    )
