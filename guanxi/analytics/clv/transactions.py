"""From a transaction log to the (frequency, recency, T, monetary value) summary the models use."""

from __future__ import annotations

import numpy as np
import pandas as pd


def summarise_transactions(
    transactions: pd.DataFrame,
    calibration_end: str | pd.Timestamp,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    holdout_end: str | pd.Timestamp | None = None,
    time_unit_days: float = 7.0,
) -> pd.DataFrame:
    """One row per customer: the calibration summary of the buy-till-you-die models.

    As in Fader, Hardie & Lee (2005): purchases on the same day count as one transaction (their
    amounts added); the first transaction starts the customer's clock; ``frequency`` x is the
    number of later transaction days up to ``calibration_end`` (repeat purchases), ``recency``
    t_x the time from the first to the last of them (0 when x = 0), ``T`` the time from the first
    purchase to ``calibration_end``, all in units of ``time_unit_days`` days (7: weeks).
    ``monetary_value`` is the mean value of the repeat transactions (0 when x = 0), the m_x of
    the Gamma-Gamma model.  Customers whose first purchase is after ``calibration_end`` are left
    out.  With ``holdout_end``, ``holdout_frequency`` and ``holdout_monetary_value`` count the
    transactions in (calibration_end, holdout_end] and ``holdout_duration`` its length.
    """
    cal_end = pd.Timestamp(calibration_end)
    days = pd.to_datetime(transactions[date]).dt.normalize()
    frame = pd.DataFrame(
        {
            "customer": transactions[customer].to_numpy(),
            "day": days.to_numpy(),
            "amount": transactions[amount].to_numpy(dtype=np.float64) if amount else 0.0,
        }
    )
    daily = frame.groupby(["customer", "day"], sort=True, observed=True)["amount"].sum()
    daily = daily.reset_index()
    first = daily.groupby("customer", sort=True)["day"].transform("min")
    daily = daily[first <= cal_end]
    first = first[first <= cal_end]
    in_cal = daily["day"] <= cal_end
    cal = daily[in_cal]
    is_repeat = cal["day"] > first[in_cal]
    grouped_cal = cal.groupby("customer", sort=True)
    first_day = grouped_cal["day"].min()
    last_day = grouped_cal["day"].max()
    n_days = grouped_cal["day"].size()
    unit = pd.Timedelta(days=time_unit_days)
    repeat_amount = cal["amount"].where(is_repeat, 0.0).groupby(cal["customer"]).sum()
    out = pd.DataFrame(
        {
            "frequency": (n_days - 1).astype(np.int64),
            "recency": (last_day - first_day) / unit,
            "T": (cal_end - first_day) / unit,
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        out["monetary_value"] = np.where(
            out["frequency"] > 0, repeat_amount / out["frequency"].clip(lower=1), 0.0
        )
    out.index.name = customer
    if holdout_end is not None:
        ho_end = pd.Timestamp(holdout_end)
        hold = daily[(daily["day"] > cal_end) & (daily["day"] <= ho_end)]
        grouped_hold = hold.groupby("customer")
        out["holdout_frequency"] = grouped_hold.size().reindex(out.index, fill_value=0)
        out["holdout_monetary_value"] = (
            grouped_hold["amount"].mean().reindex(out.index, fill_value=0.0)
        )
        out["holdout_duration"] = (ho_end - cal_end) / unit
    return out
