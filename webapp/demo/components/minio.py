"""MinIO (4 servers per cluster), metrics v2 cluster endpoint ``/minio/v2/metrics/cluster``.

- ``minio_s3_requests_ttfb_seconds_distribution{api,le,server}``: cumulative per ``le`` with **no**
  ``_bucket`` suffix (gauge in v2), used directly in ``histogram_quantile``.
- counters ``minio_s3_requests_total``, ``minio_s3_requests_4xx_errors_total``,
  ``minio_s3_requests_5xx_errors_total``, ``minio_s3_requests_errors_total`` (4xx + 5xx) per ``api, server``;
  ``minio_s3_traffic_received_bytes``, ``minio_s3_traffic_sent_bytes`` per ``server``.
- gauges ``minio_bucket_usage_total_bytes{bucket}``, ``minio_bucket_usage_object_total{bucket}`` (from the
  background scanner: refreshed every 10 minutes), ``minio_cluster_capacity_usable_total_bytes``,
  ``minio_cluster_capacity_usable_free_bytes``.

Shapes are MinIO's (``../shared/real-exposition/minio.prom``): the ``api`` label is **lower case**
(``getobject``: v2 lower-cases it), ``le`` is printed ``%.3f`` (``0.050`` ... ``+Inf``), and every series
carries ``server`` (the node that computed it; the capacity and bucket families come from the node that
answered the scrape, ``minio-0``). Every series also carries ``namespace="minio"`` (the scrape's
Kubernetes namespace label). The bucket families are on ``/minio/v2/metrics/bucket`` in a real
deployment (their own scrape job); the demo serves them on the same target.

Story ``s3-5xx-burst`` (first cluster, 3.5 h before the anchor, 25 minutes): drives saturate, MinIO
answers ``503 SlowDown`` to ~6% of requests and time to first byte jumps past 100 ms.
"""
from __future__ import annotations

import numpy as np

from ..core import DAY, HOUR, Families, Family, Target, cyclic_counter, smooth, target, u1
from ..world import World
from . import Component

NAMESPACE = "minio"
SERVERS = 4
TIB = 1024 ** 4
LE = ("0.050", "0.100", "0.250", "0.500", "1.000", "2.500", "5.000", "10.000", "+Inf")
# api -> (requests/s per server, 4xx fraction, TTFB CDF over LE)
APIS = {
    "GetObject": (40.0, 0.002, (0.72, 0.965, 0.992, 0.997, 0.999, 1, 1, 1, 1)),
    "PutObject": (15.0, 0.001, (0.45, 0.958, 0.99, 0.996, 0.999, 1, 1, 1, 1)),
    "HeadObject": (60.0, 0.01, (0.97, 0.995, 0.999, 1, 1, 1, 1, 1, 1)),
    "ListObjectsV2": (8.0, 0.001, (0.35, 0.96, 0.985, 0.995, 0.999, 1, 1, 1, 1)),
    "DeleteObjects": (1.0, 0.001, (0.5, 0.96, 0.99, 1, 1, 1, 1, 1, 1)),
    "PutObjectPart": (4.0, 0.001, (0.3, 0.955, 0.99, 0.998, 1, 1, 1, 1, 1)),
    "CompleteMultipartUpload": (0.5, 0.002, (0.4, 0.96, 0.99, 1, 1, 1, 1, 1, 1)),
}
SLOW_CDF = (0.05, 0.15, 0.45, 0.75, 0.9, 0.97, 0.995, 1, 1)
# bucket -> (TiB at the epoch, TiB growth per day, mean object MiB, lifecycle: daily sawtooth fraction)
BUCKETS = {
    0: {"lakehouse": (120.0, 0.8, 48.0, 0.0), "raw-landing": (18.0, 1.5, 6.0, 0.8),
        "spark-checkpoints": (2.0, 0.0, 0.5, 0.0), "airflow-logs": (0.6, 0.02, 0.05, 0.0),
        "ml-models": (3.0, 0.05, 220.0, 0.0), "backups": (40.0, 0.6, 900.0, 0.0)},
    1: {"lakehouse": (45.0, 0.4, 40.0, 0.0), "iot-landing": (9.0, 1.2, 2.0, 0.9), "backups": (15.0, 0.2, 900.0, 0.0)},
}
USABLE_TIB = {0: 384.0, 1: 192.0}


