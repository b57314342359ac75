"""Joins survive duplicated series (two kube-state-metrics replicas, Thanos without deduplication).

A binary operation matched `on (...)` fails with "many-to-many matching not allowed" (or "found
duplicate series for the match group") when a side that must be unique holds two copies of a
series. Every such side is aggregated first (e.g. `max by (...)`), in every catalog query and
every generated rule. The integration test runs the named panels over duplicated series.
"""
import promql_parser
import pytest

from webapp.catalog import DASHBOARDS, TILES
from webapp.promql import render
from webapp.rules import all_rules

DEDUPLICATING = {"sum", "min", "max", "avg", "count", "group", "stddev", "stdvar", "quantile", "count_values"}


def _unique(expr) -> bool:
    """True when `expr` yields one series per label set even if its inputs are duplicated."""
    kind = type(expr).__name__
    if kind in ("NumberLiteral", "StringLiteral"):
        return True
    if kind == "ParenExpr":
        return _unique(expr.expr)
    if kind == "AggregateExpr":
        op = str(expr.op).split(".")[-1].lower()
        if op in ("topk", "bottomk"):  # one series per group only with k = 1 and a `by` grouping
            return str(expr.param) == "1" and str(expr.modifier or "").startswith("by")
        return op in DEDUPLICATING and "without" not in str(expr.modifier or "")
    if kind == "Call":
        name = expr.func.name
        if name in ("time", "vector", "scalar"):
            return True
        vectors = [a for a in expr.args if type(a).__name__ not in ("NumberLiteral", "StringLiteral")]
        return bool(vectors) and all(_unique(a) for a in vectors)
    if kind == "UnaryExpr":
        return _unique(expr.expr)
    if kind == "BinaryExpr":
        op = str(expr.op).lower()
        if op in ("and", "unless"):
            return _unique(expr.lhs)
        if op == "or":
            return _unique(expr.lhs) and _unique(expr.rhs)
        return _unique(expr.lhs) and _unique(expr.rhs)
    return False  # selectors, subqueries, topk: duplicates pass through


def unsafe_joins(query: str) -> list[str]:
    """The `on (...)` joins of `query` that fail when their inputs are duplicated."""
    problems = []

    def walk(expr):
        kind = type(expr).__name__
        if kind == "BinaryExpr":
            modifier = expr.modifier
            matching = modifier.matching if modifier is not None else None
            op = str(expr.op).lower()
            if matching is not None and str(matching.type).endswith("Include") and op not in ("and", "or", "unless"):
                card = str(modifier.card)
                must = ([expr.rhs] if card.endswith("ManyToOne") else [expr.lhs] if card.endswith("OneToMany")
                        else [expr.lhs, expr.rhs])
                for side in must:
                    if not _unique(side):
                        problems.append(side.prettify()[:120])
            walk(expr.lhs)
            walk(expr.rhs)
        for attr in ("expr", "lhs", "rhs"):
            if kind != "BinaryExpr" and hasattr(expr, attr) and getattr(expr, attr) is not None:
                walk(getattr(expr, attr))
        if kind == "Call":
            for a in expr.args:
                walk(a)
    walk(promql_parser.parse(query))
    return problems


def _selections(template):
    import re
    names = set(re.findall(r"\$([a-z][a-z0-9_]*)", template))
    return {n: (n if n.isidentifier() else "x", ()) for n in names if not n.startswith("__")}


def catalog_queries():
    for dashboard in DASHBOARDS.values():
        for panel in dashboard.panels:
            if panel.source != "prometheus":
                continue
            for q in panel.queries:
                yield panel.id, render(q.expr, _selections(q.expr), 21600, 60)
    for tile in TILES:
        for signal in tile.signals:
            yield f"tile {tile.domain}", render(signal.expr, _selections(signal.expr), 21600, 60)


def rule_queries():
    for rule in all_rules():
        yield rule.get("alert") or rule.get("record"), str(rule["expr"])


def test_the_checker_finds_the_failing_shape():
    assert unsafe_joins("a - on (pod, uid) b")
    assert unsafe_joins("a * on (rs) group_left (owner) b")
    assert not unsafe_joins("max by (pod, uid) (a) - on (pod, uid) max by (pod, uid) (b)")
    assert not unsafe_joins("a * on (rs) group_left (owner) max by (rs, owner) (b)")
    assert not unsafe_joins("a and on (pod) b")
    assert not unsafe_joins("a * on (pool) group_left (name) topk by (pool) (1, b)")
    assert unsafe_joins("a * on (pool) group_left (name) topk by (pool) (2, b)")


@pytest.mark.parametrize("source,query", list(catalog_queries()) + list(rule_queries()))
def test_every_join_survives_duplicated_series(source, query):
    assert unsafe_joins(query) == [], source
