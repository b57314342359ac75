"""The Kubernetes, GPU, ingress, cost and GitOps panels against real exporter output (the corpus replayed
into a real Prometheus, tests/corpus.py): every panel that reads only these exporters shows data or says
which metric is missing, and each of the two common forms of an exporter is read."""
from __future__ import annotations

import promql_parser
import pytest
import requests

from tests.corpus import _engine
from webapp.catalog import DASHBOARDS
from webapp.catalog.exporters import exporter_of
from webapp.catalog.forms import dcgm
from webapp.catalog.variables import VARIABLES
from webapp.promql import render, template_variables
from webapp.runner import run_panels
from webapp.viewstate import parse_view_state

pytestmark = pytest.mark.integration

EXPORTERS = {"kube-state-metrics", "cadvisor-kubelet", "node_exporter", "dcgm-exporter", "ingress-nginx", "opencost",
             "argocd", "jenkins"}
PAGES = ("gitops", "capacity", "optimize", "e2e")

# Panels that stay empty on the corpus because its fixtures hold no such event or no two fixtures describe the
# same pod; on a platform they show data. panel -> why
NO_SUCH_EVENT = {
    "image-pull-status": "no container of the kube-state-metrics fixtures waits on an image pull",
    "rollout-history": "the fixtures' ReplicaSets were created years before the replay's range",
    "cpu-throttling": "CFS counters are only in the standalone cAdvisor fixture, which has no pod labels",
    "memory-vs-limit": "the kubelet fixture's pods (pod_a, pod_b) are not the kube-state-metrics fixtures' pods",
    "spark-long-running": "no Spark driver pod in the kube-state-metrics fixtures",
    "oom-events": "hourly increase() of restarts: the replay's one hour of history may not fill an hourly step",
    "over-provisioned": "usage (kubelet fixture) and requests (kube-state-metrics fixture) are of different pods",
    "potential-savings": "usage and requests are of different pods",
    "savings-by-namespace": "usage and requests are of different pods",
    "scaling": "usage and requests are of different pods",
}

# Panels whose metric the corpus fixtures declare without a sample: they show the missing state. panel -> why
FIXTURE_GAPS = {
    "pod-startup-time": "kube_pod_status_ready_time: HELP/TYPE only in the kube-state-metrics scrape fixture",
    "node-bandwidth": "node_network_{receive,transmit}_bytes_total: the node_exporter e2e fixture drops their samples",
    "packet-drops": "node_network_receive_packets_total: dropped from the node_exporter e2e fixture too",
}


def _metrics(expr: str) -> set[str]:
    names: set[str] = set()

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)
    selections = {n: (VARIABLES[n].label if n in VARIABLES else n, ()) for n in template_variables(expr)}
    promql_parser.walk(promql_parser.parse(render(expr, selections, 6 * 3600, 60)), visit)
    return names


def _ours(panel) -> bool:
    exporters = {exporter_of(m) for q in panel.queries for m in _metrics(q.expr)}
    return bool(exporters) and all(e is not None and e.name in EXPORTERS for e in exporters)


@pytest.fixture(scope="module")
def outcomes(corpus_prometheus):
    engine = _engine(corpus_prometheus.url, corpus_prometheus.cluster_label)
    panels = [p for page in PAGES for p in DASHBOARDS[page].panels if p.source == "prometheus" and _ours(p)]
    assert len(panels) > 60
    return run_panels(engine, panels, parse_view_state({}))


def test_every_panel_shows_data_or_names_the_missing_metric(outcomes):
    wrong = {pid: d.state for pid, d in outcomes.items()
             if d.state not in ("ok", "missing") and not (pid in NO_SUCH_EVENT and d.state == "empty")}
    assert not wrong, wrong
    assert {pid for pid, d in outcomes.items() if d.state == "missing"} == set(FIXTURE_GAPS)
    assert all(outcomes[pid].missing for pid in FIXTURE_GAPS)


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
