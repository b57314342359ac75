"""The DataOps Portal's own instrumentation (Prometheus client conventions: ``http_requests_total``
and ``http_request_duration_seconds``) and the ``platform-critical`` scrape job of the design's
PlatformDown alert: one target per critical service (its ``up`` comes from Prometheus itself).

Story ``platform-critical-outage``: Hive Metastore in the first cluster is down for 8 minutes
about 2 days before the anchor (at the tiny scale, whose history is ~1 day: 22 h before it);
while it is down the portal's dataset API answers 5xx for most requests.
"""
from __future__ import annotations

import numpy as np

from ..core import DAY, HOUR, Families, Family, Target, cyclic_counter, target
from ..world import World
from . import Component

#: (handler, method, success code, peak req/s, median seconds)
HANDLERS = (("/api/v1/pipelines", "GET", "200", 6.0, 0.08), ("/api/v1/pipelines/{id}/runs", "POST", "201", 0.5, 0.35),
            ("/api/v1/deployments", "POST", "201", 0.3, 0.6), ("/api/v1/datasets", "GET", "200", 3.0, 0.12),
            ("/api/v1/jobs", "GET", "200", 4.0, 0.1), ("/api/v1/auth/login", "POST", "200", 0.5, 0.2),
            ("/", "GET", "200", 2.0, 0.02))
LE = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
OUTAGE_MINUTES = 8
OUTAGE_DATASETS_HANDLER = "/api/v1/datasets"


def outage(world: World) -> tuple[str, str, float, float]:
    """(cluster, instance, start, end) of the outage story."""
    lead = min(2 * DAY, (world.scale.history_hours - 4) * HOUR)
    start = world.anchor - lead
    return world.clusters[0], "hive-metastore.hive-metastore.svc:9083", start, start + OUTAGE_MINUTES * 60


def critical_services(world: World) -> list[tuple[str, str]]:
    """(cluster, instance) of every critical service."""
    out = [(world.clusters[0], "portal-api.portal.svc:8080"), (world.clusters[0], "jenkins.jenkins.svc:8080")]
    for cl in world.clusters:
        out += [(cl, "argocd-server.argocd.svc:8083"), (cl, "trino-coordinator.trino.svc:8080"),
                (cl, "hive-metastore.hive-metastore.svc:9083"), (cl, "minio.minio.svc:9000")]
    return out


def _cdf(le: float, median: float) -> float:
    """Log-logistic CDF (shape 3) of a request duration with the given median."""
    return 1.0 / (1.0 + (median / le) ** 3)


class Portal(Component):
    name = "portal"
    jobs = ("portal", "platform-critical")

    def targets(self, world: World) -> list[Target]:
        out = [target("portal", world.clusters[0], "portal-api.portal.svc:8080", component=self.name)]
        out += [target("platform-critical", cl, inst, per_instance=True, component=self.name)
                for cl, inst in critical_services(world)]
        return out

    def up(self, world: World, tgt: Target):
        cl, inst, start, end = outage(world)
        if tgt.job == "platform-critical" and tgt.cluster == cl and tgt.instance == inst:
            return lambda ts: np.where((ts >= start) & (ts < end), 0.0, 1.0)
        return None

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        if tgt.job != "portal":
            return []
        F = Families()
        _cl, _inst, o_start, o_end = outage(world)
        for handler, method, ok, peak, median in HANDLERS:
            k = world.key("portal", handler)
            base = world.epoch

            def total(ts, k=k, peak=peak):
                return np.floor(cyclic_counter(k, ts, base, peak * 0.6, 0.65))

            def code(share, key, extra=0.0, handler=handler, peak=peak):
                def fn(ts):
                    v = np.floor(cyclic_counter(key, ts, base, peak * 0.6 * share, 0.65))
                    if extra:
                        v = v + np.floor(extra * peak * np.clip(ts - o_start, 0, o_end - o_start))
                    return v
                return fn

            burst = 0.6 if handler == OUTAGE_DATASETS_HANDLER else 0.0
            lab = {"handler": handler, "method": method}
            fam = F("http_requests_total", "counter", "portal HTTP requests")
            fam.add({**lab, "code": ok}, code(0.986, k ^ 1))
            fam.add({**lab, "code": "404" if method == "GET" else "400"}, code(0.012, k ^ 2))
            fam.add({**lab, "code": "500"}, code(0.0015, k ^ 3, burst))
            fam.add({**lab, "code": "503"}, code(0.0005, k ^ 4, burst / 2))
            hist = F("http_request_duration_seconds", "histogram", "portal request duration")
            for le in LE:
                hist.add({**lab, "le": repr(le)}, (lambda c, total=total: lambda ts: np.floor(total(ts) * c))(
                    _cdf(le, median)), "_bucket")
            hist.add({**lab, "le": "+Inf"}, total, "_bucket")
            hist.add(lab, (lambda m, total=total: lambda ts: np.round(total(ts) * m * 1.15, 3))(median), "_sum")
            hist.add(lab, total, "_count")
        return F.list()
