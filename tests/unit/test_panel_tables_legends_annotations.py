"""Table panels (one sortable, filterable DataTable), legend values and annotation markers: catalog
checks of the options, and renderer tests over hand-made results."""
from __future__ import annotations

import dataclasses

import numpy as np
import promql_parser
import pytest
from dash import dash_table

from components.annotations import annotation_traces, legend_values
from components.panels import LEGEND_MAX_ROWS, LEGEND_ROW_PX, TIMESERIES_PLOT_PX, render_table, timeseries_figure
from components.tables import link_cell, sort_key
from webapp.annotations import AnnotationOutcome, events, plan_annotations
from webapp.catalog import DASHBOARDS
from webapp.catalog import thresholds as th
from webapp.catalog.annotations import ALERT_STATE, ARGOCD_SYNCS, JENKINS_BUILDS, SETS
from webapp.catalog.model import DEFAULT_LEGEND_CALCS, LEGEND_CALCS, Link, Panel, Query
from webapp.engine import QueryPlan
from webapp.prometheus import QueryResult, Series
from webapp.promql import template_variables
from webapp.runner import PanelData
from webapp.viewstate import parse_view_state

PANELS = [(d, p) for d in DASHBOARDS.values() for p in d.panels]
T0 = 1_780_000_000.0


def _series(labels, values, start=T0, step=60.0):
    values = np.asarray(values, dtype=float)
    return Series(labels, start + step * np.arange(len(values)), values)


def _result(*series, kind="matrix"):
    return QueryResult("q", kind, tuple(series))


# ---------------------------------------------------------------- catalog checks
def test_new_options_belong_to_time_series_and_name_known_values():
    for _, panel in PANELS:
        if panel.kind != "timeseries":
            assert panel.legend_calcs is None and not panel.annotations, panel.id
        assert set(panel.legend_values) <= set(LEGEND_CALCS)
        assert set(panel.annotations or ()) <= set(SETS)
    with pytest.raises(ValueError, match="options of timeseries panels"):
        Panel("x", "X", "table", (Query("up"),), annotations=("alerts",))
    with pytest.raises(ValueError, match="unknown legend calcs"):
        Panel("x", "X", "timeseries", (Query("up"),), legend_calcs=("median",))
    with pytest.raises(ValueError, match="unknown annotation sets"):
        Panel("x", "X", "timeseries", (Query("up"),), annotations=("logs",))


def test_level2_time_series_and_key_panels_show_deployments_and_alerts():
    for dashboard, panel in PANELS:
        if dashboard.level == 2 and panel.kind == "timeseries":
            assert panel.annotations == ("deployments", "alerts"), panel.id
    ids = {p.id for _, p in PANELS if p.annotations}
    assert {"jenkins-build-results", "argocd-sync-failures", "pod-phase-trend", "cpu-usage-per-cluster"} <= ids
    assert all(p.legend_values == DEFAULT_LEGEND_CALCS for _, p in PANELS if p.kind == "timeseries"
               and p.legend_calcs is None)


@pytest.mark.parametrize("annotation", [a for items in SETS.values() for a in items], ids=lambda a: a.id)
def test_annotation_queries_parse_and_use_known_variables(annotation):
    path_variables = {name: label for d in DASHBOARDS.values() for name, label in d.path_variables}
    used = template_variables(annotation.expr)
    assert used <= {"cluster", "namespace"} | set(path_variables)
    # A path variable means one label everywhere: the annotation narrows the same way on every page.
    for name in used & set(path_variables):
        labels = {label for d in DASHBOARDS.values() for n, label in d.path_variables if n == name}
        assert len(labels) == 1, name
    for dashboard in DASHBOARDS.values():
        panel = Panel("p", "P", "timeseries", (Query("up"),), annotations=tuple(SETS))
        extra = {name: (label, ("v",)) for name, label in dashboard.path_variables}
        for item in plan_annotations(panel, parse_view_state({"var-cluster": "c1"}), extra):
            assert isinstance(item.plan, QueryPlan), item.plan
            promql_parser.parse(item.plan.promql)


