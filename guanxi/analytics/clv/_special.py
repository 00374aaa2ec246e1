"""Small numerically stable building blocks used by several models."""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, logsumexp

from ._base import FloatArray


def log1mexp(d: FloatArray) -> FloatArray:
    """log(1 - exp(d)) for d <= 0, accurate for d near 0 and for very negative d.

    Mächler (2012), "Accurately computing log(1 - exp(-|a|))": expm1 for d > -log 2, log1p
    below.  d = 0 gives -inf (without a division warning).
    """
    d = np.asarray(d, dtype=np.float64)
    out = np.full(d.shape, -np.inf)
    near = (d > -np.log(2.0)) & (d < 0)
    far = d <= -np.log(2.0)
    out[near] = np.log(-np.expm1(d[near]))
    out[far] = np.log1p(-np.exp(d[far]))
    return out


def power_difference(k: float | FloatArray, y: FloatArray) -> FloatArray:
    """(1 - (1 + y)^-k) / k for y >= 0, with its limit log(1 + y) at k = 0.

    Appears in the Pareto/NBD expectations with k = s - 1: writing it with expm1 / log1p keeps
    it exact for s close to 1 and for y small (huge T) or large (long horizons).
    """
    k = np.asarray(k, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    log_base = np.log1p(y)
    small = np.abs(k) < 1e-8
    k_safe = np.where(small, 1.0, k)
    general = -np.expm1(-k_safe * log_base) / k_safe
    # second-order series of the same expression around k = 0
    series = log_base * (1.0 - 0.5 * k * log_base)
    return np.where(small, series, general)


# --------------------------------------------------------------------------------------------
# Quadrature for the hypergeometric terms near z = 1
#
# scipy's hyp2f1 is exact to rounding for 0 <= z <= 0.9 on every parameter family these models
# use (checked against 40-digit arithmetic), but past z = 0.9 it switches to the 1 - z
# transformation, which returns NaN or inf for large parameters (heavy buyers) and for integer
# c - a - b, and loses digits close to those.  The models therefore evaluate the integrals that
# the hypergeometric terms stand for directly there, by composite Gauss-Legendre quadrature in a
# logarithmic variable (where the integrands are smooth on a scale of about 1), in log space,
# with the far tails added in closed form.

#: Beyond this argument the hypergeometric terms are computed by quadrature.
HYP2F1_SAFE_Z = 0.9

_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)
_PANEL_WIDTH = 0.5
#: How far past the last feature of an integrand (in its log variable) the quadrature runs
#: before the tail is added in closed form: e^-40 is below double precision.
_TAIL = 40.0


