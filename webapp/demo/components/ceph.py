"""Ceph (Rook) per cluster: the mgr ``prometheus`` module (job ``ceph``) and, since Reef, the
``ceph-exporter`` daemon for per-OSD perf counters (job ``ceph-exporter``).

Shapes are the mgr module's (``../shared/real-exposition/ceph.prom``): ``ceph_health_status``,
``ceph_osd_up``/``_in``, ``ceph_pool_metadata``, ``ceph_osd_metadata`` and ``ceph_disk_occupation_display``
are untyped; no series has a ``cluster`` label (the scrape adds it).

mgr: ``ceph_health_status`` (0 OK, 1 WARN, 2 ERR), ``ceph_health_detail{name,severity}``, ``ceph_osd_up``,
``ceph_osd_in``, ``ceph_osd_apply_latency_ms``, ``ceph_osd_commit_latency_ms``, ``ceph_osd_metadata`` (label
``ceph_daemon="osd.N"``), ``ceph_disk_occupation_display{ceph_daemon,device,instance}``; ``ceph_cluster_total_bytes``, ``ceph_cluster_total_used_bytes``;
``ceph_pool_stored``, ``ceph_pool_max_avail``, counters ``ceph_pool_rd``, ``ceph_pool_wr``,
``ceph_pool_rd_bytes``, ``ceph_pool_wr_bytes`` (label ``pool_id``) and ``ceph_pool_metadata{pool_id,name}``.
ceph-exporter: counters ``ceph_osd_op_r``, ``ceph_osd_op_w``, ``ceph_osd_op_r_out_bytes``,
``ceph_osd_op_w_in_bytes``, summaries ``ceph_osd_op_r_latency_sum/_count``, ``ceph_osd_op_w_latency_sum/_count``
(seconds), gauges ``ceph_osd_stat_bytes``, ``ceph_osd_stat_bytes_used`` (Reef: ``exclude_perf_counters``).

Story ``ceph-pool-filling`` (first cluster): from 2.5 days before the anchor the ``spark-scratch`` pool
grows by ~10% of the raw capacity a day: the cluster used ratio goes 58% -> 83% at the anchor (past 80%
~7 h before it), a straight line ``predict_linear``/``deriv`` extrapolate (~1.7 days to full), and the
fullest OSDs pass the 85% nearfull ratio (health WARN).
"""
from __future__ import annotations

import numpy as np

from ..core import DAY, Families, Family, Target, cyclic_counter, smooth, target, u1
from ..world import World
from . import Component

TIB = 1024 ** 4
OSD_BYTES = 4 * TIB
OSDS = {0: 8, 1: 6}
# pool id -> (name, share of the base usage)
POOLS = {1: (".mgr", 0.001), 2: ("rbd-k8s", 0.45), 3: ("cephfs-metadata", 0.01), 4: ("cephfs-data", 0.34),
         5: ("spark-scratch", 0.199)}
STORY_POOL = 5
REPLICAS = 3


def story_start(world: World) -> float:
    return world.anchor - 2.5 * DAY


