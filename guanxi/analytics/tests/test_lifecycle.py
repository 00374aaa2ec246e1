"""Lifecycle stages (exploration, formation, stability, decline) from hand-made histories."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.analytics.lifecycle import (
    STAGE_LABELS_ZH,
    STAGES,
    LifecycleRules,
    lifecycle_stages,
    lifecycle_stages_from_summary,
)

from .seg_data import cdnow

AS_OF = pd.Timestamp("2024-12-31")

# days before AS_OF of each customer's purchases
HISTORIES = {
    "new1": [30],  # one purchase: exploration
    "new2": [60, 40, 5],  # first purchase 60 days ago (< 90): exploration
    "gone": [700, 600, 500, 450, 400],  # nothing for 400 days (> 365): decline
    # 8 purchases in the 420 days before the recent window, 1 in the last 180 days:
    # trend = (1 / 180) / (8 / 420) = 0.2917 < 0.5: decline
    "fading": [600, 550, 500, 450, 400, 350, 300, 250, 100],
    # 2 purchases in the 220 earlier days, 4 in the recent 180:
    # trend = (4 / 180) / (2 / 220) = 2.444 >= 1.5: formation
    "growing": [400, 300, 150, 100, 50, 10],
    # every 60 days for two years: recent (< 180 days ago) 120, 60, 0 = 3 purchases;
    # earlier 10 purchases over 540 days: trend = (3 / 180) / (10 / 540) = 0.9: stability
    "steady": list(range(720, -1, -60)),
    # two purchases, 200 days of tenure: no trend yet (needs 180 + 180 days), < 4 purchases
    "young_few": [200, 20],
}


def _transactions() -> pd.DataFrame:
    rows = [
        (customer, AS_OF - pd.Timedelta(days=d))
        for customer, days in HISTORIES.items()
        for d in days
    ]
    rows.append(("new1", AS_OF + pd.Timedelta(days=3)))  # after AS_OF: ignored
    return pd.DataFrame(rows, columns=["customer_id", "date"])


def test_stages_by_hand():
    table = lifecycle_stages(_transactions(), AS_OF)
    assert table["stage"].to_dict() == {
        "fading": "decline",
        "gone": "decline",
        "growing": "formation",
        "new1": "exploration",
        "new2": "exploration",
        "steady": "stability",
        "young_few": "formation",
    }
    assert table.loc["fading", "trend"] == pytest.approx((1 / 180) / (8 / 420))
    assert table.loc["growing", "trend"] == pytest.approx((4 / 180) / (2 / 220))
    assert table.loc["steady", "trend"] == pytest.approx(0.9)
    assert np.isnan(table.loc["young_few", "trend"])
    assert table.loc["steady", "n_purchases"] == 13
    assert table.loc["steady", "recent_purchases"] == 3
    assert table.loc["new1", "n_purchases"] == 1  # the future purchase is ignored
    assert table.loc["gone", "recency"] == 400 and table.loc["gone", "tenure"] == 700
    assert list(table["stage"].cat.categories) == list(STAGES)
    assert STAGE_LABELS_ZH == {
        "exploration": "考察期",
        "formation": "形成期",
        "stability": "稳定期",
        "decline": "退化期",
    }


def test_p_alive_rule_and_configurable_thresholds():
    p_alive = pd.Series({"steady": 0.1, "growing": 0.9})  # others unknown: rule not applied
    table = lifecycle_stages(_transactions(), AS_OF, p_alive=p_alive)
    assert table.loc["steady", "stage"] == "decline"
    assert table.loc["growing", "stage"] == "formation"
    assert table.loc["new1", "stage"] == "exploration"
    # stricter P(alive) threshold, and a longer inactivity limit
    rules = LifecycleRules(decline_p_alive=0.05, decline_inactive_days=500)
    relaxed = lifecycle_stages(_transactions(), AS_OF, p_alive=p_alive, rules=rules)
    assert relaxed.loc["steady", "stage"] == "stability"
    # "gone" is no longer inactive enough; tenure 700, trend = 0 / (5 / 520) = 0 < 0.5: decline
    assert relaxed.loc["gone", "stage"] == "decline"
    assert relaxed.loc["gone", "trend"] == 0.0
    # a stricter stability rule moves "steady" (13 purchases) to formation
    strict = lifecycle_stages(
        _transactions(), AS_OF, rules=LifecycleRules(stability_min_purchases=20)
    )
    assert strict.loc["steady", "stage"] == "formation"
    with pytest.raises(ValueError):
        LifecycleRules(decline_trend=2.0, formation_min_trend=1.5)


def test_summary_arrays_by_hand():
    out = lifecycle_stages_from_summary(
        n_purchases=np.array([1, 6, 10, 10, 3]),
        tenure=np.array([10.0, 400.0, 400.0, 400.0, 400.0]),
        recency=np.array([10.0, 5.0, 5.0, 5.0, 390.0]),
        recent_purchases=np.array([1, 5, 3, 3, 0]),
        p_alive=np.array([1.0, 0.9, 0.9, 0.2, 0.9]),
    )
    # customer 2: earlier 1 purchase in 220 days, recent 5 in 180 -> trend 6.11: formation
    # customer 3: earlier 7 in 220, recent 3 in 180 -> 0.524: stable (>= 0.5, < 1.5)
    # customer 4: same but P(alive) 0.2 < 0.3: decline
    # customer 5: earlier 3 in 220, recent 0 -> trend 0: decline
    assert out["stage"].tolist() == ["exploration", "formation", "stability", "decline", "decline"]
    assert out["trend"].iloc[1] == pytest.approx((5 / 180) / (1 / 220))
    assert out["trend"].iloc[2] == pytest.approx((3 / 180) / (7 / 220))
    with pytest.raises(ValueError):
        lifecycle_stages_from_summary([0], [1.0], [0.0], [0])
    with pytest.raises(ValueError):
        lifecycle_stages_from_summary([2], [1.0], [5.0], [0])  # recency > tenure


def test_one_million_customers_from_summary_is_fast():
    rng = np.random.default_rng(3)
    n = 1_000_000
    n_purchases = rng.integers(1, 30, n)
    tenure = rng.uniform(0, 730, n)
    recency = tenure * rng.uniform(0, 1, n)
    recent = rng.binomial(n_purchases, 0.3)
    start = time.perf_counter()
    out = lifecycle_stages_from_summary(
        n_purchases, tenure, recency, recent, p_alive=rng.uniform(0, 1, n)
    )
    elapsed = time.perf_counter() - start
    assert len(out) == n and out["stage"].notna().all()
    assert set(out["stage"].unique()) == set(STAGES)
    assert elapsed < 5.0, elapsed  # about 0.2 s on the reference machine


def test_cdnow_stages():
    data = cdnow()
    table = lifecycle_stages(data, "1998-06-30")
    assert len(table) == 23570
    decline = table[table["stage"] == "decline"]
    assert ((decline["recency"] > 365) | (decline["trend"] < 0.5)).all()
    stable = table[table["stage"] == "stability"]
    assert (stable["n_purchases"] >= 4).all()
    # as of the end of the calibration period most customers are still young
    early = lifecycle_stages(data, "1997-09-30")
    assert early["stage"].value_counts()["exploration"] > len(early) / 2


summary_rows = st.lists(
    st.tuples(
        st.integers(1, 40),  # purchases
        st.floats(0, 1000),  # tenure
        st.floats(0, 1),  # recency as a share of tenure
        st.floats(0, 1),  # share of the purchases that are recent
        st.floats(0, 1),  # P(alive)
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=50, deadline=None)
@given(rows=summary_rows, drop=st.floats(0, 1))
def test_property_stages_defined_and_monotone_in_p_alive(rows, drop):
    n, tenure, rec_share, recent_share, p = (
        np.array(c, dtype=float) for c in zip(*rows, strict=True)
    )
    recency = tenure * rec_share
    recent = np.floor(n * recent_share)
    base = lifecycle_stages_from_summary(n, tenure, recency, recent, p_alive=p)
    assert base["stage"].notna().all()
    lower = lifecycle_stages_from_summary(n, tenure, recency, recent, p_alive=p * drop)
    # a lower P(alive) can only move customers into decline, never out of it
    was_decline = (base["stage"] == "decline").to_numpy()
    assert (lower["stage"].to_numpy()[was_decline] == "decline").all()
    changed = base["stage"].to_numpy() != lower["stage"].to_numpy()
    assert (lower["stage"].to_numpy()[changed] == "decline").all()