def test_annotations_narrow_to_the_entity_of_a_level2_page():
    panel = DASHBOARDS["jenkins-job"].panels[-1]
    view = parse_view_state({"from": "now-6h"})
    plans = {a.annotation.id: a.plan.promql for a in plan_annotations(panel, view, {"job": ("jenkins_job", ('x"}',))})}
    assert 'jenkins_job="x\\"}"' in plans["jenkins-builds"] and 'jenkins_job="x\\"}"' in plans["alert-state"]
    assert "argocd-syncs" not in plans      # every Argo CD sync on a Jenkins job's page is noise
    level1 = {a.annotation.id: a.plan.promql for a in plan_annotations(panel, view, {})}
    assert "$" not in "".join(level1.values()) and "(ALERTS{})" in level1["alert-state"]
    assert "jenkins-builds" not in level1   # every build of every job: a wall of markers, not a signal
    argocd = next(p for p in DASHBOARDS["argocd-app"].panels if p.annotations)
    on_app = {a.annotation.id for a in plan_annotations(argocd, view, {"app_ns": ("namespace", ("argocd",)),
                                                                        "app": ("name", ("ingest",))})}
    assert on_app == {"argocd-syncs", "alert-state"}


# ---------------------------------------------------------------- events
def _outcome(annotation, set_, result, start=T0, end=T0 + 600, step=60):
    return AnnotationOutcome(set_, annotation, QueryPlan("q", start, end, step), result)


def test_counter_increases_become_events_with_counts():
    found = events(_outcome(ARGOCD_SYNCS, "deployments", _result(
        _series({"namespace": "argocd", "name": "<b>ingest</b>", "phase": "Succeeded"}, [np.nan, 1, np.nan, 2]))))
    assert [e.at for e in found] == [T0 + 60, T0 + 180]
    assert found[0].text == "Argo CD sync: argocd/<b>ingest</b>: Succeeded"
    assert found[1].text.startswith("Argo CD sync ×2")


def test_alert_state_starts_and_resolutions():
    # firing from the range start (no start marker), a gap, firing again until the end (no resolution)
    series = _series({"alertname": "JenkinsSuccessRate", "jenkins_job": "etl", "severity": "high"},
                     [1, 1, np.nan, np.nan, 1, 1, 1, 1, 1, 1, 1], start=T0)
    series = Series(series.labels, series.timestamps[~np.isnan(series.values)], series.values[~np.isnan(series.values)])
    found = events(_outcome(ALERT_STATE, "alerts", _result(series)))
    assert [(e.at, e.text.split(":")[0]) for e in found] == [(T0 + 120, "Alert resolved"), (T0 + 240, "Alert firing")]
    assert "JenkinsSuccessRate etl (high)" in found[1].text


def test_pending_alerts_mark_their_start_and_never_a_resolution():
    series = _series({"alertname": "PodNotReady", "alertstate": "pending", "namespace": "ml"}, [1, 1], start=T0 + 120)
    found = events(_outcome(ALERT_STATE, "alerts", _result(series)))
    assert [(e.at, e.text) for e in found] == [(T0 + 120, "Alert pending: PodNotReady ml ()")]


def test_failed_or_missing_annotation_answers_draw_nothing():
    assert events(_outcome(JENKINS_BUILDS, "deployments", None)) == []
    assert annotation_traces([]) == []


# ---------------------------------------------------------------- time series renderer
def _timeseries(panel, annotations=()):
    return PanelData(panel, (_result(_series({"job": "a"}, [1.0, 3.0, 2.0])),), annotations=tuple(annotations))


def test_legend_shows_last_max_mean_in_the_panel_unit():
    panel = Panel("ts", "TS", "timeseries", (Query("up", "{job}"),), unit="s")
    fig = timeseries_figure(_timeseries(panel), "")
    assert fig["data"][0]["name"] == "a  last 2.0 s · max 3.0 s · mean 2.0 s"
    assert fig["data"][0]["hovertemplate"].endswith("<extra>a</extra>")   # hover keeps the plain name
    quiet = timeseries_figure(_timeseries(dataclasses.replace(panel, legend_calcs=())), "")
    assert quiet["data"][0]["name"] == "a"
    assert legend_values(np.array([np.nan, 0.5]), ("min", "last"), "percentunit") == "min 50.0% · last 50.0%"
    assert legend_values(np.array([np.nan]), DEFAULT_LEGEND_CALCS, "s") == ""


