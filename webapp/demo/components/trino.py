"""Trino 467 coordinators in the two forms platforms scrape them (``../shared/real-exposition/trino.prom``):

* the first cluster (and every other even one) through the coordinator's built-in ``/metrics``
  (airlift OpenMetrics): every ObjectName key in the name, all gauges, no labels:
  ``trino_execution_name_QueryManager_RunningQueries``,
  ``trino_memory_type_ClusterMemoryPool_name_general_FreeDistributedBytes``, plus airlift's own
  ``io_airlift_http_client_type_HttpClient_name_ForDiscoveryClient_*``;
* the second cluster through the jmx_exporter java agent without rules (default naming
  ``domain_<first key value>_<attribute>``, remaining keys as labels, all untyped):
  ``trino_execution_QueryManager_RunningQueries``, ``trino_memory_ClusterMemoryPool_FreeDistributedBytes{name="general"}``.

Attributes in both: QueryManager ``RunningQueries``, ``QueuedQueries``; CounterStats ``<X>_TotalCount`` for X in
StartedQueries, SubmittedQueries, CompletedQueries (failed ones included), FailedQueries, UserErrorFailures,
InternalFailures, ExternalFailures, InsufficientResourcesFailures, CanceledQueries, AbandonedQueries,
ConsumedCpuTimeSecs (monotonic); TimeStat ``ExecutionTime_FiveMinutes_{P50,P75,P90,P95,P99,Min,Max,Avg}`` and
``QueuedTime_FiveMinutes_{P50,P95}`` in **milliseconds**; HeartbeatFailureDetector
``{ActiveCount,FailedCount,TotalCount}`` (nodes, coordinator included); ClusterSizeMonitor ``RequiredWorkers``;
ClusterMemoryPool (general) ``{TotalDistributedBytes,FreeDistributedBytes,ReservedDistributedBytes,BlockedNodes,Nodes}``.

Every series carries ``namespace="trino"`` (ServiceMonitor target label).

Stories:
* ``trino-night-slow`` (first cluster): every night 01:00-03:30 UTC the reporting batch makes the
  five-minute p95 execution time climb to 11-16 min (> the 10 min threshold).
* ``trino-worker-lost`` (second cluster): one worker misses heartbeats for 25 min ~18 h before the
  anchor (active nodes 3 of 4 = 75% < 80%).
"""
from __future__ import annotations

import numpy as np

from ..core import DAY, HOUR, Families, Family, Target, cyclic_counter, quantize, smooth, target, u1
from ..world import World, gi
from . import Component

NAMESPACE = "trino"
NIGHT_START_H, NIGHT_END_H = 1.0, 3.5       # UTC
WORKER_LOST_AT, WORKER_LOST_FOR = 18 * HOUR, 25 * 60
# MBean -> (built-in prefix, jmx_exporter prefix); the jmx form labels the pool `name`
FORMS = {
    "QueryManager": ("trino_execution_name_QueryManager_", "trino_execution_QueryManager_"),
    "HeartbeatFailureDetector": ("trino_failuredetector_name_HeartbeatFailureDetector_",
                                 "trino_failuredetector_HeartbeatFailureDetector_"),
    "ClusterSizeMonitor": ("trino_execution_name_ClusterSizeMonitor_", "trino_execution_ClusterSizeMonitor_"),
    "ClusterMemoryPool": ("trino_memory_type_ClusterMemoryPool_name_general_", "trino_memory_ClusterMemoryPool_"),
}
HTTP_CLIENT = "io_airlift_http_client_type_HttpClient_name_ForDiscoveryClient_CurrentResponseProcessTime_"


def builtin_form(world: World, cluster: str) -> bool:
    """True where the demo scrapes the coordinator's built-in /metrics, False for jmx_exporter."""
    return world.clusters.index(cluster) % 2 == 0


def stories(world: World) -> dict[str, tuple[str, str, float]]:
    c1 = world.clusters[1] if len(world.clusters) > 1 else world.clusters[0]
    return {"trino-night-slow": (world.clusters[0], "trino", 0.0),
            "trino-worker-lost": (c1, "trino-worker", world.anchor - WORKER_LOST_AT)}


def night(ts: np.ndarray) -> np.ndarray:
    """0..1 bump over the nightly reporting window (UTC), ramping over 20 min at both ends."""
    h = (ts % DAY) / HOUR
    up = np.clip((h - NIGHT_START_H) / 0.33, 0, 1)
    down = np.clip((NIGHT_END_H - h) / 0.33, 0, 1)
    return np.minimum(up, down)


def p95_seconds(world: World, cluster: str, ts: np.ndarray) -> np.ndarray:
    k = world.key("trino-p95", cluster)
    base = 45 + 25 * smooth(k, ts, 1800) + 20 * smooth(k ^ 1, ts, 300)
    if cluster == stories(world)["trino-night-slow"][0]:
        base = base + night(ts) * (640 + 180 * (0.5 + 0.5 * smooth(k ^ 2, ts, 1200)))
    return np.maximum(base, 5)


