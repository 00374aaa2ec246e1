"""Numerical soundness, input checks, grouping, standard errors and summaries of the CLV models."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from guanxi.analytics.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ParetoNBD,
    customer_lifetime_value,
    summarise_transactions,
)
from guanxi.analytics.clv import reference_data as ref
from guanxi.analytics.clv.simulate import simulate_beta_geo, simulate_gamma_gamma

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PNBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
BGBB = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


def _load(loader):
    try:
        return loader()
    except FileNotFoundError as exc:
        pytest.skip(f"shared data set missing: {exc}")


@contextmanager
def strict_floating_point():
    """Any overflow, division by zero or invalid operation (or any warning) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            yield


# (x, t_x, T): no repeat; brand new (T = 0); huge T; heavy buyer lapsed for 1e5 weeks;
# heavy buyer who just bought (recency = T); heavy buyer in a short window; all repeats at day 0
EXTREME_CUSTOMERS = np.array(
    [
        (0, 0.0, 0.0),
        (0, 0.0, 1e5),
        (500, 10.0, 1e5),
        (500, 1e5, 1e5),
        (500, 0.5, 1.0),
        (3, 0.0, 0.0),
        (3, 38.86, 38.86),
        (1, 1e-9, 1e5),
    ]
)
HORIZONS = np.array([0.0, 1.0, 39.0, 1e4, 1e7])


@pytest.mark.parametrize(
    "model", [BetaGeo.from_params(**BG), ParetoNBD.from_params(**PNBD)], ids=["bgnbd", "pnbd"]
)
def test_continuous_time_models_stay_finite_on_extreme_customers(model):
    x, t_x, T = EXTREME_CUSTOMERS.T
    with strict_floating_point():
        alive = model.probability_alive(x, t_x, T)
        loglik = model.individual_log_likelihood(x, t_x, T)
        expected = np.array([model.conditional_expected_purchases(t, x, t_x, T) for t in HORIZONS])
        new = model.expected_purchases(HORIZONS)
    assert np.all((alive >= 0) & (alive <= 1))
    # a density of purchase times, not a probability: 500 purchases packed into half a week
    # have a density far above 1, so the log-likelihood is finite but not necessarily <= 0
    assert np.all(np.isfinite(loglik))
    assert np.all(np.isfinite(expected)) and np.all(expected >= 0)
    assert np.all(np.diff(expected, axis=0) >= -1e-12)  # more time, more purchases
    assert np.all(np.isfinite(new)) and np.all(np.diff(new) > 0) and new[0] == 0
    assert expected[0].tolist() == [0.0] * len(x)
    # no repeat purchase yet and observed for no time: P(alive) = 1
    assert alive[0] == 1.0
    # 500 purchases, then silence for ~1e5 weeks: certainly gone
    assert alive[2] < 1e-100 and expected[2, 2] < 1e-100
    # 500 purchases up to today: alive, buying at about (r + x)/(α + T) per week
    assert alive[3] > 0.99  # BG/NBD: 1 / (1 + a / (b + x - 1)), he may drop out after a purchase
    rate = (model.params["r"] + 500) / (model.params["alpha"] + 1e5)
    assert expected[1, 3] == pytest.approx(rate, rel=0.01)


def test_bg_bb_stays_finite_on_extreme_customers():
    model = BetaGeoBetaBinom.from_params(**BGBB)
    x = np.array([0, 0, 500, 500, 1, 1000])
    t_x = np.array([0, 0, 500, 600, 1, 1000])
    n = np.array([0, 1000, 500, 1000, 1000, 1000])
    with strict_floating_point():
        alive = model.probability_alive(x, t_x, n)
        loglik = model.individual_log_likelihood(x, t_x, n)
        expected = np.array(
            [model.conditional_expected_purchases(k, x, t_x, n) for k in (0, 1, 10, 1e4)]
        )
        new = model.expected_purchases(np.array([0, 1, 10, 1e4]))
    assert np.all((alive >= 0) & (alive <= 1))
    assert np.all(np.isfinite(loglik)) and np.all(loglik <= 0)
    assert np.all(np.isfinite(expected)) and np.all(np.diff(expected, axis=0) >= 0)
    assert np.all(np.diff(new) > 0) and new[0] == 0
    # transacted at all 1000 opportunities: alive with near certainty, p close to 1
    assert alive[5] > 0.99
    assert expected[1, 5] == pytest.approx(alive[5] * (1000 + 1.204) / (1000 + 1.204 + 0.750))


