"""BG/BB: beta-geometric / beta-Bernoulli model for discrete transaction opportunities.

Fader, P. S., Hardie, B. G. S. & Shang, J. (2010), "Customer-base analysis in a discrete-time
noncontractual setting", *Marketing Science* 29(6), 1086-1108.

Story: at each of n opportunities (annual fund drives, event dates, ...) an alive customer
transacts with probability p ~ Beta(α, β); before each opportunity after the first he dies with
probability θ ~ Beta(γ, δ).  A customer is summarised by x (transactions in the n opportunities
after the first), t_x (opportunity of the last one, 0 if none) and n.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import betaln, digamma, gammaln

from ._base import (
    ArrayLike,
    FittedModel,
    FloatArray,
    as_float_array,
    check_counts,
    group_rows,
    prepare_weights,
    scalar_or_array,
    weighted_sum,
)


def _validated(
    frequency: ArrayLike, recency: ArrayLike, n_periods: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    x = as_float_array(frequency, "frequency")
    t_x = as_float_array(recency, "recency")
    n = as_float_array(n_periods, "n_periods")
    x, t_x, n = (np.array(v) for v in np.broadcast_arrays(x, t_x, n))
    check_counts(x)
    check_counts(t_x, "recency")
    check_counts(n, "n_periods")
    if np.any(x > t_x) or np.any(t_x > n):
        raise ValueError("BG/BB needs frequency <= recency <= n_periods")
    if np.any((x == 0) & (t_x > 0)) or np.any((x > 0) & (t_x == 0)):
        raise ValueError("recency must be 0 exactly when frequency is 0")
    return x, t_x, n


def _log_likelihood_terms(
    alpha: float,
    beta: float,
    gamma: float,
    delta: float,
    x: FloatArray,
    t_x: FloatArray,
    n: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """(log L, log of the "alive through n" term) per customer: eq. (5) of FHS (2010).

    L = B(α+x, β+n-x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
      + Σ_{i=0}^{n-t_x-1} B(α+x, β+t_x-x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ)

    The sum (death after opportunity t_x+i) is taken with logsumexp over a rows × i matrix.
    """
    b_ab = betaln(alpha, beta)
    b_gd = betaln(gamma, delta)
    log_alive = betaln(alpha + x, beta + n - x) - b_ab + betaln(gamma, delta + n) - b_gd
    gap = (n - t_x).astype(np.int64)
    width = int(gap.max()) if gap.size else 0
    if width == 0:
        return log_alive, log_alive
    i = np.arange(width, dtype=np.float64)
    xi = x[..., None]
    ti = t_x[..., None] + i
    terms = betaln(alpha + xi, beta + ti - xi) - b_ab + betaln(gamma + 1.0, delta + ti) - b_gd
    terms = np.where(i < gap[..., None], terms, -np.inf)
    stacked = np.concatenate([log_alive[..., None], terms], axis=-1)
    # log-sum-exp by hand: scipy's version costs more than the sum itself on these small arrays
    top = np.max(stacked, axis=-1, keepdims=True)  # finite: log_alive always is
    total = top[..., 0] + np.log(np.sum(np.exp(stacked - top), axis=-1))
    return total, log_alive


def _log_gamma_ratio_difference(gamma: float, delta: float, n: FloatArray, n_star: FloatArray):
    """δ/(γ-1) · Γ(γ+δ)/Γ(1+δ) · [Γ(1+δ+n)/Γ(γ+δ+n) - Γ(1+δ+n+n*)/Γ(γ+δ+n+n*)].

    The factor of eq. (13) of FHS (2010) (and, with n = 0, of eq. 8): the expected number of
    opportunities at which a customer alive at n is still alive in (n, n+n*], per unit p.
    At γ = 1 it is 0/0; the limit δ [ψ(1+δ+n+n*) - ψ(1+δ+n)] is used within 1e-6 of it.
    Returns the value itself (not its log).
    """
    g = gamma - 1.0
    lead = gammaln(gamma + delta) - gammaln(1.0 + delta)
    f_now = gammaln(1.0 + delta + n) - gammaln(gamma + delta + n)
    f_later = gammaln(1.0 + delta + n + n_star) - gammaln(gamma + delta + n + n_star)
    if abs(g) < 1e-6:
        return delta * (digamma(1.0 + delta + n + n_star) - digamma(1.0 + delta + n))
    # e^f_now - e^f_later = e^f_now (1 - e^(f_later - f_now)), same sign as g
    return delta / g * np.exp(lead + f_now) * -np.expm1(f_later - f_now)


class BetaGeoBetaBinom(FittedModel):
    """BG/BB model (Fader, Hardie & Shang 2010, Marketing Science 29(6)).

    Parameters after ``fit``: ``alpha``, ``beta`` (transaction probability p ~ Beta(α, β)) and
    ``gamma``, ``delta`` (death probability θ ~ Beta(γ, δ)).  Time is counted in transaction
    opportunities: ``recency`` and ``n_periods`` are whole numbers.
    """

    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "gamma", "delta")
    model_name: ClassVar[str] = "BG/BB"
    reference: ClassVar[str] = "Fader, Hardie & Shang (2010), Marketing Science 29(6)"

    def fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        n_periods: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> BetaGeoBetaBinom:
        """Maximum-likelihood fit of (α, β, γ, δ); ``weights`` = customers per row.

        Data are usually already grouped by (x, t_x, n) — e.g. the donations data set has 22
        rows for 11,104 donors — and any remaining duplicates are grouped here.
        """
        x, t_x, n = _validated(frequency, recency, n_periods)
        if x.ndim != 1:
            raise ValueError("frequency, recency and n_periods must be one-dimensional")
        w = prepare_weights(weights, len(x))
        (gx, gt, gn), gw = group_rows([x, t_x, n], w)
        self._data = (gx, gt, gn, gw)
        self.n_customers = float(gw.sum())
        self._maximise(np.ones(4))
        return self

    def _negative_log_likelihood(self, theta: FloatArray) -> float:
        x, t_x, n, w = self._data
        return -weighted_sum(w, _log_likelihood_terms(*theta, x, t_x, n)[0])

    def individual_log_likelihood(
        self, frequency: ArrayLike, recency: ArrayLike, n_periods: ArrayLike
    ) -> FloatArray | float:
        """log L(α, β, γ, δ | x, t_x, n) per customer (eq. 5 of FHS 2010)."""
        x, t_x, n = _validated(frequency, recency, n_periods)
        out = _log_likelihood_terms(*self._theta(), x, t_x, n)[0]
        return scalar_or_array(out, frequency, recency, n_periods)

    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, n_periods: ArrayLike
    ) -> FloatArray | float:
        """P(alive at opportunity n+1 | x, t_x, n), eq. (11) of FHS (2010).

        = B(α+x, β+n-x)/B(α,β) · B(γ, δ+n+1)/B(γ,δ) / L(α, β, γ, δ | x, t_x, n).
        """
        alpha, beta, gamma, delta = self._theta()
        x, t_x, n = _validated(frequency, recency, n_periods)
        log_l, log_alive_n = _log_likelihood_terms(alpha, beta, gamma, delta, x, t_x, n)
        # alive at n+1 = alive at n, then survive once more: B(γ, δ+n+1)/B(γ, δ+n)
        log_next = log_alive_n + betaln(gamma, delta + n + 1.0) - betaln(gamma, delta + n)
        return scalar_or_array(np.exp(log_next - log_l), frequency, recency, n_periods)

    def conditional_expected_purchases(
        self,
        n_future: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        n_periods: ArrayLike,
    ) -> FloatArray | float:
        """E[X(n, n+n*) | x, t_x, n]: expected transactions in the next n* opportunities.

        Eq. (13) of FHS (2010):
        1/L · B(α+x+1, β+n-x)/B(α,β) · δ/(γ-1) · Γ(γ+δ)/Γ(1+δ)
            · [Γ(1+δ+n)/Γ(γ+δ+n) - Γ(1+δ+n+n*)/Γ(γ+δ+n+n*)].
        A non-integer n* interpolates smoothly between whole numbers of opportunities.
        """
        alpha, beta, gamma, delta = self._theta()
        n_star = as_float_array(n_future, "n_future")
        x, t_x, n = _validated(frequency, recency, n_periods)
        n_star, x, t_x, n = np.broadcast_arrays(n_star, x, t_x, n)
        log_l, _ = _log_likelihood_terms(alpha, beta, gamma, delta, x, t_x, n)
        log_p_part = betaln(alpha + x + 1.0, beta + n - x) - betaln(alpha, beta)
        factor = _log_gamma_ratio_difference(gamma, delta, n, n_star)
        out = np.exp(log_p_part - log_l) * factor
        return scalar_or_array(out, n_future, frequency, recency, n_periods)

    def expected_purchases(self, n: ArrayLike) -> FloatArray | float:
        """E[X(n)]: expected transactions of a new customer in the first n opportunities.

        Eq. (8) of FHS (2010): α/(α+β) · δ/(γ-1) · [1 - Γ(γ+δ)Γ(1+δ+n) / (Γ(γ+δ+n)Γ(1+δ))].
        """
        alpha, beta, gamma, delta = self._theta()
        n_arr = as_float_array(n, "n")
        factor = _log_gamma_ratio_difference(gamma, delta, np.zeros_like(n_arr), n_arr)
        return scalar_or_array(alpha / (alpha + beta) * factor, n)
