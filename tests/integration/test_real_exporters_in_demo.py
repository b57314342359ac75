"""The demo runs the project's real exporters: the Iceberg exporter on a real pyiceberg SQL catalog (its
lost file fires DataLoss and shows on the table's Level 2 page), and the Bitbucket and journey exporters
on the demo's delivery APIs (the /e2e journey panels show their stage durations and bottleneck)."""
from __future__ import annotations

import time

import pytest
import requests

from components.panels import flow_rows, render_flow
from webapp.app import create_app
from webapp.catalog import DASHBOARDS
from webapp.runner import run_panels
from webapp.runtime import EXTENSION
from webapp.viewstate import parse_view_state

pytest.importorskip("pyiceberg")


def _query(url: str, q: str) -> list:
    return requests.get(f"{url}/api/v1/query", params={"query": q}, timeout=10).json()["data"]["result"]


def _eventually(url: str, q: str, timeout: float = 90) -> list:
    deadline = time.monotonic() + timeout
    while True:
        result = _query(url, q)
        if result or time.monotonic() > deadline:
            return result
        time.sleep(2)


def test_real_iceberg_exporter_is_scraped_and_data_loss_fires(demo_platform):
    url = demo_platform.url
    lost = _eventually(url, 'iceberg_table_files_deleted_unexpectedly{job="iceberg-exporter"} > 0')
    assert [(r["metric"]["database"], r["metric"]["table"], r["value"][1]) for r in lost] == \
        [("finance", "ledger_entries", "1")]
    assert r_cluster(lost) == demo_platform.world.clusters[0]
    files = _query(url, 'iceberg_table_data_files{table="ledger_entries"}')
    assert [r["value"][1] for r in files] == ["4"]
    # the generated DataLoss rule (for: 0m) fires for that table only
    alerts = _eventually(url, 'ALERTS{alertname="DataLoss", alertstate="firing"}')
    assert {(a["metric"]["database"], a["metric"]["table"]) for a in alerts} == {("finance", "ledger_entries")}


def test_every_cluster_has_a_real_lakehouse(demo_platform):
    """No Iceberg series is simulated: each cluster's tables come from its own real exporter, every table of
    the workload is there, and a writer process per cluster goes on committing."""
    from webapp.demo.lakehouse import INSTANCE, workload
    url, world = demo_platform.url, demo_platform.world
    found = _eventually(url, 'count by (cluster, job, instance) (iceberg_table_data_files)')
    assert {(r["metric"]["cluster"], r["metric"]["job"], r["metric"]["instance"]) for r in found} == \
        {(cl, "iceberg-exporter", INSTANCE) for cl in world.clusters}
    for cl in world.clusters:
        tables = {(r["metric"]["database"], r["metric"]["table"])
                  for r in _query(url, f'iceberg_table_snapshots{{cluster="{cl}"}}')}
        assert tables >= {(t.namespace, t.name) for t in workload(world, cl)}, cl
    writers = demo_platform.real_exporters.writers
    assert len(writers) == len(world.clusters) and all(p.poll() is None for p in writers)


def test_lakehouse_history_is_the_exporters_own(demo_platform):
    """Before the demo started, the lakehouse tables' series are what the real exporter reported after each
    commit made at a past time: the lost file from the story's time on, the compaction before it, and live
    scrapes continue the same values (last commit times in the past, not at the demo's start)."""
    from webapp.demo.components.lakehouse import schedule, story_starts
    from webapp.demo.lakehouse import INSTANCE, PILING, operations

    url, world = demo_platform.url, demo_platform.world
    lost_at = story_starts(world)["iceberg-file-lost"]
    q = 'iceberg_table_files_deleted_unexpectedly{job="iceberg-exporter", table="ledger_entries"}'
    assert [r["value"][1] for r in _query_at(url, q, lost_at - 300)] == ["0"]
    assert [r["value"][1] for r in _query_at(url, q, lost_at + 300)] == ["1"]
    times = schedule(world.anchor)
    ops = operations(PILING)
    compacted = next(t for t, (table, kind) in zip(times, ops) if table == ("finance", "ledger_entries")
                     and kind == "compact")
    files = 'iceberg_table_data_files{job="iceberg-exporter", table="ledger_entries"}'
    assert [r["value"][1] for r in _query_at(url, files, compacted - 300)] == ["6"]
    assert [r["value"][1] for r in _query_at(url, files, compacted + 300)] == ["1"]
    last = {r["metric"]["table"]: float(r["value"][1]) for r in _query(
        url, 'iceberg_table_last_commit_timestamp_seconds{job="iceberg-exporter", catalog="lakehouse", '
             'database=~"finance|audit"}')}
    newest = {table[1]: max(t for t, (tb, kind) in zip(times, ops) if tb == table and kind in ("append", "compact"))
              for table, _kind in ops if table[0] in ("finance", "audit")}
    assert last == pytest.approx(newest)
    # the snapshots-piling story is the real exporter's: orders_cdc exists only in the real lakehouse
    piling = _query(url, 'iceberg_table_snapshots{table="orders_cdc"}')
    assert [(r["metric"]["instance"], float(r["value"][1])) for r in piling] == [(INSTANCE, 121.0)]


