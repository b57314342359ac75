"""A panel that reads either of two forms of an exporter lacks a metric only when both forms are absent."""
from webapp.catalog import DASHBOARDS
from webapp.datasources import panel_missing, query_missing

INVENTORY = frozenset({"kube_endpointslice_endpoints", "node_memory_MemTotal_bytes", "node_memory_MemAvailable_bytes",
                       "up"})


def test_one_present_alternative_is_enough():
    assert query_missing('kube_endpoint_address{$cluster} or kube_endpointslice_endpoints{$cluster}', INVENTORY) == ()
    assert query_missing('max by (a) (label_replace(x, "a", "$1", "b", "(.*)") or y)', INVENTORY) == ("x", "y")


def test_every_operand_of_other_operators_is_required():
    assert query_missing('a / on (x) group_left () up', INVENTORY) == ("a",)
    assert query_missing('sum(rate(a[5m])) and on (x) b', INVENTORY) == ("a", "b")
    assert query_missing('topk(3, up) unless on (x) b', INVENTORY) == ()
    assert query_missing('quantile_over_time(0.9, sum(rate(c[5m]))[1h:5m])', INVENTORY) == ("c",)
    assert query_missing('count(a) or vector(0)', INVENTORY) == ()
    assert query_missing('up', None) == ()


def test_catalog_panels_reading_two_forms():
    gitops = {p.id: p for p in DASHBOARDS["gitops"].panels}
    assert panel_missing(gitops["endpoint-health"], INVENTORY) == ()
    assert panel_missing(gitops["endpoint-health"], frozenset({"up"})) == ("kube_endpoint_address",
                                                                           "kube_endpointslice_endpoints")
    node = {p.id: p for p in DASHBOARDS["node"].panels}
    assert panel_missing(node["l2-node-memory"], INVENTORY) == ()
