"""Dell PowerScale (Isilon) ``isilon-prod-01``, exported by PowerScale Data Insights (``gostats`` for
performance, ``goquotas`` for quotas), scraped from the first cluster. Shapes are the exporters'
(``../shared/real-exposition/isilon.prom``), with ``instance_label_name = "isilon_cluster"`` of
``deploy/exporters/isilon/data-insights.toml``: every series carries ``cluster`` (the OneFS cluster name,
as the exporters set it) and ``isilon_cluster`` (the same name, for the dashboards).

gostats (cluster level, gauges): ``isilon_stat_cluster_protostats_nfs_total_in_rate`` / ``_out_rate``
(bytes/s), ``isilon_stat_cluster_protostats_nfs_total_op_rate`` (ops/s),
``isilon_stat_cluster_protostats_nfs_total_time_avg`` (**microseconds**), ``isilon_stat_ifs_percent_avail`` (0-100).
goquotas (per quota, gauges): ``isilon_quota_hard_bytes``, ``isilon_quota_usage_bytes``,
``isilon_quota_hard_utilization_ratio`` (0-1), labels ``quota_id, quota_type, path, thresholds_on,
include_snapshots`` (empty persona and link labels are not stored).

The exporters' ``cluster`` label collides with the Kubernetes cluster label the scrape adds: the demo
scrapes this job with ``honor_labels: false``, so Prometheus keeps the OneFS name as ``exported_cluster``
and ``cluster`` is the Kubernetes cluster, as on a platform that labels clusters at scrape time.
"""
from __future__ import annotations

import numpy as np

from ..core import DAY, HOUR, Families, Family, Target, diurnal, smooth, target
from ..world import World
from . import Component

TIB = 1024 ** 4
ISILON = "isilon-prod-01"
# path -> (hard limit TiB, used fraction at the anchor, growth per day)
QUOTAS = {
    "/ifs/data/spark/shuffle": (80, 0.64, 0.004), "/ifs/data/spark/eventlogs": (10, 0.52, 0.002),
    "/ifs/data/ingest/landing": (120, 0.71, 0.003), "/ifs/data/ml/datasets": (200, 0.58, 0.001),
    "/ifs/data/airflow/logs": (5, 0.77, 0.0015), "/ifs/home": (40, 0.33, 0.0005),
    "/ifs/data/exports": (60, 0.45, 0.0), "/ifs/data/archive": (300, 0.69, 0.001),
}


class Isilon(Component):
    name = "isilon"
    jobs = ("isilon",)

    def targets(self, world: World) -> list[Target]:
        return [target("isilon", world.clusters[0], "powerscale-data-insights.monitoring.svc:9090", component=self.name,
                       honor_labels=False)]

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        lab = {"cluster": ISILON, "isilon_cluster": ISILON}
        k = world.key("isilon")
        busy = lambda ts: 0.55 + 0.45 * diurnal(ts)  # noqa: E731
        pre = "isilon_stat_cluster_protostats_nfs_total"
        F(f"{pre}_in_rate", "gauge").add(lab, lambda ts: np.round(420e6 * busy(ts) * (1 + 0.15 * smooth(k, ts, 900))))
        F(f"{pre}_out_rate", "gauge").add(lab, lambda ts: np.round(950e6 * busy(ts) * (1 + 0.15 * smooth(k ^ 1, ts, 900))))
        F(f"{pre}_op_rate", "gauge").add(lab, lambda ts: np.round(12000 * busy(ts) * (1 + 0.1 * smooth(k ^ 2, ts, 600))))
        F(f"{pre}_time_avg", "gauge").add(lab, lambda ts: np.round(1800 + 1400 * busy(ts) * (1 + 0.3 * smooth(k ^ 3, ts, 600))))
        F("isilon_stat_ifs_percent_avail", "gauge").add(
            lab, lambda ts: np.round(100 * (1 - (0.71 + 0.002 * (ts - world.anchor) / DAY + 0.002 * smooth(k ^ 4, ts, 6 * HOUR))), 2))
        for i, (path, (tib, frac, growth)) in enumerate(QUOTAS.items()):
            kq = world.key("isilon-quota", path)
            ql = {**lab, "quota_id": f"{0x3a00 + i:x}SW2lAAAAAAAAAAAAAAAQAAAAAAAA", "quota_type": "directory",
                  "path": path, "thresholds_on": "fslogicalsize", "linked": "", "include_snapshots": "false",
                  "persona_type": "", "persona_id": "", "persona_name": ""}
            hard = tib * TIB

            def ratio(ts, frac=frac, growth=growth, kq=kq):
                return np.clip(frac + growth * (ts - world.anchor) / DAY + 0.005 * smooth(kq, ts, 3 * HOUR), 0, 0.99)
            F("isilon_quota_hard_bytes", "gauge").add(ql, lambda ts, hard=hard: np.full(ts.shape, float(hard)))
            F("isilon_quota_hard_utilization_ratio", "gauge").add(ql, lambda ts, r=ratio: np.round(r(ts), 4))
            F("isilon_quota_usage_bytes", "gauge").add(ql, lambda ts, r=ratio, hard=hard: np.round(r(ts) * hard))
        return F.list()
