"""Pareto/NBD: Poisson purchasing with exponential lifetimes, both gamma-heterogeneous.

Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987), "Counting your customers: who are
they and what will they do next?", *Management Science* 33(1), 1-24; likelihood and
expectations as written by Fader, P. S. & Hardie, B. G. S. (2005), "A note on deriving the
Pareto/NBD model and related expressions" (the "implementation note"), and in Fader, Hardie &
Lee (2005), *Marketing Science* 24(2), where it is fitted to the CDNOW sample.

Story: while active, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); his
lifetime is exponential with rate μ ~ Gamma(s, β), independent of λ.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import expit, gammaln, hyp2f1

from ._base import (
    ArrayLike,
    FittedModel,
    FloatArray,
    as_float_array,
    group_rows,
    prepare_weights,
    scalar_or_array,
    weighted_sum,
)
from ._special import HYP2F1_SAFE_Z, log1mexp, log_power_integral, power_difference
from .bgnbd import _validated


def _log_tail_integral(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, t: FloatArray
) -> FloatArray:
    """log G(t), G(t) = ∫_t^∞ (α+τ)^-(r+x) (β+τ)^-(s+1) dτ.

    The implementation note writes G with 2F1(r+s+x, s+1; r+s+x+1; (α-β)/(α+t)) (α >= β) or
    2F1(r+s+x, r+x; r+s+x+1; (β-α)/(β+t)) (α < β).  Those series diverge as the argument nears 1
    (one of α, β much larger than the other plus t) and their powers overflow for heavy buyers.
    Euler's transformation 2F1(a, b; c; z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z) gives, for α >= β,

        G(t) = (α+t)^-(r+x) (β+t)^-s 2F1(1, r+x; r+s+x+1; z) / (r+s+x),  z = (α-β)/(α+t),

    whose series has c-a-b = s > 0 and so stays bounded up to z = 1.  For α < β the two
    versions have c-a-b = 1-r-x and r+x-1; each row uses the one that is non-negative:

        G(t) = (β+t)^-(r+s+x) 2F1(r+x, r+s+x; r+s+x+1; z) / (r+s+x)         (r+x < 1)
             = (β+t)^-(s+1) (α+t)^(1-r-x) 2F1(1, s+1; r+s+x+1; z) / (r+s+x)  (r+x >= 1),
        z = (β-α)/(β+t).

    Everything is kept in logs.  scipy's hyp2f1 is exact to rounding for z <= 0.9 but fails
    (NaN) for heavy buyers and integer parameters as z nears 1, so beyond z = 0.9 the integral is
    evaluated directly by :func:`log_power_integral`.
    """
    rx, t = (np.asarray(v, dtype=np.float64) for v in np.broadcast_arrays(r + x, t))
    out = np.empty(rx.shape)
    # |α - β| / (max(α, β) + t), in [0, 1)
    z = np.abs(alpha - beta) / (max(alpha, beta) + t)
    far = z > HYP2F1_SAFE_Z
    if np.any(far):
        # scipy's series is exact only up to z = 0.9: integrate directly beyond
        out[far] = log_power_integral(alpha + t[far], beta + t[far], rx[far], s + 1.0)
    near = ~far
    rx, t, z = rx[near], t[near], z[near]
    c = rx + s + 1.0
    log_norm = -np.log(rx + s)
    if alpha >= beta:
        out[near] = (
            -rx * np.log(alpha + t)
            - s * np.log(beta + t)
            + np.log(hyp2f1(1.0, rx, c, z))
            + log_norm
        )
        return out
    low = rx < 1.0
    values = np.empty(rx.shape)
    values[low] = (
        -(rx[low] + s) * np.log(beta + t[low])
        + np.log(hyp2f1(rx[low], rx[low] + s, c[low], z[low]))
        + log_norm[low]
    )
    high = ~low
    values[high] = (
        -(s + 1.0) * np.log(beta + t[high])
        + (1.0 - rx[high]) * np.log(alpha + t[high])
        + np.log(hyp2f1(1.0, s + 1.0, c[high], z[high]))
        + log_norm[high]
    )
    out[near] = values
    return out


def _log_terms(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(log of the common factor, log A_alive, log A_dead) per customer.

    L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^-(r+x) (β+T)^-s  +  s (G(t_x) - G(T)) ]:
    the first term is "still alive at T", the second "died between t_x and T".
    """
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    log_alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    log_g_tx = _log_tail_integral(r, alpha, s, beta, x, t_x)
    log_g_T = _log_tail_integral(r, alpha, s, beta, x, T)
    log_dead = np.log(s) + log_g_tx + log1mexp(np.minimum(log_g_T - log_g_tx, 0.0))
    return common, log_alive, log_dead


