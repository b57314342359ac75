"""The missing state: an empty panel whose metric the data source lacks names the metric and its exporter."""
from __future__ import annotations

from components.panels import render_panel_body
from webapp.catalog.model import Panel, Query
from webapp.datasources import blocking_metrics, describe_missing
from webapp.prometheus import PrometheusError, QueryResult
from webapp.runner import PanelData

PANEL = Panel("p", "P", "stat", (Query("sum(kube_pod_info) + sum(iceberg_table_snapshots)"),))
EMPTY = QueryResult("q", "vector", ())


def text_of(children) -> str:
    out = []

    def walk(node):
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, (list, tuple)):
            for n in node:
                walk(n)
        elif hasattr(node, "children"):
            walk(node.children)
    walk(children)
    return "".join(out)


def test_state_is_missing_only_when_empty_and_a_metric_is_absent():
    assert PanelData(PANEL, (EMPTY,), ("iceberg_table_snapshots",)).state == "missing"
    assert PanelData(PANEL, (EMPTY,)).state == "empty"
    error = PrometheusError("timeout", "slow")
    assert PanelData(PANEL, (error,), ("iceberg_table_snapshots",)).state == "error"


def test_missing_text_names_metric_and_exporter():
    text = describe_missing(("iceberg_table_snapshots", "kube_pod_info", "no_such_metric"))
    assert "iceberg_table_snapshots (Iceberg table exporter" in text
    assert "kube_pod_info (kube-state-metrics)" in text
    assert "no_such_metric (exporter unknown)" in text


def test_renderer_shows_missing_never_no_data():
    children, state = render_panel_body(PanelData(PANEL, (EMPTY,), ("iceberg_table_snapshots",)), "")
    assert state == "missing"
    text = text_of(children)
    assert "iceberg_table_snapshots" in text and "No data" not in text
    assert children[0].className.startswith("panel-missing")


INVENTORY = frozenset({"present", "also_present"})


def test_only_absent_metrics_that_empty_the_query_make_it_missing():
    assert blocking_metrics("sum(absent_one) / present", INVENTORY) == ("absent_one",)
    assert blocking_metrics("present or absent_one", INVENTORY) == ()              # either form will do
    assert blocking_metrics("absent_one or absent_two", INVENTORY) == ("absent_one", "absent_two")
    assert blocking_metrics("present unless absent_one", INVENTORY) == ()
    assert blocking_metrics("absent_one unless present", INVENTORY) == ("absent_one",)
    assert blocking_metrics("absent(absent_one)", INVENTORY) == ()
    assert blocking_metrics('label_replace(rate(absent_one[5m]), "a", "$1", "b", "(.*)") > 0', INVENTORY) == \
        ("absent_one",)
    assert blocking_metrics("max_over_time(sum by (cluster) (absent_one{$namespace})[1h:5m])", INVENTORY) == \
        ("absent_one",)
    assert blocking_metrics("time() - present", INVENTORY) == ()
    assert blocking_metrics("sum(absent_one)", None) == ()
