"""Windowed panels count everything in the range at any step.

A range panel evaluates its query once per step; a fixed window shorter than the step
(`increase(x[1h])` at a 3-hour step) silently skips the time between windows. So range panels
take their windows from the step (`$__interval`, or `$__rate_interval` for rates), and a panel
whose values are per window says so in its title (`Builds per $__interval`, shown as `per 3h`).
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
