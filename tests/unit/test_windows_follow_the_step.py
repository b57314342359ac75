"""Windowed panels count everything in the range at any step.

A range panel evaluates its query once per step; a fixed window shorter than the step
(`increase(x[1h])` at a 3-hour step) silently skips the time between windows. So range panels
take their windows from the step (`$__interval`, or `$__rate_interval` for rates), and a panel
whose values are per window says so in its title (`Builds per $__interval`, shown as `per 3h`).
The same holds for every query evaluated per step (stat and tile sparklines); a panel read at one
instant that counts over a fixed window of an hour or more names that window.
"""
import re

import pytest

from components.layout import panel_title
from webapp.catalog import DASHBOARDS
from webapp.viewstate import parse_view_state

# Functions whose value over a window is a count, a sum or a rate of what happened in it.
COUNTING = re.compile(r"\b(increase|rate|irate|changes|resets|count_over_time|sum_over_time|avg_over_time|delta)"
                      r"\((?:[^()\[]|\([^()]*\))*\[([^\]]+)\]")
RANGE_KINDS = ("timeseries", "heatmap", "timeofday")


def range_panels():
    seen = {}
    for dashboard in DASHBOARDS.values():
        for panel in dashboard.panels:
            if panel.kind in RANGE_KINDS and panel.source == "prometheus":
                seen[panel.id] = panel
    return list(seen.values())


@pytest.mark.parametrize("panel", range_panels(), ids=lambda p: p.id)
def test_range_panel_windows_follow_the_step(panel):
    for query in panel.queries:
        for function, window in COUNTING.findall(query.expr):
            assert window in ("$__interval", "$__rate_interval"), (panel.id, function, window)
        if "[$__interval]" in query.expr:
            assert "$__interval" in panel.title, f"{panel.id}: values per window, the title must say per what"


def test_the_title_names_the_step():
    panel = next(p for p in DASHBOARDS["jenkins-job"].panels if p.id == "l2-jenkins-results")
    month = parse_view_state({"from": "now-30d", "to": "now"}, defaults=("utc", 5, None))
    day = parse_view_state({"from": "now-6h", "to": "now"}, defaults=("utc", 5, None))
    assert panel_title(panel, month) == "Builds per 3h by result"
    assert panel_title(panel, day) == "Builds per 1h by result"


# ---------------------------------------------------------------- every range-evaluated query, whatever its kind
# A query evaluated once per step (any panel kind that asks for a range, and the Level 0 tiles'
# sparklines) skips time whenever one of its windows is shorter than the step it is evaluated at: the
# panel's step, or a subquery's resolution inside it. Trend fits (deriv, predict_linear) sample a
# window on purpose: that window must be named where the panel is explained.
TREND = {"deriv", "predict_linear", "holt_winters", "double_exponential_smoothing"}
RANGES = ("now-6h", "now-7d", "now-30d")


def _windows(expr, step: float, fit: bool = False):
    """(function, window in seconds, step it is evaluated at, role) for every range vector and
    subquery of a parsed PromQL expression; role is "trend" for a trend fit's own window, "fit" for
    windows inside one (the fit samples them), else ""."""
    kind = type(expr).__name__
    if kind == "Call":
        trend = expr.func.name in TREND
        for arg in expr.args:
            if type(arg).__name__ in ("MatrixSelector", "SubqueryExpr"):
                yield expr.func.name, arg.range.total_seconds(), step, "fit" if fit else "trend" if trend else ""
            yield from _windows(arg, step, fit or trend)
    elif kind == "SubqueryExpr":
        resolution = arg_step.total_seconds() if (arg_step := expr.step) is not None else 60  # global interval
        yield from _windows(expr.expr, resolution, fit)
    else:
        for attr in ("expr", "lhs", "rhs", "param"):
            child = getattr(expr, attr, None)
            if child is not None and hasattr(child, "prettify"):
                yield from _windows(child, step, fit)


def range_queries():
    """(name, template, max points, min step, text explaining it) of every query evaluated per step."""
    from webapp.catalog import TILES
    from webapp.catalog.kinds import PANEL_KINDS
    seen = set()
    for dashboard in DASHBOARDS.values():
        for panel in dashboard.panels:
            if panel.source != "prometheus" or PANEL_KINDS[panel.kind].instant or panel.id in seen:
                continue
            seen.add(panel.id)
            for i, query in enumerate(panel.queries):
                yield (f"{panel.id}#{i}", query.expr, panel.max_points, panel.min_step,
                       f"{panel.title} {panel.description}")
    for tile in TILES:  # evaluate_tiles: 60 points, a minute at least
        yield f"tile {tile.domain} sparkline", tile.sparkline.expr, 60, 60, tile.description


