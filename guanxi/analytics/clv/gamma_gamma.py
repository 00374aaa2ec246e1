"""Gamma-Gamma model of spend per transaction.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "RFM and CLV: using iso-value curves for
customer base analysis", *Journal of Marketing Research* 42(4), 415-430; Fader & Hardie (2013),
"The Gamma-Gamma model of monetary value" (note).

Story: a customer's transactions z_1..z_x are Gamma(p, ν) (shape p, rate ν); ν varies across
customers as Gamma(q, γ).  Only the mean repeat spend m_x = z̄ and the number x of repeat
transactions are needed; spend is assumed independent of the transaction process.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import digamma, gammaln

from ._base import (
    ArrayLike,
    FittedModel,
    FloatArray,
    as_float_array,
    check_counts,
    factorise,
    group_rows,
    prepare_weights,
    scalar_or_array,
    weighted_sum,
)


def _log_density(p: float, q: float, gamma: float, x: FloatArray, m: FloatArray) -> FloatArray:
    """log f(m_x | x; p, q, γ): the marginal density of the mean spend (FHL 2005 JMR eq. 3).

    f = Γ(px+q) / (Γ(px) Γ(q)) · γ^q m_x^(px-1) x^(px) / (γ + m_x x)^(px+q).
    """
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )


class _SpendData:
    """Repeat buyers' (x, m_x, weight) with the per-x terms evaluated once per distinct x."""

    def __init__(self, x: FloatArray, m: FloatArray, w: FloatArray) -> None:
        self.x, self.m, self.w = x, m, w
        self.ux, self.ix = factorise(x)
        self.log_ux = np.log(self.ux)
        self.log_m = np.log(m)
        self.mx = m * x

    def log_density(self, p: float, q: float, gamma: float, with_parts: bool = False):
        """:func:`_log_density` for every row, computing Γ terms per distinct x only."""
        px = p * self.ux
        per_x = gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma) + px * self.log_ux
        gmx = gamma + self.mx
        log_gmx = np.log(gmx)
        ll = per_x[self.ix] + (p * self.x - 1.0) * self.log_m - (p * self.x + q) * log_gmx
        return (ll, log_gmx, gmx) if with_parts else ll


class GammaGamma(FittedModel):
    """Gamma-Gamma spend model (Fader, Hardie & Lee 2005, JMR 42(4); Fader & Hardie 2013 note).

    Parameters after ``fit``: ``p`` (shape of spend per transaction), ``q``, ``gamma`` (shape and
    rate of the customers' spend-rate ν).  The mean spend of the population is pγ/(q-1) (q > 1).
    """

    param_names: ClassVar[tuple[str, ...]] = ("p", "q", "gamma")
    model_name: ClassVar[str] = "Gamma-Gamma"
    reference: ClassVar[str] = "Fader, Hardie & Lee (2005), Journal of Marketing Research 42(4)"
    _analytic_gradient: ClassVar[bool] = True

    def fit(
        self,
        frequency: ArrayLike,
        monetary_value: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> GammaGamma:
        """Maximum-likelihood fit of (p, q, γ) to repeat buyers' mean spend.

        ``frequency`` x is the number of repeat transactions and ``monetary_value`` m_x their mean
        value.  Only customers with x > 0 are used (the model needs a repeat purchase; customers
        without one carry no information about p, q, γ).  Their m_x must be positive.
        """
        x = as_float_array(frequency, "frequency")
        m = as_float_array(monetary_value, "monetary_value")
        if x.shape != m.shape or x.ndim != 1:
            raise ValueError("frequency and monetary_value must be one-dimensional, same length")
        check_counts(x)
        w = prepare_weights(weights, len(x))
        use = x > 0
        if np.any(m[use] <= 0):
            raise ValueError("monetary_value must be positive for customers with repeat purchases")
        (gx, gm), gw = group_rows([x[use], m[use]], w[use])
        self._data = _SpendData(gx, gm, gw)
        self.n_customers = float(gw.sum())
        # start from a method-of-moments-like guess: p·x̄ scale of the spend, q = 2
        self._maximise(np.array([1.0, 2.0, max(float(np.average(gm, weights=gw)), 1e-3)]))
        return self

    def _negative_log_likelihood(self, theta: FloatArray) -> float:
        return -weighted_sum(self._data.w, self._data.log_density(*theta))

    def _objective(self, log_theta: FloatArray) -> tuple[float, FloatArray]:
        d: _SpendData = self._data
        theta = np.exp(log_theta)
        p, q, gamma = theta
        ll, log_gmx, gmx = d.log_density(p, q, gamma, with_parts=True)
        px = p * d.ux
        psi_pxq = digamma(px + q)
        # per distinct x, then gathered: x (ψ(px+q) - ψ(px) + ln x), ψ(px+q) - ψ(q) + ln γ, px+q
        g_p = (d.ux * (psi_pxq - digamma(px) + d.log_ux))[d.ix] + d.x * (d.log_m - log_gmx)
        g_q = (psi_pxq - digamma(q) + np.log(gamma))[d.ix] - log_gmx
        g_gamma = q / gamma - (px + q)[d.ix] / gmx
        grad = np.array([weighted_sum(d.w, g) for g in (g_p, g_q, g_gamma)])
        n = self.n_customers
        return -weighted_sum(d.w, ll) / n, -grad * theta / n

    def conditional_expected_value(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> FloatArray | float:
        """E[M | x, m_x] = (γ + m_x x) p / (px + q - 1): expected spend per future transaction.

        Eq. (5) of Fader, Hardie & Lee (2005, JMR): a weighted average of the population mean
        pγ/(q-1) and the customer's own mean m_x, with weight px/(px+q-1) on m_x.  Customers
        without a repeat purchase (x = 0) get the population mean.  Needs q > 1.
        """
        p, q, gamma = self._theta()
        if q <= 1.0:
            raise ValueError("the expected spend is infinite when q <= 1")
        x = as_float_array(frequency, "frequency")
        m = as_float_array(monetary_value, "monetary_value")
        x, m = np.broadcast_arrays(x, m)
        m = np.where(x > 0, m, 0.0)
        out = (gamma + m * x) * p / (p * x + q - 1.0)
        return scalar_or_array(out, frequency, monetary_value)

    def population_mean_spend(self) -> float:
        """E[Z] = pγ/(q-1): mean spend per transaction across all customers."""
        p, q, gamma = self._theta()
        return float(p * gamma / (q - 1.0)) if q > 1.0 else float("inf")

    def individual_log_likelihood(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> FloatArray | float:
        """log f(m_x | x; p, q, γ) per repeat buyer (x > 0, m_x > 0)."""
        x = as_float_array(frequency, "frequency")
        m = as_float_array(monetary_value, "monetary_value")
        out = _log_density(*self._theta(), x, m)
        return scalar_or_array(out, frequency, monetary_value)
