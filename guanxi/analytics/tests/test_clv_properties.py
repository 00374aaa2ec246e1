"""Invariants of the CLV models over random parameters and customers (hypothesis).

Probabilities lie in [0, 1]; expected purchases are finite, non-negative and grow with the
horizon; CLV falls as the discount rate rises; the Gamma-Gamma expected spend lies between the
customer's own mean and the population mean; NPV falls with the rate.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.analytics.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ParetoNBD,
    customer_lifetime_value,
    npv_lifetime_value,
)

SETTINGS = settings(max_examples=40, deadline=None)

#: shape/scale parameters spread log-uniformly over four orders of magnitude
positive = st.floats(min_value=-2.5, max_value=2.5).map(lambda v: float(np.exp(v)))


@st.composite
def customers(draw, max_x: int = 300, max_T: float = 1e4):
    """Arrays (x, t_x, T) of 1-6 customers, recency <= T, recency 0 without repeats."""
    n = draw(st.integers(1, 6))
    x = np.array(draw(st.lists(st.integers(0, max_x), min_size=n, max_size=n)), dtype=float)
    T = np.array(draw(st.lists(st.floats(0.0, max_T), min_size=n, max_size=n)), dtype=float)
    share = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    t_x = np.where(x > 0, share * T, 0.0)
    return x, t_x, T


@st.composite
def discrete_customers(draw):
    """Arrays (x, t_x, n) for the BG/BB: x <= t_x <= n, t_x = 0 exactly when x = 0."""
    size = draw(st.integers(1, 6))
    rows = []
    for _ in range(size):
        n = draw(st.integers(0, 200))
        t_x = draw(st.integers(0, n))
        x = draw(st.integers(1, t_x)) if t_x > 0 else 0
        rows.append((x, t_x, n))
    return tuple(np.array(col, dtype=float) for col in zip(*rows, strict=True))


def bg_model(r, alpha, a, b):
    return BetaGeo.from_params(r=r, alpha=alpha, a=a, b=b)


def pnbd_model(r, alpha, s, beta):
    return ParetoNBD.from_params(r=r, alpha=alpha, s=s, beta=beta)


model_builders = st.sampled_from([bg_model, pnbd_model])
horizons = st.lists(st.floats(0.0, 1e4), min_size=2, max_size=4).map(sorted)


@SETTINGS
@given(model_builders, positive, positive, positive, positive, customers(), horizons)
def test_continuous_models_probabilities_and_expectations(build, p1, p2, p3, p4, data, ts):
    model = build(p1, p2, p3, p4)
    x, t_x, T = data
    alive = model.probability_alive(x, t_x, T)
    assert np.all((alive >= 0.0) & (alive <= 1.0))
    expected = np.array([model.conditional_expected_purchases(t, x, t_x, T) for t in ts])
    assert np.all(np.isfinite(expected)) and np.all(expected >= 0.0)
    assert np.all(np.diff(expected, axis=0) >= -1e-9 * (1.0 + expected[:-1]))
    new = model.expected_purchases(np.array(ts))
    assert np.all(new >= 0.0) and np.all(np.diff(new) >= -1e-9 * (1.0 + new[:-1]))


@SETTINGS
@given(positive, positive, positive, positive, discrete_customers(), st.integers(0, 50))
def test_bg_bb_probabilities_and_expectations(alpha, beta, gamma, delta, data, n_star):
    model = BetaGeoBetaBinom.from_params(alpha=alpha, beta=beta, gamma=gamma, delta=delta)
    x, t_x, n = data
    alive = model.probability_alive(x, t_x, n)
    assert np.all((alive >= 0.0) & (alive <= 1.0))
    now = model.conditional_expected_purchases(n_star, x, t_x, n)
    later = model.conditional_expected_purchases(n_star + 1, x, t_x, n)
    assert np.all(now >= 0.0) and np.all(later >= now - 1e-12)
    # at most one transaction per opportunity
    assert np.all(later <= n_star + 1 + 1e-9)
    assert np.all(np.exp(model.individual_log_likelihood(x, t_x, n)) <= 1.0 + 1e-12)


@SETTINGS
@given(
    st.sampled_from(["bgnbd", "pnbd", "bgbb"]),
    positive,
    positive,
    positive,
    positive,
    st.floats(0.0, 0.2),
    st.floats(0.001, 0.2),
    st.integers(1, 36),
    st.data(),
)
def test_clv_falls_as_the_discount_rate_rises(kind, p1, p2, p3, p4, d, extra, months, data):
    spend = GammaGamma.from_params(p=2.0, q=3.0, gamma=20.0)
    if kind == "bgbb":
        model = BetaGeoBetaBinom.from_params(alpha=p1, beta=p2, gamma=p3, delta=p4)
        x, t_x, T = data.draw(discrete_customers())
        unit = 1.0
    else:
        model = (bg_model if kind == "bgnbd" else pnbd_model)(p1, p2, p3, p4)
        x, t_x, T = data.draw(customers())
        unit = 4.345
    m = np.where(x > 0, 25.0, 0.0)
    low = customer_lifetime_value(
        model, spend, x, t_x, T, m, months, d, 0.3, time_units_per_month=unit
    )
    high = customer_lifetime_value(
        model, spend, x, t_x, T, m, months, d + extra, 0.3, time_units_per_month=unit
    )
    assert np.all(np.isfinite(low)) and np.all(low >= 0.0)
    assert np.all(high <= low * (1 + 1e-12) + 1e-300)
    longer = customer_lifetime_value(
        model, spend, x, t_x, T, m, months + 1, d, 0.3, time_units_per_month=unit
    )
    assert np.all(longer >= low * (1 - 1e-12))


@SETTINGS
@given(
    positive,
    st.floats(1.05, 20.0),
    positive,
    st.integers(0, 1000),
    st.floats(0.01, 1e5),
)
def test_gamma_gamma_spend_lies_between_own_mean_and_population_mean(p, q, gamma, x, m):
    model = GammaGamma.from_params(p=p, q=q, gamma=gamma)
    value = model.conditional_expected_value(x, m)
    population = model.population_mean_spend()
    own = m if x > 0 else population
    assert min(own, population) * (1 - 1e-12) <= value <= max(own, population) * (1 + 1e-12)


@SETTINGS
@given(
    st.lists(st.lists(st.floats(0.0, 1e6), min_size=4, max_size=4), min_size=1, max_size=5),
    st.floats(0.0, 0.5),
    st.floats(0.001, 0.5),
)
def test_npv_falls_as_the_rate_rises_for_non_negative_profit(rows, rate, extra):
    rp = np.array(rows)
    low = npv_lifetime_value(rp, rate)
    high = npv_lifetime_value(rp, rate + extra)
    assert np.all(high <= low * (1 + 1e-12))
    assert np.all(low <= rp.sum(axis=1) * (1 + 1e-12))