def test_gamma_gamma_handles_heavy_buyers_and_no_repeats():
    model = GammaGamma.from_params(**GG)
    with strict_floating_point():
        value = model.conditional_expected_value([0, 1, 500, 10_000], [0.0, 1e-6, 1e6, 35.0])
    population = model.population_mean_spend()
    assert value[0] == pytest.approx(population)
    # heavy buyers are judged on their own spend
    assert value[2] == pytest.approx(1e6, rel=1e-3)
    assert value[3] == pytest.approx(35.0, rel=1e-3)


def test_fitting_on_extreme_data_gives_finite_estimates():
    rng = np.random.default_rng(7)
    T = np.concatenate([np.full(500, 1e5), np.zeros(100), rng.uniform(1, 50, 400)])
    x, t_x = simulate_beta_geo(*BG.values(), T, rng)
    x[:5] = 500
    t_x[:5] = T[:5]
    with strict_floating_point():
        for cls in (BetaGeo, ParetoNBD):
            model = cls().fit(x, t_x, T)
            assert all(math.isfinite(v) and v > 0 for v in model.params.values())
            assert math.isfinite(model.log_likelihood)


# ------------------------------------------------------------------ grouping and weights


def test_weights_are_the_same_as_repeated_rows():
    cdnow = _load(ref.load_cdnow_summary)
    grouped = cdnow.groupby(["frequency", "recency", "T"]).size().reset_index(name="w")
    assert len(grouped) < len(cdnow)
    raw = BetaGeo().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    weighted = BetaGeo().fit(grouped["frequency"], grouped["recency"], grouped["T"], grouped["w"])
    assert weighted.log_likelihood == pytest.approx(raw.log_likelihood, rel=1e-10)
    for name in raw.params:
        assert weighted.params[name] == pytest.approx(raw.params[name], rel=1e-5)


def test_bg_bb_on_expanded_donors_equals_the_weighted_fit():
    donations = _load(ref.load_donations)
    expanded = donations.loc[donations.index.repeat(donations["weights"])]
    assert len(expanded) == 11104
    model = BetaGeoBetaBinom().fit(expanded["frequency"], expanded["recency"], expanded["periods"])
    assert round(model.log_likelihood, 1) == -33225.6


def test_row_order_does_not_matter():
    cdnow = _load(ref.load_cdnow_summary)
    shuffled = cdnow.sample(frac=1.0, random_state=3)
    a = ParetoNBD().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    b = ParetoNBD().fit(shuffled["frequency"], shuffled["recency"], shuffled["T"])
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-12)


def test_gamma_gamma_ignores_customers_without_repeats_and_uses_weights():
    data = _load(ref.load_cdnow_summary_with_spend)
    repeaters = data[data["x"] > 0]
    all_rows = GammaGamma().fit(data["x"], data["zbar"])
    only = GammaGamma().fit(repeaters["x"], repeaters["zbar"])
    assert all_rows.log_likelihood == pytest.approx(only.log_likelihood, rel=1e-12)
    doubled = GammaGamma().fit(repeaters["x"], repeaters["zbar"], weights=np.full(946, 2.0))
    assert doubled.log_likelihood == pytest.approx(2 * only.log_likelihood, rel=1e-10)
    assert doubled.params["p"] == pytest.approx(only.params["p"], rel=1e-5)


# ------------------------------------------------------- estimation on simulated customers


def test_bg_nbd_and_gamma_gamma_recover_simulated_parameters_within_their_standard_errors():
    rng = np.random.default_rng(2005)
    T = rng.integers(189, 274, size=40_000) / 7.0
    x, t_x = simulate_beta_geo(*BG.values(), T, rng)
    bg = BetaGeo().fit(x, t_x, T)
    for name, true in BG.items():
        assert abs(bg.params[name] - true) < 4 * bg.standard_errors[name], name
    spend = simulate_gamma_gamma(*GG.values(), x, rng)
    gg = GammaGamma().fit(x, spend)
    for name, true in GG.items():
        assert abs(gg.params[name] - true) < 4 * gg.standard_errors[name], name


def test_standard_errors_match_the_hessian_from_the_analytic_gradient():
    cdnow = _load(ref.load_cdnow_summary)
    model = BetaGeo().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    theta = np.array(list(model.params.values()))

    def gradient(natural: np.ndarray) -> np.ndarray:
        _, g_log = model._objective(np.log(natural))
        return g_log / natural * model.n_customers

    hessian = np.empty((4, 4))
    for i in range(4):
        step = np.zeros(4)
        step[i] = 1e-5 * theta[i]
        hessian[i] = (gradient(theta + step) - gradient(theta - step)) / (2 * step[i])
    se_by_gradient = np.sqrt(np.diag(np.linalg.inv((hessian + hessian.T) / 2)))
    se = np.array(list(model.standard_errors.values()))
    assert se == pytest.approx(se_by_gradient, rel=1e-3)


