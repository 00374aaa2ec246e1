"""Draw synthetic customers from the models' generative stories (for benchmarks and tests)."""

from __future__ import annotations

import numpy as np

from ._base import FloatArray


def simulate_beta_geo(
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: FloatArray,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray]:
    """(x, t_x) for customers of ages ``T`` drawn from the BG/NBD story (FHL 2005, §3).

    λ ~ Gamma(r, rate α), p ~ Beta(a, b); the number of purchases the customer makes before he
    drops out is K ~ Geometric(p) on {1, 2, ...}, and while alive he buys as a Poisson process.
    With N ~ Poisson(λT) events in (0, T], x = min(K, N) and, given N, the x-th event time is the
    x-th order statistic of N uniforms on (0, T): t_x = T · Beta(x, N - x + 1).  Fully vectorised.
    """
    T = np.asarray(T, dtype=np.float64)
    n = T.shape[0]
    lam = rng.gamma(shape=r, scale=1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    k = rng.geometric(np.clip(p, 1e-300, 1.0))
    events = rng.poisson(lam * T)
    x = np.minimum(k, events)
    t_x = np.zeros(n)
    buyers = x > 0
    t_x[buyers] = T[buyers] * rng.beta(x[buyers], events[buyers] - x[buyers] + 1)
    return x.astype(np.float64), t_x


def simulate_gamma_gamma(
    p: float, q: float, gamma: float, frequency: FloatArray, rng: np.random.Generator
) -> FloatArray:
    """Mean repeat spend m_x per customer from the Gamma-Gamma story (FHL 2005, JMR).

    ν ~ Gamma(q, rate γ) per customer, each transaction z ~ Gamma(p, rate ν), so the mean of x
    transactions is Gamma(px, rate xν).  0 for customers without repeat purchases.
    """
    x = np.asarray(frequency, dtype=np.float64)
    nu = rng.gamma(shape=q, scale=1.0 / gamma, size=x.shape)
    out = np.zeros(x.shape)
    buyers = x > 0
    out[buyers] = rng.gamma(shape=p * x[buyers], scale=1.0 / (x[buyers] * nu[buyers]))
    return out


def simulate_beta_geo_transactions(
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: FloatArray,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """A transaction log from the BG/NBD story: (customer index, purchase time, x).

    Returns ``(customer, time)`` for every purchase including the first (time 0), plus the
    per-customer x.  Given the x-th repeat purchase at t_x, the earlier x - 1 are uniform on
    (0, t_x) (Poisson-process order statistics).
    """
    x, t_x = simulate_beta_geo(r, alpha, a, b, T, rng)
    n = len(x)
    counts = x.astype(np.int64)
    customer_first = np.arange(n)
    # repeat purchases: the last at t_x, the others uniform on (0, t_x)
    repeat_customer = np.repeat(np.arange(n), counts)
    is_last = np.zeros(len(repeat_customer), dtype=bool)
    ends = np.cumsum(counts)
    is_last[ends[counts > 0] - 1] = True
    times = rng.uniform(0.0, 1.0, size=len(repeat_customer)) * t_x[repeat_customer]
    times[is_last] = t_x[repeat_customer[is_last]]
    customer = np.concatenate([customer_first, repeat_customer])
    time = np.concatenate([np.zeros(n), times])
    return customer, time, x
