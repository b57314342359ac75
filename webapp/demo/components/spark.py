"""Apache Spark on Kubernetes: spark-operator >= 2.0 controller metrics, the Spark 4 driver UI's
``/metrics/executors/prometheus`` endpoint and the jmx_exporter java agent's JVM GC summary.

Shapes are the real exporters' (``../shared/real-exposition/spark.prom``):

* executor endpoint: no TYPE lines (untyped), ``metrics_executor_<field>`` with ``_bytes``,
  ``_seconds_total``, ``_bytes_total``, ``_total`` suffixes, times in **seconds**, labels
  ``application_id``, ``application_name``, ``executor_id``; the scrape of the driver pod adds
  ``namespace`` and ``pod`` (the driver's), as ``deploy/exporters/spark/prometheus-scrape.yml`` does;
* spark-operator: counters without ``_total``, labels ``app_type`` and ``namespace`` (the
  SparkApplication's: ``--metrics-labels=namespace`` of ``deploy/exporters/spark/spark-operator-args.yaml``).

Applications (namespace ``spark-jobs`` in every cluster):

* ``orders-streaming``: the long-running streaming SparkApplication of the world (its driver and
  executor pods are the world's pods, so pod names match kube-state-metrics).
* four ScheduledSparkApplications (batch): each run is a new application with its own
  ``spark-<hex>`` id, a driver and 2-4 executors, alive only while the run lasts.

Stories (declared here, relative to the world anchor):

* ``spark-gc-pressure`` (first cluster): the GC time ratio of orders-streaming grows from ~4% to
  ~17% over two hours from ~10 h before the anchor, and stays high.
* ``spark-app-failures`` (first cluster): every run of ``customer-360-agg`` fails since ~3 h before
  the anchor (tasks fail, the job aborts, the operator counts a failure).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..core import DAY, HOUR, Families, Family, Target, count_le, quantize, smooth, target, u01, u1
from ..world import INF, World, mi
from . import Component

NAMESPACE = "spark-jobs"
STREAMING = "orders-streaming"
# (name, app_type, period minutes, min/max duration minutes, executors)
BATCH = (
    ("daily-sales-etl", "batch", 120, 20, 40, 4),
    ("clickstream-sessionize", "batch", 60, 10, 25, 3),
    ("iceberg-compaction", "batch", 180, 25, 50, 2),
    ("customer-360-agg", "batch", 45, 8, 15, 3),
)
EXEC_CORES = 4
EXEC_STORAGE = mi(4096 - 300) * 0.6      # unified memory region of a 4 GiB executor heap
DRIVER_STORAGE = mi(2048 - 300) * 0.6
LATENCY_BUCKETS = (30, 60, 90, 120, 150, 180, 210, 240, 270, 300)  # chart default jobStartLatencyBuckets
GC_STORY_START = 10 * HOUR
SPARK_VERSION = "4.0.1"
SPARK_REVISION = "29434ea766b0fc3c3bf6eaadb43a8f931133649e"
FAIL_STORY_START = 3 * HOUR


def stories(world: World) -> dict[str, tuple[str, str, float]]:
    """name -> (cluster, entity, start)."""
    c0 = world.clusters[0]
    return {
        "spark-gc-pressure": (c0, STREAMING, world.anchor - GC_STORY_START),
        "spark-app-failures": (c0, "customer-360-agg", world.anchor - FAIL_STORY_START),
    }


def app_id(world: World, cluster: str, name: str, run: int) -> str:
    return f"spark-{world.key('spark-app-id', cluster, name, run):016x}{world.key('spark-app-id2', cluster, name, run):016x}"


@dataclass
class Runs:
    """Every run of one scheduled application from the world epoch until ``until``."""
    name: str
    app_type: str
    executors: int
    start: np.ndarray
    end: np.ndarray
    ok: np.ndarray           # bool: succeeded
    submitted: np.ndarray    # bool: False = failed submission (never ran)
    latency: np.ndarray      # start latency (s)

    def running(self, ts: np.ndarray) -> np.ndarray:
        s = self.start[self.submitted]
        e = np.sort(self.end[self.submitted])
        return count_le(np.sort(s), ts) - count_le(e, ts)


@lru_cache(maxsize=32)
def _runs(world: World, cluster: str, until_day: int) -> tuple[Runs, ...]:
    until = (until_day + 2) * DAY
    out = []
    story_cl, story_app, story_start = stories(world)["spark-app-failures"]
    for name, app_type, period_min, dmin, dmax, ex in BATCH:
        k = world.key("spark-runs", cluster, name)
        period = period_min * 60
        n = int(math.ceil((until - world.epoch) / period)) + 1
        i = np.arange(n)
        start = world.epoch + i * period + 30 + u01(k, i) * 0.1 * period + (k % 300)
        dur = (dmin + (dmax - dmin) * u01(k ^ 1, i)) * 60
        u = u01(k ^ 2, i)
        submitted = u01(k ^ 3, i) > 0.004
        ok = u > 0.015
        if cluster == story_cl and name == story_app:
            failing = start >= story_start
            ok = np.where(failing, False, ok)
            dur = np.where(failing, dur * 0.6, dur)   # aborts part-way
        latency = 20 + 70 * u01(k ^ 4, i) ** 2 + np.where(u01(k ^ 5, i) > 0.97, 200, 0)
        out.append(Runs(name, app_type, ex, start, start + dur, ok & submitted, submitted, latency))
    return tuple(out)


@dataclass(frozen=True)
class App:
    """One application run as the executor endpoint sees it."""
    cluster: str
    name: str
    app_id: str
    start: float
    end: float
    executors: tuple[tuple[str, str], ...]   # (executor_id, pod)
    failing: bool
    streaming: bool


def _stream_apps(world: World, cluster: str, t0: float, t1: float) -> list[App]:
    pods = [p for p in world.pods(cluster, t0, t1) if p.workload.name == STREAMING and p.namespace == NAMESPACE]
    if not pods:
        return []
    drv = [p for p in pods if p.name.endswith("-driver")]
    ex = sorted((p for p in pods if not p.name.endswith("-driver")), key=lambda p: p.name)
    start = drv[0].running if drv else min(p.created for p in pods)
    executors = (("driver", drv[0].name if drv else f"{STREAMING}-driver"),) + tuple(
        (p.name.rsplit("-", 1)[-1], p.name) for p in ex)
    return [App(cluster, STREAMING, app_id(world, cluster, STREAMING, 0), start, INF, executors, False, True)]


def batch_apps(world: World, cluster: str, t0: float, t1: float) -> list[App]:
    out = []
    for r in _runs(world, cluster, int(t1 // DAY)):
        sel = np.nonzero(r.submitted & (r.start <= t1) & (r.end > t0))[0]
        for i in sel.tolist():
            aid = app_id(world, cluster, r.name, i)
            pod_prefix = f"{r.name}-{aid[6:14]}"
            executors = (("driver", f"{r.name}-{int(r.start[i])}-driver"),) + tuple(
                (str(e + 1), f"{pod_prefix}-exec-{e + 1}") for e in range(r.executors))
            out.append(App(cluster, r.name, aid, float(r.start[i]), float(r.end[i]), executors,
                           not bool(r.ok[i]), False))
    return out


def apps(world: World, cluster: str, t0: float, t1: float) -> list[App]:
    return _stream_apps(world, cluster, t0, t1) + batch_apps(world, cluster, t0, t1)


def _gc_params(world: World, app: App, executor: str) -> tuple[float, float, float, float]:
    """(base ratio, wave amplitude, wave period, wave phase) of an executor's GC time ratio."""
    k = world.key("spark-gc", app.cluster, app.app_id, executor)
    return 0.035 + 0.015 * u1(k), 0.008, 3 * HOUR * (1 + u1(k, 1)), 2 * math.pi * u1(k, 2)