def _query_at(url: str, q: str, at: float) -> list:
    return requests.get(f"{url}/api/v1/query", params={"query": q, "time": at}, timeout=10).json()["data"]["result"]


def r_cluster(result: list) -> str:
    return result[0]["metric"]["cluster"]


def test_iceberg_level2_page_shows_the_lost_file(settings):
    app = create_app(settings)
    dashboard = DASHBOARDS["iceberg-table"]
    extra = {name: (label, ("ledger_entries",)) for name, label in dashboard.path_variables}
    data = run_panels(app.server.extensions[EXTENSION].engine, list(dashboard.panels),
                      parse_view_state({"from": "now-10m"}), extra)
    lost = data["l2-iceberg-lost-files"]
    assert lost.state == "ok" and lost.results[0].series[0].last == 1
    assert data["l2-iceberg-files"].results[0].series[0].last == 4


def _newest_deployment(url: str, at: float) -> tuple[str, dict[str, float]]:
    """(application, stage -> seconds) of the newest deployment at ``at``, as the journey exporter itself
    reported it."""
    newest = _query_at(url, 'topk(1, pipeline_last_run_timestamp_seconds{job="journey-exporter", journey="deploy"})',
                       at)
    app = newest[0]["metric"]["pipeline"]
    own = _query_at(url, 'pipeline_last_stage_duration_seconds{job="journey-exporter", journey="deploy", '
                         f'pipeline="{app}"}}', at)
    return app, {r["metric"]["stage"]: float(r["value"][1]) for r in own}


def test_journey_exporter_feeds_the_e2e_journey_panels(settings, demo_platform):
    url = demo_platform.url
    _eventually(url, 'pipeline_bottleneck_duration_seconds{job="journey-exporter"}')
    app = create_app(settings)
    ids = ("e2e-last-journey", "e2e-last-data-journey", "e2e-journeys", "e2e-bottlenecks")
    panels = [p for p in DASHBOARDS["e2e"].panels if p.id in ids]
    assert len(panels) == len(ids)
    data = run_panels(app.server.extensions[EXTENSION].engine, panels, parse_view_state({"from": "now-1h"}), {})
    flow = data["e2e-last-journey"]
    assert flow.state == "ok"
    # the exporter refreshes every 30 s and the panel's instant is the engine's (aligned) now: compare the
    # panel with the exporter's own answer at that same instant
    at = float(flow.results[0].series[0].timestamps[-1])
    _newest, own = _newest_deployment(url, at)
    rows, bottleneck = flow_rows(flow.panel, flow.results)
    # one row, commit to running pods, with the durations the journey exporter computed for that deployment
    assert [[name for name, _ in row] for row in rows] == [["git", "jenkins", "argocd", "kubernetes"]]
    assert dict(rows[0]) == pytest.approx(own) and all(v > 0 for v in own.values())
    # its slowest stage is the one drawn red, whatever the data journeys take
    assert bottleneck == max(own, key=own.get)
    assert f"Bottleneck: {bottleneck}" in str(render_flow(flow, ""))
    data_flow = data["e2e-last-data-journey"]
    data_rows, data_bottleneck = flow_rows(data_flow.panel, data_flow.results)
    assert [[name for name, _ in row] for row in data_rows] == [["airflow", "application"]]
    assert data_bottleneck == "application"
    assert {s.labels["pipeline"] for s in data["e2e-journeys"].results[0].series} == \
        {"orders-api", "portal-ui", "ml-serving"}
    bottleneck = {s.labels["pipeline"]: s.labels["stage"] for r in data["e2e-bottlenecks"].results for s in r.series}
    assert bottleneck == {"orders-api": "jenkins", "portal-ui": "jenkins", "ml-serving": "kubernetes",
                          "orders_etl": "application", "clickstream_sessions": "application"}
    prs = _query(url, 'sum by (state) (git_pull_requests{job="bitbucket-exporter"})')
    assert {r["metric"]["state"] for r in prs} == {"OPEN", "MERGED", "DECLINED"}


def test_commit_to_pod_stages_come_only_from_the_journey_exporter(demo_platform):
    """The simulated pipeline-exporter times the whole design journey, but the stages from commit to
    running pods on /e2e (pipeline map, deploy journey, segment latency) are the journey exporter's alone."""
    jobs = _query(demo_platform.url, 'count by (job, stage) (pipeline_stage_duration_seconds_count'
                                     '{stage=~"git|jenkins|argocd|kubernetes"})')
    assert {(r["metric"]["job"], r["metric"]["stage"]) for r in jobs} == \
        {("journey-exporter", st) for st in ("git", "jenkins", "argocd", "kubernetes")}
    others = _query(demo_platform.url, 'count by (stage) (pipeline_stage_duration_seconds_count'
                                       '{job="pipeline-exporter"})')
    assert {r["metric"]["stage"] for r in others} == {"portal", "application", "iceberg", "storage"}
