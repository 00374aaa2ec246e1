"""Render the segmentation and satisfaction figures of docs/analytics.md to docs/img/.

    .venv/bin/python scripts/analytics_plots_segmentation.py [--data DIR] [--out DIR]

One function per figure:

* :func:`plot_lorenz` - Lorenz curve of CDNOW revenue per customer, with the top-20 % share
  (``docs/img/lorenz_cdnow.png``);
* :func:`plot_ecsi_paths` - the ECSI path diagram estimated by PLS-PM on ``mobi``: boxes for the
  constructs (with their 0-100 index and R²), arrows labelled with the path coefficients
  (``docs/img/ecsi_paths.png``).

The data come from ``../shared/data`` (see its README).  Matplotlib is a dev dependency.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT.parent / "shared" / "data"
OUT_DIR = ROOT / "docs" / "img"

#: Positions of the ECSI constructs in the path diagram (x, y; a box is 1.9 x 0.9).
ECSI_LAYOUT: dict[str, tuple[float, float]] = {
    "Image": (0.0, 4.0),
    "Expectation": (0.0, 2.0),
    "Quality": (0.0, 0.0),
    "Value": (3.2, 0.0),
    "Satisfaction": (3.2, 2.0),
    "Complaints": (6.4, 0.6),
    "Loyalty": (6.4, 3.4),
}
# where along an arrow its label sits (0 = source, 1 = target) when the default 0.5 collides
_LABEL_AT = {("Expectation", "Value"): 0.3, ("Quality", "Satisfaction"): 0.7}
BLUE, GREY, RED = "#1f5fa8", "0.55", "#c0392b"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def cdnow_revenue(data_dir: Path = DATA_DIR):
    """Total dollar value per CDNOW customer (all 23,570 customers, 1997-01 to 1998-06)."""
    import pandas as pd

    log = pd.read_csv(data_dir / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str})
    return log.groupby("customer_id")["dollar_value"].sum()


def plot_lorenz(out_dir: Path = OUT_DIR, data_dir: Path = DATA_DIR) -> Path:
    """Lorenz curve of CDNOW revenue per customer, marking the share of the top 20 %."""
    from guanxi.analytics.value import gini, lorenz_curve, pareto_share

    plt = _pyplot()
    revenue = cdnow_revenue(data_dir)
    curve = lorenz_curve(revenue)
    share = pareto_share(revenue, 0.2)
    fig, ax = plt.subplots(figsize=(6, 6), dpi=120)
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="perfect equality")
    ax.plot(
        curve.population,
        curve.share,
        color=BLUE,
        linewidth=2,
        label=f"CDNOW revenue (Gini {gini(revenue):.2f})",
    )
    ax.fill_between(curve.population, curve.share, curve.population, color=BLUE, alpha=0.12)
    x80, y80 = 0.8, 1.0 - share  # the top 20 % hold 1 - L(0.8)
    ax.plot([x80], [y80], "o", color=RED)
    ax.plot([x80, x80], [0, y80], color=RED, linewidth=0.8, linestyle=":")
    arrow = {"arrowstyle": "<->", "color": RED, "linewidth": 1.5}
    ax.annotate("", xy=(x80, 1.0), xytext=(x80, y80), arrowprops=arrow)
    ax.text(
        x80 - 0.02, (y80 + 1) / 2, f"{share:.0%} of revenue", color=RED, ha="right", va="center"
    )
    ax.annotate("", xy=(1.0, 0.04), xytext=(x80, 0.04), arrowprops=arrow)
    ax.text((x80 + 1) / 2, 0.07, "top 20 %\nof customers", color=RED, ha="center", va="bottom")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("share of customers (sorted by revenue, smallest first)")
    ax.set_ylabel("share of revenue")
    ax.set_title(f"Lorenz curve of customer revenue, CDNOW ({len(revenue):,} customers)")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = out_dir / "lorenz_cdnow.png"
    fig.savefig(path)
    plt.close(fig)
    return path


def _box_edge(
    center: tuple[float, float], toward: tuple[float, float], half_w: float, half_h: float
) -> tuple[float, float]:
    """Where the segment from ``center`` to ``toward`` leaves a box of the given half-size."""
    (cx, cy), (tx, ty) = center, toward
    dx, dy = tx - cx, ty - cy
    sx = half_w / abs(dx) if dx else float("inf")
    sy = half_h / abs(dy) if dy else float("inf")
    scale = min(sx, sy)
    return cx + dx * scale, cy + dy * scale


def plot_ecsi_paths(out_dir: Path = OUT_DIR, data_dir: Path = DATA_DIR, n_boot: int = 500) -> Path:
    """ECSI path diagram on mobi with PLS-PM path coefficients, R² and 0-100 indices.

    Arrows are solid when the path is significant (|t| >= 1.96 over ``n_boot`` bootstrap
    resamples) and dashed otherwise; their width grows with the coefficient.
    """
    import pandas as pd
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    from guanxi.analytics.satisfaction import ECSI_MEASUREMENT, ECSI_STRUCTURAL, pls_pm

    plt = _pyplot()
    mobi = pd.read_csv(data_dir / "mobi.csv")
    result = pls_pm(mobi, ECSI_MEASUREMENT, ECSI_STRUCTURAL, scale=(1, 10), n_boot=n_boot, seed=0)
    t_values = result.t_values or {}
    half_w, half_h = 0.95, 0.45
    fig, ax = plt.subplots(figsize=(10, 6.2), dpi=120)
    for (src, dst), beta in result.path_coefficients.items():
        a, b = ECSI_LAYOUT[src], ECSI_LAYOUT[dst]
        start, end = _box_edge(a, b, half_w, half_h), _box_edge(b, a, half_w, half_h)
        significant = abs(t_values.get((src, dst), float("inf"))) >= 1.96
        color = BLUE if significant else GREY
        ax.add_patch(
            FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=16,
                linewidth=1 + 5 * abs(beta),
                color=color,
                linestyle="-" if significant else (0, (4, 3)),
            )
        )
        at = _LABEL_AT.get((src, dst), 0.5)
        ax.text(
            start[0] + at * (end[0] - start[0]),
            start[1] + at * (end[1] - start[1]),
            f"{beta:.3f}",
            ha="center",
            va="center",
            fontsize=10,
            color=color,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"},
        )
    for name, (x, y) in ECSI_LAYOUT.items():
        ax.add_patch(
            FancyBboxPatch(
                (x - half_w, y - half_h),
                2 * half_w,
                2 * half_h,
                boxstyle="round,pad=0.02,rounding_size=0.12",
                fc="#eaf1fb",
                ec=BLUE,
                linewidth=1.5,
            )
        )
        label = f"{name}\nindex {result.index(name):.1f}"
        if name in result.r_squared:
            label += f"   R² {result.r_squared[name]:.3f}"
        ax.text(x, y, label, ha="center", va="center", fontsize=10)
    ax.set_xlim(-1.2, 7.6)
    ax.set_ylim(-0.7, 4.7)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(
        "ECSI model on the mobi survey (n = 250), PLS path modelling, path weighting scheme\n"
        f"solid: |t| >= 1.96 in {n_boot} bootstrap samples; dashed: not significant; "
        "index: 0-100 ACSI/ECSI scale",
        fontsize=10,
    )
    fig.tight_layout()
    path = out_dir / "ecsi_paths.png"
    fig.savefig(path)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where to write the PNGs")
    args = parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    args.out.mkdir(parents=True, exist_ok=True)
    for plot in (plot_lorenz, plot_ecsi_paths):
        print(plot(args.out, args.data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
