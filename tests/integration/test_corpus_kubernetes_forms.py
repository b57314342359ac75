"""The Kubernetes, GPU, ingress, cost and GitOps panels against real exporter output (the corpus replayed
into a real Prometheus, tests/corpus.py): each of the two common forms of these exporters is read. (That
every panel shows data or names the missing metric is tests/integration/test_conformance.py.)"""
from __future__ import annotations

import pytest
import requests

from tests.corpus import engine_for
from webapp.catalog import DASHBOARDS
from webapp.catalog.exporters import exporter_of
from webapp.catalog.forms import dcgm
from webapp.datasources import panel_metrics
from webapp.promql import render
from webapp.runner import run_panels
from webapp.viewstate import parse_view_state

pytestmark = pytest.mark.integration

EXPORTERS = {"kube-state-metrics", "cadvisor-kubelet", "node_exporter", "dcgm-exporter", "ingress-nginx", "opencost",
             "argocd", "jenkins"}
PAGES = ("gitops", "capacity", "optimize", "e2e")


def _ours(panel) -> bool:
    exporters = {exporter_of(m) for m in panel_metrics(panel)}
    return bool(exporters) and all(e is not None and e.name in EXPORTERS for e in exporters)


@pytest.fixture(scope="module")
def outcomes(corpus_prometheus):
    engine = engine_for(corpus_prometheus.url, corpus_prometheus.cluster_label)
    panels = [p for page in PAGES for p in DASHBOARDS[page].panels if p.source == "prometheus" and _ours(p)]
    assert len(panels) > 60
    return run_panels(engine, panels, parse_view_state({}))


def test_kubelet_resource_endpoint_without_image_label_is_read(outcomes):
    # the kubelet fixture is /metrics/resource: container, namespace, pod and no image
    assert outcomes["cpu-used"].state == "ok" and outcomes["memory-used"].state == "ok"
    namespaces = {r.labels.get("namespace") for r in outcomes["namespace-resources"].results[0].series}
    assert {"namespace_a", "namespace_b"} <= namespaces


def test_endpoints_form_of_kube_state_metrics_is_read(outcomes):
    not_ready = {(s.labels["namespace"], s.labels["endpoint"]) for s in outcomes["endpoint-health"].results[0].series}
    assert ("default", "test-endpoint") in not_ready


def test_dcgm_host_label_is_read_in_both_cases(outcomes, corpus_prometheus):
    hosts = {s.labels.get("hostname") for s in outcomes["gpu-availability"].results[0].series}
    assert hosts == {"gpu-node-1"}
    # TEST_METRIC is printed once with `Hostname` (released) and once with `hostname` (main)
    expr = render(f"count by (hostname) ({dcgm('TEST_METRIC')})", {"cluster": ("cluster", ())}, 3600, 60)
    answer = requests.get(f"{corpus_prometheus.url}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert [(r["metric"], r["value"][1]) for r in answer["data"]["result"]] == [({"hostname": "testhost"}, "4")]


def test_node_memory_without_memavailable_is_read(outcomes):
    # the node_exporter fixture has no MemAvailable: free + buffers + page cache stand in for it
    used = [r for r in outcomes["node-resources"].results[3].series]
    assert used and all(0 < s.last < 1 for s in used)
