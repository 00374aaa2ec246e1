"""RFM table: hand-computed recency / frequency / monetary values, scores, codes, segments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.analytics.rfm import (
    SEGMENT_GRID,
    SEGMENTS,
    quantile_scores,
    rfm_scores,
    rfm_table,
    segment_for,
)

from .seg_data import cdnow

AS_OF = "2024-03-31"


def _hand_transactions() -> pd.DataFrame:
    rows = [
        # customer, date, amount
        ("a", "2024-03-30", 100.0),  # last purchase 1 day before AS_OF
        ("a", "2024-03-01", 50.0),
        ("a", "2024-02-01", 30.0),
        ("b", "2024-01-31", 10.0),  # 60 days before
        ("c", "2024-03-21", 40.0),  # 10 days
        ("c", "2024-03-11", 20.0),
        ("d", "2023-12-22", 500.0),  # 100 days
        ("d", "2023-12-01", 500.0),
        ("d", "2023-11-01", 500.0),
        ("d", "2023-10-01", 500.0),
        ("e", "2023-03-31", 5.0),  # 366 days (2024 is a leap year)
        ("e", "2024-04-15", 999.0),  # after AS_OF: ignored
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def test_hand_computed_rfm_values_scores_codes_and_segments():
    table = rfm_table(_hand_transactions(), AS_OF)
    assert list(table.index) == ["a", "b", "c", "d", "e"]
    assert table["recency"].tolist() == [1, 60, 10, 100, 366]
    assert table["frequency"].tolist() == [3, 1, 2, 4, 1]
    # mean amount per purchase (the default)
    assert table["monetary"].tolist() == pytest.approx([60.0, 10.0, 30.0, 500.0, 5.0])
    assert table["tenure"].tolist() == [59, 60, 20, 182, 366]
    # five customers, five bins: score = 1 + rank from worst (0) to best (4)
    # recency (lower is better): e 366 < d 100 < b 60 < c 10 < a 1
    assert table["r_score"].tolist() == [5, 3, 4, 2, 1]
    # frequency: b and e tie at 1 -> broken by customer id, "b" before "e" gets the lower score
    assert table["f_score"].tolist() == [4, 1, 3, 5, 2]
    # monetary: e 5 < b 10 < c 30 < a 60 < d 500
    assert table["m_score"].tolist() == [4, 2, 3, 5, 1]
    assert table["rfm_code"].tolist() == ["544", "312", "433", "255", "121"]
    # FM = round-half-up((F + M) / 2): a 4, b 2 (1.5 -> 2), c 3, d 5, e 2 (1.5 -> 2)
    assert table["segment"].tolist() == [
        "Champions",  # R5 FM4
        "About to sleep",  # R3 FM2
        "Potential loyalist",  # R4 FM3
        "Can't lose them",  # R2 FM5
        "Lost",  # R1 FM2
    ]
    assert isinstance(table["segment"].dtype, pd.CategoricalDtype)


def test_monetary_total_and_ignored_future_rows():
    table = rfm_table(_hand_transactions(), AS_OF, monetary="total")
    assert table["monetary"].tolist() == pytest.approx([180.0, 10.0, 60.0, 2000.0, 5.0])
    # customer e's 999 purchase is after AS_OF: as of a later date it counts
    later = rfm_table(_hand_transactions(), "2024-04-15", monetary="total")
    assert later.loc["e", "monetary"] == pytest.approx(1004.0)
    assert later.loc["e", "recency"] == 0


def test_custom_column_names_and_bins():
    frame = _hand_transactions().rename(
        columns={"customer_id": "cust", "date": "day", "amount": "value"}
    )
    table = rfm_table(frame, AS_OF, customer="cust", date="day", amount="value", bins=2)
    # n = 5, bins = 2: score = 1 + floor(2 (p + 1/2) / 5): p = 0, 1 -> 1; p = 2, 3, 4 -> 2
    # recency from worst: e (p 0), d, b, c, a (p 4)
    assert table["r_score"].tolist() == [2, 2, 2, 1, 1]
    assert set(table["rfm_code"].str.len()) == {3}
    with pytest.raises(KeyError):
        rfm_table(frame, AS_OF)


def test_quantile_scores_equal_groups_and_value_ties():
    values = np.array([3.0, 1.0, 2.0, 2.0, 2.0, 5.0, 4.0, 2.0, 0.0, 9.0])
    scores = quantile_scores(values, 5)
    assert np.bincount(scores, minlength=6)[1:].tolist() == [2, 2, 2, 2, 2]
    # sorted: 0 (8), 1 (1), 2 (2), 2 (3), 2 (4), 2 (7), 3 (0), 4 (6), 5 (5), 9 (9)
    assert scores.tolist() == [4, 1, 2, 2, 3, 5, 4, 3, 1, 5]
    shared = quantile_scores(values, 5, ties="value")
    # the four 2's occupy positions 2..5: mid-rank 3.5 -> 1 + floor((3.5 + 0.5) * 5 / 10) = 3
    assert shared[[2, 3, 4, 7]].tolist() == [3, 3, 3, 3]
    assert shared.tolist() == [4, 1, 3, 3, 3, 5, 4, 3, 1, 5]
    # a lone customer sits in the middle; two customers at 2 and 4 of 5
    assert quantile_scores(np.array([7.0]), 5).tolist() == [3]
    assert quantile_scores(np.array([7.0, 1.0]), 5).tolist() == [4, 2]
    lower_better = quantile_scores(values, 5, higher_is_better=False)
    assert lower_better[9] == 1 and lower_better[8] == 5
    assert quantile_scores(np.array([]), 5).size == 0


def test_segment_grid_maps_every_code_to_exactly_one_segment():
    r, f, m = (a.ravel() for a in np.meshgrid(*[np.arange(1, 6)] * 3, indexing="ij"))
    segments = segment_for(r, f, m)
    assert len(segments) == 125
    assert set(segments) == set(SEGMENTS)  # all eleven names are used
    assert all(len(row) == 5 for row in SEGMENT_GRID) and len(SEGMENT_GRID) == 5
    lookup = {(a, b, c): s for a, b, c, s in zip(r, f, m, segments, strict=True)}
    assert lookup[(5, 5, 5)] == "Champions"
    assert lookup[(1, 1, 1)] == "Lost"
    assert lookup[(5, 1, 1)] == "New"
    assert lookup[(4, 1, 1)] == "Promising"
    assert lookup[(3, 3, 3)] == "Need attention"
    assert lookup[(1, 5, 5)] == "Can't lose them"
    assert lookup[(2, 4, 3)] == "At risk"  # FM = (4 + 3 + 1) // 2 = 4
    assert lookup[(4, 4, 4)] == "Loyal"
    assert lookup[(2, 1, 2)] == "Hibernating"  # FM = 2
    assert lookup[(3, 2, 1)] == "About to sleep"  # FM = 2
    assert lookup[(5, 2, 3)] == "Potential loyalist"  # FM = 3
    with pytest.raises(ValueError):
        segment_for(np.array([6]), np.array([1]), np.array([1]))


def test_rfm_scores_from_summary_arrays():
    out = rfm_scores([1, 2, 3], [3, 2, 1], [10.0, 20.0, 30.0], bins=3)
    assert out["r_score"].tolist() == [3, 2, 1]
    assert out["f_score"].tolist() == [3, 2, 1]
    assert out["m_score"].tolist() == [1, 2, 3]
    assert out["rfm_code"].tolist() == ["331", "222", "113"]


def test_cdnow_rfm_table():
    data = cdnow()
    table = rfm_table(data, "1998-06-30")
    assert len(table) == 23570
    assert int(table["frequency"].sum()) == len(data) == 69659
    first = table.loc["00001"]  # one purchase of $11.77 on 1997-01-01
    assert (first["recency"], first["frequency"]) == (545, 1)
    assert first["monetary"] == pytest.approx(11.77)
    # equal-sized quintiles: 23570 / 5 = 4714 customers per score
    for column in ("r_score", "f_score", "m_score"):
        assert table[column].value_counts().tolist() == [4714] * 5
    # champions buy more often and more recently than the lost
    means = table.groupby("segment", observed=True)[["recency", "frequency"]].mean()
    assert means.loc["Champions", "frequency"] > 3 * means.loc["Lost", "frequency"]
    assert means.loc["Champions", "recency"] < means.loc["Lost", "recency"] / 3


transactions_strategy = st.lists(
    st.tuples(
        st.integers(0, 30),  # customer
        st.integers(0, 400),  # day offset
        st.floats(0, 1000, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(
    rows=transactions_strategy,
    seed=st.integers(0, 2**32 - 1),
    ties=st.sampled_from(["customer", "value"]),
)
def test_property_rfm_stable_under_reordering_and_scores_in_range(rows, seed, ties):
    frame = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    frame["date"] = pd.Timestamp("2023-01-01") + pd.to_timedelta(frame["day"], unit="D")
    table = rfm_table(frame, "2024-03-01", ties=ties)
    shuffled = frame.sample(frac=1.0, random_state=seed % (2**32))
    pd.testing.assert_frame_equal(table, rfm_table(shuffled, "2024-03-01", ties=ties))
    for column in ("r_score", "f_score", "m_score"):
        assert table[column].between(1, 5).all()
    if ties == "customer":
        for column in ("r_score", "f_score", "m_score"):
            sizes = np.bincount(table[column], minlength=6)[1:]
            assert sizes.max() - sizes.min() <= 1
    assert table["segment"].notna().all()
