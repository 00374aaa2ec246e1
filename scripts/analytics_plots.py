"""Render the figures of docs/analytics.md into docs/img/ (matplotlib, Agg backend).

One function per figure; ``main()`` calls every function listed in ``PLOTS`` (the CDNOW
CLV figures of this file, then the Lorenz curve and ECSI path diagram of
``scripts/analytics_plots_segmentation.py``).  The CDNOW
figures need ``../shared/data`` (see its README.md); a figure whose data is missing is skipped
with a message.

    .venv/bin/python scripts/analytics_plots.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from guanxi.analytics.clv import BetaGeo, ParetoNBD, summarise_transactions  # noqa: E402
from guanxi.analytics.clv import reference_data as ref  # noqa: E402

OUT_DIR = ROOT / "docs" / "img"
CALIBRATION_WEEKS = 39
TOTAL_WEEKS = 78


def _cdnow_sample() -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The 2,357-customer sample summary, the master log, and the sample's master ids."""
    sample = ref.load_cdnow_summary_with_spend()
    master = ref.load_cdnow_master()
    ids = ref.cdnow_sample_master_ids(master, sample)
    return sample, master, ids


def _fitted_models(sample: pd.DataFrame) -> dict[str, BetaGeo | ParetoNBD]:
    return {
        "BG/NBD": BetaGeo().fit(sample["x"], sample["t_x"], sample["T"]),
        "Pareto/NBD": ParetoNBD().fit(sample["x"], sample["t_x"], sample["T"]),
    }


def plot_cdnow_tracking(out_dir: Path = OUT_DIR) -> Path:
    """Cumulative weekly repeat purchases of the CDNOW sample, actual vs models (FHL 2005 fig. 2).

    Expected: Σ_i E[X(w - s_i)] over the customers already acquired by week w, s_i being customer
    i's first-purchase time; the models are fitted on weeks 1-39 only.  Actual: repeat
    transaction days (purchases of one day count once, as in the calibration data) of the same
    customers in the master log.
    """
    sample, master, ids = _cdnow_sample()
    models = _fitted_models(sample)
    start = ref.CDNOW_START
    weeks = np.arange(1, TOTAL_WEEKS + 1)
    # first-purchase time of each sample customer, in weeks since 1 Jan 1997
    birth = (ref.CDNOW_CALIBRATION_END - start).days / 7.0 - sample["T"].to_numpy()
    log = master[master["customer_id"].isin(ids)]
    days = log.groupby(["customer_id", "date"]).size().reset_index()[["customer_id", "date"]]
    first = days.groupby("customer_id")["date"].transform("min")
    repeat_days = days.loc[days["date"] > first, "date"]
    repeat_week = ((repeat_days - start).dt.days // 7 + 1).to_numpy()
    actual = np.array([(repeat_week <= w).sum() for w in weeks])

    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(weeks, actual, color="black", linewidth=2, label="actual")
    styles = {"BG/NBD": ("tab:blue", "--"), "Pareto/NBD": ("tab:orange", ":")}
    totals = {}
    for name, model in models.items():
        horizon = np.clip(weeks[:, None] - birth[None, :], 0.0, None)
        expected = np.asarray(model.expected_purchases(horizon)).sum(axis=1)
        colour, style = styles[name]
        ax.plot(weeks, expected, color=colour, linestyle=style, linewidth=2, label=name)
        totals[name] = expected[-1] - expected[CALIBRATION_WEEKS - 1]
    ax.axvline(CALIBRATION_WEEKS, color="grey", linewidth=1)
    ax.text(CALIBRATION_WEEKS + 1, actual.max() * 0.05, "end of calibration", color="grey")
    ax.set_xlabel("week (1997-01-01 = start of week 1)")
    ax.set_ylabel("cumulative repeat transactions")
    ax.set_title("CDNOW sample (2,357 customers): tracking cumulative repeat purchases")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "cdnow_tracking.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    held = actual[-1] - actual[CALIBRATION_WEEKS - 1]
    print(
        f"{path.name}: weeks 40-78 actual {held:,} repeat transactions; "
        + ", ".join(f"{k} {v:,.0f}" for k, v in totals.items())
    )
    return path


def plot_cdnow_conditional_expectations(out_dir: Path = OUT_DIR) -> Path:
    """Hold-out purchases by calibration frequency, actual vs E[Y(39) | x, t_x, T] (FHL 2005 fig 4).

    Customers are grouped by their number of repeat purchases in weeks 1-39 (7 and more
    together); for each group the bars show the average number of repeat transactions in weeks
    40-78 and the models' average conditional expectation for the same customers.
    """
    sample, master, ids = _cdnow_sample()
    models = _fitted_models(sample)
    summary = summarise_transactions(
        master,
        ref.CDNOW_CALIBRATION_END,
        amount="amount",
        holdout_end=ref.CDNOW_HOLDOUT_END,
    )
    actual = summary.loc[ids, "holdout_frequency"].to_numpy()
    x, t_x, T = (sample[c].to_numpy() for c in ("x", "t_x", "T"))
    group = np.minimum(x, 7).astype(int)
    labels = [str(k) for k in range(7)] + ["7+"]
    frame = pd.DataFrame({"group": group, "actual": actual})
    for name, model in models.items():
        frame[name] = model.conditional_expected_purchases(39.0, x, t_x, T)
    means = frame.groupby("group").mean()
    counts = frame.groupby("group").size()

    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.27
    positions = np.arange(len(labels))
    series = [("actual", "black"), ("BG/NBD", "tab:blue"), ("Pareto/NBD", "tab:orange")]
    for offset, (column, colour) in zip((-width, 0.0, width), series, strict=True):
        ax.bar(positions + offset, means[column], width, color=colour, label=column)
    ax.set_xticks(positions, [f"{label}\n(n={counts[i]})" for i, label in enumerate(labels)])
    ax.set_xlabel("repeat purchases in weeks 1-39")
    ax.set_ylabel("mean repeat purchases in weeks 40-78")
    ax.set_title("CDNOW sample: conditional expectations vs actual hold-out purchases")
    ax.legend(loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "cdnow_conditional_expectations.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(
        f"{path.name}: hold-out total actual {actual.sum():,}; "
        + ", ".join(f"{k} {frame[k].sum():,.0f}" for k in models)
    )
    return path


#: Every figure of docs/analytics.md: the CLV figures here, then those of the segmentation and
#: satisfaction sections, which live in scripts/analytics_plots_segmentation.py.
PLOTS: list[Callable[[Path], Path]] = [
    plot_cdnow_tracking,
    plot_cdnow_conditional_expectations,
]

# Segmentation and satisfaction figures (Lorenz curve of CDNOW revenue, ECSI path diagram on
# mobi), kept in their own script next to this one.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from analytics_plots_segmentation import plot_ecsi_paths, plot_lorenz  # noqa: E402

PLOTS += [plot_lorenz, plot_ecsi_paths]


def main() -> None:
    for plot in PLOTS:
        try:
            path = plot(OUT_DIR)
            print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        except FileNotFoundError as exc:
            print(f"{plot.__name__}: skipped, {exc}")


if __name__ == "__main__":
    main()
