"""Panels reading either of two forms of a Kubernetes exporter lack a metric only when both forms are absent."""
from webapp.catalog import DASHBOARDS
from webapp.datasources import panel_blocking_metrics

INVENTORY = frozenset({"kube_endpointslice_endpoints", "node_memory_MemTotal_bytes", "node_memory_MemAvailable_bytes",
                       "up"})


def test_catalog_panels_reading_two_forms():
    gitops = {p.id: p for p in DASHBOARDS["gitops"].panels}
    assert panel_blocking_metrics(gitops["endpoint-health"], INVENTORY) == ()
    assert panel_blocking_metrics(gitops["endpoint-health"], frozenset({"up"})) == (
        "kube_endpoint_address", "kube_endpointslice_endpoints")
    node = {p.id: p for p in DASHBOARDS["node"].panels}
    assert panel_blocking_metrics(node["l2-node-memory"], INVENTORY) == ()
