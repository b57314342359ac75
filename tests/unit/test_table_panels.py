"""Table panels are one Dash component holding escaped HTML: the same rows, links and threshold
states as before, no markup from label values, and no link to anything but an app path."""
from __future__ import annotations

import json
from html.parser import HTMLParser

import numpy as np
import pytest
from dash import dcc
from plotly.io.json import to_json_plotly as to_json

from components.panels import RENDERERS, render_panel_body
from components.tables import render_table, table_html
from webapp.catalog.model import Link, Panel, Query
from webapp.catalog.thresholds import JENKINS_SUCCESS_RATE
from webapp.prometheus import QueryResult, Series
from webapp.runner import PanelData
from webapp.settings import Settings

NOW = 1_790_000_000.0
PANEL = Panel("jobs", "Jobs", "table", (
    Query("success", column="Success rate", unit="percentunit"),
    Query("duration", column="Last duration", unit="s")),
    label_columns=("jenkins_job",), thresholds=(JENKINS_SUCCESS_RATE,), sort_desc=False,
    link=Link("/gitops/jenkins/{jenkins_job}", "jenkins_job"))


@pytest.fixture(scope="module", autouse=True)
def pages():
    """The app's pages registered: a drill-down link is made only to a page that exists."""
    from webapp.app import create_app
    create_app(Settings(prometheus_url="http://127.0.0.1:9"))


def result(query: str, rows: dict[str, float]) -> QueryResult:
    return QueryResult(query, "vector", tuple(
        Series({"jenkins_job": job}, np.array([NOW]), np.array([value])) for job, value in rows.items()))


class Cells(HTMLParser):
    """Rows of <td> texts, the links' hrefs and every tag seen."""

    def __init__(self):
        super().__init__()
        self.rows, self.hrefs, self.tags, self.classes = [], [], [], []
        self._cell = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self._cell = ""
            self.classes.append(attrs.get("class", ""))
        elif tag == "a":
            self.hrefs.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "td":
            self.rows[-1].append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def parse(text: str) -> Cells:
    cells = Cells()
    cells.feed(text)
    return cells


def test_a_table_panel_is_one_component_with_its_rows_worst_first():
    data = PanelData(PANEL, (result("success", {"etl-orders": 0.5, "web": 1.0}),
                             result("duration", {"etl-orders": 30.0, "web": 12.0})))
    children = render_table(data, "from=now-6h&to=now")
    tree = json.loads(to_json(children))
    assert len(children) == 1 and isinstance(children[0].children, dcc.Markdown)
    assert children[0].role == "region" and children[0].tabIndex == 0  # the keyboard can scroll it
    assert "Td" not in json.dumps(tree)
    cells = parse(children[0].children.children)
    body = [r for r in cells.rows if r]
    assert body[0][0] == "etl-orders" and body[0][1].startswith("50") and "critical" in body[0][1]
    assert body[1][0] == "web" and "critical" not in body[1][1]
    assert cells.hrefs == ["/gitops/jenkins/etl-orders?from=now-6h&to=now", "/gitops/jenkins/web?from=now-6h&to=now"]
    assert "text-end status-text-critical" in cells.classes
    assert RENDERERS["table"] is render_table


def test_label_values_never_become_markup_and_links_stay_app_paths():
    hostile = '<img src=x onerror=alert(1)>"\'&'
    data = PanelData(PANEL, (result("success", {hostile: 0.99}), result("duration", {hostile: 1.0})))
    text = table_html(data, "")
    cells = parse(text)
    assert "img" not in cells.tags and "script" not in cells.tags
    assert [r for r in cells.rows if r][0][0] == hostile  # shown as text, as written
    assert all(h.startswith("/gitops/jenkins/") and "<" not in h and '"' not in h for h in cells.hrefs)


def test_a_link_that_is_not_an_app_path_is_shown_as_text():
    panel = Panel("ext", "External", "table", (Query("x", column="v"),), label_columns=("jenkins_job",),
                  link=Link("//evil.example/{jenkins_job}", "jenkins_job"))
    data = PanelData(panel, (result("x", {"a": 1.0}),))
    cells = parse(table_html(data, ""))
    assert cells.hrefs == [] and [r for r in cells.rows if r][0][0] == "a"


def test_a_table_without_rows_is_the_empty_state():
    data = PanelData(PANEL, (result("success", {}), result("duration", {})))
    assert table_html(data, "") == ""
    children, state = render_panel_body(data, "")
    assert state == "empty" and "panel-empty" in json.dumps(json.loads(to_json(children)))


def test_a_charts_drill_down_links_are_one_component_of_escaped_anchors():
    from components.panels import render_timeseries

    panel = Panel("ts", "Jobs over time", "timeseries", (Query("x", "{jenkins_job}"),),
                  link=Link("/gitops/jenkins/{jenkins_job}", "jenkins_job"))
    series = tuple(Series({"jenkins_job": job}, np.array([NOW - 60, NOW]), np.array([1.0, 2.0]))
                   for job in ("web", "<b>x</b>"))
    children = render_timeseries(PanelData(panel, (QueryResult("x", "matrix", series),)), "from=now-1h")
    links = children[-1]
    assert isinstance(links, dcc.Markdown) and "app-links" in links.className
    cells = parse(links.children)
    assert "b" not in cells.tags
    assert cells.hrefs == ["/gitops/jenkins/web?from=now-1h", "/gitops/jenkins/%3Cb%3Ex%3C%2Fb%3E?from=now-1h"]
