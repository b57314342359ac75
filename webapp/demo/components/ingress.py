"""Network edge: ingress-nginx controller (one per cluster) and the Istio service mesh (one target
per cluster standing for the merged Envoy sidecar metrics, ``reporter="destination"``).

ingress-nginx (client_golang, counters without ``_total``): ``nginx_ingress_controller_requests``
(counter; labels controller_class, controller_namespace, controller_pod, ingress, namespace, service, host,
method, path, status), histograms ``nginx_ingress_controller_request_duration_seconds`` and
``nginx_ingress_controller_response_size`` (bytes; labels ingress, namespace, service, host, method, path,
status). Istio: ``istio_requests_total`` (counter) and ``istio_request_duration_milliseconds`` (histogram),
labels reporter, source_workload, source_workload_namespace, destination_workload,
destination_workload_namespace, destination_service, request_protocol, response_code,
connection_security_policy.

Story ``ingress-5xx``: the ml-serving/model-server ingress of the first cluster answers ~6% 503 since the
image-pull rollout got stuck (``image-pull-errors`` story start); the mesh edge trino-gateway ->
trino-coordinator answers ~4% 503 with a slow tail.
"""
from __future__ import annotations

import numpy as np

from ..core import Families, Family, Target, cyclic_counter, stable_key, target, u1
from ..world import World
from . import Component

# (namespace, ingress, service, host, requests/s)
INGRESSES = (
    ("portal", "portal-ui", "portal-ui", "portal.dataops.example", 40.0),
    ("ml-serving", "model-server", "model-server", "models.dataops.example", 25.0),
    ("minio", "minio", "minio", "s3.dataops.example", 60.0),
    ("trino", "trino-gateway", "trino-gateway", "trino.dataops.example", 8.0),
)
STATUS = (("200", 0.975), ("404", 0.02), ("503", 0.005))
DURATION_LE = ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf")
DURATION_CDF = (0.05, 0.18, 0.45, 0.70, 0.86, 0.95, 0.98, 0.992, 0.997, 0.999, 1.0, 1.0)
SIZE_LE = ("10", "100", "1000", "10000", "100000", "1e+06", "1e+07", "+Inf")
SIZE_CDF = (0.01, 0.08, 0.35, 0.75, 0.93, 0.99, 1.0, 1.0)
MEAN_SIZE = 18000.0   # bytes per response
MEAN_DURATION = 0.085  # seconds

