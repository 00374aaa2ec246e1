"""BG/NBD: the beta-geometric / negative binomial model of repeat buying.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "'Counting your customers' the easy way: an
alternative to the Pareto/NBD model", *Marketing Science* 24(2), 275-284.

Story: while active, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
repeat purchase he becomes inactive with probability p ~ Beta(a, b).  A customer is summarised
by x (repeat purchases), t_x (time of the last one, 0 if x = 0) and T (time since the first
purchase), all in one time unit (weeks for CDNOW).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from ._base import (
    ArrayLike,
    FittedModel,
    FloatArray,
    as_float_array,
    check_counts,
    check_recency,
    factorise,
    group_rows,
    prepare_weights,
    scalar_or_array,
    weighted_sum,
)
from ._special import HYP2F1_SAFE_Z, bgnbd_growth_by_quadrature


class _Design:
    """Grouped calibration data and the distinct values of each column.

    Every term of the log-likelihood depends on one column only (x, t_x or T) except for a few
    products, so the expensive special functions are evaluated once per distinct value and
    gathered by index.
    """

    def __init__(
        self, x: FloatArray, t_x: FloatArray, T: FloatArray, w: FloatArray, group: bool = True
    ) -> None:
        if group:
            (self.x, self.t_x, self.T), self.w = group_rows([x, t_x, T], w)
        else:
            self.x, self.t_x, self.T, self.w = x, t_x, T, w
        self.ux, self.ix = factorise(self.x)
        self.ut, self.it = factorise(self.t_x)
        self.uT, self.iT = factorise(self.T)
        self.repeat = self.x > 0


class BetaGeo(FittedModel):
    """BG/NBD model (Fader, Hardie & Lee 2005, Marketing Science 24(2)).

    Parameters after ``fit``: ``r``, ``alpha`` (gamma heterogeneity of the purchase rate λ) and
    ``a``, ``b`` (beta heterogeneity of the drop-out probability p).

    Log-likelihood of one customer, eq. (6) of the paper, written in logs::

        L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
          + δ(x>0) B(a+1, b+x-1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))

    Example::

        model = BetaGeo().fit(frequency, recency, T)
        model.params            # {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426} on CDNOW
        model.conditional_expected_purchases(39, 2, 30.43, 38.86)   # ≈ 1.226
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    model_name: ClassVar[str] = "BG/NBD"
    reference: ClassVar[str] = "Fader, Hardie & Lee (2005), Marketing Science 24(2)"
    _analytic_gradient: ClassVar[bool] = True

    # --------------------------------------------------------------------- fitting
    def fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> BetaGeo:
        """Maximum-likelihood fit of (r, α, a, b) to calibration-period summaries.

        ``frequency`` x (repeat purchases), ``recency`` t_x and ``T`` per customer (one time unit),
        ``weights`` optionally the number of customers each row stands for.  Identical rows are
        grouped before fitting.  Returns ``self`` with ``params`` and ``log_likelihood`` (the
        total over customers, eq. 6 of Fader, Hardie & Lee 2005).
        """
        x, t_x, big_t = _validated(frequency, recency, T)
        if x.ndim != 1:
            raise ValueError("frequency, recency and T must be one-dimensional")
        w = prepare_weights(weights, len(x))
        self._data = _Design(x, t_x, big_t, w)
        self.n_customers = float(self._data.w.sum())
        self._maximise(np.ones(4))
        return self

    def _terms(self, theta: FloatArray, d: _Design) -> tuple[FloatArray, ...]:
        r, alpha, a, b = theta
        x_safe = np.maximum(d.ux, 1.0)
        b_ab = betaln(a, b)
        lead = gammaln(r + d.ux) - gammaln(r) + r * np.log(alpha)  # per distinct x
        beta1 = betaln(a, b + d.ux) - b_ab
        beta2 = betaln(a + 1.0, b + x_safe - 1.0) - b_ab
        log_T = np.log(alpha + d.uT)
        log_t = np.log(alpha + d.ut)
        rx = r + d.x
        t1 = beta1[d.ix] - rx * log_T[d.iT]
        t2 = beta2[d.ix] - rx * log_t[d.it]
        z = np.where(d.repeat, t2 - t1, -np.inf)
        ll = lead[d.ix] + t1 + np.logaddexp(0.0, z)
        return ll, z, log_T, log_t

    def _negative_log_likelihood(self, theta: FloatArray) -> float:
        ll = self._terms(theta, self._data)[0]
        return -weighted_sum(self._data.w, ll)

    def _objective(self, log_theta: FloatArray) -> tuple[float, FloatArray]:
        d: _Design = self._data
        theta = np.exp(log_theta)
        r, alpha, a, b = theta
        ll, z, log_T, log_t = self._terms(theta, d)
        w2 = expit(z)  # weight of the "dropped out after the last purchase" term
        w1 = 1.0 - w2
        x = d.x
        x_safe = np.maximum(d.ux, 1.0)
        psi_ab = digamma(a + b)
        psi_abx = digamma(a + b + d.ux)
        d_lead_r = digamma(r + d.ux) - digamma(r) + np.log(alpha)
        # derivatives of the two log-terms with respect to each parameter
        d1_a = digamma(a) - psi_abx - (digamma(a) - psi_ab)
        d2_a = digamma(a + 1.0) - psi_abx - (digamma(a) - psi_ab)
        d1_b = digamma(b + d.ux) - psi_abx - (digamma(b) - psi_ab)
        d2_b = digamma(b + x_safe - 1.0) - psi_abx - (digamma(b) - psi_ab)
        lT = log_T[d.iT]
        lt = log_t[d.it]
        g_r = d_lead_r[d.ix] - w1 * lT - w2 * lt
        g_alpha = r / alpha - (r + x) * (w1 / (alpha + d.T) + w2 / (alpha + d.t_x))
        g_a = w1 * d1_a[d.ix] + w2 * d2_a[d.ix]
        g_b = w1 * d1_b[d.ix] + w2 * d2_b[d.ix]
        grad = np.array([weighted_sum(d.w, g) for g in (g_r, g_alpha, g_a, g_b)])
        n = self.n_customers
        return -weighted_sum(d.w, ll) / n, -grad * theta / n

    def individual_log_likelihood(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray | float:
        """log L(r, α, a, b | x, t_x, T) per customer (eq. 6 of Fader, Hardie & Lee 2005)."""
        theta = self._theta()
        x, t_x, big_t = _validated(frequency, recency, T)
        shape = x.shape
        d = _Design(x.ravel(), t_x.ravel(), big_t.ravel(), np.ones(x.size), group=False)
        ll = self._terms(theta, d)[0]
        return scalar_or_array(ll.reshape(shape), frequency, recency, T)

    # ------------------------------------------------------------------ predictions
    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray | float:
        """P(active at T | x, t_x, T), eq. (11) of Fader, Hardie & Lee (2005).

        P = 1 / (1 + δ(x>0) · a/(b+x-1) · ((α+T)/(α+t_x))^(r+x)); computed as a logistic of the
        log-odds so that heavy buyers with a long silence give 0 rather than an overflow.
        """
        r, alpha, a, b = self._theta()
        x, t_x, big_t = _validated(frequency, recency, T)
        out = expit(-_log_odds_dead(r, alpha, a, b, x, t_x, big_t))
        return scalar_or_array(out, frequency, recency, T)

    def conditional_expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray | float:
        """E[Y(t) | x, t_x, T]: expected repeat purchases in (T, T+t], eq. (10) of the paper.

        E = (a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(α+T+t))]
            · P(alive | x, t_x, T).

        The hypergeometric term is evaluated after Euler's transformation,
        (1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z), whose series stays
        bounded for heavy buyers and long horizons (the "#NUM!" problem of Fader & Hardie's 2013
        note "Overcoming the BG/NBD model's #NUM! error problem").
        """
        r, alpha, a, b = self._theta()
        t_arr = as_float_array(t, "t")
        x, t_x, big_t = _validated(frequency, recency, T)
        t_arr, x, t_x, big_t = np.broadcast_arrays(t_arr, x, t_x, big_t)
        growth = _expected_growth(r, alpha, a, b, x, alpha + big_t, t_arr)
        alive = expit(-_log_odds_dead(r, alpha, a, b, x, t_x, big_t))
        return scalar_or_array(growth * alive, t, frequency, recency, T)

    def expected_purchases(self, t: ArrayLike) -> FloatArray | float:
        """E[X(t)]: expected repeat purchases of a new customer in (0, t], eq. (9) of the paper.

        E[X(t)] = (a+b-1)/(a-1) · [1 - (α/(α+t))^r 2F1(r, b; a+b-1; t/(α+t))]
        (same Euler transformation as :meth:`conditional_expected_purchases`).
        """
        r, alpha, a, b = self._theta()
        t_arr = as_float_array(t, "t")
        out = _expected_growth(
            r, alpha, a, b, np.zeros_like(t_arr), np.full_like(t_arr, alpha), t_arr
        )
        return scalar_or_array(out, t)


def _validated(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    x = as_float_array(frequency, "frequency")
    t_x = as_float_array(recency, "recency")
    big_t = as_float_array(T, "T")
    x, t_x, big_t = (np.array(v) for v in np.broadcast_arrays(x, t_x, big_t))
    check_counts(x)
    t_x = check_recency(x, t_x, big_t)
    return x, t_x, big_t


def _log_odds_dead(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """log of δ(x>0) a/(b+x-1) ((α+T)/(α+t_x))^(r+x): -inf for customers without repeats."""
    x_safe = np.maximum(x, 1.0)
    value = (
        np.log(a) - np.log(b + x_safe - 1.0) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    )
    return np.where(x > 0, value, -np.inf)


def _expected_growth(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: FloatArray,
    alpha_T: FloatArray,
    t: FloatArray,
) -> FloatArray:
    """(a+b+x-1)/(a-1) · [1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)], z = t/(α+T+t).

    The expected purchases in the next t of a customer known to be alive with x repeat purchases
    by age T (``alpha_T`` = α + T).  At a = 1 the expression is 0/0; a is nudged by 1e-7 there.
    For z > 0.9, where scipy's hyp2f1 is unreliable, the same quantity is integrated directly
    (:func:`bgnbd_growth_by_quadrature`).
    """
    t, x, alpha_T = (np.asarray(v, dtype=np.float64) for v in np.broadcast_arrays(t, x, alpha_T))
    tau = t / alpha_T
    far = tau > HYP2F1_SAFE_Z / (1.0 - HYP2F1_SAFE_Z)  # z = τ / (1 + τ) > 0.9
    out = np.empty(t.shape)
    if np.any(far):
        out[far] = bgnbd_growth_by_quadrature(r, a, b, x[far], tau[far])
    near = ~far
    if abs(a - 1.0) < 1e-7:
        a = 1.0 + 1e-7
    x, alpha_T, t = x[near], alpha_T[near], t[near]
    c = a + b + x - 1.0
    z = t / (alpha_T + t)
    log_one_minus_z = -np.log1p(t / alpha_T)  # exact for t much smaller than alpha + T
    hyper_minus_one = _hyp2f1_minus_one(a + b - 1.0 - r, a - 1.0, c, z)
    scale = np.exp((a - 1.0) * log_one_minus_z)
    bracket = -np.expm1((a - 1.0) * log_one_minus_z) - scale * hyper_minus_one
    out[near] = c / (a - 1.0) * bracket
    return out


def _hyp2f1_minus_one(A: float, B: float, C: FloatArray, z: FloatArray) -> FloatArray:
    """2F1(A, B; C; z) - 1 without the cancellation of subtracting 1 when z is tiny.

    For a short horizon (or a huge T) z is so small that hyp2f1 rounds to 1 ± 1 ulp and the
    expected purchases would come out as ±1e-16 instead of about λt.  Where the series'
    second term is below 0.1 of the first, 20 terms of Σ_{k>=1} (A)_k (B)_k / ((C)_k k!) z^k
    are summed instead.
    """
    out = np.empty(np.broadcast(C, z).shape)
    C, z = np.broadcast_arrays(C, z)
    small = z * (1.0 + abs(A)) * (1.0 + abs(B)) / np.maximum(C, 1e-300) < 0.1
    if np.any(small):
        cs, zs = C[small], z[small]
        term = np.ones_like(zs)
        total = np.zeros_like(zs)
        for k in range(20):
            term = term * (A + k) * (B + k) / ((cs + k) * (k + 1.0)) * zs
            total += term
        out[small] = total
    big = ~small
    out[big] = hyp2f1(A, B, C[big], z[big]) - 1.0
    return out
