"""The panel menu's pure parts: CSV shape and escaping, the Explore link, incident links, viewPanel."""
import csv
import io
from urllib.parse import parse_qs, urlsplit

import numpy as np

from components.panel_export import cell, explore_url, incident_link, panel_csv, table_csv, timeseries_csv
from components.panel_menu import menu_links, resolve_view_panel
from webapp.catalog.model import Panel, Query
from webapp.engine import QueryPlan
from webapp.prometheus import QueryResult, Series
from webapp.timezones import zone_for
from webapp.viewstate import parse_view_state

NOW = 1_764_147_723.0
UTC = ("utc", 5, None)


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _series(labels, times, values):
    return Series(labels, np.array(times, dtype=float), np.array(values, dtype=float))


def test_timeseries_csv_has_a_row_per_timestamp_and_a_column_per_series():
    panel = Panel("p", "Pods", "timeseries", (Query("q1", "{namespace}"), Query("q2", "total")))
    a = _series({"namespace": "airflow"}, [0, 60, 120], [1, 2, np.nan])
    b = _series({"namespace": "spark"}, [60, 120], [5, 6])
    c = _series({}, [0, 60, 120], [7.5, 8, 9])
    text = timeseries_csv(panel, [QueryResult("q1", "matrix", (a, b)), QueryResult("q2", "matrix", (c,))])
    assert text.endswith("\r\n")
    rows = _rows(text)
    assert rows[0] == ["time", "airflow", "spark", "total"]
    assert [r[0] for r in rows[1:]] == ["1970-01-01T00:00:00+00:00", "1970-01-01T00:01:00+00:00",
                                        "1970-01-01T00:02:00+00:00"]
    assert rows[1] == ["1970-01-01T00:00:00+00:00", "1.0", "", "7.5"]   # spark has no sample at 0
    assert rows[3][1] == ""                                               # NaN is an empty cell
    # Times in the view's zone, with its offset (ISO 8601 either way).
    seoul = _rows(timeseries_csv(panel, [QueryResult("q1", "matrix", (a,)), None], zone_for("Asia/Seoul")))
    assert seoul[1][0] == "1970-01-01T09:00:00+09:00"


def test_same_legend_twice_gets_distinct_columns():
    panel = Panel("p", "P", "timeseries", (Query("q", "{job}"),))
    s = [_series({"job": "x", "i": str(i)}, [0], [i]) for i in range(2)]
    assert _rows(timeseries_csv(panel, [QueryResult("q", "matrix", tuple(s))]))[0] == ["time", "x", "x (2)"]


def test_label_values_cannot_become_formulas_or_break_the_csv():
    hostile = ['=HYPERLINK("http://evil","x")', "+1+2", "-2", "@SUM(A1)", "\tx", 'a,"b"\nc', "<b>&"]
    panel = Panel("p", "P", "timeseries", (Query("q", "{namespace}"),))
    series = tuple(_series({"namespace": v}, [0], [-1.5]) for v in hostile)
    rows = _rows(timeseries_csv(panel, [QueryResult("q", "matrix", series)]))
    assert rows[0][1:] == ["'" + v if v[0] in "=+-@\t" else v for v in hostile]
    assert rows[1][1:] == ["-1.5"] * len(hostile)        # numbers stay numbers
    assert len(rows) == 2                                # the newline stayed inside its quoted cell
    assert cell("ok") == "ok" and cell("=1") == "'=1"


def test_table_csv_is_the_table_as_shown():
    panel = Panel("t", "T", "table", (Query("a", column="CPU"), Query("b", column="Memory")),
                  label_columns=("namespace",))
    r1 = QueryResult("a", "vector", (_series({"namespace": "=cmd"}, [0], [0.5]), _series({"namespace": "b"}, [0], [2])))
    r2 = QueryResult("b", "vector", (_series({"namespace": "=cmd"}, [0], [10]),))
    rows = _rows(table_csv(panel, [r1, r2]))
    assert rows[0] == ["namespace", "CPU", "Memory"]
    assert ["'=cmd", "0.5", "10.0"] in rows and ["b", "2.0", ""] in rows


def test_rest_rows_csv():
    import datetime as dt

    from webapp.restpanels import RestPanelData
    panel = Panel("r", "R", "rows", (Query("stages"),), source="spark_history")
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    rows = _rows(panel_csv(RestPanelData(panel, ({"Stage": "1.0", "Name": "=x", "start": start, "hover": "h",
                                                  "Delta": -5, "Ratio": -0.5, "Done": True},))))
    assert rows == [["Stage", "Name", "start", "Delta", "Ratio", "Done"],
                    ["1.0", "'=x", "2026-01-01T00:00:00+00:00", "-5", "-0.5", "True"]]


def test_explore_url_is_the_expression_browser_with_every_query():
    plans = [QueryPlan('sum(rate(x{ns="a&b"}[5m]))', 3600.0, 7200.0, 60), QueryPlan("up", 7200.0, 7200.0, 0)]
    url = explore_url("http://thanos:9090/", plans, {"dedup": "true", "partial_response": "false",
                                                      "max_source_resolution": "5m"})
    parts = urlsplit(url)
    assert parts.netloc == "thanos:9090" and parts.path == "/graph"
    q = parse_qs(parts.query)
    assert q["g0.expr"] == ['sum(rate(x{ns="a&b"}[5m]))'] and q["g0.tab"] == ["0"]
    assert q["g0.range_input"] == ["1h"] and q["g0.end_input"] == ["1970-01-01 02:00:00"]
    assert q["g0.step_input"] == ["60"]
    assert q["g1.expr"] == ["up"] and q["g1.tab"] == ["1"] and "g1.range_input" not in q
    assert q["g0.deduplicate"] == ["1"] and q["g0.partial_response"] == ["0"] and q["g1.max_source_resolution"] == ["5m"]
    # The UI reads its groups in order: g0's parameters come before g1.expr.
    assert parts.query.index("g0.step_input") < parts.query.index("g1.expr")


