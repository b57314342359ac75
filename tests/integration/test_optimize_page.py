"""Optimization & Troubleshooting page against the real Prometheus with the demo platform's data."""
from __future__ import annotations

import numpy as np
import pytest
import requests

from components.panels import table_rows
from webapp.app import create_app
from webapp.catalog import DASHBOARDS
from webapp.runner import run_panels
from webapp.runtime import EXTENSION
from webapp.viewstate import parse_view_state

from .test_capacity_page import wait_for_rates

pytestmark = pytest.mark.integration

OPTIMIZE = DASHBOARDS["optimize"]

# panels fed by exporters other components provide: empty is allowed only while the metric is
# absent from the Prometheus (the test turns strict as soon as the data exists)
OPTIONAL = {
    "trino-slow-queries": "trino_execution_name_QueryManager_ExecutionTime_FiveMinutes_P95",
    "spark-task-time": "metrics_executor_totalDuration_seconds_total",
    "spark-running": "spark_application_running_count",
    "airflow-failed-tasks": "airflow_dagrun_failed_count",
    "airflow-task-failures": "airflow_ti_failures",
}


@pytest.fixture(autouse=True, scope="module")
def _warm(prometheus_url):
    wait_for_rates(prometheus_url)


def run(settings, **params):
    engine = create_app(settings).server.extensions[EXTENSION].engine
    return run_panels(engine, list(OPTIMIZE.panels), parse_view_state(params))


def series(data, pid, i=0):
    return data[pid].results[i].series


def rows(data, pid):
    return table_rows(data[pid].panel, data[pid].results)[1]


def absent(prometheus_url, metric):
    res = requests.get(f"{prometheus_url}/api/v1/query", params={"query": f"count({metric})"}, timeout=10).json()
    return not res["data"]["result"]


def test_every_panel_has_data_for_the_default_view(settings, prometheus_url):
    data = run(settings, **{"from": "now-6h", "to": "now"})
    bad = {pid: d.state for pid, d in data.items() if d.state != "ok"}
    bad = {pid: st for pid, st in bad.items()
           if not (st == "empty" and pid in OPTIONAL and absent(prometheus_url, OPTIONAL[pid]))}
    assert not bad, bad


def test_stories_are_visible(settings):
    data = run(settings, **{"from": "now-6h", "to": "now"})
    # oom-killed-executor: OOM events, peak working set at the limit, and a tuning rule
    oom = rows(data, "oom-table")
    assert any(r["labels"]["namespace"] == "spark-jobs" and r["values"]["OOM kills (range)"] >= 1
               and r["values"]["Peak working set"] > 0.9 * r["values"]["Memory limit"] for r in oom)
    assert any(s.labels["namespace"] == "spark-jobs" for s in series(data, "oom-events"))
    tuning = {(r["labels"]["suggestion"].split(":")[0], r["labels"]["target"]) for r in rows(data, "tuning")}
    assert ("Raise the memory limit", "spark-kubernetes-executor") in tuning
    # cpu-throttled: trino-worker gets "raise the CPU limit"
    assert ("Raise the CPU limit (or remove it)", "trino-worker") in tuning
    # crashloop-pod, image-pull-errors, evicted-pod: failed pod analysis
    reasons = {r["labels"]["reason"] for r in rows(data, "failed-pods")}
    assert {"CrashLoopBackOff", "OOMKilled", "Evicted"} <= reasons
    assert reasons & {"ErrImagePull", "ImagePullBackOff"}
    # ingress-5xx: HTTP 503 among the top error reasons; counts are whole numbers
    top = rows(data, "top-error-reasons")
    assert 0 < len(top) <= 10 and any(r["labels"]["reason"] == "HTTP 503" for r in top)
    assert all(float(r["values"]["Occurrences"]).is_integer() for r in top)
    # over-provisioned workloads: p95 usage below half the request; right-sizing saves money
    over = rows(data, "over-provisioned")
    assert over and all(r["values"]["p95 / request"] < 0.5 for r in over)
    sizing = rows(data, "right-sizing")
    assert sizing[0]["values"]["Saving $/month"] > 0
    assert all(r["values"]["CPU request advised"] <= r["values"]["CPU request now"] + 1e-9
               for r in sizing if r["values"].get("CPU saved", 0) > 0)
    assert series(data, "potential-savings")[0].last > 0
    # gpu-saturated shows up as the most utilised GPU in the bottleneck table
    gpu = [r for r in rows(data, "bottlenecks") if r["labels"]["resource"] == "GPU utilisation"]
    assert gpu and max(r["values"]["Saturation"] for r in gpu) > 0.9


def test_cost_increase_story(settings):
    data = run(settings, **{"from": "now-24h", "to": "now"})
    compute = {s.labels["cluster"]: s for s in series(data, "cost-trend") if s.labels.get("cluster")}
    west = compute["prod-west"].values
    west = west[~np.isnan(west)]
    assert west[-1] / west[0] == pytest.approx(1.3, rel=0.02)
    east = compute["prod-east"].values
    east = east[~np.isnan(east)]
    assert east[-1] == pytest.approx(east[0], rel=0.01)
    assert series(data, "monthly-cost")[0].last > 0


def test_namespace_filter_changes_the_panels_it_touches(settings):
    everything = run(settings, **{"from": "now-6h"})
    one = run(settings, **{"from": "now-6h", "var-namespace": "trino"})
    assert {r["labels"]["namespace"] for r in rows(one, "right-sizing")} == {"trino"}
    assert len(rows(everything, "right-sizing")) > len(rows(one, "right-sizing"))
    assert {s.labels["namespace"] for s in series(one, "cost-by-namespace")} == {"trino"}
    assert series(one, "cpu-idle-ratio")[0].last != series(everything, "cpu-idle-ratio")[0].last
    west = run(settings, **{"from": "now-6h", "var-cluster": "prod-west"})
    assert {r["labels"]["cluster"] for r in rows(west, "right-sizing")} == {"prod-west"}
