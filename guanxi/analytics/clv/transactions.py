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
    cal_end = pd.Timestamp(calibration_end).normalize()
    unit = float(time_unit_days)
    codes, customers = pd.factorize(transactions[customer], sort=True)
    day = (
        pd.to_datetime(transactions[date]).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    ).astype(np.int64)
    value = transactions[amount].to_numpy(dtype=np.float64) if amount else np.zeros(len(codes))
    # one transaction per customer and day (sorted by customer, then day), amounts added
    order = np.lexsort((day, codes))
    codes, day, value = codes[order], day[order], value[order]
    new_day = np.ones(len(codes), dtype=bool)
    new_day[1:] = (codes[1:] != codes[:-1]) | (day[1:] != day[:-1])
    starts = np.flatnonzero(new_day)
    cust = codes[starts]
    day = day[starts]
    spent = np.add.reduceat(value, starts) if len(starts) else np.zeros(0)
    k = len(customers)
    is_first = np.ones(len(cust), dtype=bool)
    is_first[1:] = cust[1:] != cust[:-1]
    first_day = np.zeros(k, dtype=np.int64)
    first_day[cust[is_first]] = day[is_first]
    end = np.datetime64(cal_end.to_datetime64(), "D").astype(np.int64)
    in_cal = day <= end
    n_days = np.bincount(cust[in_cal], minlength=k)
    last_day = np.zeros(k, dtype=np.int64)
    # days are ascending within a customer, so the last assignment wins
    last_day[cust[in_cal]] = day[in_cal]
    repeat = in_cal & ~is_first
    repeat_spend = np.bincount(cust[repeat], weights=spent[repeat], minlength=k)
    keep = n_days > 0  # first purchase on or before the calibration end
    frequency = (n_days - 1)[keep]
    out = pd.DataFrame(
        {
            "frequency": frequency.astype(np.int64),
            "recency": (last_day - first_day)[keep] / unit,
            "T": (end - first_day)[keep] / unit,
            "monetary_value": np.where(
                frequency > 0, repeat_spend[keep] / np.maximum(frequency, 1), 0.0
            ),
        },
        index=pd.Index(customers[keep], name=customer),
    )
    if holdout_end is not None:
        ho_end = pd.Timestamp(holdout_end).normalize()
        stop = np.datetime64(ho_end.to_datetime64(), "D").astype(np.int64)
        held = (day > end) & (day <= stop)
        count = np.bincount(cust[held], minlength=k)
        total = np.bincount(cust[held], weights=spent[held], minlength=k)
        out["holdout_frequency"] = count[keep].astype(np.int64)
        out["holdout_monetary_value"] = np.where(
            count[keep] > 0, total[keep] / np.maximum(count[keep], 1), 0.0
        )
        out["holdout_duration"] = (stop - end) / unit
    return out
