"""Association rules for cross-selling (market basket analysis).

From order lines (order id, product) find the sets of products often bought together and the
rules "customers who buy A also buy B" (Agrawal, Imieliński & Swami 1993), with

* support(X) = share of orders that contain every product of X,
* confidence(A -> B) = support(A ∪ B) / support(A)  (an estimate of P(B | A)),
* lift(A -> B) = confidence(A -> B) / support(B)  (> 1: A makes B more likely),
* leverage(A -> B) = support(A ∪ B) - support(A) support(B)  (Piatetsky-Shapiro 1991),
* conviction(A -> B) = (1 - support(B)) / (1 - confidence(A -> B))  (Brin, Motwani, Ullman &
  Tsur 1997; infinite when the confidence is 1).

Two exact algorithms find the frequent itemsets and give identical results: **Apriori**
(Agrawal & Srikant 1994, "Fast algorithms for mining association rules", VLDB), level-wise
candidate generation with support counting vectorised over bit-packed order sets, and
**FP-growth** (Han, Pei & Yin 2000, "Mining frequent patterns without candidate generation",
SIGMOD), which compresses the orders into a frequent-pattern tree and mines it recursively
through conditional pattern bases.  FP-growth is the default; Apriori is often faster when
there are few, short frequent itemsets.

Output ordering is deterministic: it never depends on the order of the input rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["association_rules", "frequent_itemsets", "recommend"]

Algorithm = Literal["fpgrowth", "apriori"]

_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def _encode(
    order_lines: pd.DataFrame, order: str, product: str
) -> tuple[list[np.ndarray], np.ndarray, int]:
    """Orders as arrays of item codes (codes = ranks of the sorted product labels)."""
    for c in (order, product):
        if c not in order_lines.columns:
            raise KeyError(f"order_lines lacks column {c!r}")
    lines = order_lines[[order, product]].dropna().drop_duplicates()
    order_codes, _ = pd.factorize(lines[order], sort=True)
    item_codes, items = pd.factorize(lines[product], sort=True)
    n_orders = int(order_codes.max()) + 1 if len(order_codes) else 0
    sort = np.lexsort((item_codes, order_codes))
    order_codes, item_codes = order_codes[sort], item_codes[sort]
    bounds = np.searchsorted(order_codes, np.arange(n_orders + 1))
    baskets = [item_codes[bounds[i] : bounds[i + 1]] for i in range(n_orders)]
    return baskets, np.asarray(items, dtype=object), n_orders


def _min_count(min_support: float, n_orders: int) -> int:
    if not 0.0 < min_support <= 1.0:
        raise ValueError("min_support must lie in (0, 1]")
    return max(1, math.ceil(min_support * n_orders - 1e-9))


# ------------------------------------------------------------------------------ Apriori
def _apriori(
    baskets: list[np.ndarray], n_items: int, min_count: int, max_len: int | None
) -> dict[tuple[int, ...], int]:
    n_orders = len(baskets)
    order_codes = np.repeat(np.arange(n_orders), [b.size for b in baskets])
    item_codes = np.concatenate(baskets) if baskets else np.zeros(0, dtype=np.int64)
    counts = np.bincount(item_codes, minlength=n_items)
    # bit-packed set of the orders containing each item (only frequent items get a row)
    frequent_items = np.flatnonzero(counts >= min_count)
    row_of = np.full(n_items, -1, dtype=np.int64)
    row_of[frequent_items] = np.arange(frequent_items.size)
    keep = row_of[item_codes] >= 0
    bits = np.zeros((frequent_items.size, (n_orders + 7) // 8), dtype=np.uint8)
    masks = (128 >> (order_codes[keep] & 7)).astype(np.uint8)
    np.bitwise_or.at(bits, (row_of[item_codes[keep]], order_codes[keep] >> 3), masks)
    result: dict[tuple[int, ...], int] = {}
    level = [(int(i),) for i in frequent_items]
    level_bits = {s: bits[row_of[s[0]]] for s in level}
    for s in level:
        result[s] = int(counts[s[0]])
    k = 1
    while level and (max_len is None or k < max_len):
        frequent = set(level)
        # join step: itemsets sharing their first k - 1 items (level is sorted)
        groups: dict[tuple[int, ...], list[int]] = {}
        for s in level:
            groups.setdefault(s[:-1], []).append(s[-1])
        cand_prefix, cand_item = [], []
        for prefix, lasts in groups.items():
            for a_i, a in enumerate(lasts):
                base = prefix + (a,)
                for b in lasts[a_i + 1 :]:
                    cand = base + (b,)
                    # prune step: every k-subset must be frequent
                    if all(cand[:d] + cand[d + 1 :] in frequent for d in range(k - 1)):
                        cand_prefix.append(base)
                        cand_item.append(b)
        if not cand_prefix:
            break
        new_level, new_bits = [], {}
        chunk = max(1, min(4096, 2**26 // max(bits.shape[1], 1)))  # about 64 MB per chunk
        for start in range(0, len(cand_prefix), chunk):
            prefixes = cand_prefix[start : start + chunk]
            items_ = cand_item[start : start + chunk]
            joined = np.stack([level_bits[p] for p in prefixes]) & bits[row_of[items_]]
            support = _POPCOUNT[joined].sum(axis=1, dtype=np.int64)
            for row in np.flatnonzero(support >= min_count):
                cand = prefixes[row] + (items_[row],)
                new_level.append(cand)
                new_bits[cand] = joined[row]
                result[cand] = int(support[row])
        level = sorted(new_level)
        level_bits = new_bits
        k += 1
    return result


# ---------------------------------------------------------------------------- FP-growth
class _Node:
    __slots__ = ("item", "count", "parent", "children")

    def __init__(self, item: int | None, parent: _Node | None) -> None:
        self.item = item
        self.count = 0
        self.parent = parent
        self.children: dict[int, _Node] = {}


def _fp_mine(
    database: list[tuple[Iterable[int], int]],
    min_count: int,
    suffix: tuple[int, ...],
    max_len: int | None,
    out: dict[tuple[int, ...], int],
) -> None:
    """Build the FP-tree of a (conditional) database and mine it (Han, Pei & Yin 2000)."""
    counts: dict[int, int] = {}
    for items, c in database:
        for i in items:
            counts[i] = counts.get(i, 0) + c
    frequent = {i: c for i, c in counts.items() if c >= min_count}
    if not frequent:
        return
    # items in each path by descending support, ties by item code: a canonical tree
    rank = {i: r for r, i in enumerate(sorted(frequent, key=lambda i: (-frequent[i], i)))}
    root = _Node(None, None)
    header: dict[int, list[_Node]] = {i: [] for i in frequent}
    for items, c in database:
        path = sorted((i for i in items if i in frequent), key=rank.__getitem__)
        node = root
        for i in path:
            child = node.children.get(i)
            if child is None:
                child = _Node(i, node)
                node.children[i] = child
                header[i].append(child)
            child.count += c
            node = child
    # mine the items from the least frequent up (the bottom of the header table)
    for item in sorted(frequent, key=rank.__getitem__, reverse=True):
        itemset = suffix + (item,)
        out[tuple(sorted(itemset))] = frequent[item]
        if max_len is not None and len(itemset) >= max_len:
            continue
        conditional: list[tuple[list[int], int]] = []
        for node in header[item]:
            path = []
            parent = node.parent
            while parent is not None and parent.item is not None:
                path.append(parent.item)
                parent = parent.parent
            if path:
                conditional.append((path, node.count))
        if conditional:
            _fp_mine(conditional, min_count, itemset, max_len, out)


def _fpgrowth(
    baskets: list[np.ndarray], min_count: int, max_len: int | None
) -> dict[tuple[int, ...], int]:
    # identical baskets are merged first: the database is a list of (items, multiplicity)
    merged: dict[tuple[int, ...], int] = {}
    for b in baskets:
        key = tuple(int(i) for i in b)
        merged[key] = merged.get(key, 0) + 1
    out: dict[tuple[int, ...], int] = {}
    _fp_mine(list(merged.items()), min_count, (), max_len, out)
    return out


# ------------------------------------------------------------------------------- public
def _itemsets(
    order_lines: pd.DataFrame,
    order: str,
    product: str,
    min_support: float,
    algorithm: Algorithm,
    max_len: int | None,
) -> tuple[dict[tuple[int, ...], int], np.ndarray, int]:
    if max_len is not None and max_len < 1:
        raise ValueError("max_len must be at least 1")
    baskets, items, n_orders = _encode(order_lines, order, product)
    if n_orders == 0:
        return {}, items, 0
    min_count = _min_count(min_support, n_orders)
    if algorithm == "fpgrowth":
        counts = _fpgrowth(baskets, min_count, max_len)
    elif algorithm == "apriori":
        counts = _apriori(baskets, len(items), min_count, max_len)
    else:
        raise ValueError("algorithm must be 'fpgrowth' or 'apriori'")
    return counts, items, n_orders


def frequent_itemsets(
    order_lines: pd.DataFrame,
    order: str = "order_id",
    product: str = "product_id",
    min_support: float = 0.01,
    *,
    algorithm: Algorithm = "fpgrowth",
    max_len: int | None = None,
) -> pd.DataFrame:
    """All itemsets whose support (share of orders containing them) is >= ``min_support``.

    FP-growth (Han, Pei & Yin 2000) or Apriori (Agrawal & Srikant 1994), see the module
    docstring; a product repeated within an order counts once.  Columns: ``itemset`` (a tuple
    of product labels in sorted order), ``length``, ``count`` (number of orders) and
    ``support``; sorted by length, then support (descending), then itemset.
    """
    counts, items, n_orders = _itemsets(
        order_lines, order, product, min_support, algorithm, max_len
    )
    keys = sorted(counts, key=lambda s: (len(s), -counts[s], s))
    return pd.DataFrame(
        {
            "itemset": [tuple(items[list(s)]) for s in keys],
            "length": [len(s) for s in keys],
            "count": [counts[s] for s in keys],
            "support": [counts[s] / n_orders for s in keys],
        },
        columns=["itemset", "length", "count", "support"],
    )


def association_rules(
    order_lines: pd.DataFrame,
    order: str = "order_id",
    product: str = "product_id",
    min_support: float = 0.01,
    min_confidence: float = 0.5,
    *,
    min_lift: float = 0.0,
    algorithm: Algorithm = "fpgrowth",
    max_len: int | None = None,
) -> pd.DataFrame:
    """Association rules A -> B (Agrawal & Srikant 1994) from order lines.

    Finds the frequent itemsets (:func:`frequent_itemsets`), then every rule A -> B with
    A ∪ B frequent, A and B non-empty and disjoint, confidence >= ``min_confidence`` and
    lift >= ``min_lift``.  Columns: ``antecedent``, ``consequent`` (tuples of product labels),
    ``antecedent_support``, ``consequent_support``, ``support``, ``count``, ``confidence``,
    ``lift``, ``leverage`` and ``conviction`` (formulas in the module docstring; conviction is
    ``inf`` when the confidence is 1).  Sorted by lift, confidence and support (descending), then
    by antecedent and consequent (by the sorted product labels), so the order is deterministic.
    """
    if not 0.0 <= min_confidence <= 1.0:
        raise ValueError("min_confidence must lie in [0, 1]")
    counts, items, n_orders = _itemsets(
        order_lines, order, product, min_support, algorithm, max_len
    )
    rows = []
    for itemset, both in counts.items():
        k = len(itemset)
        if k < 2:
            continue
        for size in range(1, k):
            for ante in combinations(itemset, size):
                cons = tuple(i for i in itemset if i not in ante)
                confidence = both / counts[ante]
                if confidence < min_confidence - 1e-12:
                    continue
                sup_c = counts[cons] / n_orders
                lift = confidence / sup_c
                if lift < min_lift:
                    continue
                rows.append((ante, cons, counts[ante] / n_orders, sup_c, both, confidence, lift))
    # rounding the sort keys makes ties that differ only by floating-point noise real ties
    rows.sort(key=lambda r: (-round(r[6], 12), -round(r[5], 12), -r[4], r[0], r[1]))
    columns = [
        "antecedent",
        "consequent",
        "antecedent_support",
        "consequent_support",
        "support",
        "count",
        "confidence",
        "lift",
        "leverage",
        "conviction",
    ]
    if not rows:
        return pd.DataFrame(columns=columns)
    ante_sup = np.array([r[2] for r in rows])
    cons_sup = np.array([r[3] for r in rows])
    count = np.array([r[4] for r in rows], dtype=np.int64)
    support = count / n_orders
    confidence = np.array([r[5] for r in rows])
    gap = 1.0 - confidence
    conviction = np.divide(1.0 - cons_sup, gap, out=np.full(len(rows), np.inf), where=gap > 1e-12)
    return pd.DataFrame(
        {
            "antecedent": [tuple(items[list(r[0])]) for r in rows],
            "consequent": [tuple(items[list(r[1])]) for r in rows],
            "antecedent_support": ante_sup,
            "consequent_support": cons_sup,
            "support": support,
            "count": count,
            "confidence": confidence,
            "lift": np.array([r[6] for r in rows]),
            "leverage": support - ante_sup * cons_sup,
            "conviction": conviction,
        },
        columns=columns,
    )


def recommend(rules: pd.DataFrame, basket: Iterable[object], top: int = 5) -> pd.DataFrame:
    """Cross-sell suggestions for a basket from :func:`association_rules` output.

    Keeps the rules whose antecedent is contained in ``basket`` and whose consequent adds
    products not yet in it, and returns, per suggested product set, the best such rule (by the
    rules' own order: lift, then confidence, then support), at most ``top`` rows.
    """
    have = set(basket)
    if rules.empty:
        return rules.copy()
    fits = rules["antecedent"].map(lambda a: set(a) <= have) & rules["consequent"].map(
        lambda c: not (set(c) & have)
    )
    chosen = rules[fits].drop_duplicates(subset="consequent", keep="first")
    return chosen.head(top).reset_index(drop=True)