def burst_window(world: World) -> tuple[float, float]:
    s = world.anchor - 3.5 * HOUR
    return s, s + 25 * 60


class MinIO(Component):
    name = "minio"
    jobs = ("minio",)

    def targets(self, world: World) -> list[Target]:
        return [target("minio", cl, "minio.minio.svc:9000", component=self.name) for cl in world.clusters]

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        cl = tgt.cluster
        ci = min(world.clusters.index(cl), 1)
        load = 1.0 if ci == 0 else 0.6
        start = world.epoch
        bs, be = burst_window(world)
        ns = {"namespace": NAMESPACE}

        def extra(ts, rate):
            """Requests counted during the burst (retries, 15% extra load): first cluster only."""
            if ci != 0:
                return np.zeros(ts.shape)
            return np.floor(np.clip(ts - bs, 0.0, be - bs) * rate * 0.15)

        for i in range(SERVERS):
            server = f"minio-{i}.minio-hl.minio.svc.cluster.local:9000"
            for api, (rate, f4, cdf) in APIS.items():
                k = world.key("minio", cl, server, api)
                r = rate * load
                lab = {**ns, "api": api.lower(), "server": server}

                def normal(ts, k=k, r=r):
                    return np.floor(cyclic_counter(k, ts, start, r, 0.35))

                def total(ts, n=normal, r=r):
                    return n(ts) + extra(ts, r)

                for le, c, cs in zip(LE, cdf, SLOW_CDF):
                    F("minio_s3_requests_ttfb_seconds_distribution", "gauge").add(
                        {**lab, "le": le},
                        lambda ts, n=normal, r=r, c=c, cs=cs: np.floor(n(ts) * c + extra(ts, r) * cs))

                def e4(ts, n=normal, f4=f4):
                    return np.floor(n(ts) * f4)

                def e5(ts, n=normal, r=r):
                    return np.floor(n(ts) * 0.00015) + np.floor(extra(ts, r) * 0.5)
                F("minio_s3_requests_total", "counter").add(lab, total)
                F("minio_s3_requests_4xx_errors_total", "counter").add(lab, e4)
                F("minio_s3_requests_5xx_errors_total", "counter").add(lab, e5)
                F("minio_s3_requests_errors_total", "counter").add(lab, lambda ts, a=e4, b=e5: a(ts) + b(ts))
            kt = world.key("minio-traffic", cl, server)
            F("minio_s3_traffic_received_bytes", "counter").add(
                {**ns, "server": server}, lambda ts, kt=kt: np.floor(cyclic_counter(kt, ts, start, 180e6 * load, 0.35)))
            F("minio_s3_traffic_sent_bytes", "counter").add(
                {**ns, "server": server}, lambda ts, kt=kt: np.floor(cyclic_counter(kt ^ 1, ts, start, 420e6 * load, 0.35)))

        def scan(ts):
            return np.floor(ts / 600.0) * 600.0

        used = []
        first = "minio-0.minio-hl.minio.svc.cluster.local:9000"
        for bucket, (tib0, growth, mib, saw) in BUCKETS[ci].items():
            kb = world.key("minio-bucket", cl, bucket)

            def size(ts, tib0=tib0, growth=growth, saw=saw, kb=kb):
                t = scan(ts)
                days = (t - world.epoch) / DAY
                v = tib0 + growth * days
                if saw:  # lifecycle expiry: a day's worth of landing data, expired every night
                    v = tib0 + growth * saw * ((t / DAY + u1(kb, 1)) % 1.0)
                v = v * (1 + 0.004 * smooth(kb, t, 3 * HOUR))
                return np.round(v * TIB)
            used.append(size)
            lab = {**ns, "bucket": bucket, "server": first}
            F("minio_bucket_usage_total_bytes", "gauge").add(lab, size)
            F("minio_bucket_usage_object_total", "gauge").add(
                lab, lambda ts, s=size, mib=mib: np.round(s(ts) / (mib * 1024 * 1024)))
        total_b = USABLE_TIB[ci] * TIB
        cap = {**ns, "server": first}
        F("minio_cluster_capacity_usable_total_bytes", "gauge").add(cap, lambda ts: np.full(ts.shape, total_b))
        F("minio_cluster_capacity_usable_free_bytes", "gauge").add(
            cap, lambda ts: np.round(total_b - sum(f(ts) for f in used) * 1.02))
        return F.list()
