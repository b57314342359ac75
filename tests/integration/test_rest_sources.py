"""The demo platform's Spark History Server and Airflow REST API, read through the real clients, agree
with what its Prometheus knows."""
from __future__ import annotations

import urllib.parse

import pytest
import requests

from tests.openapi_subset import validate_component
from webapp.airflowapi import AirflowClient
from webapp.sparkhistory import SparkHistoryClient


def _prom(demo_platform, query: str) -> list[dict]:
    r = requests.get(demo_platform.url + "/api/v1/query", params={"query": query}, timeout=15).json()
    assert r["status"] == "success"
    return r["data"]["result"]


@pytest.fixture(scope="module")
def prom_apps(demo_platform) -> dict[str, dict]:
    res = _prom(demo_platform, "group by (application_id, application_name) (metrics_executor_memoryUsed_bytes)")
    assert res
    return {r["metric"]["application_id"]: r["metric"] for r in res}


def test_urls_exposed(demo_platform):
    assert demo_platform.spark_history_url.startswith("http://127.0.0.1:")
    assert demo_platform.airflow_api_url.startswith("http://127.0.0.1:")


def test_history_server_knows_prometheus_apps(demo_platform, prom_apps):
    c = SparkHistoryClient(demo_platform.spark_history_url)
    for app_id, labels in prom_apps.items():
        app = c.application(app_id)
        assert app is not None, app_id
        assert app.name == labels["application_name"]
        stages = c.stages(app_id)
        assert stages and all(s.submission_time for s in stages)
        tasks = c.tasks(app_id, stages[-1].stage_id, stages[-1].attempt_id, limit=50)
        assert 0 < len(tasks) <= 50
        ex = c.executors(app_id)
        prom_ex = {r["metric"]["executor_id"] for r in _prom(
            demo_platform, f'metrics_executor_memoryUsed_bytes{{application_id="{app_id}"}}')}
        assert prom_ex <= {e.id for e in ex if e.is_active}


def test_executor_values_match_the_metrics(demo_platform, prom_apps):
    c = SparkHistoryClient(demo_platform.spark_history_url)
    app_id = next(a for a, l in prom_apps.items() if l["application_name"] == "orders-streaming")
    ex = {e.id: e for e in c.executors(app_id)}
    for r in _prom(demo_platform, f'metrics_executor_maxMemory_bytes{{application_id="{app_id}"}}'):
        # the backfill writes 10 significant digits
        assert ex[r["metric"]["executor_id"]].max_memory == pytest.approx(float(r["value"][1]), rel=1e-8)
    for r in _prom(demo_platform, f'metrics_executor_completedTasks_total{{application_id="{app_id}"}}'):
        # the History Server answers "now", Prometheus' last sample is up to a scrape interval older
        assert ex[r["metric"]["executor_id"]].completed_tasks >= float(r["value"][1]) * (1 - 1e-8)


def test_oom_and_gc_stories(demo_platform, prom_apps):
    c = SparkHistoryClient(demo_platform.spark_history_url)
    c0 = demo_platform.world.clusters[0]
    app_ids = [r["metric"]["application_id"] for r in _prom(
        demo_platform, f'group by (application_id) (metrics_executor_memoryUsed_bytes{{application_name="orders-streaming", cluster="{c0}"}})')]
    assert len(app_ids) == 1
    ex = c.executors(app_ids[0])
    removed = [e for e in ex if not e.is_active]
    assert removed and all("OOM" in e.remove_reason and e.remove_time for e in removed)
    assert any(e.id == "2" and e.is_active for e in ex)
    done = [s for s in c.stages(app_ids[0]) if s.status == "COMPLETE"]
    assert done[-1].jvm_gc_time_ms / done[-1].executor_run_time_ms > 0.10   # GC pressure story


def test_failing_spark_app_story(demo_platform):
    c = SparkHistoryClient(demo_platform.spark_history_url)
    c0 = demo_platform.world.clusters[0]
    res = _prom(demo_platform, "sum by (application_id) (max_over_time(metrics_executor_failedTasks_total"
                               f'{{application_name="customer-360-agg", cluster="{c0}"}}[150m]))')
    checked = 0
    for r in res:
        app_id = r["metric"]["application_id"]
        app = c.application(app_id)
        if app is None or not app.completed or app.start_time.timestamp() < demo_platform.world.anchor - 3 * 3600:
            continue
        assert any(j.status == "FAILED" for j in c.jobs(app_id))
        stage = next(s for s in c.stages(app_id) if s.status == "FAILED")
        assert "failed 4 times" in stage.failure_reason
        assert stage.num_failed_tasks == sum(e.failed_tasks for e in c.executors(app_id))
        assert stage.num_failed_tasks >= float(r["value"][1]) > 0      # Prometheus saw them fail too
        tasks = c.tasks(app_id, stage.stage_id, stage.attempt_id, limit=5000)
        assert sum(t.status == "FAILED" for t in tasks) == stage.num_failed_tasks
        checked += 1
    assert checked >= 1


def test_airflow_failing_dag(demo_platform):
    c = AirflowClient(demo_platform.airflow_api_url)
    runs = [r for r in c.dag_runs("sales_mart_refresh", limit=12) if r.state != "running"]
    assert len(runs) >= 5 and all(r.state == "failed" for r in runs[:5])
    tis = {t.task_id: t for t in c.task_instances("sales_mart_refresh", runs[0].dag_run_id)}
    assert tis["build_mart"].state == "failed" and tis["publish_mart"].state == "upstream_failed"
    # the metrics agree: failed runs of that DAG counted by statsd in the last 6 h
    res = _prom(demo_platform, 'sum(increase(airflow_dagrun_failed_count{dag_id="sales_mart_refresh"}[6h]))')
    assert res and float(res[0]["value"][1]) >= 5


def test_airflow_answers_match_the_spec(demo_platform):
    base = demo_platform.airflow_api_url
    runs = requests.get(f"{base}/api/v2/dags/sales_mart_refresh/dagRuns",
                        params={"order_by": "-start_date", "limit": 10}, timeout=15).json()
    assert validate_component(runs, "DAGRunCollectionResponse") == []
    for run in runs["dag_runs"][:3]:
        tis = requests.get(f"{base}/api/v2/dags/sales_mart_refresh/dagRuns/"
                           f"{urllib.parse.quote(run['dag_run_id'], safe='')}/taskInstances", timeout=15).json()
        assert validate_component(tis, "TaskInstanceCollectionResponse") == []
