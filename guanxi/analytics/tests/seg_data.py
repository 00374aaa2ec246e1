"""Loaders for the public research data sets in ``../shared/data`` used by the segmentation,
satisfaction, lifecycle and churn tests.  A test that needs a missing file is skipped."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import pytest

#: ``<project root>/../shared/data``; the project root is three levels above this folder.
DATA_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def data_file(name: str) -> Path:
    path = DATA_DIR / name
    if not path.exists():
        pytest.skip(f"shared data set {name} not found in {DATA_DIR} (see its README.md)")
    return path


@cache
def _cdnow() -> pd.DataFrame:
    frame = pd.read_csv(
        data_file("CDNOW_master.txt"),
        sep=r"\s+",
        dtype={"customer_id": str, "date": str},
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame.rename(columns={"dollar_value": "amount"})


def cdnow() -> pd.DataFrame:
    """The full CDNOW log: customer_id (str), date, number_of_cds, amount (dollars)."""
    return _cdnow().copy()


def mobi() -> pd.DataFrame:
    """The 250 x 24 ECSI mobile-phone survey (indicators on a 1-10 scale)."""
    return pd.read_csv(data_file("mobi.csv"))
