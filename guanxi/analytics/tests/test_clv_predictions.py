"""Predictions of the CLV models checked customer by customer against independent derivations.

Each expected value is computed here by a different route than the package takes: plain
``math`` with a hand-summed Gauss series for the hypergeometric function (the package uses
scipy's ``hyp2f1`` after Euler's transformation), numerical integration over the latent rates or
probabilities (the package uses closed forms), or brute-force sums over opportunities.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from guanxi.analytics.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ParetoNBD,
    customer_equity,
    customer_lifetime_value,
    npv_lifetime_value,
)

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PNBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
BGBB = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}

#: (x, t_x, T) in weeks: no repeat, light, the FHL example, recent heavy, lapsed heavy, recency = T
CUSTOMERS = [
    (0, 0.0, 38.86),
    (1, 1.71, 38.86),
    (2, 30.43, 38.86),
    (7, 35.0, 38.0),
    (14, 12.0, 38.0),
    (3, 27.0, 27.0),
]


def gauss_series(a: float, b: float, c: float, z: float) -> float:
    """2F1(a, b; c; z) = Σ_k (a)_k (b)_k / ((c)_k k!) z^k, summed term by term (|z| < 1)."""
    term = total = 1.0
    k = 0
    while True:
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        k += 1
        if abs(term) < 1e-17 * abs(total):
            return total
        assert k < 200_000, "series did not converge"


def lbeta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


# --------------------------------------------------------------------------- BG/NBD


def bgnbd_expected_by_hand(t, x, t_x, T, r, alpha, a, b):
    """FHL 2005 eq. (10), as printed (no transformation)."""
    ratio = (alpha + T) / (alpha + T + t)
    series = gauss_series(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    growth = (a + b + x - 1) / (a - 1) * (1 - ratio ** (r + x) * series)
    odds = a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x) if x > 0 else 0.0
    return growth / (1 + odds)


def bgnbd_loglik_by_hand(x, t_x, T, r, alpha, a, b):
    """FHL 2005 eq. (6)."""
    lead = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
    term = math.exp(lbeta(a, b + x) - lbeta(a, b) - (r + x) * math.log(alpha + T))
    if x > 0:
        term += math.exp(lbeta(a + 1, b + x - 1) - lbeta(a, b) - (r + x) * math.log(alpha + t_x))
    return lead + math.log(term)


@pytest.mark.parametrize(("x", "t_x", "T"), CUSTOMERS)
def test_bg_nbd_conditional_expectation_matches_equation_10(x, t_x, T):
    model = BetaGeo.from_params(**BG)
    for t in (1.0, 39.0, 104.0):
        expected = bgnbd_expected_by_hand(t, x, t_x, T, **BG)
        assert model.conditional_expected_purchases(t, x, t_x, T) == pytest.approx(
            expected, rel=1e-9
        )


@pytest.mark.parametrize(("x", "t_x", "T"), CUSTOMERS)
def test_bg_nbd_probability_alive_and_likelihood_match_equations_6_and_11(x, t_x, T):
    model = BetaGeo.from_params(**BG)
    r, alpha, a, b = BG.values()
    odds = a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x) if x > 0 else 0.0
    assert model.probability_alive(x, t_x, T) == pytest.approx(1 / (1 + odds), rel=1e-12)
    assert model.individual_log_likelihood(x, t_x, T) == pytest.approx(
        bgnbd_loglik_by_hand(x, t_x, T, **BG), rel=1e-12
    )


def test_bg_nbd_expected_purchases_of_a_new_customer():
    model = BetaGeo.from_params(**BG)
    r, alpha, a, b = BG.values()
    for t in (1.0, 39.0, 78.0):
        by_hand = (
            (a + b - 1)
            / (a - 1)
            * (1 - (alpha / (alpha + t)) ** r * gauss_series(r, b, a + b - 1, t / (alpha + t)))
        )
        assert model.expected_purchases(t) == pytest.approx(by_hand, rel=1e-9)
    # and it is the conditional expectation of a customer observed for no time at all
    assert model.expected_purchases(39.0) == pytest.approx(
        model.conditional_expected_purchases(39.0, 0, 0.0, 0.0), rel=1e-12
    )


def test_bg_nbd_expected_purchases_agree_with_simulating_the_story():
    from guanxi.analytics.clv.simulate import simulate_beta_geo

    model = BetaGeo.from_params(**BG)
    rng = np.random.default_rng(20050401)
    x, _ = simulate_beta_geo(*BG.values(), np.full(200_000, 39.0), rng)
    standard_error = x.std() / math.sqrt(len(x))
    assert abs(x.mean() - model.expected_purchases(39.0)) < 4 * standard_error


# ------------------------------------------------------------------------ Pareto/NBD


def pnbd_pieces_by_quadrature(x, t_x, T, r, alpha, s, beta):
    """The two terms of the Pareto/NBD likelihood, the death term by numerical integration.

    L = Γ(r+x) α^r β^s / Γ(r) [ (α+T)^-(r+x) (β+T)^-s + s ∫_{t_x}^T (α+τ)^-(r+x) (β+τ)^-(s+1) dτ ]
    (mixing λ^x e^{-λτ} over Gamma(r, α) and the death density μ e^{-μτ} over Gamma(s, β)).
    """
    lead = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) + s * math.log(beta)
    alive = (alpha + T) ** -(r + x) * (beta + T) ** -s
    dead, _ = integrate.quad(
        lambda tau: (alpha + tau) ** -(r + x) * (beta + tau) ** -(s + 1),
        t_x,
        T,
        epsabs=0,
        epsrel=1e-12,
    )
    return lead, alive, s * dead


PNBD_PARAMETER_SETS = [
    PNBD,  # α < β
    {"r": 0.553, "alpha": 30.0, "s": 0.606, "beta": 2.0},  # α > β
    {"r": 2.5, "alpha": 0.5, "s": 1.0, "beta": 40.0},  # s = 1, α ≪ β
]


@pytest.mark.parametrize("params", PNBD_PARAMETER_SETS)
@pytest.mark.parametrize(("x", "t_x", "T"), CUSTOMERS)
def test_pareto_nbd_likelihood_and_p_alive_match_numerical_integration(params, x, t_x, T):
    model = ParetoNBD.from_params(**params)
    lead, alive, dead = pnbd_pieces_by_quadrature(x, t_x, T, **params)
    assert model.individual_log_likelihood(x, t_x, T) == pytest.approx(
        lead + math.log(alive + dead), rel=1e-9
    )
    assert model.probability_alive(x, t_x, T) == pytest.approx(alive / (alive + dead), rel=1e-8)


@pytest.mark.parametrize("params", PNBD_PARAMETER_SETS)
def test_pareto_nbd_conditional_expectation_matches_integrating_over_the_death_rate(params):
    model = ParetoNBD.from_params(**params)
    r, alpha, s, beta = params.values()
    t = 39.0
    for x, t_x, T in CUSTOMERS:
        lead, alive, dead = pnbd_pieces_by_quadrature(x, t_x, T, **params)
        p_alive = alive / (alive + dead)
        # alive at T: λ | data ~ Gamma(r+x, α+T), μ ~ Gamma(s, β+T); E[Y] = E[λ] E[(1-e^{-μt})/μ]
        posterior_mu = stats.gamma(a=s, scale=1 / (beta + T))
        per_mu, _ = integrate.quad(
            lambda mu, pm=posterior_mu: -math.expm1(-mu * t) / mu * pm.pdf(mu),
            0,
            np.inf,
            epsabs=0,
            epsrel=1e-11,
            limit=200,
        )
        expected = p_alive * (r + x) / (alpha + T) * per_mu
        assert model.conditional_expected_purchases(t, x, t_x, T) == pytest.approx(
            expected, rel=1e-7
        )
    # new customer: E[X(t)] = E[λ] E[(1-e^{-μt})/μ] with the prior
    prior_mu = stats.gamma(a=s, scale=1 / beta)
    per_mu, _ = integrate.quad(
        lambda mu: -math.expm1(-mu * 39.0) / mu * prior_mu.pdf(mu), 0, np.inf, epsrel=1e-11
    )
    assert model.expected_purchases(39.0) == pytest.approx(r / alpha * per_mu, rel=1e-7)


# ----------------------------------------------------------------------- Gamma-Gamma


@pytest.mark.parametrize(("x", "m"), [(1, 11.77), (2, 22.35), (6, 50.0), (40, 15.0)])
def test_gamma_gamma_expected_spend_is_the_posterior_mean(x, m):
    model = GammaGamma.from_params(**GG)
    p, q, gamma = GG.values()
    # ν | x, m ~ Gamma(px + q, rate γ + m x); E[M] = E[p / ν]
    posterior = stats.gamma(a=p * x + q, scale=1 / (gamma + m * x))
    expected, _ = integrate.quad(
        lambda nu: p / nu * posterior.pdf(nu), 0, np.inf, epsabs=0, epsrel=1e-11
    )
    assert model.conditional_expected_value(x, m) == pytest.approx(expected, rel=1e-8)
    # FHL 2005 (JMR) eq. 5 as a weighted average of the population mean and m_x
    weight = p * x / (p * x + q - 1)
    population = p * gamma / (q - 1)
    assert model.conditional_expected_value(x, m) == pytest.approx(
        (1 - weight) * population + weight * m, rel=1e-12
    )


def test_gamma_gamma_density_integrates_to_one_and_matches_by_hand():
    model = GammaGamma.from_params(**GG)
    p, q, gamma = GG.values()
    for x in (1, 3, 10):
        total, _ = integrate.quad(
            lambda m, x=x: math.exp(model.individual_log_likelihood(x, m)), 0, np.inf
        )
        assert total == pytest.approx(1.0, abs=1e-7)
        m = 27.5
        by_hand = (
            math.lgamma(p * x + q)
            - math.lgamma(p * x)
            - math.lgamma(q)
            + q * math.log(gamma)
            + (p * x - 1) * math.log(m)
            + p * x * math.log(x)
            - (p * x + q) * math.log(gamma + m * x)
        )
        assert model.individual_log_likelihood(x, m) == pytest.approx(by_hand, rel=1e-12)
    assert model.conditional_expected_value(0, 0.0) == pytest.approx(p * gamma / (q - 1))


# ----------------------------------------------------------------------------- BG/BB


def beta_moment(a: float, b: float, j: float, k: float) -> float:
    """E[u^j (1-u)^k] for u ~ Beta(a, b), by numerical integration (quad's algebraic weight)."""
    value, _ = integrate.quad(
        lambda u: u**j * (1 - u) ** k, 0, 1, weight="alg", wvar=(a - 1, b - 1), epsrel=1e-12
    )
    return value / math.exp(lbeta(a, b))


def bgbb_by_brute_force(x, t_x, n, n_star, alpha, beta, gamma, delta):
    """Likelihood, P(alive at n+1) and E[X(n, n+n*)] by summing over death times."""
    alive_through_n = beta_moment(alpha, beta, x, n - x) * beta_moment(gamma, delta, 0, n)
    died = sum(
        beta_moment(alpha, beta, x, t_x - x + i) * beta_moment(gamma, delta, 1, t_x + i)
        for i in range(n - t_x)
    )
    likelihood = alive_through_n + died
    p_alive_next = (
        beta_moment(alpha, beta, x, n - x) * beta_moment(gamma, delta, 0, n + 1) / likelihood
    )
    future = sum(
        beta_moment(alpha, beta, x + 1, n - x) * beta_moment(gamma, delta, 0, n + k)
        for k in range(1, n_star + 1)
    )
    return likelihood, p_alive_next, future / likelihood


@pytest.mark.parametrize(
    ("x", "t_x", "n"), [(0, 0, 6), (1, 1, 6), (2, 5, 6), (3, 3, 6), (6, 6, 6), (4, 9, 12)]
)
def test_bg_bb_matches_brute_force_sums(x, t_x, n):
    model = BetaGeoBetaBinom.from_params(**BGBB)
    likelihood, p_alive, future = bgbb_by_brute_force(x, t_x, n, 5, **BGBB)
    assert model.individual_log_likelihood(x, t_x, n) == pytest.approx(
        math.log(likelihood), rel=1e-9
    )
    assert model.probability_alive(x, t_x, n) == pytest.approx(p_alive, rel=1e-8)
    assert model.conditional_expected_purchases(5, x, t_x, n) == pytest.approx(future, rel=1e-8)


def test_bg_bb_new_customer_expectation_by_brute_force():
    model = BetaGeoBetaBinom.from_params(**BGBB)
    alpha, beta, gamma, delta = BGBB.values()
    for n in (1, 6, 11):
        by_hand = sum(
            alpha / (alpha + beta) * beta_moment(gamma, delta, 0, k) for k in range(1, n + 1)
        )
        assert model.expected_purchases(n) == pytest.approx(by_hand, rel=1e-9)


def test_bg_bb_near_gamma_one_uses_the_limit():
    # γ = 1 makes eq. (13) 0/0; just off 1 it must agree with the brute-force sum
    params = dict(BGBB, gamma=1.0 + 1e-9)
    model = BetaGeoBetaBinom.from_params(**params)
    _, _, future = bgbb_by_brute_force(2, 4, 6, 5, **params)
    assert model.conditional_expected_purchases(5, 2, 4, 6) == pytest.approx(future, rel=1e-6)


# ------------------------------------------------------------------------- CLV / NPV


def test_npv_lifetime_value_is_the_domain_formula():
    rp = np.array([[100.0, 100.0, 100.0], [0.0, 50.0, 80.0]])
    prp = np.array([[10.0, 0.0, 0.0], [0.0, 0.0, 20.0]])
    r = 0.1
    expected_first = 110 / 1.1 + 100 / 1.1**2 + 100 / 1.1**3
    expected_second = 50 / 1.1**2 + 100 / 1.1**3
    assert npv_lifetime_value(rp, r, prp) == pytest.approx([expected_first, expected_second])
    assert npv_lifetime_value(rp, r)[0] == pytest.approx(100 / 1.1 + 100 / 1.21 + 100 / 1.331)
    assert customer_equity(rp, r, prp) == pytest.approx(expected_first + expected_second)
    assert npv_lifetime_value(rp, 0.0).tolist() == [300.0, 130.0]


def test_npv_keeps_the_customer_index_of_a_dataframe():
    import pandas as pd

    rp = pd.DataFrame([[10.0, 10.0], [5.0, 0.0]], index=["alice", "bob"])
    out = npv_lifetime_value(rp, 0.05)
    assert list(out.index) == ["alice", "bob"]
    assert out["bob"] == pytest.approx(5 / 1.05)


def test_clv_is_the_discounted_sum_of_monthly_expected_purchases_times_spend():
    bg = BetaGeo.from_params(**BG)
    gg = GammaGamma.from_params(**GG)
    x, t_x, T, m = 2, 30.43, 38.86, 22.35
    weeks_per_month, months, d, margin = 4.345, 12, 0.01, 0.3
    cumulative = [0.0] + [
        bgnbd_expected_by_hand(k * weeks_per_month, x, t_x, T, **BG) for k in range(1, months + 1)
    ]
    purchases = sum(
        (cumulative[k] - cumulative[k - 1]) / (1 + d) ** k for k in range(1, months + 1)
    )
    p, q, gamma = GG.values()
    spend = (gamma + m * x) * p / (p * x + q - 1)
    clv = customer_lifetime_value(bg, gg, [x], [t_x], [T], [m], months, d, margin)
    assert clv[0] == pytest.approx(margin * spend * purchases, rel=1e-9)
    # with no discounting the sum telescopes to the 12-month conditional expectation
    undiscounted = customer_lifetime_value(bg, gg, [x], [t_x], [T], [m], months, 0.0, 1.0)
    assert undiscounted[0] == pytest.approx(spend * cumulative[-1], rel=1e-9)


def test_clv_with_bg_bb_counts_opportunities():
    bgbb = BetaGeoBetaBinom.from_params(**BGBB)
    gg = GammaGamma.from_params(**GG)
    # one step = one opportunity: Σ_k P(transaction at n+k) / (1+d)^k
    x, t_x, n = 3, 5, 6
    steps = [bgbb.conditional_expected_purchases(k, x, t_x, n) for k in range(0, 6)]
    by_hand = sum((steps[k] - steps[k - 1]) / 1.1**k for k in range(1, 6))
    spend = gg.conditional_expected_value(x, 40.0)
    clv = customer_lifetime_value(
        bgbb, gg, [x], [t_x], [n], [40.0], 5, 0.1, 1.0, time_units_per_month=1.0
    )
    assert clv[0] == pytest.approx(spend * by_hand, rel=1e-12)