class ParetoNBD(FittedModel):
    """Pareto/NBD model (Schmittlein, Morrison & Colombo 1987, Management Science 33(1)).

    Parameters after ``fit``: ``r``, ``alpha`` (purchase rate λ ~ Gamma(r, α)) and ``s``,
    ``beta`` (death rate μ ~ Gamma(s, β)).  The likelihood is eq. (19)-(22) of Fader & Hardie's
    2005 implementation note, evaluated in logs with bounded hypergeometric series (see
    :func:`_log_tail_integral`).
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    model_name: ClassVar[str] = "Pareto/NBD"
    reference: ClassVar[str] = "Schmittlein, Morrison & Colombo (1987), Management Science 33(1)"

    def fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> ParetoNBD:
        """Maximum-likelihood fit of (r, α, s, β); returns ``self``.

        Same inputs as :meth:`BetaGeo.fit`.  ``log_likelihood`` is the total over customers.
        """
        x, t_x, big_t = _validated(frequency, recency, T)
        if x.ndim != 1:
            raise ValueError("frequency, recency and T must be one-dimensional")
        w = prepare_weights(weights, len(x))
        (gx, gt, gT), gw = group_rows([x, t_x, big_t], w)
        self._data = (gx, gt, gT, gw)
        self.n_customers = float(gw.sum())
        self._maximise(np.ones(4))
        return self

    def _negative_log_likelihood(self, theta: FloatArray) -> float:
        x, t_x, big_t, w = self._data
        common, log_alive, log_dead = _log_terms(*theta, x, t_x, big_t)
        return -weighted_sum(w, common + np.logaddexp(log_alive, log_dead))

    def individual_log_likelihood(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray | float:
        """log L(r, α, s, β | x, t_x, T) per customer."""
        x, t_x, big_t = _validated(frequency, recency, T)
        common, log_alive, log_dead = _log_terms(*self._theta(), x, t_x, big_t)
        return scalar_or_array(common + np.logaddexp(log_alive, log_dead), frequency, recency, T)

    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray | float:
        """P(alive at T | x, t_x, T) = alive term / (alive term + dead term).

        Eq. (11) of Schmittlein, Morrison & Colombo (1987); eq. (18) of the implementation note:
        1 / (1 + s/(r+s+x) (α+T)^(r+x) (β+T)^s A_0), evaluated as a logistic of log-odds.
        """
        x, t_x, big_t = _validated(frequency, recency, T)
        _, log_alive, log_dead = _log_terms(*self._theta(), x, t_x, big_t)
        return scalar_or_array(expit(log_alive - log_dead), frequency, recency, T)

    def conditional_expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray | float:
        """E[Y(t) | x, t_x, T] = (r+x)(β+T)/((α+T)(s-1)) [1 - ((β+T)/(β+T+t))^(s-1)] P(alive).

        Eq. (22) of Schmittlein, Morrison & Colombo (1987) / eq. (26) of the implementation note;
        the bracket over (s-1) is evaluated with expm1/log1p and its limit
        ln((β+T+t)/(β+T)) at s = 1.
        """
        r, alpha, s, beta = self._theta()
        t_arr = as_float_array(t, "t")
        x, t_x, big_t = _validated(frequency, recency, T)
        t_arr, x, t_x, big_t = np.broadcast_arrays(t_arr, x, t_x, big_t)
        _, log_alive, log_dead = _log_terms(r, alpha, s, beta, x, t_x, big_t)
        alive = expit(log_alive - log_dead)
        growth = (
            (r + x)
            / (alpha + big_t)
            * (beta + big_t)
            * power_difference(s - 1.0, t_arr / (beta + big_t))
        )
        return scalar_or_array(growth * alive, t, frequency, recency, T)

    def expected_purchases(self, t: ArrayLike) -> FloatArray | float:
        """E[X(t)] = rβ/(α(s-1)) [1 - (β/(β+t))^(s-1)] for a new customer.

        Eq. (17) of Schmittlein, Morrison & Colombo (1987), with the s = 1 limit
        (r β/α) ln(1 + t/β).
        """
        r, alpha, s, beta = self._theta()
        t_arr = as_float_array(t, "t")
        out = r / alpha * beta * power_difference(s - 1.0, t_arr / beta)
        return scalar_or_array(out, t)
