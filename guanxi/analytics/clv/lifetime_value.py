"""Customer lifetime value: the NPV formula and the model-based (BTYD × spend) CLV."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pandas as pd

from ._base import ArrayLike, FloatArray, as_float_array, distinct_rows

#: Average number of weeks in a month (52.14 / 12), the conventional step for weekly data.
WEEKS_PER_MONTH = 4.345
#: Average number of days in a month (365.25 / 12).
DAYS_PER_MONTH = 30.4375


def _customer_by_period(value: ArrayLike, name: str) -> tuple[FloatArray, Any]:
    index = value.index if isinstance(value, pd.DataFrame) else None
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a customers × periods array")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr, index


def npv_lifetime_value(
    rp: ArrayLike, rate: float, prp: ArrayLike | None = None
) -> FloatArray | pd.Series:
    """Net present value of each customer's relationship profit (DOMAIN.md §7).

    LTV_NPV(i) = Σ_{t=1..T} (RP(i, t) + PRP(i, t)) / (1 + r)^t

    where RP(i, t) is the profit from customer i in period t, PRP(i, t) the potential profit
    (cross-selling, referrals; omitted when ``prp`` is None), r the discount rate per period and
    T the number of periods (the relationship lifecycle).  ``rp`` and ``prp`` are customers ×
    periods arrays (a 1-D array is one customer); column j is period t = j + 1.  Returns one value
    per customer (a Series keeping the index when ``rp`` is a DataFrame).
    """
    if not (np.isfinite(rate) and rate > -1.0):
        raise ValueError("rate must be a finite number greater than -1")
    profit, index = _customer_by_period(rp, "rp")
    if prp is not None:
        potential, _ = _customer_by_period(prp, "prp")
        if potential.shape != profit.shape:
            raise ValueError("prp must have the same shape as rp")
        profit = profit + potential
    periods = np.arange(1, profit.shape[1] + 1, dtype=np.float64)
    discount = np.exp(-periods * np.log1p(rate))
    value = np.einsum("ij,j->i", profit, discount)  # no BLAS: see _base.weighted_sum
    if index is not None:
        return pd.Series(value, index=index, name="ltv_npv")
    return value


def customer_equity(rp: ArrayLike, rate: float, prp: ArrayLike | None = None) -> float:
    """Customer equity: the sum over customers of :func:`npv_lifetime_value` (DOMAIN.md §7)."""
    return float(np.sum(npv_lifetime_value(rp, rate, prp)))


class TransactionModel(Protocol):
    """What :func:`customer_lifetime_value` needs from BG/NBD, Pareto/NBD or BG/BB."""

    def conditional_expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> Any: ...


class SpendModel(Protocol):
    """What :func:`customer_lifetime_value` needs from Gamma-Gamma."""

    def conditional_expected_value(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> Any: ...


def discounted_expected_purchases(
    transaction_model: TransactionModel,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    horizon: int = 12,
    discount_rate: float = 0.01,
    time_units_per_month: float = WEEKS_PER_MONTH,
) -> FloatArray:
    """Σ_{m=1..H} (E[Y(m·u) | x, t_x, T] - E[Y((m-1)·u) | x, t_x, T]) / (1 + d)^m.

    The expected repeat purchases month by month (differences of the model's cumulative
    conditional expectation at month ends, u = ``time_units_per_month`` model time units per
    month), each discounted at the monthly rate d as if all of that month's purchases fell at its
    end.  Identical (x, t_x, T) rows are computed once.
    """
    if horizon < 0 or int(horizon) != horizon:
        raise ValueError("horizon must be a whole number of months")
    if not (np.isfinite(discount_rate) and discount_rate > -1.0):
        raise ValueError("discount_rate must be a finite number greater than -1")
    if not (np.isfinite(time_units_per_month) and time_units_per_month > 0):
        raise ValueError("time_units_per_month must be positive")
    x = as_float_array(frequency, "frequency").reshape(-1)
    t_x = as_float_array(recency, "recency").reshape(-1)
    big_t = as_float_array(T, "T").reshape(-1)
    if not (len(x) == len(t_x) == len(big_t)):
        raise ValueError("frequency, recency and T must have the same length")
    if len(x) == 0:
        return np.zeros(0)
    (ux, ut, uT), inverse = distinct_rows([x, t_x, big_t])
    total = np.zeros(len(ux))
    previous = np.zeros(len(ux))
    for month in range(1, int(horizon) + 1):
        cumulative = np.asarray(
            transaction_model.conditional_expected_purchases(
                month * time_units_per_month, ux, ut, uT
            ),
            dtype=np.float64,
        )
        total += (cumulative - previous) / (1.0 + discount_rate) ** month
        previous = cumulative
    return total[inverse]


def customer_lifetime_value(
    transaction_model: TransactionModel,
    spend_model: SpendModel,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    horizon: int = 12,
    discount_rate: float = 0.01,
    margin: float = 1.0,
    *,
    time_units_per_month: float = WEEKS_PER_MONTH,
) -> FloatArray | pd.Series:
    """Expected discounted profit of each customer over the next ``horizon`` months.

    CLV_i = margin · E[M | x_i, m_i] · Σ_{m=1..H} ΔE_i(m) / (1 + d)^m,
    ΔE_i(m) = E[Y(m·u) | x_i, t_x,i, T_i] - E[Y((m-1)·u) | x_i, t_x,i, T_i],

    the discrete version of Fader, Hardie & Lee (2005, JMR 42(4), eq. 1-2): expected purchases
    from the transaction model (BG/NBD, Pareto/NBD or BG/BB) times the expected spend per purchase
    from the spend model (Gamma-Gamma), which assumes spend independent of the purchase process.

    Discretisation: the horizon is H whole months; u = ``time_units_per_month`` is the length of
    a month in the model's time unit (4.345 for weekly data like CDNOW, 30.4375 for daily data;
    for BG/BB the number of transaction opportunities per step); d = ``discount_rate`` is the
    discount rate per month (e.g. an annual 12.7 % is about 0.01); each month's expected
    purchases are discounted as if they fell at the month's end.  ``margin`` turns revenue into
    profit.  The value falls as d rises and grows with H.

    Returns one value per customer (a Series keeping the index when ``frequency`` is a Series).
    """
    purchases = discounted_expected_purchases(
        transaction_model,
        frequency,
        recency,
        T,
        horizon=horizon,
        discount_rate=discount_rate,
        time_units_per_month=time_units_per_month,
    )
    spend = np.asarray(
        spend_model.conditional_expected_value(
            as_float_array(frequency, "frequency").reshape(-1),
            as_float_array(monetary_value, "monetary_value").reshape(-1),
        ),
        dtype=np.float64,
    )
    value = margin * spend * purchases
    if isinstance(frequency, pd.Series):
        return pd.Series(value, index=frequency.index, name="clv")
    return value