def _story_gc(world: World, app: App, executor: str) -> tuple[float, float]:
    """(start, extra ratio) of the GC pressure story for this executor (extra 0 = none)."""
    cl, _, start = stories(world)["spark-gc-pressure"]
    if app.streaming and app.cluster == cl and executor != "driver":
        return start, 0.13
    return 0.0, 0.0


GC_RAMP = 2 * HOUR


def gc_ratio(world: World, app: App, executor: str, ts: np.ndarray) -> np.ndarray:
    """GC time / task time of an executor at ``ts``."""
    b, a, per, ph = _gc_params(world, app, executor)
    s, extra = _story_gc(world, app, executor)
    return b + a * np.cos(2 * np.pi * ts / per + ph) + extra * np.clip((ts - s) / GC_RAMP, 0, 1)


def gc_integral(world: World, app: App, executor: str, ts: np.ndarray) -> np.ndarray:
    """Exact integral of :func:`gc_ratio` from the application start to ``ts`` (seconds)."""
    b, a, per, ph = _gc_params(world, app, executor)
    s, extra = _story_gc(world, app, executor)
    t = np.maximum(ts, app.start)
    w = 2 * np.pi / per
    v = b * (t - app.start) + a / w * (np.sin(w * t + ph) - np.sin(w * app.start + ph))

    def ramp(x):
        d = np.maximum(x - s, 0.0)
        return np.where(d < GC_RAMP, d * d / (2 * GC_RAMP), GC_RAMP / 2 + (d - GC_RAMP))
    if extra:
        v = v + extra * (ramp(t) - ramp(np.asarray(app.start)))
    return v


