"""Customer satisfaction indices (ACSI / ECSI) by PLS path modelling.

PLS path modelling (PLS-PM) is Wold's (1982, "Soft modeling: the basic design and some
extensions", in *Systems under indirect observation* II) partial least squares estimation of a
path model between latent constructs, in the iterative form given by Lohmöller (1989, *Latent
variable path modeling with partial least squares*) and reviewed by Tenenhaus, Esposito Vinzi,
Chatelin & Lauro (2005, "PLS path modeling", *Computational Statistics & Data Analysis* 48).
It is the estimator behind the American Customer Satisfaction Index (Fornell, Johnson, Anderson,
Cha & Bryant 1996, "The American Customer Satisfaction Index: nature, purpose, and findings",
*Journal of Marketing* 60(4)) and the European Customer Satisfaction Index (ECSI; the ECSI
Technical Committee 1998; Tenenhaus et al. 2005 use it on the ``mobi`` survey).

Algorithm (each construct j has a block X_j of indicators, standardised to mean 0 and unit
variance with the n - 1 ("sample") standard deviation, as R's ``plspm`` does):

1. start from outer weights w_j = 1;
2. outer estimate: Y_j = X_j w_j, rescaled to mean 0 and unit variance (n denominator);
3. inner estimate: Z_j = Σ_i e_ji Y_i over the constructs i adjacent to j, with inner weights
   e_ji from the scheme: *centroid* sign(cor(Y_i, Y_j)); *factorial* cor(Y_i, Y_j); *path*
   (Lohmöller's path weighting) the multiple-regression coefficient of Y_i when Y_j is regressed
   on all its predecessors if i -> j, and cor(Y_i, Y_j) if j -> i;
4. new outer weights: mode A (reflective) w_j = X_j' Z_j / n (covariances); mode B (formative)
   the OLS coefficients of Z_j on X_j;
5. repeat 2-4 until no weight moves by more than ``tol``; then the construct scores are
   Y_j = X_j w_j (unit variance, n denominator), each block oriented so that the sum of its
   loadings is positive, and every structural equation is estimated by OLS on the scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["ECSI_MEASUREMENT", "ECSI_STRUCTURAL", "PLSPMResult", "BootstrapResult", "pls_pm"]

Scheme = Literal["path", "centroid", "factorial"]
Mode = Literal["A", "B"]

#: The ECSI model of Tenenhaus et al. (2005) on the ``mobi`` data: indicator blocks ...
ECSI_MEASUREMENT: dict[str, list[str]] = {
    "Image": ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"],
    "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
    "Quality": ["PERQ1", "PERQ2", "PERQ3", "PERQ4", "PERQ5", "PERQ6", "PERQ7"],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"],
    "Complaints": ["CUSCO"],
    "Loyalty": ["CUSL1", "CUSL2", "CUSL3"],
}

#: ... and its 12 structural paths (from, to).
ECSI_STRUCTURAL: list[tuple[str, str]] = [
    ("Image", "Expectation"),
    ("Image", "Satisfaction"),
    ("Image", "Loyalty"),
    ("Expectation", "Quality"),
    ("Expectation", "Value"),
    ("Expectation", "Satisfaction"),
    ("Quality", "Value"),
    ("Quality", "Satisfaction"),
    ("Value", "Satisfaction"),
    ("Satisfaction", "Complaints"),
    ("Satisfaction", "Loyalty"),
    ("Complaints", "Loyalty"),
]


@dataclass
class _Spec:
    constructs: list[str]
    blocks: list[list[str]]  # indicator names per construct
    paths: list[tuple[int, int]]  # (from, to) as construct indices
    modes: list[str]
    scheme: str
    tol: float
    max_iter: int

    @property
    def n_constructs(self) -> int:
        return len(self.constructs)

    def predecessors(self, j: int) -> list[int]:
        return [a for a, b in self.paths if b == j]


@dataclass
class _Fit:
    weights: list[np.ndarray]  # per block, for indicators standardised with the n - 1 sd
    scores: np.ndarray  # n x J, mean 0, population variance 1
    loadings: list[np.ndarray]
    coefficients: dict[tuple[int, int], float]
    r_squared: dict[int, float]
    iterations: int


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    sd = x.std(axis=0, ddof=1)
    if (sd <= 0).any():
        raise ValueError("every indicator needs some variance")
    return (x - mean) / sd, mean, sd


def _unit_variance(y: np.ndarray) -> np.ndarray:
    """Centre the columns of ``y`` and scale them to population variance 1."""
    y = y - y.mean(axis=0)
    sd = np.sqrt((y * y).mean(axis=0))
    if (sd <= 0).any():
        raise ValueError("a construct score has zero variance")
    return y / sd


def _inner_weights(spec: _Spec, y: np.ndarray) -> np.ndarray:
    """E with E[i, j] = weight of Y_i in the inner proxy Z_j."""
    n_c = spec.n_constructs
    corr = (y.T @ y) / y.shape[0]
    adjacent = np.zeros((n_c, n_c), dtype=bool)
    for a, b in spec.paths:
        adjacent[a, b] = adjacent[b, a] = True
    if spec.scheme == "centroid":
        return np.where(adjacent, np.sign(corr), 0.0)
    if spec.scheme == "factorial":
        return np.where(adjacent, corr, 0.0)
    # path weighting scheme: followers by correlation, predecessors by regression coefficients
    e = np.zeros((n_c, n_c))
    for a, b in spec.paths:
        e[b, a] = corr[a, b]  # b follows a: weight of Y_b in Z_a is cor(Y_a, Y_b)
    for j in range(n_c):
        pred = spec.predecessors(j)
        if pred:
            coef = np.linalg.solve(corr[np.ix_(pred, pred)], corr[pred, j])
            e[pred, j] = coef
    return e


def _estimate(spec: _Spec, xs: list[np.ndarray], start: list[np.ndarray] | None = None) -> _Fit:
    """Run the PLS-PM iterations on standardised blocks ``xs`` (each n x p_j, n - 1 sd)."""
    n = xs[0].shape[0]
    n_c = spec.n_constructs
    weights = [np.ones(x.shape[1]) for x in xs] if start is None else [w.copy() for w in start]
    # pseudo-inverses for mode B blocks
    pinv = [
        np.linalg.pinv(x) if mode == "B" else None for x, mode in zip(xs, spec.modes, strict=True)
    ]

    def outer_scores(ws: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        y = np.column_stack([x @ w for x, w in zip(xs, ws, strict=True)])
        sd = np.sqrt((y * y).mean(axis=0))  # blocks are centred, so y is centred
        if (sd <= 0).any():
            raise ValueError("a construct score has zero variance")
        return y / sd, [w / s for w, s in zip(ws, sd, strict=True)]

    y, weights = outer_scores(weights)
    iterations = 0
    for iterations in range(1, spec.max_iter + 1):  # noqa: B007 - used after the loop
        z = y @ _inner_weights(spec, y)
        new = []
        for j in range(n_c):
            if spec.modes[j] == "A":
                new.append(xs[j].T @ z[:, j] / n)
            else:
                new.append(pinv[j] @ z[:, j])
        y_new, new = outer_scores(new)
        # compared in absolute value, as a block's sign is arbitrary until it is oriented below
        change = max(
            float(np.max(np.abs(np.abs(a) - np.abs(b)))) for a, b in zip(new, weights, strict=True)
        )
        weights, y = new, y_new
        if change < spec.tol:
            break
    else:
        raise RuntimeError(f"PLS-PM did not converge in {spec.max_iter} iterations")

    loadings = [x.T @ y[:, j] / (n - 1) for j, x in enumerate(xs)]  # cor: sd(x) = 1 (n - 1)
    loadings = [lam * np.sqrt((n - 1) / n) for lam in loadings]  # y has population sd 1
    # orientation: the sum of each block's loadings is made positive
    for j in range(n_c):
        if loadings[j].sum() < 0:
            weights[j] = -weights[j]
            loadings[j] = -loadings[j]
            y[:, j] = -y[:, j]

    coefficients: dict[tuple[int, int], float] = {}
    r_squared: dict[int, float] = {}
    for j in range(n_c):
        pred = spec.predecessors(j)
        if not pred:
            continue
        beta, *_ = np.linalg.lstsq(y[:, pred], y[:, j], rcond=None)
        resid = y[:, j] - y[:, pred] @ beta
        r_squared[j] = float(1.0 - (resid @ resid) / (y[:, j] @ y[:, j]))
        for i, b in zip(pred, beta, strict=True):
            coefficients[(i, j)] = float(b)
    return _Fit(weights, y, loadings, coefficients, r_squared, iterations)


@dataclass
class BootstrapResult:
    """Bootstrap distribution summaries (Efron & Tibshirani 1993; Tenenhaus et al. 2005, §4).

    Each frame has one row per parameter and the columns ``original`` (full-sample estimate),
    ``mean`` (bootstrap mean), ``std_error`` (bootstrap standard deviation, n_boot - 1
    denominator), ``t`` (= original / std_error), ``ci_low`` and ``ci_high`` (2.5 % and 97.5 %
    percentiles).  ``n_failed`` counts degenerate resamples (e.g. an indicator without
    variance) that were replaced by new draws.
    """

    n_boot: int
    seed: int | None
    n_failed: int
    paths: pd.DataFrame
    loadings: pd.DataFrame
    weights: pd.DataFrame
    r_squared: pd.DataFrame


def _summarise(original: np.ndarray, draws: np.ndarray, index: pd.Index) -> pd.DataFrame:
    se = draws.std(axis=0, ddof=1)
    t = np.divide(original, se, out=np.full_like(original, np.inf), where=se > 0)
    return pd.DataFrame(
        {
            "original": original,
            "mean": draws.mean(axis=0),
            "std_error": se,
            "t": t,
            "ci_low": np.percentile(draws, 2.5, axis=0),
            "ci_high": np.percentile(draws, 97.5, axis=0),
        },
        index=index,
    )


@dataclass
class PLSPMResult:
    """Result of :func:`pls_pm`.

    Attributes
    ----------
    path_coefficients : dict ``{(from, to): beta}``, standardised OLS coefficients of the inner
        model.
    r_squared : dict ``{construct: R²}`` for every endogenous construct.
    outer_weights, outer_loadings : dict ``{construct: Series indexed by indicator}``; weights
        apply to indicators standardised with the n - 1 standard deviation, loadings are the
        correlations between each indicator and its construct's score.
    scores : DataFrame of construct scores (mean 0, variance 1 with the n denominator).
    standard_errors, t_values : dicts keyed like ``path_coefficients``, filled in by
        :meth:`bootstrap` (or by ``pls_pm(..., n_boot=...)``), else ``None``.
    """

    path_coefficients: dict[tuple[str, str], float]
    r_squared: dict[str, float]
    outer_weights: dict[str, pd.Series]
    outer_loadings: dict[str, pd.Series]
    scores: pd.DataFrame
    iterations: int
    scheme: str
    n_obs: int
    indicator_means: pd.Series
    indicator_sds: pd.Series
    scale: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None
    standard_errors: dict[tuple[str, str], float] | None = None
    t_values: dict[tuple[str, str], float] | None = None
    bootstrap_result: BootstrapResult | None = None
    _spec: _Spec | None = field(default=None, repr=False)
    _blocks: list[np.ndarray] | None = field(default=None, repr=False)
    _raw: pd.DataFrame | None = field(default=None, repr=False)

    # ---------------------------------------------------------------- derived quantities
    @property
    def constructs(self) -> list[str]:
        return list(self.outer_weights)

    def path_table(self) -> pd.DataFrame:
        """The inner model as a table: from, to, coefficient (+ std_error, t after bootstrap)."""
        rows = []
        for (a, b), beta in self.path_coefficients.items():
            row = {"from": a, "to": b, "coefficient": beta}
            if self.standard_errors is not None and self.t_values is not None:
                row["std_error"] = self.standard_errors[(a, b)]
                row["t"] = self.t_values[(a, b)]
            rows.append(row)
        return pd.DataFrame(rows)

    def effects(self) -> pd.DataFrame:
        """Direct, indirect and total effects between constructs (Alwin & Hauser 1975).

        With B the matrix of path coefficients (B[to, from] = beta), the total effects are
        (I - B)^-1 - I (the model is recursive, so the series I + B + B² + ... is finite);
        indirect = total - direct.  One row per ordered pair joined by a directed path.
        """
        names = self.constructs
        pos = {c: i for i, c in enumerate(names)}
        b = np.zeros((len(names), len(names)))
        for (f, t), beta in self.path_coefficients.items():
            b[pos[t], pos[f]] = beta
        total = np.linalg.inv(np.eye(len(names)) - b) - np.eye(len(names))
        reach = np.linalg.matrix_power(np.eye(len(names)) + (b != 0), len(names)) > 0
        rows = []
        for f in names:
            for t in names:
                i, j = pos[t], pos[f]
                if i != j and reach[i, j]:
                    direct = b[i, j]
                    rows.append(
                        {
                            "from": f,
                            "to": t,
                            "direct": direct,
                            "indirect": total[i, j] - direct,
                            "total": total[i, j],
                        }
                    )
        return pd.DataFrame(rows)

    def quality(self) -> pd.DataFrame:
        """Block quality per construct.

        Columns: ``indicators`` (count), ``cronbach_alpha`` (Cronbach 1951, on standardised
        indicators: p r̄ / (1 + (p - 1) r̄) with r̄ the mean inter-item correlation),
        ``dillon_goldstein_rho`` (composite reliability, (Σλ)² / ((Σλ)² + Σ(1 - λ²))),
        ``ave`` (average variance extracted = communality, mean λ²; Fornell & Larcker 1981),
        ``r_squared`` and ``redundancy`` (= communality × R²) for endogenous constructs.
        """
        rows = {}
        for c in self.constructs:
            lam = self.outer_loadings[c].to_numpy()
            p = lam.size
            if self._raw is not None and p > 1:
                corr = np.corrcoef(self._raw[list(self.outer_loadings[c].index)].to_numpy().T)
                rbar = (corr.sum() - p) / (p * (p - 1))
                alpha = p * rbar / (1 + (p - 1) * rbar)
            else:
                alpha = 1.0
            s = lam.sum()
            rho = s * s / (s * s + (1 - lam * lam).sum())
            ave = float((lam * lam).mean())
            r2 = self.r_squared.get(c, np.nan)
            rows[c] = {
                "indicators": p,
                "cronbach_alpha": alpha,
                "dillon_goldstein_rho": rho,
                "ave": ave,
                "r_squared": r2,
                "redundancy": ave * r2 if c in self.r_squared else np.nan,
            }
        return pd.DataFrame.from_dict(rows, orient="index")

    def goodness_of_fit(self) -> float:
        """Tenenhaus et al.'s (2005) GoF: sqrt(mean communality × mean R²).

        The mean communality is over the indicators of the blocks with more than one indicator
        (a single-indicator block has communality 1 by construction), the mean R² over the
        endogenous constructs.
        """
        lam2 = [
            self.outer_loadings[c].to_numpy() ** 2
            for c in self.constructs
            if len(self.outer_loadings[c]) > 1
        ]
        communality = float(np.concatenate(lam2).mean()) if lam2 else 1.0
        return float(np.sqrt(communality * np.mean(list(self.r_squared.values()))))

    # ------------------------------------------------------------------ the 0-100 index
    def _bounds(
        self, indicators: Sequence[str], scale
    ) -> tuple[np.ndarray, np.ndarray]:  # per-indicator (min, max)
        scale = self.scale if scale is None else scale
        if scale is None:
            raw = self._raw[list(indicators)] if self._raw is not None else None
            if raw is None:
                raise ValueError("give the indicators' scale bounds, e.g. scale=(1, 10)")
            return raw.min().to_numpy(dtype=float), raw.max().to_numpy(dtype=float)
        if isinstance(scale, Mapping):
            lo = np.array([float(scale[i][0]) for i in indicators])
            hi = np.array([float(scale[i][1]) for i in indicators])
            return lo, hi
        lo_, hi_ = scale
        k = len(indicators)
        return np.full(k, float(lo_)), np.full(k, float(hi_))

    def index_weights(self, construct: str) -> pd.Series:
        """Unstandardised outer weights of a block, rescaled to sum to 1.

        The weight of indicator i on the raw scale is w_i / s_i (s_i its n - 1 standard
        deviation); dividing by their sum gives the weights of the ACSI index formula.
        """
        w = self.outer_weights[construct]
        raw = w / self.indicator_sds[w.index]
        total = float(raw.sum())
        if total == 0:
            raise ValueError(f"the unstandardised weights of {construct!r} sum to zero")
        return raw / total

    def index(
        self,
        construct: str,
        scale: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
    ) -> float:
        """The construct's index on the 0-100 scale reported by ACSI and ECSI.

        Fornell et al. (1996): with w̃_i the unstandardised outer weights rescaled to sum to 1
        (:meth:`index_weights`), x̄_i the indicator means and [min_i, max_i] the answer scale
        (``scale=(1, 10)`` for all indicators, or a mapping per indicator; by default the
        ``scale`` given to :func:`pls_pm`, else the observed minimum and maximum),

            index = (Σ w̃_i x̄_i - Σ w̃_i min_i) / (Σ w̃_i max_i - Σ w̃_i min_i) × 100.
        """
        w = self.index_weights(construct)
        lo, hi = self._bounds(list(w.index), scale)
        wv = w.to_numpy()
        low, high = float(wv @ lo), float(wv @ hi)
        if high <= low:
            raise ValueError("the scale maximum must exceed its minimum")
        mean = float(wv @ self.indicator_means[w.index].to_numpy())
        return (mean - low) / (high - low) * 100.0

    def index_scores(
        self,
        construct: str,
        scale: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
    ) -> pd.Series:
        """Per-respondent 0-100 index scores; their mean is :meth:`index`."""
        if self._raw is None:
            raise ValueError("the raw data are not available")
        w = self.index_weights(construct)
        lo, hi = self._bounds(list(w.index), scale)
        wv = w.to_numpy()
        low, high = float(wv @ lo), float(wv @ hi)
        values = self._raw[list(w.index)].to_numpy(dtype=float) @ wv
        return pd.Series(
            (values - low) / (high - low) * 100.0, index=self._raw.index, name=construct
        )

    # ------------------------------------------------------------------- bootstrap
    def bootstrap(self, n: int = 200, seed: int | None = 0) -> BootstrapResult:
        """Bootstrap standard errors and t values (resampling respondents with replacement).

        Each of the ``n`` resamples is re-estimated with the same model (starting from the
        full-sample weights); the standard error is the standard deviation of the resampled
        estimates and t = estimate / standard error (Tenenhaus et al. 2005, §4; Chin 1998).
        Fills :attr:`standard_errors`, :attr:`t_values` and :attr:`bootstrap_result`.
        """
        if self._spec is None or self._blocks is None:
            raise ValueError("this result cannot be bootstrapped")
        if n < 2:
            raise ValueError("need at least 2 bootstrap samples")
        spec, names = self._spec, self._spec.constructs
        rng = np.random.default_rng(seed)
        n_obs = self._blocks[0].shape[0]
        paths = list(self.path_coefficients)
        path_idx = [(names.index(a), names.index(b)) for a, b in paths]
        endo = list(self.r_squared)
        endo_idx = [names.index(c) for c in endo]
        start = [self.outer_weights[c].to_numpy() for c in names]
        draws_p, draws_l, draws_w, draws_r = [], [], [], []
        failed = 0
        while len(draws_p) < n:
            rows = rng.integers(0, n_obs, n_obs)
            try:
                blocks = [_standardise(x[rows])[0] for x in self._blocks]
                fit = _estimate(spec, blocks, start)
            except (ValueError, RuntimeError, np.linalg.LinAlgError):
                # a degenerate resample (an indicator without variance, no convergence):
                # draw another one, but give up if that keeps happening
                failed += 1
                if failed > n:
                    raise RuntimeError("too many degenerate bootstrap resamples") from None
                continue
            draws_p.append([fit.coefficients[k] for k in path_idx])
            draws_l.append(np.concatenate(fit.loadings))
            draws_w.append(np.concatenate(fit.weights))
            draws_r.append([fit.r_squared[j] for j in endo_idx])
        indicator_index = pd.MultiIndex.from_tuples(
            [(c, i) for c in names for i in self.outer_weights[c].index],
            names=["construct", "indicator"],
        )
        result = BootstrapResult(
            n_boot=n,
            seed=seed,
            n_failed=failed,
            paths=_summarise(
                np.array([self.path_coefficients[k] for k in paths]),
                np.array(draws_p),
                pd.MultiIndex.from_tuples(paths, names=["from", "to"]),
            ),
            loadings=_summarise(
                np.concatenate([self.outer_loadings[c].to_numpy() for c in names]),
                np.array(draws_l),
                indicator_index,
            ),
            weights=_summarise(
                np.concatenate([self.outer_weights[c].to_numpy() for c in names]),
                np.array(draws_w),
                indicator_index,
            ),
            r_squared=_summarise(
                np.array([self.r_squared[c] for c in endo]),
                np.array(draws_r),
                pd.Index(endo, name="construct"),
            ),
        )
        self.bootstrap_result = result
        self.standard_errors = {k: float(result.paths.loc[k, "std_error"]) for k in paths}
        self.t_values = {k: float(result.paths.loc[k, "t"]) for k in paths}
        return result


def _topological_check(constructs: list[str], paths: list[tuple[int, int]]) -> None:
    indegree = [0] * len(constructs)
    for _, b in paths:
        indegree[b] += 1
    queue = [j for j, d in enumerate(indegree) if d == 0]
    seen = 0
    while queue:
        a = queue.pop()
        seen += 1
        for f, t in paths:
            if f == a:
                indegree[t] -= 1
                if indegree[t] == 0:
                    queue.append(t)
    if seen != len(constructs):
        raise ValueError("the structural model must be recursive (no cycles)")


def pls_pm(
    data: pd.DataFrame,
    measurement: Mapping[str, Sequence[str]],
    structural: Sequence[tuple[str, str]],
    scheme: Scheme = "path",
    *,
    modes: Mapping[str, Mode] | None = None,
    scale: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
    n_boot: int = 0,
    seed: int | None = 0,
    tol: float = 1e-10,
    max_iter: int = 300,
) -> PLSPMResult:
    """Estimate a PLS path model (Wold 1982; Lohmöller 1989; Tenenhaus et al. 2005).

    Parameters
    ----------
    data : one row per respondent; rows with a missing value in any indicator used are dropped
        (listwise deletion).
    measurement : ``{construct: [indicator columns]}``; the order of the keys is the order of
        the constructs in the results.  Blocks are reflective (mode A) unless ``modes`` says
        ``"B"`` (formative).
    structural : the paths ``(from, to)``; the model must be recursive and connect every
        construct.
    scheme : inner weighting scheme, ``"path"`` (default, as in ACSI/ECSI practice),
        ``"centroid"`` or ``"factorial"``.
    scale : the answer scale of the indicators for :meth:`PLSPMResult.index`, e.g. ``(1, 10)``.
    n_boot : if > 0, also run :meth:`PLSPMResult.bootstrap` with ``n_boot`` resamples and
        ``seed`` (off by default to keep the estimate fast).
    tol, max_iter : convergence: stop when no outer weight changes by more than ``tol``.

    The algorithm is in the module docstring.  Indicators are standardised with the n - 1
    standard deviation and the scores have unit variance with the n denominator, which
    reproduces R's ``plspm`` (on ``mobi``'s ECSI model: Image -> Expectation 0.505,
    Satisfaction -> Loyalty 0.486, R² of Satisfaction 0.681).
    """
    constructs = list(measurement)
    if not constructs:
        raise ValueError("measurement must define at least one construct")
    if scheme not in ("path", "centroid", "factorial"):
        raise ValueError("scheme must be 'path', 'centroid' or 'factorial'")
    blocks = [list(measurement[c]) for c in constructs]
    if any(not b for b in blocks):
        raise ValueError("every construct needs at least one indicator")
    pos = {c: i for i, c in enumerate(constructs)}
    paths = []
    for a, b in structural:
        if a not in pos or b not in pos:
            raise ValueError(f"path ({a!r}, {b!r}) uses a construct without a block")
        if a == b:
            raise ValueError("a construct cannot cause itself")
        if (pos[a], pos[b]) in paths:
            raise ValueError(f"duplicate path ({a!r}, {b!r})")
        paths.append((pos[a], pos[b]))
    connected = {i for p in paths for i in p}
    if len(constructs) > 1 and len(connected) < len(constructs):
        lonely = [c for c in constructs if pos[c] not in connected]
        raise ValueError(f"construct(s) {lonely} are not in any path")
    _topological_check(constructs, paths)
    modes = dict(modes or {})
    mode_list = [modes.get(c, "A") for c in constructs]
    if any(m not in ("A", "B") for m in mode_list):
        raise ValueError("modes must be 'A' or 'B'")
    used = list(dict.fromkeys(i for b in blocks for i in b))
    missing = [i for i in used if i not in data.columns]
    if missing:
        raise KeyError(f"data lacks indicator column(s) {missing}")

    raw = data[used].astype(float).dropna()
    if len(raw) < 3:
        raise ValueError("need at least 3 complete observations")
    spec = _Spec(constructs, blocks, paths, mode_list, scheme, tol, max_iter)
    block_raw = [raw[b].to_numpy() for b in blocks]
    xs = [_standardise(x)[0] for x in block_raw]
    fit = _estimate(spec, xs)

    result = PLSPMResult(
        path_coefficients={
            (constructs[a], constructs[b]): fit.coefficients[(a, b)] for a, b in paths
        },
        r_squared={constructs[j]: fit.r_squared[j] for j in sorted(fit.r_squared)},
        outer_weights={
            c: pd.Series(fit.weights[j], index=blocks[j], name=c) for j, c in enumerate(constructs)
        },
        outer_loadings={
            c: pd.Series(fit.loadings[j], index=blocks[j], name=c) for j, c in enumerate(constructs)
        },
        scores=pd.DataFrame(fit.scores, columns=constructs, index=raw.index),
        iterations=fit.iterations,
        scheme=scheme,
        n_obs=len(raw),
        indicator_means=raw.mean(),
        indicator_sds=raw.std(ddof=1),
        scale=scale,
        _spec=spec,
        _blocks=block_raw,
        _raw=raw,
    )
    if n_boot:
        result.bootstrap(n_boot, seed)
    return result