def test_summary_reports_estimates_errors_and_log_likelihood():
    cdnow = _load(ref.load_cdnow_summary)
    model = BetaGeo().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    text = model.summary()
    assert "BG/NBD" in text and "Fader, Hardie & Lee (2005)" in text
    assert "log-likelihood: -9,582.43" in text
    assert "customers: 2,357" in text
    row = next(line for line in text.splitlines() if line.startswith("alpha"))
    assert row.split()[1:3] == [
        f"{model.params['alpha']:.4f}",
        f"{model.standard_errors['alpha']:.4f}",
    ]
    frame = model.summary_frame()
    assert list(frame.index) == ["r", "alpha", "a", "b"]
    assert frame.loc["r", "estimate"] == model.params["r"]
    assert frame.loc["r", "lower_95"] < frame.loc["r", "estimate"] < frame.loc["r", "upper_95"]


# --------------------------------------------------------------------- input checking


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([1, 2], [5.0, 50.0], [10.0, 20.0], "recency must not exceed T"),
        ([1, -1], [5.0, 0.0], [10.0, 20.0], "non-negative"),
        ([1, np.nan], [5.0, 0.0], [10.0, 20.0], "finite"),
        ([1.5, 1], [5.0, 1.0], [10.0, 20.0], "whole numbers"),
    ],
)
def test_invalid_summaries_are_rejected(frequency, recency, T, message):
    with pytest.raises(ValueError, match=message):
        BetaGeo().fit(frequency, recency, T)
    with pytest.raises(ValueError, match=message):
        ParetoNBD.from_params(**PNBD).probability_alive(frequency, recency, T)


def test_unfitted_models_and_bad_inputs_raise_clear_errors():
    with pytest.raises(RuntimeError, match="not fitted"):
        BetaGeo().probability_alive(1, 1.0, 2.0)
    with pytest.raises(ValueError, match="positive"):
        GammaGamma().fit([1, 2], [10.0, 0.0])
    with pytest.raises(ValueError, match="frequency <= recency <= n_periods"):
        BetaGeoBetaBinom.from_params(**BGBB).probability_alive(3, 2, 6)
    with pytest.raises(ValueError, match="exactly the parameters"):
        BetaGeo.from_params(r=1.0, alpha=1.0, a=1.0)
    with pytest.raises(ValueError, match="q <= 1"):
        GammaGamma.from_params(p=1.0, q=0.9, gamma=1.0).conditional_expected_value(1, 1.0)


def test_scalars_in_scalars_out_and_series_keep_their_index():
    bg = BetaGeo.from_params(**BG)
    gg = GammaGamma.from_params(**GG)
    assert isinstance(bg.probability_alive(2, 30.43, 38.86), float)
    out = bg.probability_alive([2, 0], [30.43, 0.0], [38.86, 38.86])
    assert isinstance(out, np.ndarray) and out.shape == (2,)
    frame = pd.DataFrame(
        {"x": [2, 0], "t_x": [30.43, 0.0], "T": [38.86, 38.86], "m": [22.35, 0.0]},
        index=["c-17", "c-42"],
    )
    clv = customer_lifetime_value(bg, gg, frame["x"], frame["t_x"], frame["T"], frame["m"])
    assert list(clv.index) == ["c-17", "c-42"]
    assert clv["c-17"] > clv["c-42"] > 0


def test_the_clv_package_imports_without_django():
    code = "import sys, guanxi.analytics.clv; assert 'django' not in sys.modules"
    project_root = Path(__file__).resolve().parents[3]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=project_root)


# --------------------------------------------------------------- transaction summaries


def test_summarise_transactions_counts_days_and_measures_weeks():
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "c"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-01-15", "2024-02-12", "2024-01-29", "2024-03-01"]
            ),
            "amount": [10.0, 5.0, 20.0, 40.0, 7.0, 9.0],
        }
    )
    out = summarise_transactions(log, "2024-02-26", holdout_end="2024-03-31")
    # c first bought after the calibration end: not a calibration customer
    assert list(out.index) == ["a", "b"]
    a = out.loc["a"]
    assert a["frequency"] == 2  # two repeat days; the two purchases of day 0 are one transaction
    assert a["recency"] == pytest.approx(6.0)  # 42 days
    assert a["T"] == pytest.approx(8.0)  # 56 days
    assert a["monetary_value"] == pytest.approx(30.0)  # mean of the repeat transactions
    b = out.loc["b"]
    assert (b["frequency"], b["recency"], b["T"], b["monetary_value"]) == (0, 0.0, 4.0, 0.0)
    assert out["holdout_frequency"].tolist() == [0, 0]
    assert out["holdout_duration"].iloc[0] == pytest.approx(34 / 7)


