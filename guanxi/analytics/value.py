"""Customer value concentration: the 80/20 rule, Lorenz curve, Gini coefficient, ABC classes.

DOMAIN.md section 7: "80 % of profit comes from 20 % of customers".  These functions measure how
true that is for a customer base, from one value per customer (revenue, profit, CLV, ...).

Conventions shared by all functions:

* Inputs are any 1-D array-like of finite numbers (a pandas Series keeps its index where the
  output is per customer).  NaN or inf raises ``ValueError``.
* **Negative values** (unprofitable customers) are kept.  Shares are taken of the *net* total
  Σx, as in the cumulative-profitability "whale curve" of activity-based costing (Kaplan &
  Cooper 1998): the most profitable customers can then hold more than 100 % of the profit, and
  the Lorenz curve first dips below zero (the loss-makers come first in ascending order).  When
  values are negative and the net total is not positive, shares are meaningless and a
  ``ValueError`` is raised.  The Gini coefficient instead normalises by Σ|x| (see :func:`gini`)
  so that it stays in [0, 1].
* **Degenerate inputs** (no customers, or all values zero) are treated as perfect equality:
  Lorenz curve = diagonal, Gini = 0, top-x % share = x, everybody in class C.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = ["LorenzCurve", "abc_classes", "gini", "lorenz_curve", "pareto_share"]


class LorenzCurve(NamedTuple):
    """Points of a Lorenz curve: ``population[k]`` = k/n, ``share[k]`` = share of the k smallest."""

    population: np.ndarray
    share: np.ndarray


def _values(values: np.ndarray | pd.Series | list[float]) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    if not np.isfinite(x).all():
        raise ValueError("values must be finite numbers (no NaN or inf)")
    return x


def _net_total(x: np.ndarray) -> float:
    total = float(x.sum())
    if (x < 0).any() and total <= 0:
        raise ValueError(
            "values include negatives and their net total is not positive: shares of the total "
            "are undefined (use gini(), which normalises by the sum of absolute values)"
        )
    return total


def lorenz_curve(values: np.ndarray | pd.Series | list[float]) -> LorenzCurve:
    """Lorenz curve (Lorenz 1905) of the values: n + 1 points from (0, 0) to (1, 1).

    Sort ascending, x_(1) <= ... <= x_(n); point k is (k / n, Σ_{i<=k} x_(i) / Σ x).  With
    non-negative values the curve is non-decreasing and convex; with negative values (and a
    positive net total) it starts by falling below zero, then rises to 1.  Degenerate input:
    the diagonal (two points for an empty input).
    """
    x = np.sort(_values(values))
    n = x.size
    if n == 0:
        return LorenzCurve(np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    population = np.arange(n + 1, dtype=float) / n
    if not x.any():
        return LorenzCurve(population, population.copy())
    total = _net_total(x)
    share = np.concatenate(([0.0], np.cumsum(x) / total))
    share[-1] = 1.0  # remove rounding error at the end point
    return LorenzCurve(population, share)


def pareto_share(values: np.ndarray | pd.Series | list[float], top: float = 0.2) -> float:
    """Share of the total held by the top ``top`` fraction of customers (the 80/20 analysis).

    share(top) = 1 - L(1 - top), where L is the Lorenz curve of :func:`lorenz_curve`, linearly
    interpolated between its points, so that with n = 10 customers and top = 0.2 it is exactly
    the share of the two largest values, and a fractional customer counts pro rata.  With
    negative values the share is of the net total and may exceed 1 (see the module docstring).
    Degenerate input returns ``top``.
    """
    if not 0.0 <= top <= 1.0:
        raise ValueError("top must lie in [0, 1]")
    curve = lorenz_curve(values)
    return float(1.0 - np.interp(1.0 - top, curve.population, curve.share))


def gini(values: np.ndarray | pd.Series | list[float]) -> float:
    """Gini coefficient (Gini 1912): mean absolute difference over twice the mean.

    G = Σ_i Σ_j |x_i - x_j| / (2 n Σ_i |x_i|), computed in O(n log n) from the sorted values as
    G = Σ_{i=1..n} (2i - n - 1) x_(i) / (n Σ |x|).  For non-negative values Σ|x| = Σx and this is
    the classic coefficient, twice the area between the diagonal and the Lorenz curve (no
    small-sample n / (n - 1) correction).  With negative values the classic coefficient can
    exceed 1; normalising by Σ|x| instead of Σx keeps G in [0, 1] (the triangle inequality gives
    Σ Σ |x_i - x_j| <= 2 n Σ |x|), in the spirit of the normalisations discussed by Raffinetti,
    Siletti & Vernizzi (2015, Statistical Methods & Applications 24(3)).  Degenerate input: 0.
    """
    x = np.sort(_values(values))
    n = x.size
    scale = float(np.abs(x).sum())
    if n == 0 or scale == 0.0:
        return 0.0
    weights = 2.0 * np.arange(1, n + 1) - n - 1
    g = float(weights @ x) / (n * scale)
    return min(max(g, 0.0), 1.0)


def abc_classes(
    values: np.ndarray | pd.Series | list[float], a: float = 0.8, b: float = 0.95
) -> np.ndarray | pd.Series:
    """ABC classification of customers by cumulative share of value (Pareto / ABC analysis).

    Sort customers by value, largest first (equal values keep their input order).  A customer
    is in class **A** if the customers ranked above it hold less than ``a`` of the total (so A is
    the smallest top group that reaches ``a``, e.g. 80 %), in class **B** if they hold less than
    ``b`` (the next group, up to 95 %), otherwise **C**.  Customers with a value <= 0 are always C
    (they contribute nothing).  Shares are of the net total; see the module docstring for
    negatives and degenerate input (all C).  Returns an array of "A"/"B"/"C" aligned with the
    input, or a Series with the same index when given a Series.
    """
    if not 0.0 < a <= b <= 1.0:
        raise ValueError("need 0 < a <= b <= 1")
    x = _values(values)
    classes = np.full(x.size, "C", dtype=object)
    if x.size and x.any():
        total = _net_total(x)
        order = np.argsort(-x, kind="stable")
        sorted_x = x[order]
        before = (np.cumsum(sorted_x) - sorted_x) / total
        positive = sorted_x > 0
        tol = 1e-12  # shares computed in floating point: 0.1 + 0.7 must count as 0.8
        ranked = np.where(before < a - tol, "A", np.where(before < b - tol, "B", "C"))
        ranked = np.where(positive, ranked, "C")
        classes[order] = ranked
    if isinstance(values, pd.Series):
        return pd.Series(classes, index=values.index, name="abc_class")
    return classes
