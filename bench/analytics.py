"""Benchmark of the analytics engine (issue 4).  Not part of the test suite.

1. CLV engine against ``lifetimes`` 0.11.3: 1,000,000 synthetic customers drawn from the
   BG/NBD and Gamma-Gamma models fitted to the CDNOW sample (the generative stories of Fader,
   Hardie & Lee 2005, simulated vectorised, with dates at day resolution as a CRM stores them).
   Times fitting BG/NBD + Gamma-Gamma and computing 12-month CLV with ``guanxi.analytics.clv``
   and, in its own virtual environment (``var/bench-lifetimes-venv``, created on first use with
   versions lifetimes supports), with lifetimes on the same data; prints both, the ratio, and
   both log-likelihoods evaluated with the same likelihood function.
2. Nightly run: from a 1,000,000-customer transaction log, RFM table + BG/NBD + Gamma-Gamma +
   CLV + lifecycle stages, in a child process that reports its own peak memory.

Usage::

    .venv/bin/python bench/analytics.py                 # everything
    .venv/bin/python bench/analytics.py --customers 200000 --skip-lifetimes
    .venv/bin/python bench/analytics.py --nightly-only

Record the figures in docs/performance.md ("Analytics engine").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from guanxi.analytics.clv import (  # noqa: E402
    BetaGeo,
    GammaGamma,
    customer_lifetime_value,
    summarise_transactions,
)
from guanxi.analytics.clv import reference_data as ref  # noqa: E402
from guanxi.analytics.clv.simulate import (  # noqa: E402
    simulate_beta_geo,
    simulate_beta_geo_transactions,
    simulate_gamma_gamma,
)

LIFETIMES_VENV = ROOT / "var" / "bench-lifetimes-venv"
#: lifetimes 0.11.3 (2020) predates numpy 2 and pandas 2; these are the newest it runs on.
LIFETIMES_PINS = [
    "lifetimes==0.11.3",
    "numpy==1.26.4",
    "pandas==1.5.3",
    "scipy==1.11.4",
    "autograd==1.6.2",
    "dill",
]
#: Published CDNOW estimates, used when ../shared/data is absent.
PUBLISHED_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
HORIZON_MONTHS = 12
MONTHLY_DISCOUNT = 0.01
WEEKS_PER_MONTH = 4.345  # also lifetimes' step for freq="W"


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Timer:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}

    def __call__(self, label: str):
        timer = self

        class _Block:
            def __enter__(self) -> None:
                self.start = time.perf_counter()

            def __exit__(self, *exc: object) -> None:
                timer.times[label] = time.perf_counter() - self.start

        return _Block()


def cdnow_parameters() -> tuple[dict[str, float], dict[str, float], str]:
    """BG/NBD and Gamma-Gamma parameters fitted to the CDNOW sample (or the published ones)."""
    try:
        summary = ref.load_cdnow_summary_with_spend()
    except FileNotFoundError:
        return PUBLISHED_BG, PUBLISHED_GG, "published CDNOW estimates (shared data not found)"
    bg = BetaGeo().fit(summary["x"], summary["t_x"], summary["T"])
    gg = GammaGamma().fit(summary["x"], summary["zbar"])
    return bg.params, gg.params, "fitted to the CDNOW sample"


def synthetic_customers(n: int, bg: dict[str, float], gg: dict[str, float], seed: int = 1997):
    """(x, t_x, T, m) for n customers: first purchases spread over 13 weeks like CDNOW's, ages
    and recencies in whole days (expressed in weeks), mean repeat spend in cents."""
    rng = np.random.default_rng(seed)
    age_days = rng.integers(182, 273, size=n, endpoint=True)
    T = age_days / 7.0
    x, t_x = simulate_beta_geo(bg["r"], bg["alpha"], bg["a"], bg["b"], T, rng)
    t_x = np.minimum(np.round(t_x * 7.0), age_days) / 7.0
    m = np.round(simulate_gamma_gamma(gg["p"], gg["q"], gg["gamma"], x, rng), 2)
    m[(x > 0) & (m < 0.01)] = 0.01
    return x, t_x, T, m


def run_guanxi(x, t_x, T, m) -> dict:
    timer = Timer()
    with timer("fit_bgnbd"):
        bg = BetaGeo().fit(x, t_x, T)
    with timer("fit_gamma_gamma"):
        gg = GammaGamma().fit(x, m)
    with timer("clv_12_months"):
        clv = customer_lifetime_value(
            bg,
            gg,
            x,
            t_x,
            T,
            m,
            HORIZON_MONTHS,
            MONTHLY_DISCOUNT,
            1.0,
            time_units_per_month=WEEKS_PER_MONTH,
        )
    with timer("standard_errors"):
        bg_se = bg.standard_errors
        gg.standard_errors  # noqa: B018 - computed for the timing
    return {
        "times": timer.times,
        "bg": bg.params,
        "gg": gg.params,
        "bg_ll": bg.log_likelihood,
        "gg_ll": gg.log_likelihood,
        "bg_se": bg_se,
        "distinct_rows": len(bg._data.x),
        "clv": clv,
    }


LIFETIMES_SCRIPT = textwrap.dedent(
    """
    import json, sys, time, warnings
    warnings.simplefilter("ignore")
    import numpy as np, pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    data = np.load(sys.argv[1])
    grouped = sys.argv[3] == "grouped"
    f, r, T, m = (pd.Series(data[k]) for k in ("x", "t_x", "T", "m"))
    out = {"times": {}}
    start = time.perf_counter()
    bgf = BetaGeoFitter()
    if grouped:
        g = pd.DataFrame({"f": f, "r": r, "T": T}).value_counts().reset_index(name="w")
        bgf.fit(g["f"], g["r"], g["T"], weights=g["w"])
    else:
        bgf.fit(f, r, T)
    out["times"]["fit_bgnbd"] = time.perf_counter() - start
    out["bg"] = {k: float(v) for k, v in bgf.params_.items()}
    start = time.perf_counter()
    repeat = f > 0
    ggf = GammaGammaFitter().fit(f[repeat], m[repeat])
    out["times"]["fit_gamma_gamma"] = time.perf_counter() - start
    # lifetimes calls the Gamma-Gamma rate parameter v; the papers (and guanxi) call it gamma
    out["gg"] = dict(
        (("gamma" if k == "v" else k), float(v)) for k, v in ggf.params_.items()
    )
    start = time.perf_counter()
    clv = ggf.customer_lifetime_value(
        bgf, f, r, T, m, time=12, discount_rate=0.01, freq="W"
    )
    out["times"]["clv_12_months"] = time.perf_counter() - start
    np.save(sys.argv[2], clv.to_numpy())
    print(json.dumps(out))
    """
)


def lifetimes_python() -> tuple[Path | None, str]:
    """The lifetimes venv's python, creating the venv on first use; (None, why) if impossible."""
    python = LIFETIMES_VENV / "bin" / "python"
    check = [str(python), "-c", "import lifetimes; print(lifetimes.__version__)"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python, "existing venv"
    print(f"creating {LIFETIMES_VENV} with {' '.join(LIFETIMES_PINS)} ...", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(LIFETIMES_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *LIFETIMES_PINS],
            check=True,
            capture_output=True,
            text=True,
            timeout=900,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        return None, f"could not install lifetimes: {detail.strip()[-400:]}"
    if subprocess.run(check, capture_output=True).returncode != 0:
        return None, "lifetimes installed but does not import"
    return python, "new venv"


def run_lifetimes(python: Path, x, t_x, T, m, grouped: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "customers.npz"
        np.savez(data, x=x, t_x=t_x, T=T, m=m)
        script = Path(tmp) / "run_lifetimes.py"
        script.write_text(LIFETIMES_SCRIPT)
        clv_path = Path(tmp) / "clv.npy"
        mode = "grouped" if grouped else "rows"
        done = subprocess.run(
            [str(python), str(script), str(data), str(clv_path), mode],
            capture_output=True,
            text=True,
            timeout=3600,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-2000:])
        out = json.loads(done.stdout.strip().splitlines()[-1])
        out["clv"] = np.load(clv_path)
    return out


def total(times: dict[str, float]) -> float:
    return times["fit_bgnbd"] + times["fit_gamma_gamma"] + times["clv_12_months"]


def log_likelihoods(bg: dict, gg: dict, x, t_x, T, m) -> tuple[float, float]:
    """Total BG/NBD and Gamma-Gamma log-likelihoods at the given parameters, one formula for all."""
    bg_model = BetaGeo.from_params(**bg)
    gg_model = GammaGamma.from_params(**gg)
    bg_ll = float(np.sum(bg_model.individual_log_likelihood(x, t_x, T)))
    repeat = x > 0
    gg_ll = float(np.sum(gg_model.individual_log_likelihood(x[repeat], m[repeat])))
    return bg_ll, gg_ll


def compare_with_lifetimes(n: int, skip_lifetimes: bool) -> None:
    bg_true, gg_true, source = cdnow_parameters()
    print(f"== CLV engine: {n:,} synthetic customers, parameters {source}")
    print(f"   BG/NBD {fmt(bg_true)}; Gamma-Gamma {fmt(gg_true)}")
    start = time.perf_counter()
    x, t_x, T, m = synthetic_customers(n, bg_true, gg_true)
    print(
        f"   simulated in {time.perf_counter() - start:.2f} s: {np.mean(x > 0):.1%} repeat buyers, "
        f"{x.sum():,.0f} repeat purchases"
    )
    ours = run_guanxi(x, t_x, T, m)
    print("-- guanxi.analytics.clv")
    print_times(ours["times"])
    print(f"   ({ours['distinct_rows']:,} distinct (x, t_x, T) rows after grouping)")
    print(f"   BG/NBD {fmt(ours['bg'])}  LL {ours['bg_ll']:,.1f}")
    print(f"   Gamma-Gamma {fmt(ours['gg'])}  LL {ours['gg_ll']:,.1f}")
    print(f"   mean 12-month CLV {np.mean(ours['clv']):.2f}")
    if skip_lifetimes:
        return
    python, how = lifetimes_python()
    if python is None:
        print(f"-- lifetimes 0.11.3: skipped, {how}")
        return
    for grouped in (False, True):
        label = "grouped rows with weights" if grouped else "one row per customer"
        print(f"-- lifetimes 0.11.3 ({how}; {label})", flush=True)
        try:
            theirs = run_lifetimes(python, x, t_x, T, m, grouped)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"   failed: {str(exc)[-600:]}")
            continue
        print_times(theirs["times"])
        bg_ll, gg_ll = log_likelihoods(theirs["bg"], theirs["gg"], x, t_x, T, m)
        print(f"   BG/NBD {fmt(theirs['bg'])}  LL {bg_ll:,.1f}")
        print(f"   Gamma-Gamma {fmt(theirs['gg'])}  LL {gg_ll:,.1f}")
        ratio = total(theirs["times"]) / total(ours["times"])
        print(
            f"   guanxi is {ratio:.1f}x faster (fit BG/NBD + Gamma-Gamma + 12-month CLV: "
            f"{total(ours['times']):.2f} s vs {total(theirs['times']):.2f} s)"
        )
        print(
            f"   log-likelihood difference (guanxi - lifetimes): BG/NBD "
            f"{ours['bg_ll'] - bg_ll:+.3f}, Gamma-Gamma {ours['gg_ll'] - gg_ll:+.3f}"
        )
        rel = np.abs(ours["clv"] - theirs["clv"]) / np.maximum(np.abs(theirs["clv"]), 1e-9)
        print(f"   CLV per customer: median relative difference {np.median(rel):.1e}")


def synthetic_transaction_log(n: int, seed: int = 1998) -> tuple[pd.DataFrame, pd.Timestamp]:
    """A transaction log of n customers drawn from the CDNOW BG/NBD / Gamma-Gamma stories."""
    bg, gg = PUBLISHED_BG, PUBLISHED_GG
    rng = np.random.default_rng(seed)
    as_of = pd.Timestamp("1997-09-30")
    age_days = rng.integers(182, 273, size=n, endpoint=True)
    customer, weeks, _ = simulate_beta_geo_transactions(
        bg["r"], bg["alpha"], bg["a"], bg["b"], age_days / 7.0, rng
    )
    nu = rng.gamma(gg["q"], 1.0 / gg["gamma"], size=n)
    amount = np.round(rng.gamma(gg["p"], 1.0 / nu[customer]), 2) + 0.01
    day = (as_of - pd.to_timedelta(age_days[customer], unit="D")) + pd.to_timedelta(
        np.round(weeks * 7.0), unit="D"
    )
    log = pd.DataFrame({"customer_id": customer + 1, "date": day, "amount": amount})
    return log, as_of


def nightly_run(n: int) -> dict:
    """RFM + BG/NBD + Gamma-Gamma + CLV + lifecycle for n customers; timings and peak memory."""
    start = time.perf_counter()
    log, as_of = synthetic_transaction_log(n)
    generate = time.perf_counter() - start
    timer = Timer()
    missing = []
    with timer("summary (frequency, recency, T, spend)"):
        summary = summarise_transactions(log, as_of, amount="amount")
    try:
        from guanxi.analytics.rfm import rfm_table
    except ImportError:
        rfm_table = None
        missing.append("guanxi.analytics.rfm.rfm_table")
    if rfm_table is not None:
        with timer("RFM table"):
            rfm = rfm_table(log, as_of)
        segments = int(rfm["segment"].nunique())
    with timer("fit BG/NBD"):
        bg = BetaGeo().fit(summary["frequency"], summary["recency"], summary["T"])
    with timer("fit Gamma-Gamma"):
        gg = GammaGamma().fit(summary["frequency"], summary["monetary_value"])
    with timer("P(alive)"):
        p_alive = pd.Series(
            bg.probability_alive(summary["frequency"], summary["recency"], summary["T"]),
            index=summary.index,
        )
    with timer("12-month CLV"):
        clv = customer_lifetime_value(
            bg,
            gg,
            summary["frequency"],
            summary["recency"],
            summary["T"],
            summary["monetary_value"],
            HORIZON_MONTHS,
            MONTHLY_DISCOUNT,
            1.0,
        )
    try:
        from guanxi.analytics.lifecycle import lifecycle_stages
    except ImportError:
        lifecycle_stages = None
        missing.append("guanxi.analytics.lifecycle.lifecycle_stages")
    if lifecycle_stages is not None:
        with timer("lifecycle stages"):
            stages = lifecycle_stages(log, as_of, p_alive=p_alive)
        stage_counts = stages["stage"].value_counts().to_dict()
    return {
        "customers": int(len(summary)),
        "transactions": int(len(log)),
        "generate_seconds": generate,
        "times": timer.times,
        "total_seconds": sum(timer.times.values()),
        "peak_memory_mb": peak_memory_mb(),
        "missing": missing,
        "bg": bg.params,
        "mean_clv": float(clv.mean()),
        "segments": segments if rfm_table is not None else None,
        "stages": {str(k): int(v) for k, v in stage_counts.items()}
        if lifecycle_stages is not None
        else None,
    }


def report_nightly(n: int) -> None:
    print(f"== Nightly run: {n:,} customers (child process, its own peak memory)", flush=True)
    done = subprocess.run(
        [sys.executable, __file__, "--nightly-child", "--customers", str(n)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        print(done.stderr[-3000:])
        return
    out = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"   log of {out['transactions']:,} transactions generated in "
        f"{out['generate_seconds']:.1f} s (not counted)"
    )
    for label, seconds in out["times"].items():
        print(f"   {label:<40}{seconds:8.2f} s")
    print(f"   {'total':<40}{out['total_seconds']:8.2f} s   (target < 60 s)")
    print(f"   peak memory {out['peak_memory_mb']:,.0f} MB (target < 4,096 MB)")
    if out["missing"]:
        print(f"   not available, skipped: {', '.join(out['missing'])}")
    print(f"   BG/NBD {fmt(out['bg'])}; mean CLV {out['mean_clv']:.2f}")
    if out["segments"] is not None:
        print(f"   RFM segments used: {out['segments']}")
    if out["stages"] is not None:
        print(f"   lifecycle stages: {out['stages']}")


def print_times(times: dict[str, float]) -> None:
    for label, seconds in times.items():
        print(f"   {label:<20}{seconds:9.2f} s")
    print(f"   {'fit + fit + CLV':<20}{total(times):9.2f} s")


def fmt(params: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.4g}" for k, v in params.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--skip-lifetimes", action="store_true")
    parser.add_argument("--nightly-only", action="store_true")
    parser.add_argument("--nightly-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.nightly_child:
        print(json.dumps(nightly_run(args.customers)))
        return
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}"
    )
    if not args.nightly_only:
        compare_with_lifetimes(args.customers, args.skip_lifetimes)
    report_nightly(args.customers)


if __name__ == "__main__":
    main()
