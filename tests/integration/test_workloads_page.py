"""Workload Execution page (Level 1.3) against the real Prometheus with the demo platform's data."""
import math

import pytest

from webapp.app import create_app
from webapp.catalog import DASHBOARDS, TILES
from webapp.catalog import thresholds as th
from webapp.runner import evaluate_tiles, run_panels
from webapp.runtime import EXTENSION
from webapp.viewstate import parse_view_state

pytestmark = pytest.mark.integration

WORKLOADS = DASHBOARDS["workloads"]


def engine_for(settings):
    return create_app(settings).server.extensions[EXTENSION].engine


def run(settings, **params):
    return run_panels(engine_for(settings), list(WORKLOADS.panels), parse_view_state(params))


def peak(panel_data, **labels) -> float:
    """Largest value of the panel's series whose labels include ``labels``."""
    values = [float(v) for r in panel_data.results if r for s in r.series
              if all(s.labels.get(k) == v for k, v in labels.items()) for v in s.values]
    values = [v for v in values if not math.isnan(v)]
    return max(values) if values else math.nan


def test_dashboard_covers_the_design_tree():
    ids = {p.id for p in WORKLOADS.panels}
    assert WORKLOADS.path == "/workloads" and WORKLOADS.title == "Workload Execution"
    for required in ("spark-active-apps", "spark-runtime-distribution", "spark-executor-usage", "spark-shuffle",
                     "spark-gc-ratio", "airflow-dag-success-rate", "airflow-task-heatmap", "airflow-schedule-delay",
                     "airflow-pool-usage", "trino-queries", "trino-wall-time", "trino-workers", "trino-memory",
                     "cross-success-rate", "cross-cpu", "cross-runtime-trend", "spark-failures",
                     "spark-executor-memory", "spark-exec-time", "airflow-ti-failed", "airflow-heartbeat",
                     "trino-failure-ratio", "trino-workers-ratio", "trino-cpu"):
        assert required in ids
    assert WORKLOADS.variables == ("cluster", "namespace")


@pytest.mark.parametrize("window", ["now-6h", "now-24h"])
def test_every_panel_has_data(settings, window):
    data = run(settings, **{"from": window, "to": "now"})
    states = {pid: d.state for pid, d in data.items()}
    assert states == {pid: "ok" for pid in states}, {p: (s, data[p].error) for p, s in states.items() if s != "ok"}


def test_stories_are_visible(settings):
    data = run(settings, **{"from": "now-6h", "to": "now"})
    # Spark application failures in the last hours (customer-360-agg on prod-east)
    assert data["spark-failures"].results[0].series[0].last > 0
    failed_runs = {s.labels["application_name"] for s in data["spark-apps"].results[0].series if s.last > 0}
    assert "customer-360-agg" in failed_runs
    # Spark GC time ratio of orders-streaming above 10%
    assert peak(data["spark-gc-ratio"], application_name="orders-streaming") > th.SPARK_GC.value
    # the OOM story's executor shows up above 90% storage memory
    assert max(s.last for s in data["spark-executor-memory"].results[0].series) > th.SPARK_MEMORY.value
    # Airflow DAG sales_mart_refresh keeps failing
    dags = data["airflow-dags"].results
    failed = {s.labels["dag_id"]: s.last for s in dags[1].series}
    rate = {s.labels["dag_id"]: s.last for s in dags[0].series}
    assert failed["sales_mart_refresh"] >= 5 and rate["sales_mart_refresh"] < 0.95
    assert data["airflow-dag-failed"].results[0].series[0].last > 0


def test_trino_night_p95_is_visible_in_24h(settings):
    data = run(settings, **{"from": "now-24h", "to": "now"})
    assert data["trino-wall-time-max"].results[0].series[0].last > th.TRINO_WALL_TIME.value
    assert peak(data["trino-wall-time"], cluster="prod-east") > th.TRINO_WALL_TIME.value
    assert peak(data["trino-wall-time"], cluster="prod-west") < th.TRINO_WALL_TIME.value


def test_cluster_and_namespace_filters(settings):
    every = run(settings, **{"from": "now-6h"})
    west = run(settings, **{"from": "now-6h", "var-cluster": "prod-west"})
    # the failing Spark job and DAG live in prod-east; prod-west only has the odd background failure
    failed = lambda data: data["spark-failures"].results[0].series[0].last  # noqa: E731
    assert failed(west) < failed(every)
    # the failing application's failed tasks are mostly prod-east's (prod-west has the odd background one)
    tasks = lambda data: sum(s.last for s in data["spark-apps"].results[0].series  # noqa: E731
                             if s.labels["application_name"] == "customer-360-agg")
    assert tasks(west) < tasks(every)
    assert {s.labels["cluster"] for r in west["trino-queries"].results for s in r.series} == {"prod-west"}
    assert len(every["trino-queries"].results[0].series) == 2
    only_airflow = run(settings, **{"from": "now-6h", "var-namespace": "airflow"})
    assert only_airflow["spark-gc-ratio"].state == "empty"
    assert only_airflow["airflow-dags"].state == "ok"
    assert {s.labels["namespace"] for s in only_airflow["cross-cpu"].results[0].series} == {"airflow"}


def test_workloads_tile_warns_from_the_stories(settings):
    health = {h.tile.domain: h for h in evaluate_tiles(engine_for(settings), TILES, parse_view_state({}))}
    tile = health["workloads"]
    assert tile.status == "warning"   # P2 (High) stories: a warning; only P1 turns a tile red
    entities = {p.entity for p in tile.problems}
    assert {"sales_mart_refresh", "orders-streaming"} <= entities


def test_counters_never_reset(prometheus_url):
    import requests

    for metric in ("spark_application_success_count", "spark_application_failure_count",
                   "metrics_executor_totalGCTime_Value", "metrics_executor_totalDuration_Value",
                   "metrics_executor_totalShuffleRead_Count", "jvm_gc_collection_seconds_sum",
                   "airflow_task_duration_bucket", "airflow_dagrun_failed_count", "airflow_scheduler_heartbeat",
                   "trino_execution_QueryManager_CompletedQueries_TotalCount"):
        r = requests.get(prometheus_url + "/api/v1/query",
                         params={"query": f"sum(resets({metric}[1d])) or vector(0)"}, timeout=30).json()
        assert float(r["data"]["result"][0]["value"][1]) == 0, metric
