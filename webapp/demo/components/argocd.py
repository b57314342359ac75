"""Argo CD application-controller metrics (v3.1+), one Argo CD per cluster managing the
applications of that cluster. A sync happens before every rollout of an app's workloads
(the world's rollout history) plus occasional manual syncs."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..core import DAY, Families, Family, Target, count_le, poisson_events, target, u01, u1
from ..world import INF, World
from . import Component

DEST = "https://kubernetes.default.svc"
LE = ("0.25", "0.5", "1", "2", "4", "8", "16", "+Inf")
CDF = (0.35, 0.62, 0.82, 0.93, 0.975, 0.992, 0.998, 1.0)
PROJECTS = {"spark-jobs": "data-platform", "airflow": "data-platform", "trino": "data-platform",
            "data-ingest": "data-platform", "hive-metastore": "data-platform", "minio": "storage",
            "ml-serving": "ml", "portal": "portal", "jenkins": "platform", "monitoring": "platform"}
# app states: (sync_status, health_status, operation)
STATES = [("Synced", "Healthy", ""), ("OutOfSync", "Healthy", ""), ("Synced", "Progressing", "sync"),
          ("OutOfSync", "Degraded", "sync"), ("Synced", "Degraded", "")]


class App:
    def __init__(self, world: World, cluster: str, name: str, workloads: list, until: float):
        self.name = name
        self.cluster = cluster
        self.namespace = workloads[0].namespace
        self.project = PROJECTS.get(self.namespace, "default")
        self.repo = f"https://bitbucket.internal/scm/dataops/{workloads[0].repo}.git"
        k = world.key("argocd", cluster, name)
        rollouts = sorted({s for w in workloads for (r, s, _e) in world.revisions(w, world.epoch, until)
                           if s > world.epoch})
        manual = poisson_events(k, world.epoch, until, lambda x: np.full(x.shape, 1 / (0.75 * DAY)), slot=DAY)
        ok_end = np.sort(np.concatenate([np.array(rollouts, dtype=float), manual]))
        ok_dur = 20 + 100 * u01(k ^ 1, np.arange(len(ok_end)))
        self.rollouts = np.array(rollouts, dtype=float)
        self.state_changes: list[tuple[float, int]] = []   # (from time, state index) overrides
        fail_end = np.zeros(0)
        fail_phase = np.zeros(0, dtype=int)
        fail_dur = np.zeros(0)
        self.condition_from = INF
        deg = world.story["argocd-degraded-app"]
        pull = world.story["image-pull-errors"]
        if cluster == deg.cluster and name == deg.entity:
            n = int(max(0, (until - deg.start) // 600)) + 1
            i = np.arange(n)
            fail_dur = 360 + 120 * u01(k ^ 2, i)
            fail_end = deg.start + 300 + i * 600 + fail_dur
            fail_phase = np.where(u01(k ^ 3, i) < 0.67, 0, 1)   # 0 Failed, 1 Error
            self.state_changes.append((deg.start, 3))
            self.condition_from = deg.start + 60
            # keep earlier syncs of this app slow as well (long syncs, > 5 min)
            ok_dur = 300 + 200 * u01(k ^ 1, np.arange(len(ok_end)))
        if cluster == pull.cluster and name == "model-server":
            self.state_changes.append((pull.start, 2))
            self.state_changes.append((pull.start + 600, 4))
        self.ok_end = ok_end
        self.ok_cum = np.cumsum(ok_dur)
        self.fail = {"Failed": np.sort(fail_end[fail_phase == 0]), "Error": np.sort(fail_end[fail_phase == 1])}
        order = np.argsort(np.concatenate([ok_end, fail_end]), kind="stable")
        all_end = np.concatenate([ok_end, fail_end])[order]
        all_dur = np.concatenate([ok_dur, fail_dur])[order]
        self.all_end = all_end
        self.all_cum = np.cumsum(all_dur)
        self.orphaned = int(u1(k, 9) * 3) if u1(k, 8) < 0.3 else 0
        self.created = min([world.epoch] + list(self.rollouts))

    def state(self, ts: np.ndarray) -> np.ndarray:
        st = np.zeros(ts.shape, dtype=int)
        if len(self.rollouts):
            j = np.searchsorted(self.rollouts, ts, side="right")       # next rollout index
            nxt = self.rollouts[np.minimum(j, len(self.rollouts) - 1)]
            prev = self.rollouts[np.maximum(j - 1, 0)]
            st = np.where((j < len(self.rollouts)) & (nxt - ts < 120), 1, st)
            st = np.where((j > 0) & (ts - prev < 180), 2, st)
        for t_from, s in self.state_changes:
            st = np.where(ts >= t_from, s, st)
        return st

    def duration_sum(self, ts: np.ndarray) -> np.ndarray:
        n = np.searchsorted(self.all_end, ts, side="right")
        return np.where(n > 0, self.all_cum[np.maximum(n - 1, 0)], 0.0)


@lru_cache(maxsize=32)
def _apps(world: World, cluster: str, until_day: int) -> list[App]:
    groups: dict[str, list] = {}
    for w in world.workloads_in(cluster):
        if w.app:
            groups.setdefault(w.app, []).append(w)
    return [App(world, cluster, name, ws, (until_day + 2) * DAY) for name, ws in sorted(groups.items())]


class ArgoCD(Component):
    name = "argocd"
    jobs = ("argocd",)

    def targets(self, world: World) -> list[Target]:
        return [target("argocd", cl, "argocd-application-controller-metrics.argocd.svc:8082", component=self.name)
                for cl in world.clusters]

    def apps(self, world: World, cluster: str, t1: float) -> list[App]:
        return _apps(world, cluster, int(t1 // DAY))

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        apps = self.apps(world, tgt.cluster, t1)
        for a in apps:
            for si, (sync, health, op) in enumerate(STATES):
                F("argocd_app_info", "gauge").add(
                    {"namespace": "argocd", "name": a.name, "project": a.project, "repo": a.repo, "dest_server": DEST,
                     "dest_namespace": a.namespace, "sync_status": sync, "health_status": health, "operation": op,
                     "autosync_enabled": "true"},
                    (lambda a, si: lambda ts: np.where(a.state(ts) == si, 1.0, np.nan))(a, si))
            base = {"namespace": "argocd", "name": a.name, "project": a.project, "dest_server": DEST}
            F("argocd_app_sync_total", "counter").add({**base, "dry_run": "false", "phase": "Succeeded"},
                                                        (lambda a: lambda ts: count_le(a.ok_end, ts))(a))
            for ph, ev in a.fail.items():
                if len(ev):
                    first = float(ev[0]) - 240
                    F("argocd_app_sync_total", "counter").add(
                        {**base, "dry_run": "false", "phase": ph}, (lambda ev, first: lambda ts: np.where(ts >= first, count_le(ev, ts), np.nan))(ev, first))
            F("argocd_app_sync_duration_seconds_total", "counter").add(base, (lambda a: lambda ts: np.round(a.duration_sum(ts), 3))(a))
            F("argocd_app_orphaned_resources_count", "gauge").add(
                {"namespace": "argocd", "name": a.name, "project": a.project}, (lambda v: lambda ts: np.full(ts.shape, float(v)))(a.orphaned))
            if a.condition_from < INF:
                F("argocd_app_condition", "gauge").add(
                    {"namespace": "argocd", "name": a.name, "project": a.project, "condition": "SyncError"},
                    (lambda a: lambda ts: np.where(ts >= a.condition_from, 1.0, np.nan))(a))
        # reconcile histogram (per controller / destination)
        k = world.key("argocd-reconcile", tgt.cluster)
        rate = len(apps) / 60.0
        from ..core import cyclic_counter
        start = world.epoch

        def cnt(ts):
            return np.floor(cyclic_counter(k, ts, start, rate, 0.2))
        for le, cdf in zip(LE, CDF):
            F("argocd_app_reconcile", "histogram").add(
                {"namespace": "argocd", "dest_server": DEST, "le": le}, (lambda cdf: lambda ts: np.floor(cnt(ts) * cdf))(cdf), "_bucket")
        F("argocd_app_reconcile", "histogram").add({"namespace": "argocd", "dest_server": DEST},
                                                   lambda ts: np.round(cnt(ts) * 0.61, 3), "_sum")
        F("argocd_app_reconcile", "histogram").add({"namespace": "argocd", "dest_server": DEST}, cnt, "_count")
        F("argocd_app_labels", "gauge")  # declared, not emitted (needs --metrics-application-labels)
        return F.list()