def test_annotations_are_vertical_markers_with_escaped_hover_text():
    panel = Panel("ts", "TS", "timeseries", (Query("up", "{job}"),), annotations=("deployments", "alerts"))
    builds = _outcome(JENKINS_BUILDS, "deployments",
                      _result(_series({"jenkins_job": "<script>x</script>"}, [0, 1, 0, 1])))
    fig = timeseries_figure(_timeseries(panel, [builds]), "")
    marks = fig["data"][1]
    assert marks["yaxis"] == "y2" and fig["layout"]["yaxis2"]["overlaying"] == "y"
    assert marks["name"] == "Deployments (2)" and len(marks["x"]) == 6 and marks["y"][:3] == [0.0, 1.0, None]
    assert "&lt;script&gt;" in marks["hovertext"][0] and "<script>" not in str(marks)
    plain = timeseries_figure(_timeseries(panel), "")
    assert len(plain["data"]) == 1 and "yaxis2" not in plain["layout"]
    assert "visible" not in marks


def test_a_crowded_marker_set_starts_hidden_behind_its_legend_entry():
    from components.annotations import SHOWN_MARKERS

    panel = Panel("ts", "TS", "timeseries", (Query("up", "{job}"),), annotations=("deployments",))
    many = _outcome(JENKINS_BUILDS, "deployments", _result(_series({"jenkins_job": "j"}, [1] * (SHOWN_MARKERS + 1))))
    marks = timeseries_figure(_timeseries(panel, [many]), "")["data"][1]
    assert marks["visible"] == "legendonly" and marks["name"] == f"Deployments ({SHOWN_MARKERS + 1}, click to show)"


def test_the_legend_adds_its_rows_to_the_figure_instead_of_taking_them_from_the_plot():
    panel = Panel("ts", "TS", "timeseries", (Query("up", "{job}"),))
    def figure(n):
        series = [_series({"job": f"j{i}"}, [1.0, 2.0]) for i in range(n)]
        return timeseries_figure(PanelData(panel, (_result(*series),)), "")["layout"]
    one, four, many = figure(1), figure(4), figure(30)
    for layout in (one, four, many):
        # what is left of the figure once the legend has its share is the same for every legend
        assert layout["height"] - layout["legend"]["maxheight"] == TIMESERIES_PLOT_PX
    assert four["legend"]["maxheight"] - one["legend"]["maxheight"] == 3 * LEGEND_ROW_PX
    assert many["height"] == four["height"] and LEGEND_MAX_ROWS == 4   # past 4 rows the legend scrolls


# ---------------------------------------------------------------- table renderer
TABLE = Panel("jobs", "Jobs", "table", (
    Query("a", column="Success rate", unit="percentunit"),
    Query("b", column="Last result", unit="none"),
    Query("c", column="Last duration", unit="s")),
    label_columns=("jenkins_job",), thresholds=(th.JENKINS_SUCCESS_RATE, th.JENKINS_BUILD_DURATION),
    value_map=((0, "SUCCESS"), (2, "FAILURE")), sort_desc=False, link=Link("/gitops/jenkins/{jenkins_job}", "jenkins_job"))


def _jobs():
    def vec(values):
        return _result(*(Series({"jenkins_job": job}, np.array([T0]), np.array([v])) for job, v in values.items()),
                       kind="vector")
    return PanelData(TABLE, (vec({"a_b": 0.5, "team/x*y": 0.99}), vec({"a_b": 2, "team/x*y": 0}),
                             vec({"a_b": 95.0, "team/x*y": 900.0})))


