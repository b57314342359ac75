"""The "pipeline-exporter" of the design (no standard exporter exists): end-to-end pipeline runs
and the time each run spends in each segment of the data journey.

A pipeline run follows the design's main flow: Portal request -> Git commit -> Jenkins CI ->
Argo CD sync -> Kubernetes rollout (deploy journey), then Application processing -> Iceberg
commit -> Storage I/O (data journey). Runs are discrete events: run ``i`` of a pipeline starts at
``epoch + i * period + jitter``; each stage is observed in the histograms when it ends.

The stages from commit to running pods (``git``, ``jenkins``, ``argocd``, ``kubernetes``) are measured by
the project's real journey exporter, which the demo runs against its delivery APIs
(``realexporters.py``, history in ``journey.py``): this component times them inside each run (they count
in ``pipeline_duration_seconds``) but emits no stage series of its own for them, so every commit-to-pod
stage the /e2e page shows is the journey exporter's.

Stories (declared here, relative to the world anchor):

* ``iceberg-commit-bottleneck``: the Iceberg commit stage grows from ~2 min to ~25 min over the
  10 h before the anchor and stays there, so it becomes the pipeline's bottleneck and a share of
  runs breaches the 1 h end-to-end SLA.
* ``orders-quality-gate``: since the schema change of ``sales.orders`` (see dataquality.py) the
  data-quality gate fails every ``orders-etl`` run (status ``failed``).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ...exporters.journey import DEPLOY_STAGES as MEASURED_STAGES
from ..core import DAY, HOUR, Families, Family, Target, count_le, target, u01
from ..world import World
from . import Component

#: stages in pipeline order: (stage label, mean seconds)
STAGES = (("portal", 8), ("git", 20), ("jenkins", 420), ("argocd", 100), ("kubernetes", 90),
          ("application", 1200), ("iceberg", 120), ("storage", 150))
DEPLOY_STAGES = ("portal", "git", "jenkins", "argocd", "kubernetes")
DATA_STAGES = ("application", "iceberg", "storage")
#: (pipeline, period minutes, application-stage multiplier, GiB per run, million records per run)
PIPELINES = (("orders-etl", 30, 1.0, 40, 120), ("customer-360", 45, 1.2, 25, 60),
             ("clickstream-ingest", 20, 0.6, 90, 900), ("ml-features", 60, 1.3, 15, 20))
STAGE_LE = (5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600)
E2E_LE = (600, 1200, 1800, 2400, 2700, 3000, 3300, 3600, 4200, 5400, 7200)
ICEBERG_SLOW = 1500.0          # seconds, the bottleneck's plateau
STORY_RAMP = 10 * HOUR
QUALITY_GATE_LEAD = 5 * HOUR   # the orders schema change happens this long before the anchor


def iceberg_mean(world: World, ts: np.ndarray) -> np.ndarray:
    """Mean Iceberg commit time at ``ts``: 120 s, rising to 1500 s over the story's 10 h."""
    start = world.anchor - STORY_RAMP
    x = np.clip((np.asarray(ts, dtype=float) - start) / STORY_RAMP, 0.0, 1.0)
    return 120.0 + (ICEBERG_SLOW - 120.0) * np.sqrt(x)     # fast at first, then levelling off


def quality_gate_start(world: World) -> float:
    return world.anchor - QUALITY_GATE_LEAD