def _named(window: float, text: str) -> bool:
    days, hours = window / 86400, window / 3600
    words = [f"{int(days)}-day", f"{int(days)} day", f"{int(days)}d"] if days == int(days) else []
    words += [f"{int(hours)} h", f"{int(hours)}-hour", f"{int(hours)}h"] if hours == int(hours) else []
    words += ["last hour"] if hours == 1 else ["last day", "today"] if days == 1 else []
    return any(w in text for w in words)


@pytest.mark.parametrize("name,template,max_points,min_step,text", list(range_queries()), ids=lambda v: str(v)[:40])
def test_no_window_is_shorter_than_its_step(name, template, max_points, min_step, text):
    import promql_parser
    from webapp.engine import plan_query
    from webapp.promql import template_variables
    extra = {v: (v, ()) for v in template_variables(template)}
    for raw_from in RANGES:
        view = parse_view_state({"from": raw_from, "to": "now"}, defaults=("utc", 5, None))
        plan = plan_query(template, view, False, max_points, min_step, extra)
        for function, window, step, role in _windows(promql_parser.parse(plan.promql), plan.step):
            if role == "trend":
                assert _named(window, text), f"{name}: the trend window of {function} is not named: {text!r}"
            elif role == "":
                assert window >= step, f"{name} over {raw_from}: {function}[{window:g}s] at a {step:g}s step"


def test_the_check_finds_a_fixed_window_in_a_stat_or_a_sparkline():
    import promql_parser
    found = list(_windows(promql_parser.parse("sum(rate(x[5m])) / sum(y)"), 3600))
    assert found == [("rate", 300, 3600, "")]
    inner = list(_windows(promql_parser.parse("quantile_over_time(0.95, rate(x[5m])[6h:5m])"), 3600))
    assert ("rate", 300, 300, "") in inner and ("quantile_over_time", 21600, 3600, "") in inner
    assert list(_windows(promql_parser.parse("deriv(sum(rate(x[5m]))[24h:10m])"), 3600)) == \
        [("deriv", 86400, 3600, "trend"), ("rate", 300, 600, "fit")]
    assert _named(86400, "divided by the 24 h usage trend") and not _named(21600, "CPU used")
    assert _named(3600, "Container restarts in the last hour") and not _named(3600, "Container restarts (top 10)")


# ---------------------------------------------------------------- panels read at one instant
# A table or bar is read once, at the end of the range: a count over a fixed window of an hour or
# more is not "in the selected range", so the panel says which window it counts (title, column or text).
ACCUMULATING = {"increase", "changes", "resets", "count_over_time", "sum_over_time", "max_over_time",
                "min_over_time", "avg_over_time", "quantile_over_time"}


def instant_queries():
    from webapp.catalog.kinds import PANEL_KINDS
    seen = set()
    for dashboard in DASHBOARDS.values():
        for panel in dashboard.panels:
            if panel.source != "prometheus" or not PANEL_KINDS[panel.kind].instant or panel.id in seen:
                continue
            seen.add(panel.id)
            for i, query in enumerate(panel.queries):
                yield (f"{panel.id}#{i}", query.expr, panel.max_points, panel.min_step,
                       " ".join((panel.title, query.column, panel.description, panel.empty_text)))


@pytest.mark.parametrize("name,template,max_points,min_step,text", list(instant_queries()), ids=lambda v: str(v)[:40])
def test_an_instant_panel_names_the_window_it_counts(name, template, max_points, min_step, text):
    import promql_parser
    from webapp.engine import plan_query
    from webapp.promql import template_variables
    extra = {v: (v, ()) for v in template_variables(template)}
    view = parse_view_state({"from": "now-30d", "to": "now"}, defaults=("utc", 5, None))
    plan = plan_query(template, view, True, max_points, min_step, extra)
    for function, window, _, role in _windows(promql_parser.parse(plan.promql), 0):
        if function in ACCUMULATING and role == "" and window >= 3600 and abs(window - view.time_range.seconds) > 60:
            assert _named(window, text), f"{name}: {function}[{window:g}s] is not named in {text!r}"
