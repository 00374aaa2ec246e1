"""The published data sets the CLV models are validated on, from ``../shared/data``.

``<project root>/../shared/data`` holds the CDNOW transaction log and its 1/10 sample summaries
(Fader, Hardie & Lee 2005) and the donations data (Fader, Hardie & Shang 2010); see its
README.md.  These loaders are used by the tests, ``scripts/analytics_plots.py`` and
``bench/analytics.py``; they raise ``FileNotFoundError`` when the folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: ``<project root>/../shared/data``: the project root is three levels above this folder.
DATA_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data"

#: End of the CDNOW calibration period (39 weeks after the start of 1997) and of the hold-out.
CDNOW_CALIBRATION_END = pd.Timestamp("1997-09-30")
CDNOW_HOLDOUT_END = pd.Timestamp("1998-06-30")
CDNOW_START = pd.Timestamp("1997-01-01")


def data_path(name: str) -> Path:
    """Path of a shared data file; ``FileNotFoundError`` with a hint when it is missing."""
    path = DATA_DIR / name
    if not path.exists():
        raise FileNotFoundError(f"{name} not found in {DATA_DIR} (see ../shared/data/README.md)")
    return path


def load_cdnow_summary() -> pd.DataFrame:
    """The 2,357-customer CDNOW sample: ``ID, frequency, recency, T`` (weeks)."""
    return pd.read_csv(data_path("cdnow_customers_summary.csv"))


def load_cdnow_summary_with_spend() -> pd.DataFrame:
    """The same customers with ``x, t_x, T, zbar`` (mean repeat spend, 0 without repeats)."""
    return pd.read_csv(data_path("cdnow_customers_summary_with_transactions.csv"))


def load_donations() -> pd.DataFrame:
    """Grouped donation histories: ``frequency, recency, periods, weights`` (11,104 donors)."""
    return pd.read_csv(data_path("donations.csv"))


def load_cdnow_master() -> pd.DataFrame:
    """The full CDNOW log: ``customer_id, date, number_of_cds, amount`` (69,659 rows)."""
    raw = pd.read_csv(
        data_path("CDNOW_master.txt"),
        sep=r"\s+",
        header=0,
        names=["customer_id", "date", "number_of_cds", "amount"],
        dtype={"customer_id": np.int64, "date": str, "number_of_cds": np.int64},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw


def cdnow_sample_master_ids(master: pd.DataFrame, sample: pd.DataFrame) -> np.ndarray:
    """Master-log customer id of each row of the 2,357-customer sample summary.

    The sample's IDs (1..2357) are not the master's (1..23570), nor every 10th one.  The sample
    is a 1/10 draw listed in order of (first-purchase date, master id): every repeat buyer's
    (x, t_x, T, zbar) identifies him, and the greedy matching below, which takes for each sample
    row in turn the first unused master customer after the previous match with the same
    (x, t_x, T) (and zbar to the cent), places all 2,357 rows without a conflict.  Customers with
    no repeat purchase and the same first day are indistinguishable in the calibration data, so
    for them the assignment is one of several consistent ones; their hold-out purchases differ
    (the sample's hold-out total ranges over roughly 1,850-1,910 repeat transactions with the
    choice; the earliest ids, which this function returns, give 1,909).
    ``master`` is :func:`load_cdnow_master`, ``sample`` has columns frequency/x, recency/t_x, T
    and, to tell apart repeat buyers with equal (x, t_x, T), preferably zbar
    (:func:`load_cdnow_summary_with_spend`).
    """
    from .transactions import summarise_transactions

    summary = summarise_transactions(master, CDNOW_CALIBRATION_END, amount="amount")
    first_day = (CDNOW_CALIBRATION_END - pd.to_timedelta(summary["T"] * 7, unit="D")).dt.round("D")
    x_col = "frequency" if "frequency" in sample else "x"
    t_col = "recency" if "recency" in sample else "t_x"
    with_spend = "zbar" in sample
    keys: dict[tuple[int, float, float], list[tuple[pd.Timestamp, int, float]]] = {}
    for cid, x, t_x, big_t, spend, day in zip(
        summary.index,
        summary["frequency"],
        summary["recency"].round(2),
        summary["T"].round(2),
        summary["monetary_value"],
        first_day,
        strict=True,
    ):
        keys.setdefault((int(x), float(t_x), float(big_t)), []).append((day, int(cid), spend))
    for candidates in keys.values():
        candidates.sort()
    used: set[int] = set()
    previous = (pd.Timestamp.min, -1)
    out = np.empty(len(sample), dtype=np.int64)
    zbar = sample["zbar"].to_numpy() if with_spend else np.full(len(sample), np.nan)
    for row, (x, t_x, big_t, spend) in enumerate(
        zip(sample[x_col], sample[t_col].round(2), sample["T"].round(2), zbar, strict=True)
    ):
        match = None
        for day, cid, master_spend in keys.get((int(x), float(t_x), float(big_t)), []):
            if (day, cid) <= previous or cid in used:
                continue
            # zbar is printed to the cent (half-cents may round either way)
            if with_spend and abs(master_spend - spend) > 0.0051:
                continue
            match = (day, cid)
            break
        if match is None:
            raise ValueError(f"sample row {row} has no consistent match in the master log")
        previous = match
        used.add(match[1])
        out[row] = match[1]
    return out
