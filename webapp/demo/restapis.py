"""Demo REST APIs: a Spark History Server (``/api/v1``) and one Airflow 3 REST API (``/api/v2``) per
cluster, answering for the demo's simulated Spark applications and Airflow DAGs.

One small threaded ``http.server`` (loopback, free port) serves both:

* ``<base>/spark-history/api/v1/...``: every cluster's Spark applications (their ids are unique);
* ``<base>/airflow/<cluster>/api/v2/...`` (and ``POST .../auth/token``): that cluster's Airflow.

Everything is derived from the world and the clock, consistent with the metrics of
``components/spark.py`` and ``components/airflow.py`` (whose functions are imported read-only): the
same application ids, executors, start/end times and per-executor totals (the executor values are
the metric functions themselves evaluated at "now" or at the application's end), the same DAG runs
and task timings. Stories as the metrics tell them:

* ``spark-app-failures``: ``customer-360-agg`` runs since the story start end with a FAILED job whose
  last stage failed (one task index failed 4 times); the executors' ``failedTasks`` equal the metric;
* ``spark-gc-pressure``: ``orders-streaming`` micro-batch stages' ``jvmGcTime / executorRunTime``
  follow the executors' GC ratio (rising from ~4% to ~17%);
* ``oom-killed-executor``: ``orders-streaming`` (first cluster) lists, besides the active executor
  ``2``, the executors removed by the OOM killer every 45 min (last 24 h), ``removeReason``
  "... exit code 137(SIGKILL, possible container OOM)." (removed incarnations get new ids, as Spark
  numbers replacements; the slot keeps id ``2`` as in the metrics);
* ``airflow-dag-failing``: ``sales_mart_refresh`` runs fail (``build_mart`` failed after 3 tries,
  ``publish_mart`` upstream_failed).

Field names and shapes follow real answers (``tests/fixtures/spark_history/``, recorded from Spark
4.3.0) and the Airflow 3 OpenAPI spec (``tests/fixtures/airflow/``).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import json
import math
import pathlib
import secrets
import threading
import time
import urllib.parse
import uuid
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from .core import DAY, HOUR, Families, stable_key, u1
from .components import airflow as af
from .components import spark as sp
from .world import World

__all__ = ["RestApiServer"]

LOOKBACK = 8 * DAY            # applications and DAG runs listed (and found by id) this far back
SPARK_VERSION = "3.5.3"       # the image tag of the world's Spark workloads
STREAM_BATCH = 300.0          # orders-streaming micro-batch trigger (s)
STREAM_WINDOW = 2 * HOUR      # micro-batches kept by the demo History Server
OOM_PERIOD = 2700.0           # components/spark.py: executor 2 OOM-killed every 45 min
OOM_WINDOW = DAY
AIRFLOW_VERSION = "3.1.0"
# The team owning each DAG: its `owners` and a `team:<name>` tag (what tenancy scopes Airflow by).
DAG_TEAMS = {"orders_daily_load": "orders", "sales_mart_refresh": "sales", "clickstream_hourly": "web-analytics",
             "ml_feature_export": "ml", "iceberg_maintenance": "platform", "dq_checks": "platform"}

# (call site, weight, kind) of each batch application's stages, in order; a job is two stages
PLANS = {
    "daily-sales-etl": [("parquet at DailySalesEtl.scala:48", 0.30, "in"),
                        ("groupBy at DailySalesEtl.scala:71", 0.25, "shuffle"),
                        ("join at DailySalesEtl.scala:90", 0.20, "shuffle"),
                        ("save at DailySalesEtl.scala:112", 0.25, "out")],
    "clickstream-sessionize": [("json at Sessionize.scala:33", 0.35, "in"),
                               ("window at Sessionize.scala:58", 0.40, "shuffle"),
                               ("append at Sessionize.scala:80", 0.25, "out")],
    "iceberg-compaction": [("planFiles at RewriteDataFiles.scala:140", 0.15, "in"),
                           ("rewrite at RewriteDataFiles.scala:212", 0.70, "shuffle"),
                           ("commit at RewriteDataFiles.scala:260", 0.15, "out")],
    "customer-360-agg": [("table at Customer360.scala:41", 0.25, "in"),
                         ("join at Customer360.scala:77", 0.30, "shuffle"),
                         ("groupBy at Customer360.scala:96", 0.25, "shuffle"),
                         ("save at Customer360.scala:121", 0.20, "out")],
}
STREAM_STAGES = [("start at OrdersStreaming.scala:88 (kafka orders)", "in", 12),
                 ("start at OrdersStreaming.scala:88 (iceberg orders_enriched)", "out", 4)]
FAIL_ERROR = ("java.lang.IllegalStateException: null customer_id in join with dim_customer "
              "(schema drift in crm.customers: column cust_id renamed)")
OOM_REASON = "The executor with id {id} exited with exit code 137(SIGKILL, possible container OOM)."


# ----------------------------------------------------------------------------- formatting
def spark_time(t: float | None) -> str:
    if t is None or not math.isfinite(t):
        return "1969-12-31T23:59:59.999GMT"
    d = dt.datetime.fromtimestamp(round(t, 3), tz=dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}GMT"


def iso(t: float | None) -> str | None:
    if t is None or not math.isfinite(t):
        return None
    d = dt.datetime.fromtimestamp(round(t, 3), tz=dt.timezone.utc)
    return d.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _uuid(*parts) -> str:
    return str(uuid.UUID(int=(sp_key(*parts) << 64) | sp_key("lo", *parts), version=4))


def sp_key(*parts) -> int:
    return stable_key(*parts)


# ----------------------------------------------------------------------------- Spark model
def _executor_fns(world: World, app: sp.App, ex_id: str) -> dict:
    """The metric functions of one executor (components/spark.py), by sample name."""
    F = Families()
    sp.Spark._executor_series(world, F, app, ex_id, {})
    return {s.name: s.fn for fam in F.list() for s in fam.series}


def _value(fns: dict, name: str, t: float) -> float:
    v = float(fns[name](np.array([t], dtype=float))[0])
    return 0.0 if math.isnan(v) else v


def _ip(world: World, cluster: str, pod: str) -> str:
    ci = world.clusters.index(cluster) if cluster in world.clusters else 0
    k = world.key("restapi-ip", cluster, pod)
    return f"10.{64 + ci * 8 + int(u1(k) * 4)}.{int(u1(k, 1) * 250) + 2}.{int(u1(k, 2) * 250) + 2}"


class SparkModel:
    def __init__(self, world: World, clock=time.time):
        self.world = world
        self.clock = clock
        self._lock = threading.Lock()
        self._index: tuple[int, dict[str, sp.App]] | None = None
        self._built_at = 0.0

    # ------------------------------------------------------------------ lookup
    def apps(self, fresh: bool = False) -> dict[str, sp.App]:
        now = self.clock()
        minute = int(now // 60)
        with self._lock:
            # `fresh`: an app that started since the index was built (at most every 5 s, so misses
            # cannot make the index rebuild on every request).
            stale = fresh and now - self._built_at > 5
            if self._index is None or self._index[0] != minute or stale:
                self._built_at = now
                t0 = max(self.world.epoch, now - LOOKBACK)
                idx = {}
                for cl in self.world.clusters:
                    for a in sp.apps(self.world, cl, t0, now):
                        if a.start <= now:
                            idx[a.app_id] = a
                self._index = (minute, idx)
            return self._index[1]

    def app(self, app_id: str) -> sp.App | None:
        found = self.apps().get(app_id)
        return found if found is not None else self.apps(fresh=True).get(app_id)

    # ------------------------------------------------------------------ application
    def application_json(self, a: sp.App) -> dict:
        now = self.clock()
        done = a.end <= now
        end = a.end if done else None
        last = a.end if done else now
        return {"id": a.app_id, "name": a.name, "attempts": [{
            "startTime": spark_time(a.start), "endTime": spark_time(end), "lastUpdated": spark_time(last),
            "duration": int(round(((a.end if done else now) - a.start) * 1000)), "sparkUser": "spark",
            "completed": done, "appSparkVersion": SPARK_VERSION,
            "startTimeEpoch": int(a.start * 1000), "endTimeEpoch": int(end * 1000) if end else -1,
            "lastUpdatedEpoch": int(last * 1000)}]}

    def applications_json(self, status: str | None, limit: int | None) -> list[dict]:
        now = self.clock()
        rows = sorted(self.apps().values(), key=lambda a: (-a.start, a.app_id))
        if status == "running":
            rows = [a for a in rows if a.end > now]
        elif status == "completed":
            rows = [a for a in rows if a.end <= now]
        if limit is not None:
            rows = rows[:max(0, limit)]
        return [self.application_json(a) for a in rows]

    # ------------------------------------------------------------------ executors
    def _eval_time(self, a: sp.App) -> float:
        return min(self.clock(), a.end - 0.001)

    def executors_json(self, a: sp.App, include_removed: bool) -> list[dict]:
        t = self._eval_time(a)
        out = []
        oom = self.world.story["oom-killed-executor"]
        oom_app = a.streaming and a.cluster == oom.cluster
        n_ex = len(a.executors) - 1
        for ex_id, pod in a.executors:
            fns = _executor_fns(self.world, a, ex_id)
            add = a.start + (0 if ex_id == "driver" else 8 + 2 * u1(self.world.key("restapi-add", a.app_id, ex_id)))
            if oom_app and ex_id == "2" and t >= oom.start + OOM_PERIOD:
                add = oom.start + OOM_PERIOD * math.floor((t - oom.start) / OOM_PERIOD)
            out.append(self._executor_row(a, ex_id, pod, fns, t, add))
        if include_removed and oom_app and t >= oom.start + OOM_PERIOD:
            pod = dict(a.executors).get("2", "")
            fns = _executor_fns(self.world, a, "2")
            k_last = math.floor((t - oom.start) / OOM_PERIOD)
            k_first = max(1, math.ceil((t - OOM_WINDOW - oom.start) / OOM_PERIOD))
            for k in range(k_first, k_last + 1):
                kill = oom.start + OOM_PERIOD * k
                prev = a.start if k == 1 else kill - OOM_PERIOD
                rid = str(n_ex + k)
                row = self._executor_row(a, rid, pod, fns, kill - 1, prev, scale=(kill - prev) / max(kill - a.start, 1))
                row.update(isActive=False, removeTime=spark_time(kill), removeReason=OOM_REASON.format(id=rid),
                           activeTasks=0)
                out.append(row)
        return out

    def _executor_row(self, a: sp.App, ex_id: str, pod: str, fns: dict, t: float, add: float,
                      scale: float = 1.0) -> dict:
        drv = ex_id == "driver"
        v = {name: _value(fns, name, t) for name in fns}
        max_mem = int(v["metrics_executor_maxMemory_bytes"])
        completed = int(v["metrics_executor_completedTasks_total"] * scale)
        failed = int(v["metrics_executor_failedTasks_total"] * scale)
        active = int(v["metrics_executor_activeTasks"]) if t < a.end - 1 else 0
        cores = 0 if drv else sp.EXEC_CORES
        return {
            "id": ex_id, "hostPort": f"{_ip(self.world, a.cluster, pod)}:{7079 if drv else 37000 + len(ex_id)}",
            "isActive": True, "rddBlocks": 0, "memoryUsed": int(v["metrics_executor_memoryUsed_bytes"]),
            "diskUsed": 0, "totalCores": cores, "maxTasks": cores, "activeTasks": active,
            "failedTasks": failed, "completedTasks": completed, "totalTasks": completed + failed + active,
            "totalDuration": int(v["metrics_executor_totalDuration_seconds_total"] * 1000 * scale),
            "totalGCTime": int(v["metrics_executor_totalGCTime_seconds_total"] * 1000 * scale),
            "totalInputBytes": int(v["metrics_executor_totalInputBytes_bytes_total"] * scale),
            "totalShuffleRead": int(v["metrics_executor_totalShuffleRead_bytes_total"] * scale),
            "totalShuffleWrite": int(v["metrics_executor_totalShuffleWrite_bytes_total"] * scale),
            "isBlacklisted": False, "maxMemory": max_mem, "addTime": spark_time(add),
            "executorLogs": {} if drv else {
                "stdout": f"http://{pod}:8081/logPage/?appId={a.app_id}&executorId={ex_id}&logType=stdout"},
            "memoryMetrics": {"usedOnHeapStorageMemory": int(v["metrics_executor_memoryUsed_bytes"]),
                              "usedOffHeapStorageMemory": 0, "totalOnHeapStorageMemory": max_mem,
                              "totalOffHeapStorageMemory": 0},
            "blacklistedInStages": [], "attributes": {}, "resources": {}, "resourceProfileId": 0,
            "isExcluded": False, "excludedInStages": []}

    # ------------------------------------------------------------------ jobs and stages
    def stages(self, a: sp.App) -> list[dict]:
        """Internal stage records (times in seconds), ordered by stage id; only submitted stages."""
        if a.streaming:
            return self._stream_stages(a)
        return _batch_stages(self.world, a, self.clock())

    def _stream_stages(self, a: sp.App) -> list[dict]:
        now = self.clock()
        b1 = math.floor((now - a.start) / STREAM_BATCH)
        b0 = max(0, b1 - int(STREAM_WINDOW / STREAM_BATCH) + 1)
        return [s for b in range(b0, b1 + 1) for s in _stream_batch(self.world, a, b) if s["submitted"] <= now]

    def stage_json(self, a: sp.App, s: dict) -> dict:
        now = self.clock()
        done = s["completed"] <= now
        status = ("FAILED" if s["failed"] else "COMPLETE") if done else "ACTIVE"
        row = {
            "status": status, "stageId": s["id"], "attemptId": 0, "numTasks": s["num_tasks"],
            "numActiveTasks": 0 if done else min(s["num_tasks"], sp.EXEC_CORES * s["n_ex"]),
            "numCompleteTasks": s["num_tasks"] - s["n_failed_idx"] if done else int(s["num_tasks"] * _frac(s, now)),
            "numFailedTasks": s["num_failed"], "numKilledTasks": 0,
            "numCompletedIndices": s["num_tasks"] - s["n_failed_idx"] if done else int(s["num_tasks"] * _frac(s, now)),
            "submissionTime": spark_time(s["submitted"]),
            "firstTaskLaunchedTime": spark_time(s["submitted"] + 0.05),
            "completionTime": spark_time(s["completed"]) if done else None,
            "executorRunTime": s["run_ms"], "executorCpuTime": s["run_ms"] * 870_000, "jvmGcTime": s["gc_ms"],
            "inputBytes": s["in"], "inputRecords": s["in"] // 180, "outputBytes": s["out"],
            "outputRecords": s["out"] // 160, "shuffleReadBytes": s["sr"], "shuffleReadRecords": s["sr"] // 120,
            "shuffleWriteBytes": s["sw"], "shuffleWriteRecords": s["sw"] // 120,
            "memoryBytesSpilled": 0, "diskBytesSpilled": 0, "peakExecutionMemory": 0,
            "name": s["name"], "details": "", "schedulingPool": "default", "rddIds": [],
            "accumulatorUpdates": [], "killedTasksSummary": {}, "resourceProfileId": 0}
        if not done:
            row.pop("completionTime")
        if s["failed"] and done:
            row["failureReason"] = s["reason"]
        return row

    def environment_json(self, a: sp.App) -> dict:
        """`/environment`: the properties a Kubernetes submission sets (the namespace among them)."""
        props = {"spark.app.id": a.app_id, "spark.app.name": a.name, "spark.master": "k8s://https://kubernetes.default.svc",
                 "spark.kubernetes.namespace": sp.NAMESPACE, "spark.submit.deployMode": "cluster",
                 "spark.eventLog.enabled": "true"}
        return {"runtime": {"javaVersion": "17.0.13", "javaHome": "/opt/java/openjdk", "scalaVersion": "version 2.12.18"},
                "sparkProperties": sorted([k, v] for k, v in props.items()), "hadoopProperties": [],
                "systemProperties": [], "metricsProperties": [], "classpathEntries": [], "resourceProfiles": []}

    def jobs_json(self, a: sp.App) -> list[dict]:
        now = self.clock()
        by_job: dict[int, list[dict]] = {}
        for s in self.stages(a):
            by_job.setdefault(s["job"], []).append(s)
        out = []
        for jid in sorted(by_job, reverse=True):
            ss = by_job[jid]
            done_ss = [s for s in ss if s["completed"] <= now]
            failed = any(s["failed"] for s in done_ss)
            done = failed or (len(done_ss) == len(ss) and ss[-1]["last_in_job"])
            row = {"jobId": jid, "name": ss[-1]["name"] if done else ss[0]["name"],
                   "submissionTime": spark_time(ss[0]["submitted"]),
                   "stageIds": [s["id"] for s in ss], "jobTags": [],
                   "status": ("FAILED" if failed else "SUCCEEDED") if done else "RUNNING",
                   "numTasks": sum(s["num_tasks"] for s in ss), "numActiveTasks": 0,
                   "numCompletedTasks": sum(s["num_tasks"] - s["n_failed_idx"] for s in done_ss),
                   "numSkippedTasks": 0, "numFailedTasks": sum(s["num_failed"] for s in done_ss),
                   "numKilledTasks": 0, "numCompletedIndices": sum(s["num_tasks"] - s["n_failed_idx"] for s in done_ss),
                   "numActiveStages": len(ss) - len(done_ss), "numCompletedStages": sum(not s["failed"] for s in done_ss),
                   "numSkippedStages": 0, "numFailedStages": sum(s["failed"] for s in done_ss),
                   "killedTasksSummary": {}}
            if done:
                row["completionTime"] = spark_time(max(s["completed"] for s in done_ss))
            out.append(row)
        return out

    def find_stage(self, a: sp.App, stage_id: int) -> dict | None:
        if a.streaming:
            s = [x for x in _stream_batch(self.world, a, stage_id // len(STREAM_STAGES)) if x["id"] == stage_id]
            return s[0] if s and s[0]["submitted"] <= self.clock() else None
        return next((s for s in self.stages(a) if s["id"] == stage_id), None)

    def tasks_json(self, a: sp.App, s: dict, offset: int, length: int) -> list[dict]:
        now = self.clock()
        w = self.world
        execs = [(e, p) for e, p in a.executors if e != "driver"] or list(a.executors)
        n, slots = s["num_tasks"], sp.EXEC_CORES * len(execs)
        waves = max(1, math.ceil(n / slots))
        span = s["completed"] - s["submitted"]
        wave = span / waves
        rows = []
        k = w.key("restapi-tasks", a.app_id, s["id"])
        for i in range(n):
            ex, pod = execs[i % len(execs)]
            launch = s["submitted"] + 0.05 + (i // slots) * wave + 0.08 * wave * u1(k, i)
            dur = wave * (0.55 + 0.35 * u1(k ^ 1, i))
            rows.append((launch, i, 0, ex, pod, dur, "SUCCESS", ""))
        if s["num_failed"]:
            # the failures of each executor (metric failedTasks), on a few task indices, 4 attempts each
            j = 0
            for ex, pod in execs:
                for _ in range(s["fail_by_exec"].get(ex, 0)):
                    idx = (j // 4) * 7 % max(n, 1)
                    launch = s["completed"] - span * 0.35 + span * 0.34 * (j + 1) / (s["num_failed"] + 1)
                    rows.append((launch, idx, j % 4, ex, pod, 2 + 6 * u1(k ^ 2, j), "FAILED", FAIL_ERROR))
                    j += 1
        rows.sort(key=lambda r: r[0])
        out = []
        for tid, (launch, idx, att, ex, pod, dur, status, err) in enumerate(rows):
            if launch > now:
                break
            if tid < offset:
                continue
            if len(out) >= length:
                break
            running = launch + dur > now
            gc = dur * float(sp.gc_ratio(w, a, ex, np.array([launch]))[0])
            row = {"taskId": s["tid0"] + tid, "index": idx, "attempt": att, "partitionId": idx,
                   "launchTime": spark_time(launch), "executorId": ex, "host": _ip(w, a.cluster, pod),
                   "status": "RUNNING" if running else status, "taskLocality": "PROCESS_LOCAL" if idx % 3 else "NODE_LOCAL",
                   "speculative": False, "accumulatorUpdates": [],
                   "taskMetrics": {"executorRunTime": int(dur * 1000 * 0.95), "jvmGcTime": int(gc * 1000),
                                   "executorDeserializeTime": 3, "resultSize": 2100},
                   "executorLogs": {}, "schedulerDelay": 4, "gettingResultTime": 0}
            if not running:
                row["duration"] = int(dur * 1000)
            if err and not running:
                row["errorMessage"] = err
            out.append(row)
        return out


def _frac(s: dict, now: float) -> float:
    return min(1.0, max(0.0, (now - s["submitted"]) / max(s["completed"] - s["submitted"], 1e-3)))


@lru_cache(maxsize=512)
def _batch_stages_cached(world: World, a: sp.App) -> tuple:
    k = world.key("restapi-stages", a.app_id)
    plan = PLANS.get(a.name, [("run at Job.scala:10", 1.0, "in")])
    execs = [e for e, _ in a.executors if e != "driver"]
    t_end = a.end - 0.001
    totals = {e: {n: _value(f, n, t_end) for n in f} for e, f in ((e, _executor_fns(world, a, e)) for e in execs)}
    tasks_total = sum(v["metrics_executor_completedTasks_total"] for v in totals.values())
    run_ms = sum(v["metrics_executor_totalDuration_seconds_total"] for v in totals.values()) * 1000
    gc_ms = sum(v["metrics_executor_totalGCTime_seconds_total"] for v in totals.values()) * 1000
    tot = {key: sum(v[m] for v in totals.values()) for key, m in (
        ("in", "metrics_executor_totalInputBytes_bytes_total"), ("sr", "metrics_executor_totalShuffleRead_bytes_total"),
        ("sw", "metrics_executor_totalShuffleWrite_bytes_total"))}
    fail_by_exec = {e: int(v["metrics_executor_failedTasks_total"]) for e, v in totals.items()} if a.failing else {}
    startup = 25 + 15 * u1(k)
    t = a.start + startup
    span = max(a.end - t - 5, 10.0)
    stages = []
    if a.failing:
        # the run aborts part-way (components/spark.py shortens it): the stages up to the second shuffle
        plan = plan[:3]
    wsum = sum(p[1] for p in plan)
    kinds = [p[2] for p in plan]
    tid0 = 0
    for sid, (name, weight, kind) in enumerate(plan):
        w = weight / wsum
        dur = span * w
        n = max(1, int(round(tasks_total * w)))
        last = sid == len(plan) - 1
        failed = a.failing and last
        n_failed = sum(fail_by_exec.values()) if failed else 0
        share_in = (1.0 / kinds.count("in")) if kind == "in" else 0.0
        share_sh = (1.0 / max(kinds.count("shuffle"), 1))
        s = {"id": sid, "job": sid // 2, "name": name, "submitted": t + 0.02, "completed": t + dur,
             "num_tasks": n, "num_failed": n_failed, "n_failed_idx": math.ceil(n_failed / 4) if failed else 0,
             "failed": failed, "fail_by_exec": fail_by_exec if failed else {}, "n_ex": len(execs),
             "run_ms": int(run_ms * w), "gc_ms": int(gc_ms * w), "in": int(tot["in"] * share_in),
             "out": int(tot["in"] * 0.4 * w) if kind == "out" else 0,
             "sr": int(tot["sr"] * share_sh) if kind == "shuffle" else 0,
             "sw": int(tot["sw"] * share_sh) if kinds[min(sid + 1, len(kinds) - 1)] == "shuffle" and not last else 0,
             "last_in_job": sid % 2 == 1 or last, "tid0": tid0, "reason": ""}
        if failed:
            idx = ((n_failed - 1) // 4) * 7 % max(n, 1)
            ex = execs[-1] if execs else "1"
            s["reason"] = (f"Job aborted due to stage failure: Task {idx} in stage {sid}.0 failed 4 times, most recent "
                           f"failure: Lost task {idx}.3 in stage {sid}.0 (executor {ex}): {FAIL_ERROR}")
        stages.append(s)
        tid0 += n + n_failed
        t += dur
    return tuple(stages)


def _batch_stages(world: World, a: sp.App, now: float) -> list[dict]:
    return [s for s in _batch_stages_cached(world, a) if s["submitted"] <= now]


@lru_cache(maxsize=4096)
def _stream_batch(world: World, a: sp.App, b: int) -> tuple:
    """The two stages of micro-batch ``b`` (job ``b``) of the streaming application."""
    k = world.key("restapi-stream", a.app_id, b)
    t = a.start + b * STREAM_BATCH + 1
    execs = [e for e, _ in a.executors if e != "driver"]
    out = []
    for j, (name, kind, n) in enumerate(STREAM_STAGES):
        dur = (45 + 40 * u1(k, j)) if kind == "in" else (15 + 20 * u1(k, j))
        mid = np.array([t + dur / 2])
        ratio = float(np.mean([sp.gc_ratio(world, a, e, mid)[0] for e in execs])) if execs else 0.04
        run_ms = int(n * dur * 0.72 * 1000)
        vol = int((40 + 30 * u1(k, 5 + j)) * 1e6)
        out.append({"id": b * len(STREAM_STAGES) + j, "job": b, "name": name, "submitted": t, "completed": t + dur,
                    "num_tasks": n, "num_failed": 0, "n_failed_idx": 0, "failed": False, "fail_by_exec": {},
                    "n_ex": len(execs), "run_ms": run_ms, "gc_ms": int(run_ms * ratio),
                    "in": vol if kind == "in" else 0, "out": int(vol * 0.8) if kind == "out" else 0,
                    "sr": int(vol * 0.6) if kind == "out" else 0, "sw": int(vol * 0.6) if kind == "in" else 0,
                    "last_in_job": j == len(STREAM_STAGES) - 1,
                    "tid0": b * sum(x[2] for x in STREAM_STAGES) + sum(x[2] for x in STREAM_STAGES[:j]),
                    "reason": ""})
        t += dur + 0.5
    return tuple(out)


# ----------------------------------------------------------------------------- Airflow model
TIMETABLES = {30: "*/30 * * * *", 60: "@hourly", 120: "0 */2 * * *", 180: "0 */3 * * *"}
OPERATORS = {"spark_pool": ("SparkKubernetesOperator", "airflow.providers.cncf.kubernetes"),
             "trino_pool": ("SQLExecuteQueryOperator", "airflow.providers.common.sql"),
             "default_pool": ("PythonOperator", "airflow.providers.standard")}


def _operator(task_id: str, pool: str) -> str:
    if task_id.startswith(("wait_for", "sensor")):
        return "ExternalTaskSensor" if task_id.startswith("wait_for") else "S3KeySensor"
    return OPERATORS[pool][0]


class AirflowModel:
    def __init__(self, world: World, clock=time.time):
        self.world = world
        self.clock = clock

    def _runs(self, cluster: str, dag_id: str) -> af.DagRuns | None:
        now = self.clock()
        for r in af._dag_runs(self.world, cluster, int(now // DAY)):
            if r.dag_id == dag_id:
                return r
        return None

    def dag_json(self, cluster: str, dag_id: str) -> dict | None:
        if dag_id not in af.DAGS:
            return None
        now = self.clock()
        period_min, tasks = af.DAGS[dag_id]
        period = period_min * 60
        nxt = self.world.epoch + (math.floor((now - self.world.epoch) / period) + 1) * period
        pools = {p for _, p, _ in tasks}
        team = DAG_TEAMS.get(dag_id, "platform")
        return {"dag_id": dag_id, "dag_display_name": dag_id, "is_paused": False, "is_stale": False,
                "last_parsed_time": iso(now - 30 - 60 * u1(self.world.key("af-parse", cluster, dag_id), int(now // 60))),
                "last_parse_duration": 0.41, "last_expired": None, "bundle_name": "dags-folder",
                "bundle_version": None, "relative_fileloc": f"{dag_id}.py",
                "fileloc": f"/opt/airflow/dags/repo/dags/{dag_id}.py",
                "description": f"{dag_id.replace('_', ' ')} (every {period_min} min)",
                "timetable_summary": TIMETABLES.get(period_min, f"*/{period_min} * * * *"),
                "timetable_description": f"Every {period_min} minutes", "timetable_partitioned": False,
                "timetable_periodic": True,
                "tags": [{"name": t, "dag_id": dag_id, "dag_display_name": dag_id}
                         for t in sorted({p.split("_")[0] for p in pools} | {"dataops", f"team:{team}"})],
                "max_active_tasks": 16, "max_active_runs": 1, "max_consecutive_failed_dag_runs": 0,
                "has_task_concurrency_limits": False, "has_import_errors": False,
                "next_dagrun_logical_date": iso(nxt), "next_dagrun_data_interval_start": iso(nxt),
                "next_dagrun_data_interval_end": iso(nxt + period), "next_dagrun_run_after": iso(nxt + period),
                "allowed_run_types": None, "owners": [f"{team}-eng"], "is_backfillable": True,
                "file_token": f"{sp_key('file-token', dag_id):016x}"}

    def _sched(self, dag_id: str, i: int) -> float:
        return self.world.epoch + i * af.DAGS[dag_id][0] * 60

    def run_id(self, dag_id: str, i: int) -> str:
        return "scheduled__" + dt.datetime.fromtimestamp(self._sched(dag_id, i), tz=dt.timezone.utc).isoformat()

    def run_index(self, dag_id: str, run_id: str) -> int | None:
        if not run_id.startswith("scheduled__"):
            return None
        try:
            t = dt.datetime.fromisoformat(run_id[len("scheduled__"):]).timestamp()
        except ValueError:
            return None
        period = af.DAGS[dag_id][0] * 60
        i = (t - self.world.epoch) / period
        return int(i) if i == int(i) and i >= 0 else None

    def visible_runs(self, cluster: str, dag_id: str) -> list[int]:
        """Indexes of the runs started within the lookback, newest first."""
        r = self._runs(cluster, dag_id)
        if r is None:
            return []
        now = self.clock()
        sel = np.nonzero((r.start <= now) & (r.start >= now - LOOKBACK))[0]
        return [int(i) for i in sel[::-1]]

    def run_json(self, cluster: str, dag_id: str, i: int) -> dict:
        r = self._runs(cluster, dag_id)
        now = self.clock()
        start, end = float(r.start[i]), float(r.end[i])
        done = end <= now
        state = ("success" if r.ok[i] else "failed") if done else "running"
        sched = self._sched(dag_id, i)
        period = af.DAGS[dag_id][0] * 60
        return {"dag_run_id": self.run_id(dag_id, i), "dag_id": dag_id, "logical_date": iso(sched),
                "queued_at": iso(start - 0.8), "start_date": iso(start), "end_date": iso(end) if done else None,
                "duration": round(end - start, 3) if done else None, "data_interval_start": iso(sched),
                "data_interval_end": iso(sched + period), "run_after": iso(sched + period),
                "last_scheduling_decision": iso(min(end, now)), "run_type": "scheduled", "state": state,
                "triggered_by": "timetable", "triggering_user_name": None, "conf": {}, "note": None,
                "dag_versions": [self._version(dag_id)], "bundle_version": None, "dag_display_name": dag_id,
                "partition_key": None, "partition_date": None}

    def _version(self, dag_id: str) -> dict:
        return {"id": _uuid("af-version", dag_id), "version_number": 1, "dag_id": dag_id,
                "bundle_name": "dags-folder", "bundle_version": None, "created_at": iso(self.world.epoch),
                "dag_display_name": dag_id, "bundle_url": None}

    def task_instances_json(self, cluster: str, dag_id: str, i: int) -> list[dict]:
        r = self._runs(cluster, dag_id)
        now = self.clock()
        sched = self._sched(dag_id, i)
        period = af.DAGS[dag_id][0] * 60
        run_id = self.run_id(dag_id, i)
        out = []
        for task_id, pool, ts_, te, state in r.tasks:
            s, e, st = float(ts_[i]), float(te[i]), int(state[i])
            if st == -1:   # never ran: upstream failed (once the run is over)
                ti_state, start, end, tries = ("upstream_failed" if float(r.end[i]) <= now else None), None, None, 0
            elif s > now:
                ti_state, start, end, tries = None, None, None, 0
            elif e > now:  # a failing task retries twice (5 min apart) before it fails for good
                ti_state, start, end = "running", s, None
                tries = min(3, 1 + int((now - s) / 300)) if st == 0 else 1
            else:
                ti_state, start, end, tries = ("success" if st == 1 else "failed"), s, e, (3 if st == 0 else 1)
            out.append({
                "id": _uuid("af-ti", cluster, dag_id, i, task_id), "task_id": task_id, "dag_id": dag_id,
                "dag_run_id": run_id, "map_index": -1, "logical_date": iso(sched), "run_after": iso(sched + period),
                "start_date": iso(start), "end_date": iso(end),
                "duration": round(end - start, 3) if start is not None and end is not None else None,
                "state": ti_state, "try_number": tries, "max_tries": 2, "task_display_name": task_id,
                "dag_display_name": dag_id,
                "hostname": (f"airflow-worker-{int(u1(self.world.key('af-host', cluster, dag_id, task_id), i) * 3)}"
                             ".airflow-worker.airflow.svc.cluster.local") if start is not None else None,
                "unixname": "airflow", "pool": pool, "pool_slots": 1, "queue": "default",
                "priority_weight": len(af.DAGS[dag_id][1]) - len(out), "operator": _operator(task_id, pool),
                "operator_name": _operator(task_id, pool), "queued_when": iso(s - 1.5) if start is not None else None,
                "scheduled_when": iso(s - 2.0) if start is not None else None,
                "pid": 1000 + int(u1(self.world.key("af-pid", cluster, dag_id, task_id), i) * 30000)
                if start is not None else None,
                "executor": "CeleryExecutor", "executor_config": "{}", "note": None, "rendered_map_index": None,
                "rendered_fields": {}, "trigger": None, "triggerer_job": None, "dag_version": self._version(dag_id)})
        return out


# ----------------------------------------------------------------------------- HTTP
class _NotFound(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    server_version = "DataOpsDemoREST/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, data, status: int = 200) -> None:
        self._send(status, json.dumps(data, separators=(",", ":")).encode(), "application/json")

    def do_GET(self):
        owner: RestApiServer = self.server.owner  # type: ignore[attr-defined]
        owner.record("GET", self.path, self.headers.get("Authorization", ""))
        parts = urllib.parse.urlsplit(self.path)
        segs = [urllib.parse.unquote(s) for s in parts.path.split("/")[1:]]
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(parts.query).items()}
        try:
            if segs[:3] == ["spark-history", "api", "v1"]:
                if not owner.authorized("spark", self.headers.get("Authorization", "")):
                    return self._send(401, b"Unauthorized", "text/plain")
                return self._spark(owner.spark, segs[3:], q)
            if len(segs) >= 4 and segs[0] == "airflow" and segs[2:4] == ["api", "v2"] \
                    and segs[1] in owner.world.clusters:
                if segs[4:] != ["monitor", "health"] and \
                        not owner.authorized("airflow", self.headers.get("Authorization", "")):
                    return self._json({"detail": "Not authenticated"}, 401)
                return self._airflow(owner.airflow, segs[1], segs[4:], q)
            self._send(404, b"Not Found", "text/plain")
        except Exception as e:  # a demo bug must show as a 500, not a hung socket
            self._send(500, f"internal error: {type(e).__name__}: {e}".encode(), "text/plain")

    def do_POST(self):
        owner: RestApiServer = self.server.owner  # type: ignore[attr-defined]
        owner.record("POST", self.path, self.headers.get("Authorization", ""))
        segs = [urllib.parse.unquote(s) for s in urllib.parse.urlsplit(self.path).path.split("/")[1:]]
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(n, 65536)) if n else b""
        if len(segs) == 4 and segs[0] == "airflow" and segs[1] in owner.world.clusters and segs[2:] == ["auth", "token"]:
            try:
                creds = json.loads(body or b"{}")
            except ValueError:
                creds = {}
            if not isinstance(creds, dict) or not creds.get("username") or not creds.get("password"):
                return self._json({"detail": "Invalid credentials"}, 401)
            token = owner.login(str(creds["username"]), str(creds["password"]))
            if token is None:
                return self._json({"detail": "Invalid credentials"}, 401)
            return self._json({"access_token": token}, 201)
        self._send(404, b"Not Found", "text/plain")

    # ------------------------------------------------------------------ Spark routes
    def _spark(self, m: SparkModel, segs: list[str], q: dict) -> None:
        if segs == ["version"]:
            return self._json({"spark": SPARK_VERSION})
        if segs == ["applications"]:
            limit = int(q["limit"]) if q.get("limit", "").isdigit() else None
            return self._json(m.applications_json(q.get("status"), limit))
        if len(segs) >= 2 and segs[0] == "applications":
            a = m.app(segs[1])
            if a is None:
                return self._send(404, f"unknown app: {segs[1]}".encode(), "text/plain;charset=utf-8")
            rest = segs[2:]
            if not rest:
                return self._json(m.application_json(a))
            if rest == ["jobs"]:
                return self._json(m.jobs_json(a))
            if rest == ["environment"]:
                return self._json(m.environment_json(a))
            if rest == ["stages"]:
                return self._json([m.stage_json(a, s) for s in m.stages(a)][::-1])
            if rest in (["executors"], ["allexecutors"]):
                return self._json(m.executors_json(a, include_removed=rest[0] == "allexecutors"))
            if len(rest) == 4 and rest[0] == "stages" and rest[3] == "taskList" and rest[1].isdigit() \
                    and rest[2].isdigit():
                s = m.find_stage(a, int(rest[1]))
                if s is None or int(rest[2]) != 0:
                    return self._send(404, f"unknown stage: {rest[1]}.{rest[2]}".encode(), "text/plain;charset=utf-8")
                off = int(q["offset"]) if q.get("offset", "").isdigit() else 0
                length = int(q["length"]) if q.get("length", "").isdigit() else 20
                return self._json(m.tasks_json(a, s, off, min(length, 10000)))
        self._send(404, b"Not Found", "text/plain")

    # ------------------------------------------------------------------ Airflow routes
    def _airflow(self, m: AirflowModel, cluster: str, segs: list[str], q: dict) -> None:
        if segs == ["monitor", "health"]:
            return self._json({"metadatabase": {"status": "healthy"}, "scheduler": {"status": "healthy"}})
        if len(segs) >= 2 and segs[0] == "dags":
            dag_id = segs[1]
            dag = m.dag_json(cluster, dag_id)
            if dag is None:
                return self._json({"detail": f"The Dag with ID: `{dag_id}` was not found"}, 404)
            rest = segs[2:]
            if not rest:
                return self._json(dag)
            if rest == ["dagRuns"]:
                idx = m.visible_runs(cluster, dag_id)
                runs = [m.run_json(cluster, dag_id, i) for i in idx]
                if q.get("state"):
                    runs = [r for r in runs if r["state"] == q["state"]]
                order = q.get("order_by", "id")
                if order.lstrip("-") in ("start_date", "logical_date", "run_after", "id", "dag_run_id"):
                    key = {"id": "logical_date", "dag_run_id": "logical_date"}.get(order.lstrip("-"), order.lstrip("-"))
                    runs.sort(key=lambda r: r[key] or "", reverse=order.startswith("-"))
                off = int(q["offset"]) if q.get("offset", "").isdigit() else 0
                limit = int(q["limit"]) if q.get("limit", "").isdigit() else 50
                return self._json({"dag_runs": runs[off:off + limit], "total_entries": len(runs),
                                   "total_entries_limit": None, "next_cursor": None, "previous_cursor": None})
            if len(rest) == 3 and rest[0] == "dagRuns" and rest[2] == "taskInstances":
                i = m.run_index(dag_id, rest[1])
                if i is None or i not in set(m.visible_runs(cluster, dag_id)):
                    return self._json({"detail": f"The DagRun with dag_id: `{dag_id}` and run_id: `{rest[1]}` "
                                                 "was not found"}, 404)
                tis = m.task_instances_json(cluster, dag_id, i)
                return self._json({"task_instances": tis, "total_entries": len(tis), "total_entries_limit": None,
                                   "next_cursor": None, "previous_cursor": None})
        self._json({"detail": "Not Found"}, 404)


@dataclasses.dataclass(frozen=True)
class DemoCredentials:
    """The secrets of the demo's REST APIs, and where they are written for the app to read."""

    spark_token: str
    airflow_username: str
    airflow_password: str
    files: dict

    @classmethod
    def create(cls, folder: pathlib.Path) -> "DemoCredentials":
        """New random secrets, written to files in `folder` (mode 0600), as Kubernetes would mount them."""
        folder.mkdir(parents=True, exist_ok=True)
        values = {"spark-history-token": secrets.token_urlsafe(24), "airflow-username": "dataops-viewer",
                  "airflow-password": secrets.token_urlsafe(18)}
        files = {}
        for name, value in values.items():
            path = folder / name
            path.write_text(value + "\n")
            path.chmod(0o600)
            files[name] = str(path)
        return cls(values["spark-history-token"], values["airflow-username"], values["airflow-password"], files)

    def for_app(self) -> dict:
        """Credentials per source, as `Settings.source_credentials` wants them."""
        from ..sources.transport import Credentials

        return {"spark_history": Credentials(token_file=self.files["spark-history-token"]),
                "airflow": Credentials(username_file=self.files["airflow-username"],
                                       password_file=self.files["airflow-password"])}


