"""Shared machinery of the maximum-likelihood customer-base models.

Input checking, grouping of identical customers, the optimiser (over log-parameters), the
numerical Hessian that gives the standard errors, and the ``summary()`` table.  Nothing here is
specific to one model; the model files hold the formulas.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

#: Log-parameters are kept inside these bounds while optimising (about 1e-13 .. 5e13): far
#: outside any sensible estimate, and inside the range where every formula stays finite.
LOG_BOUND = 30.0


def as_float_array(value: ArrayLike, name: str) -> FloatArray:
    """``value`` as a float64 array, rejecting NaN, infinity and negative numbers."""
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or infinity)")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative")
    return arr


def check_counts(frequency: FloatArray, name: str = "frequency") -> None:
    """Raise ``ValueError`` unless ``frequency`` holds whole numbers."""
    if np.any(frequency != np.round(frequency)):
        raise ValueError(f"{name} must hold whole numbers of repeat purchases")


def check_recency(frequency: FloatArray, recency: FloatArray, T: FloatArray) -> FloatArray:
    """Check ``recency <= T`` (with a rounding tolerance) and return recency clipped to T.

    Customers without a repeat purchase have no last repeat purchase: their recency is ignored by
    every model (it is 0 by convention), so it is set to 0 here.
    """
    tolerance = 1e-6 * np.maximum(1.0, T)
    if np.any(recency > T + tolerance):
        raise ValueError("recency must not exceed T (the customer's age)")
    return np.where(frequency > 0, np.minimum(recency, T), 0.0)


def scalar_or_array(out: FloatArray, *inputs: Any) -> FloatArray | float:
    """Return a Python float when every input was a scalar, else the array."""
    if all(np.ndim(v) == 0 for v in inputs):
        return float(np.asarray(out).reshape(-1)[0])
    return out


def prepare_weights(weights: ArrayLike | None, n: int) -> FloatArray:
    """Per-row weights (number of identical customers a row stands for); default 1."""
    if weights is None:
        return np.ones(n)
    w = as_float_array(weights, "weights")
    if w.shape != (n,):
        raise ValueError("weights must have one entry per customer")
    return w


def distinct_rows(columns: Sequence[FloatArray]) -> tuple[list[FloatArray], npt.NDArray[np.intp]]:
    """Distinct rows of the equal-length ``columns`` (sorted) and each row's index among them.

    Each column is factorised by hashing (pandas), the codes are combined into one integer key
    and the keys factorised again: about five times faster than a lexicographic sort of the
    float columns on a million rows.
    """
    cols = [np.ascontiguousarray(c, dtype=np.float64) for c in columns]
    n = len(cols[0])
    if n == 0:
        return [c[:0] for c in cols], np.zeros(0, dtype=np.intp)
    factorised = [pd.factorize(c, sort=True) for c in cols]
    sizes = [len(u) for _, u in factorised]
    if float(np.prod(np.array(sizes, dtype=np.float64))) < 2.0**62:
        key = np.zeros(n, dtype=np.int64)
        for (codes, _), size in zip(factorised, sizes, strict=True):
            key = key * size + codes
        inverse, unique_keys = pd.factorize(key, sort=True)
        out = []
        for (_, uniques), size in zip(factorised[::-1], sizes[::-1], strict=True):
            unique_keys, code = np.divmod(unique_keys, size)
            out.append(np.asarray(uniques, dtype=np.float64)[code])
        return out[::-1], inverse.astype(np.intp)
    order = np.lexsort(cols[::-1])
    sorted_cols = [c[order] for c in cols]
    new_group = np.zeros(n, dtype=bool)
    new_group[0] = True
    for c in sorted_cols:
        new_group[1:] |= c[1:] != c[:-1]
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = np.cumsum(new_group) - 1
    return [c[new_group] for c in sorted_cols], inverse


def group_rows(
    columns: Sequence[FloatArray], weights: FloatArray
) -> tuple[list[FloatArray], FloatArray]:
    """Collapse identical rows of ``columns`` into distinct rows with summed weights.

    A customer base of a million people observed at day resolution has far fewer distinct
    (frequency, recency, age) triples than customers, and every likelihood here is a weighted sum
    over customers, so fitting on the distinct rows gives the same estimate much faster.
    Rows of weight 0 are dropped.
    """
    keep = weights > 0
    if not np.any(keep):
        raise ValueError("no customers to fit (all weights are zero or the input is empty)")
    uniq, inverse = distinct_rows([c[keep] for c in columns])
    summed = np.bincount(inverse, weights=weights[keep], minlength=len(uniq[0]))
    return uniq, summed


def weighted_sum(weights: FloatArray, values: FloatArray) -> float:
    """Σ w_i v_i without BLAS.

    ``weights @ values`` goes through OpenBLAS, whose threads spin-wait for each other: on a
    loaded two-core machine one such dot product over 17,000 rows took 20 ms against 0.01 ms
    for this loop, and a fit makes hundreds of them.
    """
    return float(np.einsum("i,i->", weights, values))


def factorise(values: FloatArray) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """Distinct values and, per element, the index of its value (``values == u[index]``)."""
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, inverse.reshape(-1)


def numerical_hessian(
    f: Callable[[FloatArray], float], x: FloatArray, rel_step: float = 1e-4
) -> FloatArray:
    """Central-difference Hessian of ``f`` at ``x`` (steps relative to each coordinate)."""
    x = np.asarray(x, dtype=np.float64)
    k = len(x)
    h = rel_step * np.maximum(np.abs(x), 1e-6)
    f0 = f(x)
    hess = np.empty((k, k))
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        hess[i, i] = (f(x + ei) - 2.0 * f0 + f(x - ei)) / h[i] ** 2
        for j in range(i + 1, k):
            ej = np.zeros(k)
            ej[j] = h[j]
            value = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (
                4.0 * h[i] * h[j]
            )
            hess[i, j] = hess[j, i] = value
    return hess


class FittedModel:
    """Base class: parameters, log-likelihood, standard errors and ``summary()``.

    Subclasses set ``param_names`` and ``model_name`` and implement ``_negative_log_likelihood``
    (total, in the natural parameter space, on the data stored by ``fit``).
    """

    param_names: ClassVar[tuple[str, ...]] = ()
    model_name: ClassVar[str] = ""
    reference: ClassVar[str] = ""

    def __init__(self) -> None:
        self.params: dict[str, float] = {}
        self.log_likelihood: float = math.nan
        self.n_customers: float = 0.0
        self.converged: bool = False
        self._data: Any = None
        self.optimizer_message: str = ""
        self._covariance: FloatArray | None = None

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_params(cls, **params: float) -> Any:
        """A model with given parameters (e.g. published estimates), without fitting."""
        missing = set(cls.param_names) - set(params)
        extra = set(params) - set(cls.param_names)
        if missing or extra:
            raise ValueError(f"{cls.__name__} needs exactly the parameters {cls.param_names}")
        if any(not (math.isfinite(v) and v > 0) for v in params.values()):
            raise ValueError("parameters must be positive and finite")
        model = cls()
        model.params = {name: float(params[name]) for name in cls.param_names}
        return model

    def _theta(self) -> FloatArray:
        self._require_fit()
        return np.array([self.params[n] for n in self.param_names])

    def _require_fit(self) -> None:
        if not self.params:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit() first")

    # ------------------------------------------------------------------- estimation
    def _negative_log_likelihood(self, theta: FloatArray) -> float:  # pragma: no cover
        raise NotImplementedError

    def _objective(self, log_theta: FloatArray) -> tuple[float, FloatArray] | float:
        """Mean negative log-likelihood over log-parameters (gradient too if available)."""
        return self._negative_log_likelihood(np.exp(log_theta)) / self.n_customers

    _analytic_gradient: ClassVar[bool] = False

    def _maximise(self, start: FloatArray) -> None:
        """Maximum-likelihood estimate: L-BFGS-B over log-parameters, then a polish.

        The objective is the mean negative log-likelihood (so tolerances do not depend on the
        number of customers).  Parameter values the objective cannot evaluate (overflow far from
        the optimum) count as +inf-like penalties so that the line search backs off.
        """
        jac = self._analytic_gradient

        def objective(z: FloatArray) -> Any:
            with np.errstate(all="ignore"):
                value = self._objective(z)
            if jac:
                f, g = value
                if not (np.isfinite(f) and np.all(np.isfinite(g))):
                    return 1e10, np.zeros_like(z)
                return f, g
            return value if np.isfinite(value) else 1e10

        bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start)
        z0 = np.log(start)
        result = optimize.minimize(
            objective,
            z0,
            jac=jac,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20},
        )
        z = result.x
        self.optimizer_message = str(result.message)
        polished = False
        if not jac:
            # Finite-difference gradients stop L-BFGS-B a little short of the optimum; a
            # Nelder-Mead polish from there costs little on these 3-4 parameter problems.
            polish = optimize.minimize(
                objective,
                z,
                method="Nelder-Mead",
                bounds=bounds,
                options={"xatol": 1e-8, "fatol": 1e-13, "maxiter": 2000, "maxfev": 4000},
            )
            if polish.fun <= result.fun:
                z = polish.x
                polished = bool(polish.success)
        theta = np.exp(z)
        self.params = {n: float(v) for n, v in zip(self.param_names, theta, strict=True)}
        self.log_likelihood = -float(self._negative_log_likelihood(theta))
        interior = bool(np.all(np.abs(z) < LOG_BOUND - 1e-6))
        stationary = bool(result.success) or polished
        if jac and not stationary:
            # L-BFGS-B reports ABNORMAL when its line search cannot improve an objective that
            # is already flat to rounding; the gradient tells whether that is an optimum.
            with np.errstate(all="ignore"):
                _, gradient = self._objective(z)
            stationary = bool(np.all(np.abs(gradient) < 1e-6))
        self.converged = stationary and interior
        self._covariance = None

    # ----------------------------------------------------------------- inference
    @property
    def covariance(self) -> FloatArray:
        """Asymptotic covariance of the estimates: the inverse of the observed information.

        The observed information is the Hessian of the total negative log-likelihood at the
        optimum, taken numerically (central differences) in the natural parameter space.
        Computed on first use, then cached.
        """
        self._require_fit()
        if self._data is None:
            raise RuntimeError("standard errors need a model fitted to data")
        if self._covariance is None:
            with np.errstate(all="ignore"):
                hess = numerical_hessian(self._negative_log_likelihood, self._theta())
            try:
                cov = np.linalg.inv(hess)
            except np.linalg.LinAlgError:
                cov = np.full_like(hess, np.nan)
            self._covariance = cov
        return self._covariance

    @property
    def standard_errors(self) -> dict[str, float]:
        """Standard error of each parameter (square root of the covariance diagonal)."""
        diag = np.diag(self.covariance)
        se = np.where(diag > 0, np.sqrt(np.abs(diag)), np.nan)
        return {n: float(v) for n, v in zip(self.param_names, se, strict=True)}

    def summary_frame(self) -> pd.DataFrame:
        """Estimates with standard errors and Wald 95 % intervals, one row per parameter."""
        est = self._theta()
        se = np.array([self.standard_errors[n] for n in self.param_names])
        return pd.DataFrame(
            {
                "estimate": est,
                "std_error": se,
                "lower_95": est - 1.959964 * se,
                "upper_95": est + 1.959964 * se,
            },
            index=pd.Index(self.param_names, name="parameter"),
        )

    def summary(self) -> str:
        """A printable table: estimate, standard error, 95 % interval, log-likelihood, AIC."""
        frame = self.summary_frame()
        k = len(self.param_names)
        lines = [
            f"{self.model_name} — {self.reference}",
            f"customers: {self.n_customers:,.0f}",
            "",
            f"{'parameter':<10}"
            + "".join(f"{h:>12}" for h in ("estimate", "std. error", "lower 95%", "upper 95%")),
        ]
        for name, row in frame.iterrows():
            lines.append(
                f"{name!s:<10}{row.estimate:>12.4f}{row.std_error:>12.4f}"
                f"{row.lower_95:>12.4f}{row.upper_95:>12.4f}"
            )
        lines += [
            "",
            f"log-likelihood: {self.log_likelihood:,.2f}",
            f"AIC: {2 * k - 2 * self.log_likelihood:,.2f}",
            f"converged: {'yes' if self.converged else 'no (a parameter reached a bound)'}",
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        if not self.params:
            return f"{type(self).__name__}(unfitted)"
        inner = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return f"{type(self).__name__}({inner})"
