"""Hive Metastore 4 (two replicas per cluster): its Codahale metrics (JMX domain ``metrics``) through
the jmx_exporter java agent with the rules of ``deploy/exporters/hive-metastore/jmx-exporter.yml``.
Every family is untyped (the rules set no type), values as HMS keeps them:

- ``hive_metastore_api_Count`` (cumulative), ``hive_metastore_api_Mean``, ``hive_metastore_api_95thPercentile``,
  ``hive_metastore_api_99thPercentile`` (**ms**), label ``api`` (from the ``api_<call>`` timers).
- ``hive_metastore_open_connections`` (Thrift client connections; a Codahale counter).
- ``hive_metastore_directsql_errors`` (cumulative): direct SQL queries that failed (HMS then falls back to
  JDO). HMS keeps no per-API error counter.
- ``hikaricp_connections_active|idle|pending|max{pool}`` (pools ``objectstore`` and ``txnhandler``: HikariCP's
  Codahale gauges ``<pool>.pool.ActiveConnections`` ...).
- ``hive_metastore_num_locks``, ``hive_metastore_oldest_lock_age_in_sec`` (ACID gauges, emitted by the leader
  replica only, which runs AcidMetricService).

Every series carries ``namespace="hive-metastore"`` (the scrape's Kubernetes namespace label).

Story ``hms-slow`` (first cluster, from 2 h before the anchor, ongoing): lock contention in the
Oracle backend (see oracle.py) adds ~0.7 s to every DB-backed call (get_table p95 1.1-2.2 s), fills
the objectstore pool (18-20 of 20 active, threads waiting), piles up locks and makes ~3% of the calls
direct SQL fail (directsql_errors).
"""
from __future__ import annotations

import numpy as np

from ..core import HOUR, Families, Family, Target, cyclic_counter, smooth, target
from ..world import World
from . import Component

NAMESPACE = "hive-metastore"
# api -> (calls/s per replica, mean ms, touches the DB)
APIS = {
    "get_table": (12.0, 18.0, True), "get_partitions_by_filter": (2.0, 90.0, True),
    "get_partitions_by_names": (1.5, 60.0, True), "get_database": (6.0, 6.0, True),
    "get_all_tables": (0.3, 40.0, True), "add_partitions": (0.5, 140.0, True), "alter_table": (0.4, 110.0, True),
    "create_table": (0.02, 220.0, True), "drop_table": (0.01, 300.0, True), "lock": (1.2, 25.0, True),
    "commit_txn": (1.1, 30.0, True), "open_txns": (1.1, 12.0, True), "get_config_value": (0.2, 3.0, False),
}
POOLS = {"objectstore": 20, "txnhandler": 10}
REPLICAS = 2


def story_start(world: World) -> float:
    return world.anchor - 2 * HOUR


def slowness(world: World, cluster: str, ts: np.ndarray) -> np.ndarray:
    """0 before the story, ramps to 1 over 10 minutes (first cluster only)."""
    if cluster != world.clusters[0]:
        return np.zeros(ts.shape)
    return np.clip((ts - story_start(world)) / 600.0, 0.0, 1.0)


