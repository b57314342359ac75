"""Time series and stat figures are plain plotly data: valid for plotly, equal in content to what
validated figure objects would carry, and smaller on the wire."""
from __future__ import annotations

import base64
import json

import numpy as np
import plotly.graph_objects as go
from plotly.io.json import to_json_plotly as to_json

from components.figures import DARK_TEMPLATE, LIGHT_TEMPLATE
from components.panels import (apply_theme, render_stat, render_timeseries,
                               threshold_marks, typed_array)
from webapp.catalog import DASHBOARDS
from webapp.catalog.model import Panel, Query
from webapp.catalog.thresholds import JENKINS_SUCCESS_RATE
from webapp.prometheus import QueryResult, Series
from webapp.runner import PanelData

TIMES = 1_790_000_000 + 60.0 * np.arange(300)


def series(labels: dict, values) -> Series:
    return Series(labels, TIMES[:len(values)], np.asarray(values, dtype=float))


def decode(spec: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<" + spec["dtype"])


def timeseries_panel(**kw) -> Panel:
    return Panel("ts-test", "Load", "timeseries", (Query("up", "{job}"),), unit="percentunit", **kw)


def test_a_time_series_figure_is_valid_plotly_with_the_series_values():
    values = [0.5, np.nan, 0.75] + [0.1] * 297
    threshold = JENKINS_SUCCESS_RATE
    panel = timeseries_panel(thresholds=(threshold,))
    data = PanelData(panel, (QueryResult("up", "matrix", (series({"job": "a<b>"}, values),)),))
    graph = render_timeseries(data, "")[0]
    figure = graph.figure
    assert isinstance(figure, dict)
    validated = go.Figure(figure)  # raises on any property plotly does not know
    trace = figure["data"][0]
    assert trace["name"] == "a&lt;b&gt;  last 10.0% · max 75.0% · mean 10.4%"  # escaped; legend values
    np.testing.assert_array_equal(decode(trace["x"]), TIMES * 1000)
    np.testing.assert_array_equal(decode(trace["y"]), np.asarray(values))
    assert validated.layout.xaxis.type == "date" and validated.layout.yaxis.tickformat == ".0%"
    shapes, notes = threshold_marks(panel)
    assert figure["layout"]["shapes"] == shapes and figure["layout"]["annotations"] == notes
    # What plotly's own add_hline draws for the same threshold.
    reference = go.Figure()
    reference.add_hline(y=threshold.value, line_dash="dash", line_color=shapes[0]["line"]["color"],
                        annotation_text=notes[0]["text"], annotation_font_size=9, annotation_position="top left")
    assert reference.to_plotly_json()["layout"]["shapes"] == shapes
    assert reference.to_plotly_json()["layout"]["annotations"] == notes


def test_the_plain_figure_is_a_fraction_of_the_validated_one():
    data = PanelData(timeseries_panel(), (QueryResult("up", "matrix", tuple(
        series({"job": f"j{i}"}, np.random.default_rng(i).random(300)) for i in range(5))),))
    plain = to_json(render_timeseries(data, ""))
    old = go.Figure()
    for s in data.results[0].series:
        old.add_trace(go.Scatter(x=(s.timestamps * 1000).astype("datetime64[ms]"), y=s.values, mode="lines"))
    old.update_layout(template="plotly_white")
    assert len(plain) < len(old.to_json()) * 0.7


def test_stat_sparkline_and_dark_theme_are_plain_data():
    panel = Panel("stat-test", "Ready", "stat", (Query("up", ""),), unit="short")
    data = PanelData(panel, (QueryResult("up", "matrix", (series({}, [1, 2, 3]),)),))
    children = apply_theme(render_stat(data, ""), "dark")
    spark = children[1].figure
    go.Figure(spark)
    np.testing.assert_array_equal(decode(spark["data"][0]["y"]), [1, 2, 3])
    assert spark["layout"]["template"] == DARK_TEMPLATE
    assert json.loads(to_json(children))  # serialisable as Dash sends it


def test_every_catalog_time_series_renders_plain_data_on_the_light_template():
    panel = next(p for d in DASHBOARDS.values() for p in d.panels if p.kind == "timeseries" and p.thresholds)
    results = tuple(QueryResult("q", "matrix", (series({}, [1.0, 2.0]),)) for _ in panel.queries)
    figure = render_timeseries(PanelData(panel, results), "")[0].figure
    go.Figure(figure)
    assert figure["layout"]["template"] == LIGHT_TEMPLATE
    assert typed_array(np.array([1.5]))["dtype"] == "f8"
