"""RFM scoring and named RFM segments.

Recency, frequency and monetary value (RFM) analysis as described by Hughes (1994, *Strategic
Database Marketing*) and modelled by Bult & Wansbeek (1995, "Optimal selection for direct
mail", *Marketing Science* 14(4)): every customer is scored 1-5 on each of the three variables
by quantile (quintile) ranking against the whole customer base, 5 being best (most recent, most
frequent, highest value), and the three digits form the RFM code ("545").  The codes are then
grouped into named segments with :data:`SEGMENT_GRID`.

Everything is vectorised: scoring one million customers takes about a second.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "SEGMENTS",
    "SEGMENT_GRID",
    "quantile_scores",
    "rfm_scores",
    "rfm_table",
    "segment_for",
]

#: Named segments, in the order used for the categorical ``segment`` column (best first).
SEGMENTS: tuple[str, ...] = (
    "Champions",
    "Loyal",
    "Potential loyalist",
    "New",
    "Promising",
    "Need attention",
    "About to sleep",
    "At risk",
    "Can't lose them",
    "Hibernating",
    "Lost",
)

#: The segment table.  Rows are the recency score R (5 = bought most recently), columns the
#: combined frequency/monetary score FM = round-half-up((F + M) / 2), both on the 1-5 scale.
#: ``SEGMENT_GRID[5 - R][FM - 1]`` is the segment of a customer, so every one of the 125 RFM
#: codes maps to exactly one segment::
#:
#:     R \\ FM   1                2                   3                   4          5
#:     5        New              Potential loyalist  Potential loyalist  Champions  Champions
#:     4        Promising        Potential loyalist  Potential loyalist  Loyal      Champions
#:     3        About to sleep   About to sleep      Need attention      Loyal      Loyal
#:     2        Hibernating      Hibernating         At risk             At risk    Can't lose them
#:     1        Lost             Lost                At risk             At risk    Can't lose them
#:
#: Reading: Champions bought recently, often and for a lot; Loyal buy often and for a lot but
#: a little less recently; Potential loyalists are recent with average frequency and value;
#: New customers bought very recently but once or little; Promising are recent small buyers;
#: Need attention are average on everything; About to sleep are below average and fading;
#: At risk used to buy often and for a lot but not lately; Can't lose them were the best
#: customers and have not come back; Hibernating and Lost bought little, long ago.
SEGMENT_GRID: tuple[tuple[str, ...], ...] = (
    ("New", "Potential loyalist", "Potential loyalist", "Champions", "Champions"),
    ("Promising", "Potential loyalist", "Potential loyalist", "Loyal", "Champions"),
    ("About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"),
    ("Hibernating", "Hibernating", "At risk", "At risk", "Can't lose them"),
    ("Lost", "Lost", "At risk", "At risk", "Can't lose them"),
)

_SEGMENT_INDEX = {name: i for i, name in enumerate(SEGMENTS)}
# _GRID_CODES[r - 1, fm - 1] -> index into SEGMENTS
_GRID_CODES = np.array(
    [[_SEGMENT_INDEX[SEGMENT_GRID[5 - r][fm - 1]] for fm in range(1, 6)] for r in range(1, 6)],
    dtype=np.int8,
)

Ties = Literal["customer", "value"]


def quantile_scores(
    values: np.ndarray | pd.Series,
    bins: int = 5,
    *,
    higher_is_better: bool = True,
    tiebreak: np.ndarray | None = None,
    ties: Ties = "customer",
) -> np.ndarray:
    """Score ``values`` 1..``bins`` by quantile rank, ``bins`` being best.

    Hughes' (1994) quintile scoring: sort the customers from worst to best and cut the list into
    ``bins`` groups of (near) equal size; with position p = 0..n-1 in that order, the score is
    1 + floor(bins * (p + 1/2) / n), the group containing the centre of the customer's rank
    interval.  When n is a multiple of ``bins`` this is the plain 1 + floor(bins * p / n); for
    other n the groups still differ in size by at most one and are placed symmetrically (a lone
    customer scores 3 of 5, not 1).

    Ties are broken deterministically, never by input order:

    * ``ties="customer"`` (default): equal values are ordered by ``tiebreak`` (by default the
      position in ``values``; :func:`rfm_table` passes the rank of the customer id), which gives
      groups of exactly equal size, as in Hughes' method.
    * ``ties="value"``: equal values share one score, computed from their mid-rank
      (p = number of worse customers + (number tied - 1) / 2), so two customers with the
      same behaviour always get the same score; group sizes are then uneven when ties are
      massive (for example the many one-time buyers of a retail file).

    Returns an ``int8`` array of scores aligned with ``values``.
    """
    x = np.asarray(values, dtype=float)
    n = x.size
    if bins < 1:
        raise ValueError("bins must be at least 1")
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    if np.isnan(x).any():
        raise ValueError("values must not contain NaN")
    key = x if higher_is_better else -x
    if ties == "customer":
        tb = np.arange(n) if tiebreak is None else np.asarray(tiebreak)
        order = np.lexsort((tb, key))
        position = np.empty(n, dtype=np.int64)
        position[order] = np.arange(n)
        score = 1 + ((2 * position + 1) * bins) // (2 * n)
    elif ties == "value":
        sorted_key = np.sort(key)
        below = np.searchsorted(sorted_key, key, side="left")
        at_or_below = np.searchsorted(sorted_key, key, side="right")
        # mid-rank position p (0-based): 2 p + 1 = below + at_or_below, an exact integer
        score = 1 + ((below + at_or_below) * bins) // (2 * n)
    else:
        raise ValueError("ties must be 'customer' or 'value'")
    return score.astype(np.int8)


def segment_for(r_score: np.ndarray, f_score: np.ndarray, m_score: np.ndarray, bins: int = 5):
    """Segment names for arrays of R, F and M scores (see :data:`SEGMENT_GRID`).

    FM = floor((F + M + 1) / 2) (the mean of F and M rounded half up).  Scores on a scale other
    than 1-5 (``bins`` != 5) are first mapped to quintiles: q = 1 + floor((score - 1) * 5 / bins).
    Returns a pandas Categorical with the categories :data:`SEGMENTS`.
    """
    r = np.asarray(r_score, dtype=np.int64)
    f = np.asarray(f_score, dtype=np.int64)
    m = np.asarray(m_score, dtype=np.int64)
    for name, s in (("r_score", r), ("f_score", f), ("m_score", m)):
        if s.size and (s.min() < 1 or s.max() > bins):
            raise ValueError(f"{name} must lie in 1..{bins}")
    if bins != 5:
        r, f, m = (1 + ((s - 1) * 5) // bins for s in (r, f, m))
    fm = (f + m + 1) // 2
    codes = _GRID_CODES[r - 1, fm - 1]
    return pd.Categorical.from_codes(codes, categories=list(SEGMENTS))


def rfm_scores(
    recency: np.ndarray | pd.Series,
    frequency: np.ndarray | pd.Series,
    monetary: np.ndarray | pd.Series,
    bins: int = 5,
    *,
    tiebreak: np.ndarray | None = None,
    ties: Ties = "customer",
) -> pd.DataFrame:
    """R, F and M scores, RFM code and segment from per-customer summary arrays.

    Recency is scored lower-is-better, frequency and monetary value higher-is-better, each by
    :func:`quantile_scores`.  ``rfm_code`` is the three digits R, F, M (for example ``"545"``).
    The returned frame has a RangeIndex aligned with the inputs.
    """
    if not 1 <= bins <= 9:
        raise ValueError("bins must be between 1 and 9 so that the RFM code has one digit each")
    r = quantile_scores(recency, bins, higher_is_better=False, tiebreak=tiebreak, ties=ties)
    f = quantile_scores(frequency, bins, tiebreak=tiebreak, ties=ties)
    m = quantile_scores(monetary, bins, tiebreak=tiebreak, ties=ties)
    code_num = r.astype(np.int64) * 100 + f.astype(np.int64) * 10 + m.astype(np.int64)
    # integer codes 111..999 -> strings through a small lookup table (fast for 10^6 customers)
    lookup = np.array([f"{i:03d}" for i in range(1000)], dtype=object)
    return pd.DataFrame(
        {
            "r_score": r,
            "f_score": f,
            "m_score": m,
            "rfm_code": lookup[code_num],
            "segment": segment_for(r, f, m, bins),
        }
    )


def rfm_table(
    transactions: pd.DataFrame,
    as_of: str | pd.Timestamp | np.datetime64,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    bins: int = 5,
    *,
    monetary: Literal["mean", "total"] = "mean",
    ties: Ties = "customer",
) -> pd.DataFrame:
    """One row per customer with recency, frequency, monetary value, scores, code and segment.

    RFM analysis after Hughes (1994) and Bult & Wansbeek (1995).  Each row of ``transactions`` is
    one purchase (aggregate order lines to orders first if needed); rows dated after ``as_of``
    are ignored.  Columns of the result, indexed by customer id (sorted):

    * ``recency``: whole days from the customer's last purchase to ``as_of``;
    * ``frequency``: number of purchases (rows) up to ``as_of``;
    * ``monetary``: the mean amount per purchase (``monetary="mean"``, the default: it does not
      double-count frequency, and it is the spend measure of the Gamma-Gamma model), or the
      total amount (``monetary="total"``);
    * ``tenure``: whole days from the first purchase to ``as_of``;
    * ``r_score``, ``f_score``, ``m_score``: 1..``bins`` quantile scores, ``bins`` best (lowest
      recency, highest frequency, highest monetary value), see :func:`quantile_scores`; ties are
      broken by the customer id (``ties="customer"``) or share a score (``ties="value"``), so the
      result never depends on the order of the input rows;
    * ``rfm_code``: the three score digits as a string, e.g. ``"545"``;
    * ``segment``: the named segment of :data:`SEGMENT_GRID` (a categorical column).
    """
    missing = [c for c in (customer, date, amount) if c not in transactions.columns]
    if missing:
        raise KeyError(f"transactions lacks column(s) {missing}")
    if monetary not in ("mean", "total"):
        raise ValueError("monetary must be 'mean' or 'total'")
    as_of_ts = pd.Timestamp(as_of)
    dates = pd.to_datetime(transactions[date])
    keep = ((dates <= as_of_ts) & transactions[customer].notna()).to_numpy()  # drops NaT too
    ids = transactions[customer].to_numpy()[keep]
    dates_ns = dates.to_numpy(dtype="datetime64[ns]")[keep]
    amounts = transactions[amount].to_numpy(dtype=float)[keep]
    if np.isnan(amounts).any():
        raise ValueError(f"column {amount!r} contains missing values")

    codes, uniques = pd.factorize(ids, sort=True)
    n_customers = len(uniques)
    frequency = np.bincount(codes, minlength=n_customers)
    total = np.bincount(codes, weights=amounts, minlength=n_customers)
    day = dates_ns.astype("datetime64[D]").astype(np.int64)
    last = np.full(n_customers, np.iinfo(np.int64).min)
    np.maximum.at(last, codes, day)
    first = np.full(n_customers, np.iinfo(np.int64).max)
    np.minimum.at(first, codes, day)
    as_of_day = np.datetime64(as_of_ts.normalize().to_datetime64(), "D").astype(np.int64)
    recency = as_of_day - last
    tenure = as_of_day - first
    money = total / np.maximum(frequency, 1) if monetary == "mean" else total

    scores = rfm_scores(recency, frequency, money, bins, tiebreak=np.arange(n_customers), ties=ties)
    out = pd.DataFrame(
        {
            "recency": recency,
            "frequency": frequency,
            "monetary": money,
            "tenure": tenure,
        },
        index=pd.Index(uniques, name=customer),
    )
    for column in scores.columns:
        out[column] = scores[column].to_numpy()
    out["segment"] = scores["segment"].array
    return out
