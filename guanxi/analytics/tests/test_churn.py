"""Churn: AUC and lift by hand, features and labels by hand, and CDNOW calibration/hold-out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from guanxi.analytics.churn import (
    auc,
    churn_features,
    churn_labels,
    fit_churn_model,
    lift_table,
)

from .seg_data import cdnow

CALIBRATION_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"


def test_auc_by_hand():
    # positives scored 0.35 and 0.8, negatives 0.1 and 0.4: of the 4 (positive, negative)
    # pairs, 3 are ordered correctly -> 0.75
    assert auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)  # a tie counts one half
    assert auc([1, 0], [0.9, 0.1]) == 1.0
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    s = np.round(rng.normal(size=500) + y, 1)  # with ties
    assert auc(y, s) == pytest.approx(roc_auc_score(y, s))
    with pytest.raises(ValueError):
        auc([1, 1], [0.2, 0.3])


def test_lift_table_by_hand():
    # ten customers sorted by score, churners at positions 1, 2, 3, 5, 8 (1-based)
    score = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
    churn = np.array([1, 1, 1, 0, 1, 0, 0, 1, 0, 0])
    table = lift_table(churn, score, n_bins=5)  # five groups of two
    assert table["customers"].tolist() == [2, 2, 2, 2, 2]
    assert table["churners"].tolist() == [2, 1, 1, 1, 0]
    assert table["rate"].tolist() == pytest.approx([1.0, 0.5, 0.5, 0.5, 0.0])
    assert table["lift"].tolist() == pytest.approx([2.0, 1.0, 1.0, 1.0, 0.0])  # overall 0.5
    assert table["cumulative_capture"].tolist() == pytest.approx([0.4, 0.6, 0.8, 1.0, 1.0])
    assert table["cumulative_lift"].tolist() == pytest.approx([2.0, 1.5, 4 / 3, 1.25, 1.0])
    # the input order does not matter, only the scores
    perm = np.random.default_rng(1).permutation(10)
    pd.testing.assert_frame_equal(lift_table(churn[perm], score[perm], 5), table)
    # uneven sizes: 7 customers in 3 groups -> positions 0-2, 3-4, 5-6
    assert lift_table(np.ones(7), np.arange(7.0), 3)["customers"].tolist() == [3, 2, 2]


def _tiny_log() -> pd.DataFrame:
    rows = [
        ("a", "2024-01-01", 10.0),
        ("a", "2024-03-01", 30.0),
        ("a", "2024-05-15", 20.0),  # hold-out purchase: not a churner
        ("b", "2024-02-01", 100.0),  # nothing afterwards: churner
        ("c", "2024-03-20", 5.0),
        ("c", "2024-06-01", 5.0),  # after the hold-out end: still a churner
        ("d", "2024-04-10", 50.0),  # first purchase in the hold-out: not in the base
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def test_features_and_labels_by_hand():
    log = _tiny_log()
    feats = churn_features(log, "2024-03-31", window_days=30)
    assert list(feats.index) == ["a", "b", "c"]
    assert feats.loc["a", "recency"] == 30  # 2024-03-01 -> 03-31
    assert feats.loc["a", "tenure"] == 90  # 2024-01-01 -> 03-31 (leap year)
    assert feats.loc["a", "frequency"] == 2
    assert feats.loc["a", "monetary"] == pytest.approx(20.0)
    assert feats.loc["a", "log_total"] == pytest.approx(np.log1p(40.0))
    assert feats.loc["c", "recent_purchases"] == 1  # 2024-03-20 is within 30 days
    assert feats.loc["a", "recent_purchases"] == 0  # 2024-03-01 is 30 days before: not within
    assert feats.loc["a", "rate"] == pytest.approx(2 / 91)
    # trend = log((0 + 1) / 30) - log((2 + 1) / (90 - 30 + 1))
    assert feats.loc["a", "trend"] == pytest.approx(np.log(1 / 30) - np.log(3 / 61))
    assert feats.loc["c", "trend"] == 0.0  # younger than the window
    labels = churn_labels(log, feats.index, "2024-03-31", "2024-05-31")
    assert labels.to_dict() == {"a": 0, "b": 1, "c": 1}
    with_p = churn_features(log, "2024-03-31", p_alive=pd.Series({"a": 0.8, "b": 0.2}))
    assert with_p["p_alive"].tolist() == [0.8, 0.2, 1.0]


@pytest.fixture(scope="module")
def cdnow_log() -> pd.DataFrame:
    return cdnow()


@pytest.mark.parametrize("classifier", ["logistic", "boosting"])
def test_cdnow_calibration_holdout(cdnow_log, classifier):
    # one OpenMP thread: gradient boosting's spinning threads crawl on a busy 2-core machine
    result = fit_churn_model(
        cdnow_log, CALIBRATION_END, HOLDOUT_END, classifier=classifier, n_threads=1
    )
    assert len(result.features) == 23570  # all customers bought in the first quarter of 1997
    # 70.1 % of the customers make no purchase from October 1997 to June 1998
    assert result.churn_rate == pytest.approx(0.7006, abs=1e-4)
    # measured: AUC 0.763 (logistic) and 0.762 (boosting) on the 30 % test split, seed 0
    assert result.auc > 0.74
    assert result.auc == pytest.approx(
        auc(result.labels[result.test_mask], result.risk[result.test_mask])
    )
    lift = result.lift
    assert len(lift) == 10 and lift["customers"].sum() == result.test_mask.sum()
    assert lift["lift"].iloc[0] > 1.15  # at most 1 / 0.70 = 1.43 with this base rate
    assert lift["lift"].iloc[0] > lift["lift"].iloc[-1]
    assert lift["cumulative_capture"].iloc[-1] == pytest.approx(1.0)
    assert (np.diff(lift["cumulative_capture"]) >= 0).all()
    risk = result.risk
    assert ((risk >= 0) & (risk <= 1)).all()


def test_cdnow_with_bg_nbd_and_pareto_nbd_scores(cdnow_log):
    clv = pytest.importorskip("guanxi.analytics.clv")
    if not all(hasattr(clv, n) for n in ("BetaGeo", "ParetoNBD", "summarise_transactions")):
        pytest.skip("guanxi.analytics.clv has no BetaGeo / ParetoNBD / summarise_transactions")
    summary = clv.summarise_transactions(cdnow_log, CALIBRATION_END, amount="amount")
    x, t_x, big_t = summary["frequency"], summary["recency"], summary["T"]
    bgnbd = clv.BetaGeo().fit(x, t_x, big_t)
    pareto = clv.ParetoNBD().fit(x, t_x, big_t)

    def series(values):
        return pd.Series(np.asarray(values, dtype=float), index=summary.index)

    holdout_weeks = (pd.Timestamp(HOLDOUT_END) - pd.Timestamp(CALIBRATION_END)).days / 7
    expected = series(bgnbd.conditional_expected_purchases(holdout_weeks, x, t_x, big_t))
    result = fit_churn_model(
        cdnow_log,
        CALIBRATION_END,
        HOLDOUT_END,
        p_alive=series(bgnbd.probability_alive(x, t_x, big_t)),
        expected_purchases=expected,
    )
    assert {"p_alive", "expected_purchases"} <= set(result.feature_names)
    # BG/NBD: P(alive) = 1 for all one-time buyers, so 1 - P(alive) ranks churners worse than
    # chance (measured 0.33); its expected hold-out purchases rank them well (0.75)
    assert result.auc_p_alive < 0.5
    assert result.auc_expected_purchases > 0.74
    assert result.auc > 0.74
    # Pareto/NBD's P(alive) decays for one-time buyers too and is a fair churn score (0.71)
    pareto_result = fit_churn_model(
        cdnow_log,
        CALIBRATION_END,
        HOLDOUT_END,
        p_alive=series(pareto.probability_alive(x, t_x, big_t)),
    )
    assert pareto_result.auc_p_alive > 0.68
    assert pareto_result.auc > 0.74


def test_predict_scores_current_customers(cdnow_log):
    result = fit_churn_model(cdnow_log, CALIBRATION_END, HOLDOUT_END)
    current = result.predict(cdnow_log, HOLDOUT_END)
    assert len(current) == 23570
    assert current.between(0, 1).all()
    # customers who bought in the last three months are less at risk than the others
    recent = result.features.index  # same customers
    feats = churn_features(cdnow_log, HOLDOUT_END)
    active = feats["recency"] < 90
    assert current[active].mean() < current[~active].mean()
    assert set(recent) == set(current.index)
