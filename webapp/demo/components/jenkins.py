"""Jenkins: prometheus-plugin (``default_jenkins_*``) and Metrics plugin (``jenkins_*``), one
Jenkins per platform (first cluster) plus a small one in the second cluster.

Builds are discrete events: build ``i`` of a job starts at ``epoch + i * period + jitter`` and
takes 2-15 minutes; the counters step up when a build finishes.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ..core import Families, Family, Target, count_le, smooth, target, u01
from ..world import World
from . import Component

# result ordinals as the plugin: 0 SUCCESS, 1 UNSTABLE, 2 FAILURE, 3 NOT_BUILT, 4 ABORTED
SUCCESS, UNSTABLE, FAILURE, ABORTED = 0, 1, 2, 4

# (job, repo, period minutes, mean duration minutes)
JOBS_MAIN = [
    ("etl-orders-build", "etl-orders", 20, 6), ("etl-orders-deploy", "etl-orders", 60, 4),
    ("spark-jobs-build", "spark-jobs", 30, 9), ("spark-jobs-deploy", "spark-jobs", 90, 5),
    ("airflow-dags-ci", "airflow-dags", 15, 3), ("airflow-dags-deploy", "airflow-dags", 60, 3),
    ("trino-gateway-build", "trino-gateway", 45, 8), ("ml-models-train", "ml-models", 120, 14),
    ("ml-models-ci", "ml-models", 40, 7), ("data-ingest-build", "data-ingest", 35, 5),
    ("portal-ui-build", "portal-ui", 25, 6), ("platform-infra-plan", "platform-infra", 60, 3),
    ("iceberg-maintenance", "platform-infra", 180, 12), ("hive-schema-check", "platform-infra", 120, 2),
    ("dq-nightly-suite", "data-ingest", 240, 13), ("portal-api-build", "portal-ui", 30, 5),
]
JOBS_SECOND = [
    ("ml-serving-canary", "ml-models", 30, 4), ("portal-e2e", "portal-ui", 45, 11),
    ("ingest-replay", "data-ingest", 60, 6), ("west-infra-plan", "platform-infra", 90, 3),
]
EXECUTORS = 8
QUANTILES = ("0.5", "0.75", "0.95", "0.98", "0.99", "0.999")


class Builds:
    """All builds of one job from the world epoch to ``until``."""

    def __init__(self, world: World, cluster: str, job: str, period_min: float, dur_min: float, until: float):
        k = world.key("jenkins", cluster, job)
        period = period_min * 60
        n = int(math.ceil((until - world.epoch) / period)) + 1
        i = np.arange(n)
        self.start = world.epoch + i * period + u01(k, i) * 0.15 * period + (k % 997)
        dur = dur_min * 60 * (0.6 + 0.8 * u01(k ^ 1, i))
        self.duration = np.clip(dur, 120, min(900, 0.8 * period))
        self.waiting = 2 + 40 * u01(k ^ 5, i) ** 3
        self.finish = self.start + self.duration
        u = u01(k ^ 2, i)
        res = np.full(n, SUCCESS)
        res[u > 0.97] = UNSTABLE
        res[u > 0.985] = FAILURE
        res[u > 0.995] = ABORTED
        story = world.story["jenkins-failing-job"]
        if cluster == story.cluster:
            if job == story.entity:
                res[:] = np.where(self.start >= story.start, np.where(u > 0.96, ABORTED, FAILURE), SUCCESS)
        self.result = res
        order = np.argsort(self.finish, kind="stable")
        self.sorted_finish = self.finish[order]
        self.sorted_result = self.result[order]
        self.sorted_duration = self.duration[order]
        self.cum_dur = np.cumsum(self.sorted_duration * 1000)
        self.sorted_starts = np.sort(self.start)

    def finished(self, ts: np.ndarray, result: int | None = None) -> np.ndarray:
        if result is None:
            return count_le(self.sorted_finish, ts)
        sel = self.sorted_finish[self.sorted_result == result]
        return count_le(sel, ts)

    def duration_sum(self, ts: np.ndarray) -> np.ndarray:
        n = np.searchsorted(self.sorted_finish, ts, side="right")
        return np.where(n > 0, self.cum_dur[np.maximum(n - 1, 0)], 0.0)

    def last(self, ts: np.ndarray, arr: np.ndarray) -> np.ndarray:
        n = np.searchsorted(self.sorted_finish, ts, side="right")
        return np.where(n > 0, arr[np.maximum(n - 1, 0)], np.nan)

    def running(self, ts: np.ndarray) -> np.ndarray:
        """Elapsed ms of the running build at t (0 when none)."""
        j = np.searchsorted(self.start, ts, side="right") - 1
        j = np.maximum(j, 0)
        run = (self.start[j] <= ts) & (ts < self.finish[j])
        return np.where(run, (ts - self.start[j]) * 1000, 0.0)


@lru_cache(maxsize=64)
def _builds(world: World, cluster: str, job: str, period: float, dur: float, until_day: int) -> Builds:
    return Builds(world, cluster, job, period, dur, (until_day + 2) * 86400.0)


class Jenkins(Component):
    name = "jenkins"
    jobs = ("jenkins",)

    def _clusters(self, world: World) -> list[tuple[str, list]]:
        out = [(world.clusters[0], JOBS_MAIN[: world.scale.jenkins_jobs])]
        if len(world.clusters) > 1:
            out.append((world.clusters[1], JOBS_SECOND))
        return out

    def targets(self, world: World) -> list[Target]:
        return [target("jenkins", cl, f"jenkins.jenkins.svc.{cl}:8080", component=self.name)
                for cl, _ in self._clusters(world)]

    def builds(self, world: World, cluster: str, t1: float) -> dict[str, tuple[str, Builds]]:
        jobs = dict(self._clusters(world))[cluster]
        return {j: (repo, _builds(world, cluster, j, p, d, int(t1 // 86400))) for j, repo, p, d in jobs}

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        allb = self.builds(world, tgt.cluster, t1)
        for job, (repo, b) in allb.items():
            lab = {"jenkins_job": job, "repo": repo, "buildable": "true"}
            for fam, res in (("success", SUCCESS), ("failed", FAILURE), ("unstable", UNSTABLE), ("aborted", ABORTED),
                             ("total", None)):
                F(f"default_jenkins_builds_{fam}_build_count_total", "counter").add(
                    lab, (lambda b, res: lambda ts: b.finished(ts, res))(b, res))
            F("default_jenkins_builds_duration_milliseconds_summary", "summary").add(
                lab, (lambda b: lambda ts: b.finished(ts))(b), "_count")
            F("default_jenkins_builds_duration_milliseconds_summary", "summary").add(
                lab, (lambda b: lambda ts: b.duration_sum(ts))(b), "_sum")
            F("default_jenkins_builds_last_build_result_ordinal", "gauge").add(
                lab, (lambda b: lambda ts: b.last(ts, b.sorted_result.astype(float)))(b))
            F("default_jenkins_builds_last_build_result", "gauge").add(
                lab, (lambda b: lambda ts: b.last(ts, (b.sorted_result <= UNSTABLE).astype(float)))(b))
            F("default_jenkins_builds_last_build_duration_milliseconds", "gauge").add(
                lab, (lambda b: lambda ts: b.last(ts, np.round(b.sorted_duration * 1000)))(b))
            F("default_jenkins_builds_last_build_waiting_milliseconds", "gauge").add(
                lab, (lambda b: lambda ts: b.last(ts, np.round(b.waiting[np.argsort(b.finish, kind='stable')] * 1000)))(b))
        bl = [b for _, b in allb.values()]
        k = world.key("jenkins-queue", tgt.cluster)
        spike = world.story["jenkins-queue-spike"]
        spike_here = tgt.cluster == spike.cluster

        def in_use(ts):
            n = np.zeros(ts.shape)
            for b in bl:
                n += b.running(ts) > 0
            return np.minimum(n, EXECUTORS)

        def queue(ts):
            q = np.floor(np.maximum(0, 1.5 + 2.0 * smooth(k, ts, 900) + 1.5 * smooth(k ^ 3, ts, 120)))
            if spike_here:
                x = (ts - spike.start) / (40 * 60)
                tri = np.where((x >= 0) & (x <= 1), 1 - np.abs(2 * x - 1), 0)
                q = q + np.round(13 * tri)
            return q

        F("jenkins_queue_size_value", "gauge").add({}, queue)
        F("jenkins_queue_blocked_value", "gauge").add({}, lambda ts: queue(ts) - np.floor(queue(ts) * 0.8))
        F("jenkins_queue_stuck_value", "gauge").add({}, lambda ts: np.where(queue(ts) > 10, 1.0, 0.0))
        F("jenkins_executor_in_use_value", "gauge").add({}, in_use)
        F("jenkins_executor_free_value", "gauge").add({}, lambda ts: EXECUTORS - in_use(ts))

        def started(ts):
            n = np.zeros(ts.shape)
            for b in bl:
                n += count_le(b.sorted_starts, ts)
            return n

        base_wait = {"0.5": 4, "0.75": 9, "0.95": 30, "0.98": 55, "0.99": 80, "0.999": 140}
        for q, v in base_wait.items():
            F("jenkins_job_waiting_duration", "summary").add(
                {"quantile": q}, (lambda v: lambda ts: np.round(v * (1 + 0.2 * smooth(k ^ 7, ts, 1800)) + queue(ts) * v * 0.3, 3))(v))
        F("jenkins_job_waiting_duration", "summary").add({}, started, "_count")

        def runs(result):
            def fn(ts):
                n = np.zeros(ts.shape)
                for b in bl:
                    n += b.finished(ts, result)
                return n
            return fn
        F("jenkins_runs_failure_total", "counter").add({}, runs(FAILURE))
        return F.list()
