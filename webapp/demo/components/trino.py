"""Trino 467 coordinator through the jmx_exporter java agent without rules (default naming
``domain_<first key value>_<attribute>``, remaining keys as labels, all untyped):

* ``trino_execution_QueryManager_{RunningQueries,QueuedQueries}``;
* CounterStats ``trino_execution_QueryManager_<X>_TotalCount`` for X in StartedQueries,
  SubmittedQueries, CompletedQueries (failed ones included), FailedQueries, UserErrorFailures,
  InternalFailures, ExternalFailures, InsufficientResourcesFailures, CanceledQueries,
  AbandonedQueries, ConsumedCpuTimeSecs (monotonic);
* TimeStat ``trino_execution_QueryManager_ExecutionTime_FiveMinutes_{P50,P75,P90,P95,P99,Min,Max,Avg}``
  and ``..._QueuedTime_FiveMinutes_{P50,P95}`` in **milliseconds**;
* ``trino_failuredetector_HeartbeatFailureDetector_{ActiveCount,FailedCount,TotalCount}`` (nodes,
  coordinator included), ``trino_execution_ClusterSizeMonitor_RequiredWorkers``;
* ``trino_memory_ClusterMemoryPool_{TotalDistributedBytes,FreeDistributedBytes,
  ReservedDistributedBytes,BlockedNodes,Nodes}{name="general"}``.

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
QM = "trino_execution_QueryManager_"


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
        return [target("trino", cl, "trino-coordinator-jmx.trino.svc:9090", component=self.name)
                for cl in world.clusters]

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        cl = tgt.cluster
        ns = {"namespace": NAMESPACE}
        k = world.key("trino", cl)
        workers = next((w.replicas for w in world.workloads_in(cl) if w.name == "trino-worker"), 3)
        nodes = workers + 1
        rate = (1.6 if cl == world.clusters[0] else 0.7) * (1 + 0.4 * u1(k))
        e = world.epoch

        def counter(name, r, key):
            F(QM + name + "_TotalCount", "unknown").add(ns, lambda ts: cyclic_counter(key, ts, e, r))

        counter("StartedQueries", rate, k ^ 1)
        counter("SubmittedQueries", rate * 1.001, k ^ 2)
        counter("CompletedQueries", rate * 0.999, k ^ 3)
        fail = 0.018
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

        F(QM + "RunningQueries", "gauge").add(ns, running)
        F(QM + "QueuedQueries", "gauge").add(
            ns, lambda ts: np.round(np.maximum(0, 2 * smooth(k ^ 13, ts, 600) + 12 * night(ts) * (cl == world.clusters[0]))))
        for stat, f in (("P50", 0.06), ("P75", 0.2), ("P90", 0.55), ("P95", 1.0), ("P99", 1.7), ("Max", 2.6),
                        ("Min", 0.002), ("Avg", 0.18)):
            F(QM + "ExecutionTime_FiveMinutes_" + stat, "gauge").add(
                ns, (lambda f: lambda ts: np.round(p95_seconds(world, cl, quantize(ts)) * f * 1000, 3))(f))
        F(QM + "QueuedTime_FiveMinutes_P50", "gauge").add(
            ns, lambda ts: np.round(np.maximum(5, 40 + 30 * smooth(k ^ 14, ts, 900)), 3))
        F(QM + "QueuedTime_FiveMinutes_P95", "gauge").add(
            ns, lambda ts: np.round(np.maximum(50, 900 + 600 * smooth(k ^ 15, ts, 900) + 60000 * night(ts)
                                               * (cl == world.clusters[0])), 3))

        lost_cl, _, lost_at = stories(world)["trino-worker-lost"]

        def failed(ts):
            if cl != lost_cl:
                return np.zeros(ts.shape)
            return ((ts >= lost_at) & (ts < lost_at + WORKER_LOST_FOR)).astype(float)

        fd = "trino_failuredetector_HeartbeatFailureDetector_"
        F(fd + "ActiveCount", "gauge").add(ns, lambda ts: nodes - failed(ts))
        F(fd + "FailedCount", "gauge").add(ns, failed)
        F(fd + "TotalCount", "gauge").add(ns, lambda ts: np.full(ts.shape, float(nodes)))
        F("trino_execution_ClusterSizeMonitor_RequiredWorkers", "gauge").add(ns, lambda ts: np.full(ts.shape, 2.0))

        pool = {**ns, "name": "general"}
        per_worker = gi(8) * 0.7

        def total(ts):
            return (workers - failed(ts)) * per_worker

        def reserved(ts):
            frac = 0.3 + 0.15 * smooth(k ^ 16, ts, 1200) + 0.1 * smooth(k ^ 17, ts, 240)
            frac = frac + 0.5 * night(ts) * (cl == world.clusters[0])
            return np.round(total(ts) * np.clip(frac, 0.02, 0.97))

        mp = "trino_memory_ClusterMemoryPool_"
        F(mp + "TotalDistributedBytes", "gauge").add(pool, lambda ts: np.round(total(ts)))
        F(mp + "ReservedDistributedBytes", "gauge").add(pool, reserved)
        F(mp + "FreeDistributedBytes", "gauge").add(pool, lambda ts: np.round(total(ts)) - reserved(ts))
        F(mp + "BlockedNodes", "gauge").add(pool, lambda ts: (reserved(ts) > 0.9 * total(ts)).astype(float))
        F(mp + "Nodes", "gauge").add(pool, lambda ts: workers - failed(ts))
        return F.list()
