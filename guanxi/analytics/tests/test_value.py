"""80/20 analysis: Pareto share, Lorenz curve, Gini coefficient, ABC classes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.analytics.value import abc_classes, gini, lorenz_curve, pareto_share

from .seg_data import cdnow


def test_pareto_share_by_hand():
    values = [1.0] * 8 + [10.0, 10.0]  # total 28, the top two hold 20
    assert pareto_share(values, 0.2) == pytest.approx(20 / 28)
    # top 25 % = two customers and half of a third (a 1): (20 + 0.5) / 28
    assert pareto_share(values, 0.25) == pytest.approx(20.5 / 28)
    assert pareto_share(values, 0.0) == 0.0
    assert pareto_share(values, 1.0) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        pareto_share(values, 1.5)


def test_lorenz_curve_by_hand():
    curve = lorenz_curve([4.0, 1.0, 3.0, 2.0])
    assert curve.population.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert curve.share == pytest.approx([0.0, 0.1, 0.3, 0.6, 1.0])
    population, share = curve  # unpacks like a tuple
    assert len(population) == len(share) == 5


def test_gini_by_hand():
    # mean absolute difference: pairs |1-2|+|1-3|+|1-4|+|2-3|+|2-4|+|3-4| = 10, doubled 20;
    # G = 20 / (2 n^2 mean) = 20 / (2 * 16 * 2.5) = 0.25
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)
    assert gini([5, 5, 5]) == 0.0
    assert gini([0, 0, 0, 8]) == pytest.approx(0.75)  # (n - 1) / n, all with one customer
    assert gini([7]) == 0.0
    # twice the area between the diagonal and the Lorenz curve (trapezoids)
    values = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    curve = lorenz_curve(values)
    area = float(np.sum((curve.share[1:] + curve.share[:-1]) / 2 * np.diff(curve.population)))
    assert gini(values) == pytest.approx(1 - 2 * area)


def test_negative_values_unprofitable_customers():
    # profits: one loss-maker; net total 20
    profits = [-10.0, 5.0, 5.0, 20.0]
    assert pareto_share(profits, 0.25) == pytest.approx(20 / 20)
    # whale curve: the top half earns 125 % of the net profit
    assert pareto_share(profits, 0.5) == pytest.approx(25 / 20)
    assert lorenz_curve(profits).share == pytest.approx([0.0, -0.5, -0.25, 0.0, 1.0])
    # Gini normalised by sum |x| = 40: sorted -10, 5, 5, 20 with weights 2i - n - 1 = -3, -1,
    # 1, 3 -> (30 - 5 + 5 + 60) / (n * 40) = 90 / 160
    assert gini(profits) == pytest.approx(90 / 160)
    assert gini([-5.0, 5.0, 10.0]) == pytest.approx(0.5)  # 60 / (2 * 3 * 20)
    # a net loss makes shares undefined
    with pytest.raises(ValueError):
        pareto_share([-10.0, 5.0], 0.5)
    assert 0.0 <= gini([-10.0, 5.0]) <= 1.0
    # the best customer alone earns 100 % of the net profit: the rest is C
    assert abc_classes(profits).tolist() == ["C", "C", "C", "A"]


def test_degenerate_inputs():
    assert gini([]) == 0.0
    assert gini([0, 0]) == 0.0
    assert pareto_share([], 0.2) == pytest.approx(0.2)
    assert pareto_share([0.0, 0.0, 0.0], 0.2) == pytest.approx(0.2)
    empty = lorenz_curve([])
    assert empty.population.tolist() == [0.0, 1.0] and empty.share.tolist() == [0.0, 1.0]
    assert lorenz_curve([0, 0]).share.tolist() == [0.0, 0.5, 1.0]
    assert abc_classes([]).size == 0
    assert abc_classes([0.0, 0.0]).tolist() == ["C", "C"]
    with pytest.raises(ValueError):
        gini([1.0, float("nan")])


def test_abc_classes_by_hand():
    values = [50, 30, 10, 5, 5, 0, -1]  # net total 99
    # cumulative share before each (sorted): 0, .505, .808, .909, .960 -> A A B B C; 0, -1 -> C
    assert abc_classes(values).tolist() == ["A", "A", "B", "B", "C", "C", "C"]
    # exactly 80 % before a customer puts it in B (0.1 + 0.7 must not count as 0.79999)
    assert abc_classes([0.7, 0.1, 0.1, 0.05, 0.05]).tolist() == ["A", "A", "B", "B", "C"]
    series = pd.Series([10.0, 80.0, 5.0, 5.0], index=["w", "x", "y", "z"])
    out = abc_classes(series)
    # before: x 0 -> A, w .80 -> B, y .90 -> B, z .95 -> C (equal values keep input order)
    assert out.to_dict() == {"w": "B", "x": "A", "y": "B", "z": "C"}


def test_cdnow_revenue_80_20():
    data = cdnow()
    revenue = data.groupby("customer_id")["amount"].sum()
    n_top = len(revenue) // 5  # 23570 customers -> 4714 exactly
    expected = revenue.nlargest(n_top).sum() / revenue.sum()
    share = pareto_share(revenue, 0.2)
    assert share == pytest.approx(expected, rel=1e-12)
    assert 0.6 < share < 0.8  # CDNOW's top fifth bring about two thirds of the revenue
    g = gini(revenue)
    assert 0.5 < g < 0.8
    classes = abc_classes(revenue)
    a_share = revenue[classes == "A"].sum() / revenue.sum()
    assert a_share >= 0.8 and a_share - revenue[classes == "A"].min() / revenue.sum() < 0.8


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
nonneg = st.floats(0, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, max_size=50))
def test_property_gini_in_unit_interval(values):
    g = gini(values)
    assert 0.0 <= g <= 1.0


@settings(max_examples=60, deadline=None)
@given(st.lists(nonneg, min_size=1, max_size=50), st.floats(0.0, 1.0))
def test_property_lorenz_monotone_convex_and_pareto(values, top):
    curve = lorenz_curve(values)
    steps = np.diff(curve.share)
    assert (steps >= -1e-12).all()  # non-decreasing
    assert (np.diff(steps) >= -1e-9).all()  # convex: increments grow
    assert curve.share[0] == 0.0 and curve.share[-1] == 1.0
    assert (curve.share <= curve.population + 1e-9).all()  # below the diagonal
    assert pareto_share(values, top) >= top - 1e-9  # the top x % hold at least x %


@settings(max_examples=40, deadline=None)
@given(st.lists(nonneg, min_size=1, max_size=40), st.floats(0.01, 100.0), st.randoms())
def test_property_gini_scale_and_permutation_invariant(values, scale, rnd):
    shuffled = list(values)
    rnd.shuffle(shuffled)
    assert gini(shuffled) == pytest.approx(gini(values), abs=1e-9)
    assert gini(np.array(values) * scale) == pytest.approx(gini(values), abs=1e-9)