def used_ratio(world: World, cluster: str, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(base ratio, story growth ratio) of the raw capacity in use."""
    ci = world.clusters.index(cluster)
    k = world.key("ceph-used", cluster)
    # The noise is small enough that no 6-hour deriv of it extrapolates to full within 30 days
    # (0.54 free / (2 x 0.0004 per 6 h) is about 170 days): only the story's pool looks like filling.
    base = (0.58 if ci == 0 else 0.46) + 0.0004 * smooth(k, ts, 6 * 3600)
    if ci != 0:
        return base, np.zeros(ts.shape)
    growth = np.clip(0.10 * (ts - story_start(world)) / DAY, 0.0, 0.95 - 0.58)
    return base, growth


class Ceph(Component):
    name = "ceph"
    jobs = ("ceph", "ceph-exporter")

    def targets(self, world: World) -> list[Target]:
        out = []
        for cl in world.clusters:
            out.append(target("ceph", cl, "rook-ceph-mgr.rook-ceph.svc:9283", component=self.name))
            out.append(target("ceph-exporter", cl, "rook-ceph-exporter.rook-ceph.svc:9926", component=self.name))
        return out

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        cl = tgt.cluster
        ci = min(world.clusters.index(cl), 1)
        n = OSDS[ci]
        total = n * OSD_BYTES
        start = world.epoch
        load = 1.0 if ci == 0 else 0.6
        osds = [f"osd.{i}" for i in range(n)]
        skew = {d: 1 + 0.12 * (u1(world.key("ceph-skew", cl, d)) - 0.5) for d in osds}

        def ratio(ts):
            b, g = used_ratio(world, cl, ts)
            return b + g

        def osd_ratio(ts, d):
            return np.minimum(ratio(ts) * skew[d], 0.97)

        if tgt.job == "ceph-exporter":
            for d in osds:
                k = world.key("ceph-osd", cl, d)
                lr = 0.0025 + 0.0015 * u1(k, 1)     # seconds per read op
                lw = 0.005 + 0.003 * u1(k, 2)       # seconds per write op
                rr, wr = 150.0 * load, 90.0 * load
                lab = {"ceph_daemon": d}
                F("ceph_osd_op_r", "counter").add(lab, lambda ts, k=k, rr=rr: np.floor(cyclic_counter(k, ts, start, rr, 0.4)))
                F("ceph_osd_op_w", "counter").add(lab, lambda ts, k=k, wr=wr: np.floor(cyclic_counter(k ^ 1, ts, start, wr, 0.4)))
                F("ceph_osd_op_r_out_bytes", "counter").add(
                    lab, lambda ts, k=k, rr=rr: np.floor(cyclic_counter(k ^ 2, ts, start, rr * 65536, 0.4)))
                F("ceph_osd_op_w_in_bytes", "counter").add(
                    lab, lambda ts, k=k, wr=wr: np.floor(cyclic_counter(k ^ 3, ts, start, wr * 131072, 0.4)))
                F("ceph_osd_op_r_latency", "summary").add(
                    lab, lambda ts, k=k, rr=rr: np.floor(cyclic_counter(k, ts, start, rr, 0.4)), "_count")
                F("ceph_osd_op_r_latency", "summary").add(
                    lab, lambda ts, k=k, rr=rr, lr=lr: np.round(cyclic_counter(k ^ 4, ts, start, rr * lr, 0.4), 4), "_sum")
                F("ceph_osd_op_w_latency", "summary").add(
                    lab, lambda ts, k=k, wr=wr: np.floor(cyclic_counter(k ^ 1, ts, start, wr, 0.4)), "_count")
                F("ceph_osd_op_w_latency", "summary").add(
                    lab, lambda ts, k=k, wr=wr, lw=lw: np.round(cyclic_counter(k ^ 5, ts, start, wr * lw, 0.4), 4), "_sum")
                F("ceph_osd_stat_bytes", "gauge").add(lab, lambda ts: np.full(ts.shape, float(OSD_BYTES)))
                F("ceph_osd_stat_bytes_used", "gauge").add(lab, lambda ts, d=d: np.round(osd_ratio(ts, d) * OSD_BYTES))
            return F.list()

        worst = max(skew.values())
        U = "unknown"   # the module's untyped families
        nearfull = lambda ts: np.minimum(ratio(ts) * worst, 0.97) > 0.85  # noqa: E731
        F("ceph_health_status", U).add({}, lambda ts: np.where(nearfull(ts), 1.0, 0.0))
        F("ceph_health_detail", "gauge").add({"name": "OSD_NEARFULL", "severity": "HEALTH_WARN"},
                                             lambda ts: np.where(nearfull(ts), 1.0, 0.0))
        F("ceph_health_detail", "gauge").add({"name": "POOL_NEARFULL", "severity": "HEALTH_WARN"},
                                             lambda ts: np.where(nearfull(ts), 1.0, 0.0))
        F("ceph_cluster_total_bytes", "gauge").add({}, lambda ts: np.full(ts.shape, float(total)))
        F("ceph_cluster_total_used_bytes", "gauge").add({}, lambda ts: np.round(ratio(ts) * total))
        for d in osds:
            k = world.key("ceph-osd", cl, d)
            lab = {"ceph_daemon": d}
            F("ceph_osd_up", U).add(lab, lambda ts: np.ones(ts.shape))
            F("ceph_osd_in", U).add(lab, lambda ts: np.ones(ts.shape))
            i = int(d.split(".")[1])
            F("ceph_osd_metadata", U).add(
                {**lab, "cluster_addr": f"10.{ci}.9.{30 + i}:6802/{19000 + i}", "device_class": "ssd",
                 "public_addr": f"10.{ci}.8.{30 + i}:6801/{19000 + i}", "weight": "1.0"}, lambda ts: np.ones(ts.shape))
            F("ceph_disk_occupation_display", U).add(
                {**lab, "device": f"/dev/nvme{i % 2}n1", "instance": f"{cl}-node-{i // 2 + 1:02d}"}, lambda ts: np.ones(ts.shape))
            F("ceph_osd_apply_latency_ms", "gauge").add(
                lab, lambda ts, k=k: np.round(3 + 2 * (1 + smooth(k ^ 6, ts, 600))))
            F("ceph_osd_commit_latency_ms", "gauge").add(
                lab, lambda ts, k=k: np.round(4 + 2 * (1 + smooth(k ^ 7, ts, 600))))
        for pid, (pname, share) in POOLS.items():
            lab = {"pool_id": str(pid)}

            def stored(ts, pid=pid, share=share):
                b, g = used_ratio(world, cl, ts)
                raw = b * share + (g if pid == STORY_POOL else 0.0)
                return np.round(raw * total / REPLICAS)
            F("ceph_pool_stored", "gauge").add(lab, stored)
            F("ceph_pool_max_avail", "gauge").add(
                lab, lambda ts: np.round(np.maximum(0.0, 0.95 - ratio(ts)) * total / REPLICAS))
            F("ceph_pool_metadata", U).add({**lab, "name": pname}, lambda ts: np.ones(ts.shape))
            io = share * load
            for fam, rate in (("ceph_pool_rd", 1200 * io), ("ceph_pool_wr", 700 * io),
                              ("ceph_pool_rd_bytes", 1200 * io * 65536), ("ceph_pool_wr_bytes", 700 * io * 131072)):
                if pid == STORY_POOL and fam.startswith("ceph_pool_wr"):
                    rate *= 3
                kf = world.key("ceph-pool-io", cl, pid, fam)
                F(fam, "counter").add(lab, lambda ts, kf=kf, rate=rate: np.floor(cyclic_counter(kf, ts, start, rate, 0.4)))
        return F.list()
