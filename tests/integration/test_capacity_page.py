"""Resource Capacity Planning page against the real Prometheus with the demo platform's data."""
from __future__ import annotations

import pytest

from components.panels import table_rows
from webapp.app import create_app
from webapp.catalog import DASHBOARDS
from webapp.catalog.capacity import HORIZON_DAYS
from webapp.runner import run_panels
from webapp.runtime import EXTENSION
from webapp.viewstate import parse_view_state

pytestmark = pytest.mark.integration

CAPACITY = DASHBOARDS["capacity"]

# panels fed by storage exporters another component provides: empty is allowed only while the
# metric is absent from the Prometheus (then the test becomes strict by itself)
OPTIONAL = {
    "s3-bucket-size": "minio_bucket_usage_total_bytes",
    "minio-capacity": "minio_cluster_capacity_usable_total_bytes",
    "ceph-health": "ceph_health_status",
    "ceph-used": "ceph_cluster_total_bytes",
    "ceph-pools": "ceph_pool_stored",
    "isilon-capacity": "isilon_stat_ifs_percent_avail",
    "isilon-quotas": "isilon_quota_hard_utilization_ratio",
    "oracle-tablespaces": "oracledb_tablespace_max_bytes",
}


def wait_for_rates(prometheus_url: str, timeout: float = 120) -> None:
    """Instant rate()s over 5m need two samples in the window: right after the platform starts (when
    generating the history took long) only the first live scrape may be there. Wait for the second."""
    import time

    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        res = requests.get(f"{prometheus_url}/api/v1/query",
                           params={"query": "count(rate(istio_requests_total[5m]))"}, timeout=10).json()
        if res["data"]["result"]:
            return
        time.sleep(5)


@pytest.fixture(autouse=True, scope="module")
def _warm(prometheus_url):
    wait_for_rates(prometheus_url)


def engine(settings):
    return create_app(settings).server.extensions[EXTENSION].engine


def run(settings, **params):
    return run_panels(engine(settings), list(CAPACITY.panels), parse_view_state(params))



def series(data, pid, i=0):
    return data[pid].results[i].series


def rows(data, pid):
    return table_rows(data[pid].panel, data[pid].results)[1]


def test_every_panel_has_data_for_the_default_view(settings, prometheus_url):
    import requests

    data = run(settings, **{"from": "now-6h", "to": "now"})
    bad = {pid: d.state for pid, d in data.items() if d.state != "ok"}
    for pid in list(bad):
        metric = OPTIONAL.get(pid)
        if metric and bad[pid] == "empty":
            res = requests.get(f"{prometheus_url}/api/v1/query", params={"query": f"count({metric})"}, timeout=10)
            if not res.json()["data"]["result"]:
                del bad[pid]
    assert not bad, bad


def test_stories_are_visible(settings):
    data = run(settings, **{"from": "now-6h", "to": "now"})
    # pvc-filling: export-minio-0 tops the PVC chart above 80% and is the first PVC to fill
    top = max(series(data, "pvc-usage-top10"), key=lambda s: s.last)
    assert top.labels["persistentvolumeclaim"] == "export-minio-0" and top.last > 0.8
    forecast = rows(data, "exhaustion-table")
    pvcs = [r for r in forecast if r["labels"]["system"] == "PVC"]
    assert pvcs[0]["labels"]["resource"] == "minio/export-minio-0"
    assert pvcs[0]["values"]["Days until full"] < 7
    # ranked soonest first, clamped at the horizon
    days = [r["values"]["Days until full"] for r in forecast]
    assert days == sorted(days) and max(days) <= HORIZON_DAYS and min(days) >= 0
    assert {"CPU", "Memory", "PVC"} <= {r["labels"]["system"] for r in forecast}
    # cpu-throttled: trino-worker throttled ~25% of periods
    thr = {s.labels["pod"]: s.last for s in series(data, "cpu-throttling")}
    assert any(p.startswith("trino-worker") and v > 0.1 for p, v in thr.items())
    # node-packet-drops: prod-west-node-03 drops > 1%
    drops = {s.labels["instance"]: s.last for s in series(data, "packet-drops")}
    assert drops["prod-west-node-03"] > 0.01 and max(v for k, v in drops.items() if k != "prod-west-node-03") < 0.01
    # oom-killed-executor: OOM kills in the range
    assert any(s.labels["namespace"] == "spark-jobs" and s.last >= 1 for s in series(data, "oom-kills"))
    # gpu-saturated: one GPU at > 90%, the others available
    gpus = rows(data, "gpu-availability")
    assert len(gpus) == 4 and sum(r["values"]["Utilisation"] > 0.9 for r in gpus) == 1
    assert {r["labels"]["hostname"] for r in gpus} == {"prod-east-node-01", "prod-east-node-02"}
    assert series(data, "gpu-free")[0].last >= 2
    # ingress-5xx: model-server ingress has the worst 5xx ratio
    ing = {r["labels"]["ingress"]: r["values"].get("5xx ratio", 0) for r in rows(data, "ingress-table")}
    assert max(ing, key=ing.get) == "model-server"
    # resources per node: every node has a free-CPU figure
    assert all("Free CPU (unrequested)" in r["values"] for r in rows(data, "node-resources"))


def test_cluster_and_namespace_filters_change_the_panels_they_touch(settings):
    everything = run(settings, **{"from": "now-6h"})
    west = run(settings, **{"from": "now-6h", "var-cluster": "prod-west"})
    assert {s.labels["cluster"] for s in series(west, "cpu-usage-per-cluster")} == {"prod-west"}
    assert west["gpu-availability"].state == "empty"   # the GPU nodes are in prod-east
    one = run(settings, **{"from": "now-6h", "var-namespace": "minio"})
    assert {r["labels"]["namespace"] for r in rows(one, "namespace-resources")} == {"minio"}
    assert len(rows(everything, "namespace-resources")) > len(rows(one, "namespace-resources"))
    assert {s.labels["namespace"] for s in series(one, "pvc-usage-top10")} == {"minio"}
    # cluster-wide CPU does not depend on the namespace picker
    assert everything["cpu-used"].results[0].series[0].last == pytest.approx(
        one["cpu-used"].results[0].series[0].last, rel=0.05)


def test_forecast_marks_flat_resources_not_within_30_days(settings):
    from components.format import format_value

    data = run(settings, **{"from": "now-6h"})
    panel = data["exhaustion-table"].panel
    texts = {format_value(r["values"]["Days until full"], "none", panel.value_map) for r in rows(data, "exhaustion-table")}
    assert f"not within {HORIZON_DAYS} days" in texts


def test_counters_never_reset(prometheus_url):
    import requests

    for metric in ("nginx_ingress_controller_requests", "istio_requests_total",
                   "nginx_ingress_controller_request_duration_seconds_bucket"):
        res = requests.get(f"{prometheus_url}/api/v1/query",
                           params={"query": f"max(resets({metric}[26h]))"}, timeout=10).json()
        assert res["data"]["result"] and float(res["data"]["result"][0]["value"][1]) == 0, metric
