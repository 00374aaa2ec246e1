"""Association rules: a five-order example computed by hand, and FP-growth = Apriori = brute
force on random baskets."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.analytics.basket import association_rules, frequent_itemsets, recommend

# The textbook grocery example (Tan, Steinbach & Kumar, Introduction to Data Mining, ch. 6)
ORDERS = [
    ["bread", "milk"],
    ["bread", "diaper", "beer", "eggs"],
    ["milk", "diaper", "beer", "cola"],
    ["bread", "milk", "diaper", "beer"],
    ["bread", "milk", "diaper", "cola"],
]


def _lines(orders) -> pd.DataFrame:
    return pd.DataFrame(
        [(i, p) for i, o in enumerate(orders) for p in o], columns=["order_id", "product_id"]
    )


@pytest.mark.parametrize("algorithm", ["fpgrowth", "apriori"])
def test_frequent_itemsets_by_hand(algorithm):
    found = frequent_itemsets(_lines(ORDERS), min_support=0.6, algorithm=algorithm)
    # counts out of 5 orders: bread 4, milk 4, diaper 4, beer 3 (eggs 1, cola 2 are rare);
    # pairs with >= 3: {beer, diaper} 3, {bread, diaper} 3, {bread, milk} 3, {diaper, milk} 3;
    # no triple reaches 3 ({bread, milk, diaper} is in orders 4 and 5 only)
    assert found["itemset"].tolist() == [
        ("bread",),
        ("diaper",),
        ("milk",),
        ("beer",),
        ("beer", "diaper"),
        ("bread", "diaper"),
        ("bread", "milk"),
        ("diaper", "milk"),
    ]
    assert found["count"].tolist() == [4, 4, 4, 3, 3, 3, 3, 3]
    assert found["support"].tolist() == pytest.approx([0.8] * 3 + [0.6] * 5)


def test_rules_by_hand():
    rules = association_rules(_lines(ORDERS), min_support=0.4, min_confidence=0.6)
    by_rule = {(r.antecedent, r.consequent): r._asdict() for r in rules.itertuples()}
    # {milk, diaper} -> {beer}: both in orders 3 and 4 (2 / 5), antecedent in 3, 4, 5 (3 / 5),
    # beer in 2, 3, 4 (3 / 5): confidence 2/3, lift (2/3) / (3/5) = 10/9,
    # leverage 0.4 - 0.6 * 0.6 = 0.04, conviction (1 - 0.6) / (1 - 2/3) = 1.2
    row = by_rule[(("diaper", "milk"), ("beer",))]
    assert row["support"] == pytest.approx(0.4)
    assert row["count"] == 2
    assert row["antecedent_support"] == pytest.approx(0.6)
    assert row["consequent_support"] == pytest.approx(0.6)
    assert row["confidence"] == pytest.approx(2 / 3)
    assert row["lift"] == pytest.approx(10 / 9)
    assert row["leverage"] == pytest.approx(0.04)
    assert row["conviction"] == pytest.approx(1.2)
    # {beer} -> {diaper}: every beer order has diapers: confidence 1, lift 1 / 0.8 = 1.25
    row = by_rule[(("beer",), ("diaper",))]
    assert row["confidence"] == 1.0
    assert row["lift"] == pytest.approx(1.25)
    assert math.isinf(row["conviction"])
    # {cola} -> {diaper, milk}: 2 / 2 = 1, lift 1 / 0.6
    assert by_rule[(("cola",), ("diaper", "milk"))]["lift"] == pytest.approx(5 / 3)
    # {bread} -> {milk}: 3 / 4 = 0.75 >= 0.6, lift 0.75 / 0.8 = 0.9375 (a substitute, < 1)
    assert by_rule[(("bread",), ("milk",))]["lift"] == pytest.approx(0.9375)
    # {milk} -> {cola}: 2 / 4 = 0.5 < 0.6: filtered out
    assert (("milk",), ("cola",)) not in by_rule
    # 27 rules in all, sorted by lift, confidence, support
    assert len(rules) == 27
    keys = list(zip(-rules["lift"].round(12), -rules["confidence"].round(12), strict=True))
    assert keys == sorted(keys)
    assert rules.iloc[0]["antecedent"] == ("cola",)
    # min_lift keeps complements only
    assert (association_rules(_lines(ORDERS), min_support=0.4, min_lift=1.01)["lift"] > 1).all()


def test_deterministic_under_row_order_and_duplicates():
    lines = _lines(ORDERS)
    expected = association_rules(lines, min_support=0.4, min_confidence=0.5)
    shuffled = lines.sample(frac=1.0, random_state=3)
    doubled = pd.concat([shuffled, lines.iloc[:4]])  # a product listed twice in an order
    for variant in (shuffled, doubled):
        got = association_rules(variant, min_support=0.4, min_confidence=0.5)
        pd.testing.assert_frame_equal(got, expected)
    apriori = association_rules(lines, min_support=0.4, min_confidence=0.5, algorithm="apriori")
    pd.testing.assert_frame_equal(apriori, expected)


def test_max_len_empty_and_recommend():
    lines = _lines(ORDERS)
    pairs = frequent_itemsets(lines, min_support=0.4, max_len=2)
    assert pairs["length"].max() == 2
    assert frequent_itemsets(lines, min_support=0.4)["length"].max() == 3
    empty = association_rules(lines.iloc[:0], min_support=0.5)
    assert empty.empty and "lift" in empty.columns
    assert association_rules(lines, min_support=0.9).empty  # no pair is that frequent
    rules = association_rules(lines, min_support=0.4, min_confidence=0.6, min_lift=1.0)
    suggestions = recommend(rules, ["milk", "diaper"])
    # best rules for this basket: {diaper, milk} -> cola (lift 5/3), diaper -> beer (1.25)
    assert suggestions["consequent"].tolist() == [("cola",), ("beer",)]
    with pytest.raises(ValueError):
        frequent_itemsets(lines, min_support=0.0)


def _brute_force(orders: list[set[int]], min_count: int) -> dict[tuple[int, ...], int]:
    items = sorted(set().union(*orders)) if orders else []
    out = {}
    for k in range(1, len(items) + 1):
        level = False
        for combo in combinations(items, k):
            count = sum(1 for o in orders if set(combo) <= o)
            if count >= min_count:
                out[combo] = count
                level = True
        if not level:
            break
    return out


@settings(max_examples=40, deadline=None)
@given(
    orders=st.lists(st.sets(st.integers(0, 7), min_size=1, max_size=5), min_size=1, max_size=25),
    min_support=st.sampled_from([0.1, 0.2, 0.3, 0.5]),
)
def test_property_fpgrowth_equals_apriori_equals_brute_force(orders, min_support):
    lines = _lines([sorted(o) for o in orders])
    min_count = max(1, math.ceil(min_support * len(orders) - 1e-9))
    truth = _brute_force(orders, min_count)
    for algorithm in ("fpgrowth", "apriori"):
        found = frequent_itemsets(lines, min_support=min_support, algorithm=algorithm)
        got = dict(zip(found["itemset"], found["count"], strict=True))
        assert got == truth
    a = association_rules(lines, min_support=min_support, min_confidence=0.3)
    b = association_rules(lines, min_support=min_support, min_confidence=0.3, algorithm="apriori")
    pd.testing.assert_frame_equal(a, b)
    if not a.empty:
        assert (a["confidence"] >= 0.3 - 1e-12).all()
        assert np.allclose(a["lift"], a["confidence"] / a["consequent_support"])