class HiveMetastore(Component):
    name = "hive-metastore"
    jobs = ("hive-metastore",)

    def targets(self, world: World) -> list[Target]:
        return [target("hive-metastore", cl, f"hive-metastore-{i}.hive-metastore.svc:9404", per_instance=True,
                       component=self.name)
                for cl in world.clusters for i in range(REPLICAS)]

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        cl = tgt.cluster
        ci = world.clusters.index(cl)
        inst = tgt.instance
        ns = {"namespace": NAMESPACE}
        load = 1.0 if ci == 0 else 0.5
        start = world.epoch
        kslow = world.key("hms-slow", cl)

        def slow_extra(ts):
            """ms every DB-backed call waits on the Oracle row lock during the story."""
            return slowness(world, cl, ts) * 700.0 * (1.0 + 0.3 * smooth(kslow, ts, 900))

        U = "unknown"   # jmx_exporter rules without a type: untyped
        errors: list[tuple[int, float]] = []
        for api, (rate, mean, db) in APIS.items():
            k = world.key("hms", cl, inst, api)
            lab = {**ns, "api": api}

            def count(ts, k=k, rate=rate):
                return np.floor(cyclic_counter(k, ts, start, rate * load, 0.4))

            def mean_ms(ts, k=k, mean=mean, db=db):
                base = mean * (1.0 + 0.15 * smooth(k ^ 1, ts, 1200))
                return np.round(base + (slow_extra(ts) if db else 0.0), 3)

            F("hive_metastore_api_Count", "unknown").add(lab, count)
            F("hive_metastore_api_Mean", U).add(lab, mean_ms)
            F("hive_metastore_api_95thPercentile", U).add(
                lab, lambda ts, m=mean_ms, k=k: np.round(m(ts) * (2.3 + 0.2 * smooth(k ^ 2, ts, 600)), 3))
            F("hive_metastore_api_99thPercentile", U).add(
                lab, lambda ts, m=mean_ms, k=k: np.round(m(ts) * (4.0 + 0.5 * smooth(k ^ 3, ts, 600)), 3))

            if db:
                errors.append((k, rate))

        def directsql_errors(ts):
            total = np.zeros(ts.shape)
            for k, rate in errors:
                total = total + cyclic_counter(k ^ 4, ts, start, rate * load * 0.0004, 0.4)
                if ci == 0:  # during the story ~3% of the DB-backed calls' direct SQL fails
                    total = total + np.clip(ts - story_start(world) - 300, 0.0, None) * rate * load * 0.03
            return np.floor(total)
        F("hive_metastore_directsql_errors", U).add(ns, directsql_errors)

        kc = world.key("hms-conn", cl, inst)
        F("hive_metastore_open_connections", U).add(
            ns, lambda ts: np.round((30 + 25 * load) * (1 + 0.2 * smooth(kc, ts, 1800))))
        for pool, size in POOLS.items():
            kp = world.key("hikari", cl, inst, pool)
            lab = {**ns, "pool": pool}

            def active(ts, kp=kp, size=size, pool=pool):
                base = size * (0.12 + 0.08 * (1 + smooth(kp, ts, 900)))
                s = slowness(world, cl, ts) if pool == "objectstore" else slowness(world, cl, ts) * 0.4
                busy = size * (0.9 + 0.1 * (1 + smooth(kp ^ 1, ts, 300)) / 2)
                return np.round(np.minimum(size, base + s * (busy - base)))

            def pending(ts, kp=kp, pool=pool):
                s = slowness(world, cl, ts) if pool == "objectstore" else 0.0
                return np.round(s * (8 + 6 * smooth(kp ^ 2, ts, 300)))
            F("hikaricp_connections_active", U).add(lab, active)
            F("hikaricp_connections_idle", U).add(lab, lambda ts, a=active, size=size: size - a(ts))
            F("hikaricp_connections_pending", U).add(lab, pending)
            F("hikaricp_connections_max", U).add(lab, lambda ts, size=size: np.full(ts.shape, float(size)))
        if inst.startswith("hive-metastore-0."):
            kl = world.key("hms-locks", cl)
            F("hive_metastore_num_locks", U).add(
                ns, lambda ts: np.round((12 + 10 * load) * (1 + 0.3 * smooth(kl, ts, 1200))
                                        + slowness(world, cl, ts) * (110 + 30 * smooth(kl ^ 1, ts, 600))))

            def oldest(ts):
                normal = 8 + 30 * (1 + smooth(kl ^ 2, ts, 900)) / 2
                # a long-held lock that is released and re-taken every 15 minutes during the story
                saw = ((ts - story_start(world)) % 900) + 120
                return np.round(np.where(slowness(world, cl, ts) > 0, np.maximum(normal, saw), normal))
            F("hive_metastore_oldest_lock_age_in_sec", U).add(ns, oldest)
        return F.list()