class Runs:
    """All runs of one pipeline from the world epoch to ``until``."""

    def __init__(self, world: World, name: str, period_min: float, app_mult: float, gib: float, mrec: float,
                 until: float):
        k = world.key("pipeline", name)
        period = period_min * 60
        n = int(math.ceil((until - world.epoch) / period)) + 1
        i = np.arange(n)
        self.start = world.epoch + i * period + u01(k, i) * 0.2 * period + (k % 613)
        dur = np.empty((n, len(STAGES)))
        for s, (stage, mean) in enumerate(STAGES):
            m = float(mean)
            if stage == "application":
                m *= app_mult
            base = iceberg_mean(world, self.start) if stage == "iceberg" else m
            spread = 1.0 if stage == "iceberg" else 0.7      # commit contention: a long tail
            dur[:, s] = np.round(base * (0.65 + spread * u01(k ^ (s + 1) * 7919, i)), 1)
        self.dur = dur
        self.ends = self.start[:, None] + np.cumsum(dur, axis=1)
        self.finish = self.ends[:, -1]
        self.total = self.finish - self.start
        fail = u01(k ^ 0xFA11, i) < 0.03
        if name == "orders-etl":
            fail |= self.finish >= quality_gate_start(world)
        self.failed = fail
        self.bytes = np.round(gib * 2 ** 30 * (0.6 + 0.8 * u01(k ^ 0xB7, i)))
        self.records = np.round(mrec * 1e6 * (0.6 + 0.8 * u01(k ^ 0xB7, i)))
        order = np.argsort(self.finish, kind="stable")
        self.sorted_finish = self.finish[order]
        self.sorted_total = self.total[order]
        self.sorted_failed = self.failed[order]
        self.cum_total = np.cumsum(self.sorted_total)
        self.cum_bytes = np.cumsum(self.bytes[order])
        self.cum_records = np.cumsum(self.records[order])

    def stage(self, s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sorted stage end times, their durations, cumulative durations) of stage index ``s``."""
        order = np.argsort(self.ends[:, s], kind="stable")
        d = self.dur[order, s]
        return self.ends[order, s], d, np.cumsum(d)


@lru_cache(maxsize=32)
def pipeline_runs(world: World, name: str, until_day: int) -> Runs:
    spec = {p[0]: p for p in PIPELINES}[name]
    return Runs(world, name, spec[1], spec[2], spec[3], spec[4], (until_day + 2) * DAY)


def _cum(ends: np.ndarray, cum: np.ndarray):
    def fn(ts):
        n = np.searchsorted(ends, ts, side="right")
        # rounded as the backfill file is, so live scrapes never step below it (a false counter reset)
        return np.round(np.where(n > 0, cum[np.maximum(n - 1, 0)], 0.0), 3)
    return fn


def _histogram(F: Families, name: str, labels: dict, ends: np.ndarray, values: np.ndarray, cum: np.ndarray,
               bounds) -> None:
    fam = F(name, "histogram", f"{name} (custom pipeline-exporter)")
    for le in bounds:
        sel = ends[values <= le]
        fam.add({**labels, "le": str(le)}, (lambda sel: lambda ts: count_le(sel, ts))(sel), "_bucket")
    fam.add({**labels, "le": "+Inf"}, (lambda e: lambda ts: count_le(e, ts))(ends), "_bucket")
    fam.add(labels, _cum(ends, cum), "_sum")
    fam.add(labels, (lambda e: lambda ts: count_le(e, ts))(ends), "_count")


class PipelineExporter(Component):
    name = "pipeline"
    jobs = ("pipeline-exporter",)

    def targets(self, world: World) -> list[Target]:
        return [target("pipeline-exporter", world.clusters[0], "pipeline-exporter.monitoring.svc:9108",
                       component=self.name)]

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        day = int(t1 // DAY)
        for name, *_ in PIPELINES:
            r = pipeline_runs(world, name, day)
            for s, (stage, _mean) in enumerate(STAGES):
                if stage in MEASURED_STAGES:
                    continue
                ends, d, cum = r.stage(s)
                _histogram(F, "pipeline_stage_duration_seconds", {"pipeline": name, "stage": stage}, ends, d, cum,
                           STAGE_LE)
            _histogram(F, "pipeline_duration_seconds", {"pipeline": name}, r.sorted_finish, r.sorted_total,
                       r.cum_total, E2E_LE)
            for status, sel in (("success", ~r.sorted_failed), ("failed", r.sorted_failed)):
                F("pipeline_runs_total", "counter", "pipeline runs finished, by final status").add(
                    {"pipeline": name, "status": status},
                    (lambda e: lambda ts: count_le(e, ts))(r.sorted_finish[sel]))
            F("pipeline_last_run_timestamp_seconds", "gauge", "finish time of the last run").add(
                {"pipeline": name}, (lambda r: lambda ts: np.where(
                    ts >= r.sorted_finish[0],
                    r.sorted_finish[np.maximum(np.searchsorted(r.sorted_finish, ts, side="right") - 1, 0)],
                    np.nan))(r))
            F("pipeline_data_processed_bytes_total", "counter", "bytes read and written by finished runs").add(
                {"pipeline": name}, _cum(r.sorted_finish, r.cum_bytes))
            F("pipeline_records_processed_total", "counter", "records processed by finished runs").add(
                {"pipeline": name}, _cum(r.sorted_finish, r.cum_records))
        return F.list()