# mesh edges (source ns, source workload, dest ns, dest workload, requests/s)
EDGES = (
    ("portal", "portal-ui", "trino", "trino-gateway", 6.0),
    ("trino", "trino-gateway", "trino", "trino-coordinator", 6.0),
    ("airflow", "airflow-scheduler", "trino", "trino-gateway", 2.0),
    ("trino", "trino-coordinator", "hive-metastore", "hive-metastore", 30.0),
    ("ml-serving", "model-server", "data-ingest", "ingest-worker", 12.0),
    ("data-ingest", "ingest-worker", "minio", "minio", 20.0),
)
MESH_LE = ("1", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000", "+Inf")
MESH_CDF = (0.02, 0.2, 0.45, 0.7, 0.85, 0.93, 0.97, 0.985, 0.993, 0.997, 0.999, 1.0, 1.0)


def _counter(key: int, start: float, rate: float, amp: float = 0.5, share: float = 1.0, since: float = -np.inf,
             extra: float = 0.0):
    """Monotonic integer counter; ``extra`` adds rate*extra from ``since`` on (a story)."""
    def fn(ts):
        v = cyclic_counter(key, ts, start, rate * share, amp)
        if extra:
            v = v + np.where(ts >= since, rate * extra * (ts - since), 0.0)
        return np.floor(v)
    return fn


class Ingress(Component):
    name = "ingress"
    jobs = ("ingress-nginx", "istio-mesh")

    def targets(self, world: World) -> list[Target]:
        out = []
        for cl in world.clusters:
            out.append(target("ingress-nginx", cl, "ingress-nginx-controller-metrics.ingress-nginx.svc:10254",
                              component=self.name))
            out.append(target("istio-mesh", cl, "istio-proxies", component=self.name))
        return out

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        return self._nginx(world, tgt) if tgt.job == "ingress-nginx" else self._istio(world, tgt)

    def _nginx(self, world: World, tgt: Target) -> list[Family]:
        F = Families()
        cl = tgt.cluster
        start = world.epoch
        story = world.story.get("image-pull-errors")
        for ns, ing, svc, host, rps in INGRESSES:
            k = world.key("ingress", cl, ing)
            rps = rps * (0.6 + 0.8 * u1(k))
            base = {"ingress": ing, "namespace": ns, "service": svc, "host": host, "method": "GET", "path": "/",
                    "controller_class": "k8s.io/ingress-nginx", "controller_namespace": "ingress-nginx",
                    "controller_pod": "ingress-nginx-controller-0"}
            for status, share in STATUS:
                extra = 0.0
                since = -np.inf
                if status == "503" and ing == "model-server" and cl == world.clusters[0] and story is not None:
                    extra, since = 0.06, story.start
                ks = k ^ stable_key(status)
                cnt = _counter(ks, start, rps, 0.5, share, since, extra)
                F("nginx_ingress_controller_requests", "counter", "The total number of client requests").add(
                    {**base, "status": status}, cnt)
                slow = 3.0 if status == "503" else 1.0
                for le, cdf in zip(DURATION_LE, DURATION_CDF):
                    c = cdf if slow == 1.0 else min(1.0, cdf ** 3) if le != "+Inf" else 1.0
                    F("nginx_ingress_controller_request_duration_seconds", "histogram").add(
                        {**base, "status": status, "le": le}, (lambda cnt, c: lambda ts: np.floor(cnt(ts) * c))(cnt, c), "_bucket")
                F("nginx_ingress_controller_request_duration_seconds", "histogram").add(
                    {**base, "status": status}, (lambda cnt, s: lambda ts: np.round(cnt(ts) * MEAN_DURATION * s, 3))(cnt, slow), "_sum")
                F("nginx_ingress_controller_request_duration_seconds", "histogram").add(
                    {**base, "status": status}, cnt, "_count")
                size = MEAN_SIZE * (0.5 + u1(k, 3)) if status == "200" else 600.0
                for le, cdf in zip(SIZE_LE, SIZE_CDF):
                    F("nginx_ingress_controller_response_size", "histogram").add(
                        {**base, "status": status, "le": le}, (lambda cnt, c: lambda ts: np.floor(cnt(ts) * c))(cnt, cdf), "_bucket")
                F("nginx_ingress_controller_response_size", "histogram").add(
                    {**base, "status": status}, (lambda cnt, s: lambda ts: np.floor(cnt(ts) * s))(cnt, size), "_sum")
                F("nginx_ingress_controller_response_size", "histogram").add({**base, "status": status}, cnt, "_count")
        return F.list()

    def _istio(self, world: World, tgt: Target) -> list[Family]:
        F = Families()
        cl = tgt.cluster
        start = world.epoch
        for sns, src, dns, dst, rps in EDGES:
            k = world.key("istio", cl, src, dst)
            rps = rps * (0.6 + 0.8 * u1(k))
            bad = dst == "trino-coordinator" and cl == world.clusters[0]
            base = {"reporter": "destination", "source_workload": src, "source_workload_namespace": sns,
                    "destination_workload": dst, "destination_workload_namespace": dns,
                    "destination_service": f"{dst}.{dns}.svc.cluster.local", "request_protocol": "http",
                    "connection_security_policy": "mutual_tls"}
            for code, share in (("200", 0.96 if bad else 0.998), ("503", 0.04 if bad else 0.002)):
                cnt = _counter(k ^ stable_key(code), start, rps, 0.5, share)
                lab = {**base, "response_code": code}
                F("istio_requests_total", "counter", "Total requests.").add(lab, cnt)
                mean = (400.0 if bad else 40.0) * (3 if code == "503" else 1)
                for le, cdf in zip(MESH_LE, MESH_CDF):
                    c = cdf ** (4 if bad else 1) if le != "+Inf" else 1.0
                    F("istio_request_duration_milliseconds", "histogram").add(
                        {**lab, "le": le}, (lambda cnt, c: lambda ts: np.floor(cnt(ts) * c))(cnt, c), "_bucket")
                F("istio_request_duration_milliseconds", "histogram").add(
                    lab, (lambda cnt, m: lambda ts: np.round(cnt(ts) * m, 1))(cnt, mean), "_sum")
                F("istio_request_duration_milliseconds", "histogram").add(lab, cnt, "_count")
        return F.list()