def test_a_table_is_one_datatable_with_formats_status_words_and_sort_keys(monkeypatch):
    monkeypatch.setattr("components.links.link_target_registered", lambda path: True)
    wrapper = render_table(_jobs(), "from=now-24h")[0]
    table = wrapper.children
    assert isinstance(table, dash_table.DataTable) and wrapper.className == "panel-table"
    assert table.sort_action == "custom" and table.filter_action == "native"
    assert [c["name"] for c in table.columns] == ["jenkins job", "Success rate", "Last result", "Last duration"]
    assert table.columns[0]["presentation"] == "markdown" and table.markdown_options["html"]
    first, second = table.data   # worst success rate first (the catalog's order)
    assert first["v0"] == "50.0% warning" and first["v0_status"] == "warning" and first["v0_sort"] == 0.5  # P2
    assert first["v1"] == "FAILURE" and first["v2"] == "95.0 s" and first["v2_sort"] == 95.0
    assert second["v2"] == "15.0 min warning" and second["v2_status"] == "warning"
    assert first["l0"] == '<a class="entity-link" href="/gitops/jenkins/a_b?from=now-24h">a\\_b</a>'
    assert first["l0_sort"] == "a_b" and first["_row"] == 0 and second["_row"] == 1
    assert any(s["if"].get("filter_query") == '{v0_status} = "warning"' for s in table.style_data_conditional)


@pytest.mark.parametrize("panel_id, judged", [("spark-failures-by-namespace", {"Failed", "Submission failed"}),
                                               ("iceberg-tables", {"Data files"})])
def test_a_tables_threshold_judges_only_the_columns_it_is_about(monkeypatch, panel_id, judged):
    """Succeeded applications are not judged by the failure threshold, nor records by the data-file one."""
    monkeypatch.setattr("components.links.link_target_registered", lambda path: True)
    panel = next(p for _, p in PANELS if p.id == panel_id)
    row = {label: "x" for label in panel.label_columns}
    answer = _result(Series(row, np.array([T0]), np.array([1e9])), kind="vector")
    table = render_table(PanelData(panel, tuple(answer for _ in panel.queries)), "")[0].children
    names = {c["id"]: c["name"] for c in table.columns}
    (cells,) = table.data
    assert {names[k.removesuffix("_status")] for k, v in cells.items() if k.endswith("_status") and v != "ok"} == judged


def test_link_cells_escape_markup_and_sort_keys_order_blanks_last():
    cell = link_cell('<img src=x onerror="a">*b*', '/x?a="1"&b=2')
    assert "<img" not in cell and "&lt;img" in cell and "\\*b\\*" in cell and 'href="/x?a=&quot;1&quot;&amp;b=2"' in cell
    assert sort_key(float("nan")) is None and sort_key(3) == 3.0 and sort_key("Abc") == "abc" and sort_key(None) is None


def test_link_column_cells_without_a_link_are_escaped_too(monkeypatch):
    """A link column is markdown with HTML on: a row that gets no link (its page is not served, a
    label is missing) must still show its text as text, never as markup."""
    monkeypatch.setattr("components.links.link_target_registered", lambda path: False)
    hostile = '<img src=x onerror="alert(1)">'
    data = PanelData(TABLE, (_result(Series({"jenkins_job": hostile}, np.array([T0]), np.array([0.5])),
                                     kind="vector"), None, None))
    table = render_table(data, "")[0].children
    cell = table.data[0]["l0"]
    assert "<img" not in cell and "&lt;img" in cell and "entity-link" not in cell
    assert link_cell("a*b", None) == "a\\*b"


def test_rest_row_tables_sort_durations_by_seconds_and_colour_states(monkeypatch):
    import datetime as dt

    monkeypatch.setattr("components.links.link_target_registered", lambda path: True)
    from components.timeline import render_rows
    from webapp.restpanels import RestPanelData

    panel = Panel("runs", "Runs", "rows", (Query("dag_runs"),), source="airflow",
                  fields=("Run", "State", "Duration", "Started"),
                  link=Link("/workloads/airflow/{dag_id}/runs/{run_id}", "Run"))
    started = dt.datetime(2026, 11, 29, 8, 0, tzinfo=dt.timezone.utc)
    rows = ({"Run": "manual__1", "State": "failed", "Duration": 95.0, "Started": started,
             "_href": {"dag_id": "d", "run_id": "manual__1"}},
            {"Run": "scheduled__2", "State": "success", "Duration": 600.0, "Started": started + dt.timedelta(hours=1),
             "_href": {"dag_id": "d", "run_id": "scheduled__2"}})
    table = render_rows(RestPanelData(panel, rows), "from=now-24h")[0].children
    assert [c["id"] for c in table.columns] == ["c0", "c1", "c2", "c3"] and table.columns[0]["presentation"] == "markdown"
    first, second = table.data
    assert first["c0"] == '<a class="entity-link" href="/workloads/airflow/d/runs/manual__1?from=now-24h">manual\\_\\_1</a>'
    assert first["c1_status"] == "critical" and second["c1_status"] == "ok"
    assert (first["c2"], first["c2_sort"], second["c2"], second["c2_sort"]) == ("95.0 s", 95.0, "10.0 min", 600.0)
    assert first["c3_sort"] < second["c3_sort"]


