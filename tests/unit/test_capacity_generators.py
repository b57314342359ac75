"""The capacity/cost demo generators (dcgm-exporter, OpenCost, ingress-nginx, Istio): determinism,
backfill == live, counter and histogram consistency, and the stories."""
from __future__ import annotations

import numpy as np

from webapp.demo.components.gpu import GPU, gpu_nodes
from webapp.demo.components.ingress import Ingress
from webapp.demo.components.opencost import PRICE_RISE, OpenCost
from webapp.demo.core import HOUR
from webapp.demo.world import build_world

ANCHOR = 1_800_000_000.0
COMPONENTS = (GPU(), OpenCost(), Ingress())


def world():
    return build_world("tiny", 42, ANCHOR)


def values(component, tgt, ts):
    out = {}
    for fam in component.families(world(), tgt, ts[0], ts[-1]):
        for s in fam.series:
            out[(s.name, tuple(sorted(s.labels.items())))] = np.asarray(s.fn(ts), dtype=float)
    return out


def test_series_are_pure_functions_of_time():
    ts = np.arange(ANCHOR - 6 * HOUR, ANCHOR + HOUR, 120.0)
    for comp in COMPONENTS:
        for tgt in comp.targets(world())[:2]:
            a, b = values(comp, tgt, ts), values(comp, tgt, ts)
            assert a and a.keys() == b.keys()
            assert all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)
            one = values(comp, tgt, ts[-5:-4])
            assert all(np.array_equal(one[k], a[k][-5:-4], equal_nan=True) for k in one if k in a)


def test_counters_and_histograms_are_consistent():
    ts = np.arange(ANCHOR - 26 * HOUR, ANCHOR + 2 * HOUR, 60.0)
    comp = Ingress()
    for tgt in comp.targets(world()):
        v = values(comp, tgt, ts)
        counters = [k for k in v if k[0].endswith(("_total", "_count", "_bucket")) or k[0] == "nginx_ingress_controller_requests"]
        assert counters
        for k in counters:
            x = v[k][~np.isnan(v[k])]
            assert (np.diff(x) >= 0).all(), k
        # cumulative buckets: le ordered, +Inf bucket == _count
        for k in v:
            if k[0].endswith("_count"):
                labels = dict(k[1])
                buckets = sorted(((float(dict(b[1])["le"]), v[b]) for b in v
                                  if b[0] == k[0].replace("_count", "_bucket")
                                  and {a: c for a, c in b[1] if a != "le"} == labels), key=lambda p: p[0])
                assert buckets[-1][0] == float("inf")
                assert np.array_equal(buckets[-1][1], v[k])
                for (_, lo), (_, hi) in zip(buckets, buckets[1:]):
                    assert (lo <= hi).all()


def test_gpu_nodes_are_kubernetes_nodes_and_one_gpu_is_saturated():
    w = world()
    nodes = {n.name for n in w.nodes[w.clusters[0]]}
    assert set(gpu_nodes(w)) <= nodes
    ts = np.array([ANCHOR])
    utils = {}
    for tgt in GPU().targets(w):
        assert tgt.instance in nodes
        for (name, labels), val in values(GPU(), tgt, ts).items():
            if name == "DCGM_FI_DEV_GPU_UTIL":
                utils[(dict(labels)["Hostname"], dict(labels)["gpu"])] = val[0]
    assert utils[(gpu_nodes(w)[0], "0")] > 90
    assert sum(u < 50 for u in utils.values()) >= 2


def test_cost_increase_story_and_allocation_at_least_request():
    w = world()
    c1 = w.clusters[1]
    tgt = next(t for t in OpenCost().targets(w) if t.cluster == c1)
    ts = np.array([ANCHOR - 20 * HOUR, ANCHOR - HOUR])
    v = values(OpenCost(), tgt, ts)
    total = next(val for (name, _), val in v.items() if name == "node_total_hourly_cost")
    assert abs(total[1] / total[0] - PRICE_RISE) < 1e-3
    tgt0 = next(t for t in OpenCost().targets(w) if t.cluster == w.clusters[0])
    v0 = values(OpenCost(), tgt0, ts)
    total0 = next(val for (name, _), val in v0.items() if name == "node_total_hourly_cost")
    assert total0[0] == total0[1]
    allocs = [val for (name, _), val in v.items() if name == "container_cpu_allocation"]
    assert allocs and all(np.nanmin(a) > 0 for a in allocs if not np.isnan(a).all())