def test_incident_link_makes_the_range_absolute_and_reproduces_it_later():
    view = parse_view_state({"from": "now-6h", "to": "now", "var-namespace": ["a b", "c"], "timezone": "Asia/Seoul",
                             "refresh": "1m"}, now=NOW, defaults=UTC)
    link = incident_link(view, "/gitops", "pod-restarts")
    parts = urlsplit(link)
    q = parse_qs(parts.query)
    assert parts.path == "/gitops"
    assert q["from"] == [str(int((NOW - 6 * 3600) * 1000))] and q["to"] == [str(int(NOW * 1000))]
    assert q["var-namespace"] == ["a b", "c"] and q["viewPanel"] == ["pod-restarts"] and q["timezone"] == ["Asia/Seoul"]
    later = parse_view_state(q, now=NOW + 3600, defaults=UTC)
    assert later.time_range.start == view.time_range.start and later.time_range.end == view.time_range.end
    assert later.view_panel == "pod-restarts" and not later.notes
    # A calendar range too: "today so far" becomes that day's start and the moment of the click.
    today = parse_view_state({"from": "now/d", "to": "now"}, now=NOW, defaults=UTC)
    q = parse_qs(urlsplit(incident_link(today, "/", None)).query)
    assert int(q["from"][0]) % 86_400_000 == 0 and "viewPanel" not in q


def test_view_panel_is_validated_and_not_carried_to_other_pages():
    view = parse_view_state({"viewPanel": "pod-restarts", "from": "now-1h"}, now=NOW, defaults=UTC)
    assert view.view_panel == "pod-restarts" and not view.notes
    assert "viewPanel" not in view.query_string()       # drill-down links lead to the whole next page
    assert "viewPanel=pod-restarts" in view.url("", viewPanel=view.view_panel)
    for hostile in ('"><script>alert(1)</script>', "a b", "x" * 200, "../etc", "p{a}", "-x", ""):
        view = parse_view_state({"viewPanel": hostile}, now=NOW, defaults=UTC)
        assert view.view_panel == ""
        assert bool(view.notes) == bool(hostile)


def test_view_panel_resolves_ids_and_grafana_numbers():
    panels = (Panel("pod-restarts", "A", "stat", ()), Panel("p12-cpu", "B", "stat", ()))
    assert resolve_view_panel(panels, "pod-restarts").id == "pod-restarts"
    assert resolve_view_panel(panels, "12").id == "p12-cpu"
    assert resolve_view_panel(panels, "panel-12").id == "p12-cpu"
    assert resolve_view_panel(panels, "13") is None and resolve_view_panel(panels, "nope") is None


def test_menu_links_carry_the_view_and_level2_path_values():
    view = parse_view_state({"from": "now-1h", "var-namespace": "a&b"}, now=NOW, defaults=UTC)
    links = menu_links(view, {"path_vars": {"app_id": "app 1/x"}})
    q = parse_qs(links["query"])
    assert q["from"] == ["now-1h"] and q["var-namespace"] == ["a&b"] and q["path-app_id"] == ["app 1/x"]
    assert "path-" not in links["view"] and links["full"] == ""


def test_promql_shown_is_as_sent_with_tenant_scope_and_cluster_label():
    import dataclasses

    from components.panel_menu import promql_text
    from webapp.engine import QueryEngine
    from webapp.prometheus import PrometheusClient
    from webapp.settings import Settings
    from webapp.tenancy import Matcher

    scope = (Matcher("namespace", "=", "spark-jobs"),)
    engine = QueryEngine(PrometheusClient("http://127.0.0.1:9", 1.0, {}), scope=lambda: scope,
                         cluster_label="k8s_cluster")
    runtime = dataclasses.make_dataclass("R", ["engine", "settings"])(
        engine, Settings(prometheus_url="http://127.0.0.1:9", thanos_dedup=True))
    panel = Panel("p", "P", "timeseries", (Query('sum by (namespace) (up{$cluster, $namespace})', "{namespace}"),))
    view = parse_view_state({"var-cluster": "prod-east", "var-namespace": 'a"b'}, now=NOW, defaults=UTC)
    notes, text = promql_text(runtime, panel, view, None)
    assert 'k8s_cluster="prod-east"' in text and 'namespace="spark-jobs"' in text and r'namespace="a\"b"' in text
    assert "$" not in text and text.startswith("# {namespace}\n")
    assert "Range query from" in notes and "step" in notes and "dedup=true" in notes
    # Nothing may be seen: no query is shown, and the reason is.
    engine.current_scope = lambda: None
    notes, text = promql_text(runtime, panel, view, None)
    assert text == "" and notes


def test_view_panel_on_a_page_without_panels_is_noted():
    from components.layout import page_frame
    view = parse_view_state({"viewPanel": "anything"}, now=NOW, defaults=UTC)
    frame = page_frame(view, "/", "Overview", "", (), [], {"dashboard": "overview", "params": {}})
    notes = [c for c in _walk(frame) if getattr(c, "id", None) == "view-notes"]
    assert notes and "no panel “anything”" in str(notes[0].children)


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in (children if isinstance(children, list) else [children]):
        if child is not None and not isinstance(child, str):
            yield from _walk(child)
