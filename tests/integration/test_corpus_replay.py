"""The corpus replayed into a real Prometheus: counters increase, gauges hold, two clusters by a custom label."""
from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.integration


def query(url: str, promql: str) -> list[dict]:
    answer = requests.get(f"{url}/api/v1/query", params={"query": promql}, timeout=10).json()
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def test_every_exporter_is_scraped_in_two_clusters(corpus_prometheus):
    label = corpus_prometheus.cluster_label
    result = query(corpus_prometheus.url, f"count by (job) (count by (job, {label}) (up == 1))")
    assert {r["metric"]["job"]: r["value"][1] for r in result} == {e: "2" for e in corpus_prometheus.exporters}
    # no exporter but PowerScale emits `cluster` (its own OneFS cluster name)
    assert not query(corpus_prometheus.url, "count({cluster!=\"\", job!=\"isilon\"})")


def test_counters_have_rates_over_windows_and_gauges_do_not_change(corpus_prometheus):
    url = corpus_prometheus.url
    assert all(float(r["value"][1]) > 0 for r in query(url, "rate(node_cpu_seconds_total[5m])"))
    assert query(url, "increase(metrics_executor_completedTasks_total[1h])")
    assert query(url, "max_over_time(kube_pod_info[24h:10m])")
    assert not query(url, "changes(node_memory_MemTotal_bytes[1h]) > 0")
