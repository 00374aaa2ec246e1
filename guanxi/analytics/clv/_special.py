"""Small numerically stable building blocks used by several models."""

from __future__ import annotations

import numpy as np

from ._base import FloatArray


def log1mexp(d: FloatArray) -> FloatArray:
    """log(1 - exp(d)) for d <= 0, accurate for d near 0 and for very negative d.

    Mächler (2012), "Accurately computing log(1 - exp(-|a|))": expm1 for d > -log 2, log1p
    below.  d = 0 gives -inf (without a division warning).
    """
    d = np.asarray(d, dtype=np.float64)
    out = np.full(d.shape, -np.inf)
    near = (d > -np.log(2.0)) & (d < 0)
    far = d <= -np.log(2.0)
    out[near] = np.log(-np.expm1(d[near]))
    out[far] = np.log1p(-np.exp(d[far]))
    return out


def power_difference(k: float | FloatArray, y: FloatArray) -> FloatArray:
    """(1 - (1 + y)^-k) / k for y >= 0, with its limit log(1 + y) at k = 0.

    Appears in the Pareto/NBD expectations with k = s - 1: writing it with expm1 / log1p keeps
    it exact for s close to 1 and for y small (huge T) or large (long horizons).
    """
    k = np.asarray(k, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    log_base = np.log1p(y)
    small = np.abs(k) < 1e-8
    k_safe = np.where(small, 1.0, k)
    general = -np.expm1(-k_safe * log_base) / k_safe
    # second-order series of the same expression around k = 0
    series = log_base * (1.0 - 0.5 * k * log_base)
    return np.where(small, series, general)