class Spark(Component):
    name = "spark"
    jobs = ("spark-operator", "spark-executors", "spark-jmx")

    def targets(self, world: World) -> list[Target]:
        out = []
        for cl in world.clusters:
            out.append(target("spark-operator", cl, "spark-operator-metrics.spark-jobs.svc:8080", component=self.name))
            out.append(target("spark-executors", cl, "spark-driver-ui.spark-jobs.svc:4040", component=self.name))
            out.append(target("spark-jmx", cl, "spark-jmx.spark-jobs.svc:8090", component=self.name))
        return out

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        if tgt.job == "spark-operator":
            return self._operator(world, tgt.cluster, t1)
        if tgt.job == "spark-executors":
            return self._executors(world, tgt.cluster, t0, t1)
        return self._jmx(world, tgt.cluster, t0, t1)

    # ------------------------------------------------------------------ spark-operator
    def _operator(self, world: World, cluster: str, t1: float) -> list[Family]:
        F = Families()
        runs = _runs(world, cluster, int(t1 // DAY))
        stream = _stream_apps(world, cluster, t1, t1)
        lab = {"namespace": NAMESPACE, "app_type": "batch"}
        sub = np.sort(np.concatenate([r.start for r in runs]))
        subm = np.concatenate([r.submitted for r in runs])
        starts = np.concatenate([r.start for r in runs])
        ends = np.concatenate([r.end for r in runs])
        oks = np.concatenate([r.ok for r in runs])
        lat = np.concatenate([r.latency for r in runs])
        ok_end_order = np.argsort(ends[oks])
        ok_ends = ends[oks][ok_end_order]
        ok_dur_cum = np.cumsum((ends - starts)[oks][ok_end_order])
        fail_sel = subm & ~oks
        f_order = np.argsort(ends[fail_sel])
        fail_ends = ends[fail_sel][f_order]
        fail_dur_cum = np.cumsum((ends - starts)[fail_sel][f_order])
        fsub = np.sort(starts[~subm])
        lat_start = starts[subm]
        ex_runs = np.concatenate([np.full(len(r.start), r.executors) for r in runs])[subm]
        ex_ok_ends = np.sort(np.repeat(ends[subm], ex_runs))

        def cum(times, cums):
            def fn(ts):
                n = np.searchsorted(times, ts, side="right")
                return np.where(n > 0, cums[np.maximum(n - 1, 0)], 0.0) if len(cums) else np.zeros(ts.shape)
            return fn

        F("spark_application_submit_count", "counter").add(lab, lambda ts: count_le(sub, ts))
        F("spark_application_failed_submission_count", "counter").add(lab, lambda ts: count_le(fsub, ts))
        F("spark_application_success_count", "counter").add(lab, lambda ts: count_le(ok_ends, ts))
        F("spark_application_failure_count", "counter").add(lab, lambda ts: count_le(fail_ends, ts))
        F("spark_application_running_count", "gauge").add(
            lab, lambda ts: sum((r.running(ts) for r in runs), np.zeros(ts.shape)))
        F("spark_application_success_execution_time_seconds", "summary").add(
            lab, lambda ts: np.round(cum(ok_ends, ok_dur_cum)(ts), 3), "_sum")
        F("spark_application_success_execution_time_seconds", "summary").add(lab, lambda ts: count_le(ok_ends, ts),
                                                                             "_count")
        F("spark_application_failure_execution_time_seconds", "summary").add(
            lab, lambda ts: np.round(cum(fail_ends, fail_dur_cum)(ts), 3), "_sum")
        F("spark_application_failure_execution_time_seconds", "summary").add(
            lab, lambda ts: count_le(fail_ends, ts), "_count")
        hist = "spark_application_start_latency_seconds_histogram"
        lat_s = lat[subm]
        st_order = np.argsort(lat_start)
        ls, lv = lat_start[st_order], lat_s[st_order]
        for le in LATENCY_BUCKETS:
            sel = np.sort(ls[lv <= le])
            F(hist, "histogram").add({**lab, "le": str(le)}, (lambda sel: lambda ts: count_le(sel, ts))(sel), "_bucket")
        F(hist, "histogram").add({**lab, "le": "+Inf"}, lambda ts: count_le(ls, ts), "_bucket")
        F(hist, "histogram").add(lab, lambda ts: count_le(ls, ts), "_count")
        F(hist, "histogram").add(lab, lambda ts: np.round(cum(ls, np.cumsum(lv))(ts), 3), "_sum")
        # executors of batch runs end with their application
        F("spark_executor_success_count", "counter").add(lab, lambda ts: count_le(ex_ok_ends, ts))
        F("spark_executor_running_count", "gauge").add(
            lab, lambda ts: sum((r.running(ts) * r.executors for r in runs), np.zeros(ts.shape)))
        if stream:
            slab = {"namespace": NAMESPACE, "app_type": "streaming"}
            s_start = stream[0].start
            n_ex = len(stream[0].executors) - 1
            F("spark_application_submit_count", "counter").add(slab, lambda ts: np.where(ts >= s_start - 30, 1.0, 0.0))
            F("spark_application_running_count", "gauge").add(slab, lambda ts: np.where(ts >= s_start, 1.0, 0.0))
            F("spark_executor_running_count", "gauge").add(slab, lambda ts: np.where(ts >= s_start, float(n_ex), 0.0))
            oom = world.story["oom-killed-executor"]
            ooms = (oom.start + 2700 * np.arange(1, 200)) if cluster == oom.cluster else np.zeros(0)
            F("spark_executor_failure_count", "counter").add(slab, lambda ts: count_le(ooms, ts))
        return F.list()

    # ------------------------------------------------------------------ executor endpoint
    def _executors(self, world: World, cluster: str, t0: float, t1: float) -> list[Family]:
        F = Families()
        for app in apps(world, cluster, t0, t1):
            driver_pod = app.executors[0][1]
            F("spark_info", "unknown").add({"version": SPARK_VERSION, "revision": SPARK_REVISION,
                                            "namespace": NAMESPACE, "pod": driver_pod},
                                           (lambda a: lambda ts: np.where((ts >= a.start) & (ts < a.end), 1.0, np.nan))(app))
            for ex_id, _pod in app.executors:
                lab = {"application_id": app.app_id, "application_name": app.name, "executor_id": ex_id,
                       "namespace": NAMESPACE, "pod": driver_pod}
                self._executor_series(world, F, app, ex_id, lab)
        return F.list()

    @staticmethod
    def _executor_series(world: World, F: Families, app: App, ex_id: str, lab: dict) -> None:
        """The executor's series as PrometheusResource prints them (untyped; seconds and bytes)."""
        k = world.key("spark-exec", app.cluster, app.app_id, ex_id)
        drv = ex_id == "driver"
        start, end = app.start, app.end
        util = 0.15 if drv else 0.55 + 0.25 * u1(k)

        def elapsed(ts):
            return np.maximum(quantize(ts) - start, 0.0)

        def live(v, ts):
            return np.where((ts >= start) & (ts < end), v, np.nan)

        def duration_s(ts):
            return live(np.round(elapsed(ts) * EXEC_CORES * util, 3), ts)

        def gc_s(ts):
            return live(np.round(gc_integral(world, app, ex_id, quantize(ts)) * EXEC_CORES * util, 3), ts)

        max_mem = DRIVER_STORAGE if drv else EXEC_STORAGE

        def mem_used(ts):
            frac = 0.35 + 0.2 * smooth(k ^ 1, ts, 1800) + 0.1 * u1(k, 2)
            oom = world.story["oom-killed-executor"]
            if app.streaming and ex_id == "2" and app.cluster == oom.cluster:
                phase = ((ts - oom.start) % 2700) / 2700
                frac = np.where(ts >= oom.start, 0.55 + 0.43 * phase, frac)
            return live(np.round(max_mem * np.clip(frac, 0.05, 0.99)), ts)

        task_rate = 0 if drv else 0.6 + 0.8 * u1(k, 3)
        in_rate = 0 if drv else (6 + 20 * u1(k, 4)) * 1e6
        sh_r = 0 if drv else (3 + 10 * u1(k, 5)) * 1e6
        sh_w = 0 if drv else (2 + 8 * u1(k, 6)) * 1e6
        heap = (2048 if drv else 4096) * 1048576

        def counter(rate):
            return lambda ts: live(np.floor(elapsed(ts) * rate), ts)

        def failed(ts):
            e = elapsed(ts)
            if drv:
                return live(np.zeros(ts.shape), ts)
            if app.failing:
                # tasks start failing in the last third of the (aborted) run: 4 attempts x a few tasks
                frac = np.clip((e / max(end - start, 1) - 0.6) / 0.4, 0, 1)
                return live(np.floor(frac * (8 + 8 * u1(k, 7))), ts)
            return live(np.floor(np.clip(e - 600, 0, None) / (4 * HOUR) * (u1(k, 8) > 0.7)), ts)

        U = "unknown"  # the endpoint prints no TYPE lines
        F("metrics_executor_rddBlocks", U).add(lab, lambda ts: live(np.zeros(ts.shape), ts))
        F("metrics_executor_memoryUsed_bytes", U).add(lab, mem_used)
        F("metrics_executor_maxMemory_bytes", U).add(lab, lambda ts: live(np.full(ts.shape, round(max_mem)), ts))
        F("metrics_executor_totalShuffleRead_bytes_total", U).add(lab, counter(sh_r))
        F("metrics_executor_totalShuffleWrite_bytes_total", U).add(lab, counter(sh_w))
        F("metrics_executor_totalInputBytes_bytes_total", U).add(lab, counter(in_rate))
        F("metrics_executor_totalGCTime_seconds_total", U).add(lab, gc_s)
        F("metrics_executor_totalDuration_seconds_total", U).add(lab, duration_s)
        F("metrics_executor_completedTasks_total", U).add(lab, counter(task_rate))
        F("metrics_executor_failedTasks_total", U).add(lab, failed)
        F("metrics_executor_activeTasks", U).add(
            lab, lambda ts: live(0.0 if drv else np.round(np.clip(EXEC_CORES * (util + 0.3 * smooth(k ^ 2, ts, 300)),
                                                                  0, EXEC_CORES)), ts))
        F("metrics_executor_JVMHeapMemory_bytes", U).add(
            lab, lambda ts: live(np.round(heap * (0.45 + 0.25 * (0.5 + 0.5 * smooth(k ^ 3, ts, 600)))), ts))
        F("metrics_executor_MajorGCTime_seconds_total", U).add(lab, lambda ts: np.round(gc_s(ts) * 0.15, 3))

    # ------------------------------------------------------------------ jmx_exporter agent (JVM)
    def _jmx(self, world: World, cluster: str, t0: float, t1: float) -> list[Family]:
        F = Families()
        for app in apps(world, cluster, t0, t1):
            for ex_id, pod in app.executors:
                lab = {"namespace": NAMESPACE, "pod": pod}
                k = world.key("spark-exec", app.cluster, app.app_id, ex_id)
                util = 0.15 if ex_id == "driver" else 0.55 + 0.25 * u1(k)
                start, end = app.start, app.end

                def gc_s(ts, share, app=app, ex_id=ex_id, util=util, start=start, end=end):
                    v = gc_integral(world, app, ex_id, quantize(ts)) * util * share
                    return np.where((ts >= start) & (ts < end), np.round(v, 3), np.nan)

                for gc, share, pause in (("G1 Young Generation", 0.85, 0.04), ("G1 Old Generation", 0.15, 0.6)):
                    F("jvm_gc_collection_seconds", "summary").add(
                        {**lab, "gc": gc}, (lambda f, share: lambda ts: f(ts, share))(gc_s, share), "_sum")
                    F("jvm_gc_collection_seconds", "summary").add(
                        {**lab, "gc": gc}, (lambda f, share, pause: lambda ts: np.floor(f(ts, share) / pause))(gc_s, share, pause),
                        "_count")
        return F.list()