def test_rest_row_links_follow_the_same_rule_as_every_other_link(monkeypatch):
    """No link to a page that is not served, and one view carried: REST rows use `components.links` too."""
    from components.timeline import render_rows
    from webapp.restpanels import RestPanelData

    panel = Panel("runs", "Runs", "rows", (Query("dag_runs"),), source="airflow", fields=("Run",),
                  link=Link("/workloads/airflow/{dag_id}/runs/{run_id}", "Run"))
    rows = ({"Run": "<b>r</b>", "_href": {"dag_id": "d", "run_id": "r"}},)
    monkeypatch.setattr("components.links.link_target_registered", lambda path: False)
    assert render_rows(RestPanelData(panel, rows), "from=now-1h")[0].children.data[0]["c0"] == "&lt;b&gt;r&lt;/b&gt;"
    monkeypatch.setattr("components.links.link_target_registered", lambda path: True)
    cell = render_rows(RestPanelData(panel, rows), "from=now-1h")[0].children.data[0]["c0"]
    assert 'href="/workloads/airflow/d/runs/r?from=now-1h"' in cell and "<b>" not in cell


def test_grafana_export_keeps_the_legend_values():
    from webapp.grafana.exporter import export_panel

    panel = Panel("ts", "TS", "timeseries", (Query("up"),), legend_calcs=("last", "max"))
    legend = export_panel(panel, 1, 0, 0, ("cluster",))["options"]["legend"]
    assert legend["displayMode"] == "table" and legend["calcs"] == ["lastNotNull", "max"]
    plain = export_panel(dataclasses.replace(panel, legend_calcs=()), 1, 0, 0, ("cluster",))["options"]["legend"]
    assert "calcs" not in plain and plain["displayMode"] == "list"


def test_series_named_by_a_result_take_its_meaning_colour():
    from components.palette import SERIES, STATUS

    panel = next(p for p in DASHBOARDS["gitops"].panels if p.id == "jenkins-build-results")
    data = PanelData(panel, tuple(_result(_series({}, [1, 2])) for _ in panel.queries))
    colours = {t["name"].split()[0]: t["line"]["color"] for t in timeseries_figure(data, "")["data"]
               if t.get("type") == "scatter" and "line" in t and not t.get("meta")}
    assert colours == {"success": STATUS["ok"], "failed": STATUS["critical"], "unstable": STATUS["warning"],
                       "aborted": STATUS["unknown"]}
    other = Panel("p", "P", "timeseries", (Query("a", "{x}"),))
    plain = timeseries_figure(PanelData(other, (_result(_series({"x": "east"}, [1]), _series({"x": "west"}, [2])),)), "")
    assert [t["line"]["color"] for t in plain["data"][:2]] == [SERIES[0], SERIES[1]]


def test_the_time_axis_covers_the_whole_range_of_the_view():
    from components.format import display_zone
    from webapp.timezones import DisplayZone

    panel = Panel("p", "P", "timeseries", (Query("a", "{x}"),))
    data = PanelData(panel, (_result(_series({"x": "east"}, [1, 2, 3])),))   # data only from T0 to T0+120
    with display_zone(DisplayZone("Asia/Seoul", "Asia/Seoul"), (T0 - 3600, T0 + 3600)):
        layout = timeseries_figure(data, "")["layout"]
    assert layout["xaxis"]["range"] == [(T0 - 3600 + 9 * 3600) * 1000, (T0 + 3600 + 9 * 3600) * 1000]
    assert "range" not in timeseries_figure(data, "")["layout"]["xaxis"]    # outside a view: autorange