def _panels(lo: FloatArray, hi: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Composite 8-point Gauss-Legendre nodes and log-weights on [lo, hi], one row per interval."""
    length = hi - lo
    count = max(1, int(np.ceil(float(np.max(length)) / _PANEL_WIDTH)))
    edges = lo[:, None] + length[:, None] * (np.arange(count + 1) / count)
    half = 0.5 * (edges[:, 1:] - edges[:, :-1])
    mid = 0.5 * (edges[:, 1:] + edges[:, :-1])
    nodes = mid[..., None] + half[..., None] * _GL_X
    log_weights = np.log(half)[..., None] + np.log(_GL_W)
    rows = len(lo)
    return nodes.reshape(rows, -1), log_weights.reshape(rows, -1)


def log_power_integral(A: FloatArray, B: FloatArray, m: FloatArray, n: FloatArray) -> FloatArray:
    """log ∫_0^∞ (A+v)^-m (B+v)^-n dv for A, B > 0, m, n >= 0, m + n > 1 (row-wise).

    This is the Pareto/NBD tail integral G(t) (A = α+t, B = β+t, m = r+x, n = s+1).  With
    v = e^u the log-integrand φ(u) = u - m ln(A+e^u) - n ln(B+e^u) is concave with curvature at
    most 1 at its maximum; the quadrature runs from ln min(A,B) - 40 to ln max(A,B) + 40, and
    beyond those points φ is linear to within e^-40, so the tails are exp(φ(lo)) and
    exp(φ(hi)) / (m+n-1).
    """
    A, B, m, n = (np.asarray(v, dtype=np.float64) for v in np.broadcast_arrays(A, B, m, n))
    shape = A.shape
    A, B, m, n = (v.reshape(-1) for v in (A, B, m, n))
    if A.size == 0:
        return np.zeros(shape)
    log_a, log_b = np.log(A), np.log(B)
    lo = np.minimum(log_a, log_b) - _TAIL
    hi = np.maximum(log_a, log_b) + _TAIL

    def phi(u: FloatArray) -> FloatArray:
        return (
            u
            - m[:, None] * np.logaddexp(log_a[:, None], u)
            - n[:, None] * np.logaddexp(log_b[:, None], u)
        )

    nodes, log_w = _panels(lo, hi)
    phi_lo = phi(lo[:, None])[:, 0]
    phi_hi = phi(hi[:, None])[:, 0]
    pieces = np.concatenate(
        [phi(nodes) + log_w, phi_lo[:, None], (phi_hi - np.log(m + n - 1.0))[:, None]], axis=1
    )
    return logsumexp(pieces, axis=1).reshape(shape)


def bgnbd_growth_by_quadrature(
    r: float, a: float, b: float, x: FloatArray, tau: FloatArray
) -> FloatArray:
    """E_p[(1 - (1 + p τ)^-(r+x)) / p] for p ~ Beta(a, b+x), row-wise.

    The BG/NBD expected purchases in the next t of a customer alive at T with x repeat purchases,
    τ = t / (α+T): given λ ~ Gamma(r+x, α+T) and p, the customer buys at rate λ until he drops
    out, which after time s he has done with probability 1 - e^(-λps); integrating over λ gives
    the bracket.  Equals (a+b+x-1)/(a-1) [1 - (1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z)] (FHL 2005,
    eq. 10 over P(alive)) with z = τ/(1+τ).  Split at p = 1/2: on (0, 1/2] in y = ln p, with the
    p -> 0 tail kτ e^(ay)/a in closed form; on [1/2, 1) in w = -ln(2(1-p)), with the p -> 1
    tail in closed form.
    """
    x, tau = (np.asarray(v, dtype=np.float64) for v in np.broadcast_arrays(x, tau))
    shape = x.shape
    x, tau = x.reshape(-1), tau.reshape(-1)
    if x.size == 0:
        return np.zeros(shape)
    k = r + x
    bx = b + x
    log_tau = np.log(tau)

    def log_bracket(log_p: FloatArray, kk: FloatArray, lt: FloatArray) -> FloatArray:
        # log(1 - (1 + p τ)^-k), accurate when p τ is tiny and when it is huge
        return log1mexp(-kk * np.logaddexp(0.0, log_p + lt))

    # (0, 1/2]: y = ln p
    y_hi = np.full(x.shape, -np.log(2.0))
    y_lo = np.minimum(-log_tau - np.log1p(k) - np.log1p(bx), y_hi) - _TAIL
    y, log_wy = _panels(y_lo, y_hi)
    part1 = (
        (a - 1.0) * y
        + (bx[:, None] - 1.0) * np.log1p(-np.exp(y))
        + log_bracket(y, k[:, None], log_tau[:, None])
        + log_wy
    )
    # below y_lo: (1-p)^(b+x-1) = 1 and 1 - (1+pτ)^-k = kpτ to within e^-40
    tail_low = np.log(k) + log_tau + a * y_lo - np.log(a)
    # [1/2, 1): 1 - p = e^-w / 2
    w_lo = np.zeros(x.shape)
    w_hi = np.full(x.shape, _TAIL)
    w, log_ww = _panels(w_lo, w_hi)
    log_p = np.log1p(-0.5 * np.exp(-w))
    part2 = (
        (a - 2.0) * log_p
        - bx[:, None] * (np.log(2.0) + w)
        + log_bracket(log_p, k[:, None], log_tau[:, None])
        + log_ww
    )
    # beyond w_hi: p = 1 to within e^-40
    tail_high = log_bracket(np.zeros(x.shape), k, log_tau) - bx * (np.log(2.0) + _TAIL) - np.log(bx)
    pieces = np.concatenate([part1, part2, tail_low[:, None], tail_high[:, None]], axis=1)
    return np.exp(logsumexp(pieces, axis=1) - betaln(a, bx)).reshape(shape)
