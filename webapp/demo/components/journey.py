"""History of the journey exporter in the demo: what ``dataops-monitor exporter journey`` reports when it
polls the demo's delivery APIs (``deliveryapis.py``) every few seconds, for the time before the demo
started. Live, the real exporter is scraped instead (``realexporters.py``; this component serves no live
target: ``live = False``).

Each deployment of ``deliveryapis.APPS`` is observed when its last pod is Ready, each DAG run of
``deliveryapis.DAGS`` when it ends, with the values the APIs expose (Jenkins and Bitbucket in
milliseconds, Argo CD and Kubernetes in whole seconds, Airflow in milliseconds), so history and live
scrapes agree. Stories: ``slow-rollout`` (``ml-serving``: Kubernetes is the bottleneck), Jenkins for the
other applications, the Spark application for the DAGs.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ...exporters.journey import STAGE_BOUNDS, TOTAL_BOUNDS
from ..core import DAY, Families, Family, Target, count_le, target
from ..deliveryapis import APPS, DAGS, Flow
from ..world import World
from . import Component

INSTANCE = "journey-exporter.monitoring.svc:9562"


def _ms(t: float) -> float:
    return math.floor(t * 1000) / 1000


def deploy_journeys(app: str, t0: float, t1: float) -> list[tuple[float, str, dict[str, float], int]]:
    """(observed at, revision, stage durations, Argo CD history id) of ``app``'s deployments whose pods
    became ready in [t0, t1)."""
    from ..deliveryapis import _sha
    flow = Flow()
    period, phase, _ = APPS[app]
    out = []
    for i in range(int((t0 - phase) // period) - 1, int((t1 - phase) // period) + 1):
        t = flow.times(app, i)
        ready = math.floor(t["ready"])
        if not t0 <= ready < t1:
            continue
        commit, b_start = _ms(t["commit"]), _ms(t["build_start"])
        b_end = b_start + math.floor((t["build_end"] - t["build_start"]) * 1000) / 1000
        deployed = math.floor(t["deployed"])
        out.append((ready, _sha(app, i), {"git": max(0.0, b_start - commit), "jenkins": b_end - b_start,
                                          "argocd": max(0.0, deployed - b_end),
                                          "kubernetes": max(0.0, ready - deployed)}, i))
    return out


def data_journeys(dag: str, t0: float, t1: float) -> list[tuple[float, float, str, dict[str, float], int]]:
    """(observed at, Spark end, run id, stage durations, bytes processed) of ``dag``'s runs that ended
    in [t0, t1)."""
    flow = Flow()
    period, phase, _ = DAGS[dag]
    out = []
    for i in range(int((t0 - phase) // period) - 1, int((t1 - phase) // period) + 1):
        t = flow.run_times(dag, i)
        if not t0 <= t["end"] < t1:
            continue
        s_start, s_end = math.floor(t["spark_start"] * 1000) / 1000, math.floor(t["spark_end"] * 1000) / 1000
        import datetime as dt
        logical = t["queued"] - period
        run_id = "scheduled__" + dt.datetime.fromtimestamp(logical, dt.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%S") + "+00:00"
        out.append((t["end"], s_end, run_id, {"airflow": max(0.0, s_start - _ms(t["queued"])),
                                              "application": s_end - s_start}, sum(flow.spark_bytes(dag, i))))
    return out


def seed(exporter, since: float, until: float) -> None:
    """Give a fresh journey exporter the observations of [since, until): what it would hold had it been
    running, so its counters continue the backfilled history instead of restarting at 0."""
    for app in APPS:
        st = exporter._state(app, "deploy")
        for at, rev, durations, i in deploy_journeys(app, since, until):
            st.finish(durations, rev, at)
            st.observed.add(("deployed", i, rev))
    for dag in DAGS:
        st = exporter._state(dag, "data")
        for _at, s_end, run_id, durations, processed in data_journeys(dag, since, until):
            st.finish(durations, run_id, s_end)
            st.bytes_processed += processed
            st.observed.add(("run", run_id))


@lru_cache(maxsize=16)
def _journeys(kind: str, name: str, day0: int, day1: int):
    t0, t1 = day0 * DAY, (day1 + 1) * DAY
    if kind == "deploy":
        return [(obs, obs, rev, d, 0) for obs, rev, d, _i in deploy_journeys(name, t0, t1)]
    return data_journeys(name, t0, t1)


class JourneyHistory(Component):
    name = "journey"
    jobs = ("journey-exporter",)
    live = False       # the real exporter is scraped live

    def targets(self, world: World) -> list[Target]:
        return [target("journey-exporter", world.clusters[0], INSTANCE, component=self.name)]

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        # whole days, so that windows of one backfill share the cache; observations since the epoch
        day0, day1 = int(world.epoch // DAY), int(t1 // DAY)
        for journey, names, stages in (("deploy", APPS, ("git", "jenkins", "argocd", "kubernetes")),
                                       ("data", DAGS, ("airflow", "application"))):
            for name in names:
                obs = _journeys(journey, name, day0, day1)
                obs = [o for o in obs if o[0] >= world.epoch]
                at = np.array([o[0] for o in obs])
                lab = {"pipeline": name, "journey": journey}
                for stage in stages:
                    _hist(F, "pipeline_stage_duration_seconds", {**lab, "stage": stage}, at,
                          np.array([o[3][stage] for o in obs]), STAGE_BOUNDS)
                _hist(F, "pipeline_duration_seconds", lab, at, np.array([sum(o[3].values()) for o in obs]),
                      TOTAL_BOUNDS)
                F("pipeline_runs_total", "counter").add({**lab, "status": "success"},
                                                        (lambda at: lambda ts: count_le(at, ts))(at))
                F("pipeline_runs_total", "counter").add({**lab, "status": "failed"}, lambda ts: np.zeros(ts.shape))
                F("pipeline_last_run_timestamp_seconds", "gauge").add(lab, _step(at, np.array([o[1] for o in obs])))
                if journey == "data":
                    F("pipeline_data_processed_bytes_total", "counter").add(lab, (lambda at, cum: lambda ts: np.where(
                        np.searchsorted(at, ts, side="right") > 0,
                        cum[np.maximum(np.searchsorted(at, ts, side="right") - 1, 0)] if len(cum) else 0.0, 0.0))(
                        at, np.cumsum([o[4] for o in obs]).astype(float)))
                for k, o in enumerate(obs):
                    # a revision's series exist from its observation until the next one
                    start, end = at[k], at[k + 1] if k + 1 < len(at) else math.inf
                    if end < t0 or start > t1:
                        continue       # no sample in this window: no series
                    for stage, d in o[3].items():
                        F("pipeline_last_stage_duration_seconds", "gauge").add(
                            {**lab, "stage": stage, "revision": o[2]}, _between(start, end, d))
                    slow = max(o[3], key=o[3].get)
                    F("pipeline_bottleneck_duration_seconds", "gauge").add(
                        {**lab, "stage": slow, "revision": o[2]}, _between(start, end, o[3][slow]))
        return F.list()


def _between(start: float, end: float, value: float):
    return lambda ts: np.where((ts >= start) & (ts < end), value, np.nan)


def _step(at: np.ndarray, values: np.ndarray):
    def fn(ts):
        i = np.searchsorted(at, ts, side="right") - 1
        return np.where(i >= 0, values[np.maximum(i, 0)] if len(values) else np.nan, np.nan)
    return fn


def _hist(F: Families, name: str, labels: dict, at: np.ndarray, values: np.ndarray, bounds) -> None:
    fam = F(name, "histogram")
    for le in bounds:
        sel = at[values <= le]
        fam.add({**labels, "le": str(le)}, (lambda sel: lambda ts: count_le(sel, ts))(sel), "_bucket")
    fam.add({**labels, "le": "+Inf"}, (lambda e: lambda ts: count_le(e, ts))(at), "_bucket")
    cum = np.cumsum(values) if len(values) else np.zeros(0)
    # floored to the 9 significant digits the backfill keeps (core.round_significant), so the live
    # exporter's exact sum never lands below it (which Prometheus would read as a counter reset)
    fam.add(labels, (lambda at, cum: lambda ts: _floor_significant(np.where(
        np.searchsorted(at, ts, side="right") > 0, cum[np.maximum(np.searchsorted(at, ts, side="right") - 1, 0)]
        if len(cum) else 0.0, 0.0)))(at, cum), "_sum")
    fam.add(labels, (lambda e: lambda ts: count_le(e, ts))(at), "_count")


def _floor_significant(values, digits: int = 9) -> np.ndarray:
    v = np.array(values, dtype=np.float64, copy=True, ndmin=1)
    nz = np.isfinite(v) & (v > 0)
    if nz.any():
        scale = 10.0 ** (digits - 1 - np.floor(np.log10(v[nz])))
        v[nz] = np.floor(v[nz] * scale) / scale
    return v
