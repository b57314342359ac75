"""The "flow" renderer (pipeline map): segment order, bottleneck highlight, escaping."""
from __future__ import annotations

import json

import numpy as np

from components.panels import RENDERERS, SEVERITY_COLOURS, flow_rows, render_flow
from webapp.catalog.model import KINDS, Panel, Query
from webapp.prometheus import QueryResult, Series
from webapp.runner import PanelData

PANEL = Panel("flow-test", "Pipeline map", "flow", (Query("a", "{stage}"), Query("b", "{stage}")), unit="s",
              stages=("portal", "git", "jenkins", "application", "iceberg"))


def result(**values: float) -> QueryResult:
    return QueryResult("q", "vector", tuple(Series({"stage": k}, np.array([1.0]), np.array([v]))
                                            for k, v in values.items()))


def data(*results) -> PanelData:
    return PanelData(PANEL, tuple(results))


def test_flow_is_a_known_instant_kind():
    assert "flow" in KINDS and RENDERERS["flow"] is render_flow and PANEL.instant


def test_segments_follow_the_panel_order_and_the_slowest_is_the_bottleneck():
    rows, bottleneck = flow_rows(PANEL, [result(jenkins=400, portal=8, git=20),
                                         result(iceberg=1500, application=900)])
    assert [n for n, _ in rows[0]] == ["portal", "git", "jenkins"]
    assert [n for n, _ in rows[1]] == ["application", "iceberg"]
    assert bottleneck == "iceberg"


def test_the_bottleneck_is_drawn_red():
    children = render_flow(data(result(portal=8, jenkins=400), result(iceberg=1500)), "")
    fig = children[0].figure
    boxes = [a for a in fig.layout.annotations if a.text]
    red = [a for a in boxes if a.bordercolor == SEVERITY_COLOURS["critical"]]
    assert len(red) == 1 and "iceberg" in red[0].text and "bottleneck" in red[0].text
    assert "Bottleneck: iceberg" in str(children[1].children)
    # one arrow between the two boxes of the first row
    assert len([a for a in fig.layout.annotations if not a.text and a.showarrow]) == 1


def test_hostile_stage_names_are_escaped():
    hostile = '<img src=x onerror=alert(1)>&'
    fig = render_flow(data(result(**{hostile: 5.0, "git": 1.0}), None), "")[0].figure
    text = json.dumps(fig.to_plotly_json())
    assert "<img" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;&amp;" in text


def test_missing_values_and_failed_queries_do_not_break_it():
    rows, bottleneck = flow_rows(PANEL, [None, result(iceberg=float("nan"), storage=3.0)])
    assert bottleneck == "storage" and len(rows) == 1
    assert render_flow(data(None, result(iceberg=float("nan"))), "")