def test_cdnow_master_log_reproduces_the_published_sample_summary():
    master = _load(ref.load_cdnow_master)
    sample = _load(ref.load_cdnow_summary_with_spend)
    ids = ref.cdnow_sample_master_ids(master, sample)
    assert len(set(ids)) == 2357
    summary = summarise_transactions(master, ref.CDNOW_CALIBRATION_END).loc[ids]
    assert (summary["frequency"].to_numpy() == sample["x"].to_numpy()).all()
    assert np.abs(summary["recency"].to_numpy() - sample["t_x"].to_numpy()).max() < 0.005
    assert np.abs(summary["T"].to_numpy() - sample["T"].to_numpy()).max() < 0.005
    assert np.abs(summary["monetary_value"].to_numpy() - sample["zbar"].to_numpy()).max() < 0.0051


# ------------------------------------------- hypergeometric terms past z = 0.9 (quadrature)


def test_quadrature_and_hypergeometric_series_agree_where_both_hold():
    from guanxi.analytics.clv._special import bgnbd_growth_by_quadrature, log_power_integral
    from guanxi.analytics.clv.bgnbd import _expected_growth
    from guanxi.analytics.clv.pareto_nbd import _log_tail_integral

    r, alpha, s, beta = PNBD.values()
    x = np.array([0.0, 1.0, 7.0, 60.0, 500.0])
    for t in (0.0, 5.0, 38.86):
        by_series = _log_tail_integral(r, alpha, s, beta, x, np.full(5, t))  # z < 0.9 here
        by_quadrature = log_power_integral(alpha + t, beta + t, r + x, s + 1.0)
        assert by_quadrature == pytest.approx(by_series, rel=1e-10)
    r, alpha, a, b = BG.values()
    tau = np.array([0.5, 2.0, 8.9])  # z = τ/(1+τ) < 0.9: the series route
    for xi in (0.0, 3.0, 200.0):
        by_series = _expected_growth(r, alpha, a, b, np.full(3, xi), np.full(3, 1.0), tau)
        by_quadrature = bgnbd_growth_by_quadrature(r, a, b, np.full(3, xi), tau)
        assert by_quadrature == pytest.approx(by_series, rel=1e-9)


def test_cases_where_scipy_hyp2f1_fails_near_one_are_finite_and_continuous():
    # scipy.special.hyp2f1(1, 2, 101, 0.918) is inf: Pareto/NBD with r = s = α = 1, β = e^2.5
    # and 98 repeat purchases at T = 0 hits it (found by hypothesis)
    model = ParetoNBD.from_params(r=1.0, alpha=1.0, s=1.0, beta=float(np.exp(2.5)))
    with strict_floating_point():
        ll = model.individual_log_likelihood([98, 98, 98], [0.0, 0.0, 0.0], [0.0, 1e-9, 1e-6])
        alive = model.probability_alive([98, 500], [0.0, 0.0], [0.0, 0.0])
    assert np.all(np.isfinite(ll)) and np.abs(np.diff(ll)).max() < 1e-4
    assert alive.tolist() == [1.0, 1.0]
    # BG/NBD with integer parameters over a 10-year horizon (z = 0.999): the 1 - z
    # transformation is degenerate there, the direct integral is not
    bg = BetaGeo.from_params(r=1.0, alpha=1.0, a=2.0, b=2.0)
    with strict_floating_point():
        ten_years = bg.conditional_expected_purchases(520.0, [0, 5, 500], [0.0, 1.0, 1.0], 1.0)
    # a = 2 > 1: total purchases before dropping out have finite mean (a+b+x-1)/(a-1)
    limits = np.array([3.0, 8.0, 503.0])
    assert np.all(ten_years > 0) and np.all(ten_years < limits)
    # the route switches at z = 0.9, i.e. t = 9 (α + T) = 18 weeks
    just_below = bg.conditional_expected_purchases(17.99, [0, 5], [0.0, 1.0], 1.0)
    just_above = bg.conditional_expected_purchases(18.01, [0, 5], [0.0, 1.0], 1.0)
    assert np.all(just_above > just_below) and np.all(just_above - just_below < 0.05)