class RestApiServer:
    """The demo's Spark History Server and Airflow REST APIs on one loopback port."""

    def __init__(self, world: World, host: str = "127.0.0.1", port: int = 0, clock=time.time,
                 credentials: DemoCredentials | None = None):
        """`credentials`: the History Server then wants its bearer token, and Airflow a JWT from
        `POST /auth/token` with the user and password (as a real Airflow 3 does); None: open."""
        self.world = world
        self.credentials = credentials
        self.requests: list[tuple[str, str, str]] = []  # (method, path, authorization scheme) seen
        self._lock = threading.Lock()
        self.spark = SparkModel(world, clock)
        self.airflow = AirflowModel(world, clock)
        self._host, self._port = host, port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url: str | None = None

    def record(self, method: str, path: str, authorization: str) -> None:
        """Keep what was asked (the authorization's scheme only, never its secret)."""
        with self._lock:
            self.requests.append((method, path, authorization.split(" ")[0] if authorization else ""))
            del self.requests[:-10000]

    def login(self, username: str, password: str) -> str | None:
        """A JWT-like token for a good login (any login when the demo is open), else None."""
        creds = self.credentials
        if creds is not None and (username, password) != (creds.airflow_username, creds.airflow_password):
            return None
        return f"demo.{sp_key('token', username, password):016x}.token"

    def authorized(self, api: str, authorization: str) -> bool:
        creds = self.credentials
        if creds is None:
            return True
        if api == "spark":
            return hmac.compare_digest(authorization, f"Bearer {creds.spark_token}")
        return hmac.compare_digest(authorization,
                                   f"Bearer {self.login(creds.airflow_username, creds.airflow_password)}")

    @property
    def spark_history_url(self) -> str | None:
        return f"{self.url}/spark-history" if self.url else None

    def airflow_api_url(self, cluster: str | None = None) -> str | None:
        """Base URL of ``cluster``'s Airflow (default: the first cluster, where the failing DAG is)."""
        return f"{self.url}/airflow/{cluster or self.world.clusters[0]}" if self.url else None

    def start(self) -> str:
        if self._httpd is not None:
            return self.url
        self._httpd = ThreadingHTTPServer((self._host, self._port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self  # type: ignore[attr-defined]
        self.url = f"http://{self._host}:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="demo-rest-apis", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.url = None