class Trino(Component):
    name = "trino"
    jobs = ("trino",)

    def targets(self, world: World) -> list[Target]:
        return [target("trino", cl, "trino-coordinator.trino.svc:8080" if builtin_form(world, cl)
                       else "trino-coordinator-jmx.trino.svc:9090", component=self.name) for cl in world.clusters]

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        cl = tgt.cluster
        ns = {"namespace": NAMESPACE}
        k = world.key("trino", cl)
        workers = next((w.replicas for w in world.workloads_in(cl) if w.name == "trino-worker"), 3)
        nodes = workers + 1
        rate = (1.6 if cl == world.clusters[0] else 0.7) * (1 + 0.4 * u1(k))
        e = world.epoch

        builtin = builtin_form(world, cl)
        kind = "gauge" if builtin else "unknown"
        pool = dict(ns) if builtin else {**ns, "name": "general"}

        def fam(mbean: str, attribute: str) -> Family:
            return F(FORMS[mbean][0 if builtin else 1] + attribute, kind)

        def counter(name, r, key):
            fam("QueryManager", name + "_TotalCount").add(ns, lambda ts: cyclic_counter(key, ts, e, r))

        if builtin:
            for stat, v in (("Min", 0.4), ("P25", 0.9), ("P90", 3.1), ("Total", 0.0)):
                F(HTTP_CLIENT + stat, "gauge").add(ns, lambda ts, v=v: np.full(ts.shape, v))

        counter("StartedQueries", rate, k ^ 1)
        counter("SubmittedQueries", rate * 1.001, k ^ 2)
        counter("CompletedQueries", rate * 0.999, k ^ 3)
        fail = 0.006   # within the 99% success SLO: the demo's Trino is healthy
        counter("FailedQueries", rate * fail, k ^ 4)
        counter("UserErrorFailures", rate * fail * 0.7, k ^ 5)
        counter("InternalFailures", rate * fail * 0.08, k ^ 6)
        counter("ExternalFailures", rate * fail * 0.17, k ^ 7)
        counter("InsufficientResourcesFailures", rate * fail * 0.05, k ^ 8)
        counter("CanceledQueries", rate * 0.006, k ^ 9)
        counter("AbandonedQueries", rate * 0.001, k ^ 10)
        counter("ConsumedCpuTimeSecs", workers * 2 * 0.55, k ^ 11)

        def running(ts):
            return np.round(np.maximum(0, rate * 12 * (0.6 + 0.4 * smooth(k ^ 12, ts, 900)) + 20 * night(ts)
                                       * (cl == world.clusters[0])))

        fam("QueryManager", "RunningQueries").add(ns, running)
        fam("QueryManager", "QueuedQueries").add(
            ns, lambda ts: np.round(np.maximum(0, 2 * smooth(k ^ 13, ts, 600) + 12 * night(ts) * (cl == world.clusters[0]))))
        for stat, f in (("P50", 0.06), ("P75", 0.2), ("P90", 0.55), ("P95", 1.0), ("P99", 1.7), ("Max", 2.6),
                        ("Min", 0.002), ("Avg", 0.18)):
            fam("QueryManager", "ExecutionTime_FiveMinutes_" + stat).add(
                ns, (lambda f: lambda ts: np.round(p95_seconds(world, cl, quantize(ts)) * f * 1000, 3))(f))
        fam("QueryManager", "QueuedTime_FiveMinutes_P50").add(
            ns, lambda ts: np.round(np.maximum(5, 40 + 30 * smooth(k ^ 14, ts, 900)), 3))
        fam("QueryManager", "QueuedTime_FiveMinutes_P95").add(
            ns, lambda ts: np.round(np.maximum(50, 900 + 600 * smooth(k ^ 15, ts, 900) + 60000 * night(ts)
                                               * (cl == world.clusters[0])), 3))

        lost_cl, _, lost_at = stories(world)["trino-worker-lost"]

        def failed(ts):
            if cl != lost_cl:
                return np.zeros(ts.shape)
            return ((ts >= lost_at) & (ts < lost_at + WORKER_LOST_FOR)).astype(float)

        fam("HeartbeatFailureDetector", "ActiveCount").add(ns, lambda ts: nodes - failed(ts))
        fam("HeartbeatFailureDetector", "FailedCount").add(ns, failed)
        fam("HeartbeatFailureDetector", "TotalCount").add(ns, lambda ts: np.full(ts.shape, float(nodes)))
        fam("ClusterSizeMonitor", "RequiredWorkers").add(ns, lambda ts: np.full(ts.shape, 2.0))

        per_worker = gi(8) * 0.7

        def total(ts):
            return (workers - failed(ts)) * per_worker

        def reserved(ts):
            frac = 0.3 + 0.15 * smooth(k ^ 16, ts, 1200) + 0.1 * smooth(k ^ 17, ts, 240)
            frac = frac + 0.5 * night(ts) * (cl == world.clusters[0])
            return np.round(total(ts) * np.clip(frac, 0.02, 0.97))

        fam("ClusterMemoryPool", "TotalDistributedBytes").add(pool, lambda ts: np.round(total(ts)))
        fam("ClusterMemoryPool", "ReservedDistributedBytes").add(pool, reserved)
        fam("ClusterMemoryPool", "FreeDistributedBytes").add(pool, lambda ts: np.round(total(ts)) - reserved(ts))
        fam("ClusterMemoryPool", "BlockedNodes").add(pool, lambda ts: (reserved(ts) > 0.9 * total(ts)).astype(float))
        fam("ClusterMemoryPool", "Nodes").add(pool, lambda ts: workers - failed(ts))
        return F.list()
