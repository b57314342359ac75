"""Apache Airflow 2.10 through statsd_exporter with the official Helm chart's mapping
(``chart/files/statsd-mappings.yml``) plus the ``statsd.extraMappings`` metrics.md recommends:

* ``airflow_dagrun_duration{dag_id}`` / ``airflow_dagrun_failed{dag_id}``: summaries (seconds) of
  successful / failed DAG runs (quantiles 0.5/0.9/0.99, ``_sum``, ``_count``);
* ``airflow_task_duration{dag_id, task_id}``: a histogram (``observer_type: histogram`` with buckets
  10 s .. 1 h in the mapping), so the page can draw a heatmap;
* ``airflow_dagrun_schedule_delay{dag_id}``: summary (seconds);
* ``airflow_ti_failures``, ``airflow_ti_successes``, ``airflow_scheduler_heartbeat{type="counter"}``:
  statsd counters (statsd_exporter exposes them without ``_total``);
* ``airflow_pool_{open,running,queued}_slots{pool}``, ``airflow_pool_starving_tasks{pool}``,
  ``airflow_executor_{open_slots,queued_tasks,running_tasks}``: gauges.

Every series also carries ``namespace="airflow"`` (the ServiceMonitor's target label).

Story ``airflow-dag-failing`` (first cluster): every run of ``sales_mart_refresh`` fails since
~8 h before the anchor (its ``build_mart`` task fails; downstream tasks are upstream_failed).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..core import DAY, HOUR, Families, Family, Target, count_le, quantize, smooth, target, u01
from ..world import World
from . import Component

NAMESPACE = "airflow"
FAILING_DAG = "sales_mart_refresh"
FAIL_STORY_START = 8 * HOUR
BACKGROUND_FAILURES = 0.003  # share of other runs failing at random: the success SLO (95%) keeps its budget
# dag_id -> (period minutes, [(task_id, pool, mean seconds)])
DAGS = {
    "orders_daily_load": (60, [("extract_orders", "default_pool", 90), ("spark_transform", "spark_pool", 600),
                               ("load_iceberg", "default_pool", 240), ("validate_counts", "default_pool", 45)]),
    FAILING_DAG: (30, [("wait_for_orders", "default_pool", 40), ("build_mart", "trino_pool", 300),
                       ("publish_mart", "default_pool", 25)]),
    "clickstream_hourly": (60, [("sensor_s3", "default_pool", 60), ("sessionize", "spark_pool", 900),
                                ("compact", "spark_pool", 300)]),
    "ml_feature_export": (120, [("query_features", "trino_pool", 420), ("export_parquet", "default_pool", 180)]),
    "iceberg_maintenance": (180, [("expire_snapshots", "trino_pool", 200), ("rewrite_data_files", "spark_pool", 1500),
                                  ("remove_orphans", "trino_pool", 150)]),
    "dq_checks": (30, [("run_suite", "default_pool", 120), ("notify", "default_pool", 5)]),
}
POOLS = {"default_pool": 128, "spark_pool": 8, "trino_pool": 16}
PARALLELISM = 48   # 3 Celery workers x concurrency 16
BUCKETS = (10, 30, 60, 120, 300, 600, 1200, 1800, 3600)
QUANTILES = ("0.5", "0.9", "0.99")


def stories(world: World) -> dict[str, tuple[str, str, float]]:
    return {"airflow-dag-failing": (world.clusters[0], FAILING_DAG, world.anchor - FAIL_STORY_START)}


@dataclass
class DagRuns:
    dag_id: str
    start: np.ndarray          # run start (after the schedule delay)
    end: np.ndarray
    ok: np.ndarray
    delay: np.ndarray          # schedule delay (s)
    # per task: (task_id, pool, start, end, state) arrays, state 1 success / 0 failed / -1 not run
    tasks: list


@lru_cache(maxsize=32)
def _dag_runs(world: World, cluster: str, until_day: int) -> tuple[DagRuns, ...]:
    until = (until_day + 2) * DAY
    cl, dag_fail, fail_start = stories(world)["airflow-dag-failing"]
    out = []
    for dag_id, (period_min, tasks) in DAGS.items():
        k = world.key("airflow", cluster, dag_id)
        period = period_min * 60
        # tiny history starts at the epoch, as every other component
        n = int(math.ceil((until - world.epoch) / period)) + 1
        i = np.arange(n)
        sched = world.epoch + i * period
        delay = 1.0 + 6.0 * u01(k, i) ** 2 + np.where(u01(k ^ 1, i) > 0.98, 40.0, 0.0)
        delay = delay * (1 + 0.8 * (0.5 + 0.5 * smooth(k ^ 2, sched, 6 * HOUR)))
        start = sched + delay
        failing = np.zeros(n, dtype=bool)
        fail_task = np.full(n, -1)
        rnd = u01(k ^ 3, i)
        odd = rnd < BACKGROUND_FAILURES
        fail_task[odd] = (u01(k ^ 4, i[odd]) * len(tasks)).astype(int)
        if cluster == cl and dag_id == dag_fail:
            story = start >= fail_start
            fail_task[story] = 1
        failing = fail_task >= 0
        t = start.copy()
        task_rows = []
        for j, (task_id, pool, mean) in enumerate(tasks):
            kt = world.key("airflow-task", cluster, dag_id, task_id)
            dur = mean * (0.55 + 0.9 * u01(kt, i) ** 1.5)
            dur = np.round(dur, 3)
            ts_ = t + 2 + 3 * u01(kt ^ 1, i)
            state = np.where(fail_task == j, 0, np.where(failing & (fail_task < j), -1, 1))
            # a failed task retries twice before it fails for good: it takes ~3x as long
            dur = np.where(state == 0, dur * 0.4 + 600, dur)
            te = ts_ + dur
            task_rows.append((task_id, pool, ts_, te, state))
            t = np.where(state == -1, t, te)
        out.append(DagRuns(dag_id, start, t + 1, ~failing, delay, task_rows))
    return tuple(out)


def _cum(times: np.ndarray, values: np.ndarray):
    order = np.argsort(times, kind="stable")
    tt, cs = times[order], np.cumsum(values[order])

    def fn(ts):
        n = np.searchsorted(tt, ts, side="right")
        return np.where(n > 0, cs[np.maximum(n - 1, 0)], 0.0) if len(cs) else np.zeros(ts.shape)
    return fn


def _last(times: np.ndarray, values: np.ndarray):
    order = np.argsort(times, kind="stable")
    tt, vv = times[order], values[order]

    def fn(ts):
        n = np.searchsorted(tt, ts, side="right")
        return np.where(n > 0, vv[np.maximum(n - 1, 0)], np.nan) if len(vv) else np.full(ts.shape, np.nan)
    return fn


def _running(starts: np.ndarray, ends: np.ndarray):
    s, e = np.sort(starts), np.sort(ends)
    return lambda ts: count_le(s, ts) - count_le(e, ts)


class Airflow(Component):
    name = "airflow"
    jobs = ("airflow-statsd",)

    def targets(self, world: World) -> list[Target]:
        return [target("airflow-statsd", cl, "airflow-statsd.airflow.svc:9102", component=self.name)
                for cl in world.clusters]

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        ns = {"namespace": NAMESPACE}
        runs = _dag_runs(world, tgt.cluster, int(t1 // DAY))
        all_ok, all_fail = [], []
        pool_tasks: dict[str, list] = {p: [] for p in POOLS}
        for r in runs:
            lab = {**ns, "dag_id": r.dag_id}
            dur = r.end - r.start
            for fam, sel in (("airflow_dagrun_duration", r.ok), ("airflow_dagrun_failed", ~r.ok)):
                ends, d = r.end[sel], np.round(dur[sel], 3)
                for q in QUANTILES:
                    F(fam, "summary").add({**lab, "quantile": q}, _last(ends, d * (1 + 0.1 * QUANTILES.index(q))))
                F(fam, "summary").add(lab, (lambda e: lambda ts: count_le(np.sort(e), ts))(ends), "_count")
                F(fam, "summary").add(lab, (lambda f: lambda ts: np.round(f(ts), 3))(_cum(ends, d)), "_sum")
            for q in QUANTILES:
                F("airflow_dagrun_schedule_delay", "summary").add(
                    {**lab, "quantile": q}, _last(r.start, np.round(r.delay * (1 + 0.2 * QUANTILES.index(q)), 3)))
            F("airflow_dagrun_schedule_delay", "summary").add(
                lab, (lambda s: lambda ts: count_le(np.sort(s), ts))(r.start), "_count")
            F("airflow_dagrun_schedule_delay", "summary").add(
                lab, (lambda f: lambda ts: np.round(f(ts), 3))(_cum(r.start, r.delay)), "_sum")
            for task_id, pool, ts_, te, state in r.tasks:
                tl = {**lab, "task_id": task_id}
                ran = state >= 0
                ends, d = te[ran], te[ran] - ts_[ran]
                all_ok.append(te[state == 1])
                all_fail.append(te[state == 0])
                pool_tasks[pool].append((ts_[ran], te[ran]))
                for le in BUCKETS:
                    sel = np.sort(ends[d <= le])
                    F("airflow_task_duration", "histogram").add(
                        {**tl, "le": str(le)}, (lambda sel: lambda ts: count_le(sel, ts))(sel), "_bucket")
                se = np.sort(ends)
                F("airflow_task_duration", "histogram").add({**tl, "le": "+Inf"},
                                                            (lambda se: lambda ts: count_le(se, ts))(se), "_bucket")
                F("airflow_task_duration", "histogram").add(tl, (lambda f: lambda ts: np.round(f(ts), 3))(_cum(ends, d)),
                                                            "_sum")
                F("airflow_task_duration", "histogram").add(tl, (lambda se: lambda ts: count_le(se, ts))(se), "_count")
        oks, fails = np.sort(np.concatenate(all_ok)), np.sort(np.concatenate(all_fail))
        F("airflow_ti_successes", "counter").add(ns, lambda ts: count_le(oks, ts))
        F("airflow_ti_failures", "counter").add(ns, lambda ts: count_le(fails, ts))
        epoch = world.epoch
        F("airflow_scheduler_heartbeat", "counter").add(
            {**ns, "type": "counter"}, lambda ts: np.floor((quantize(ts) - epoch) / 5.0))
        k = world.key("airflow-pools", tgt.cluster)
        total_running = []
        for pool, slots in POOLS.items():
            items = pool_tasks[pool]
            run = _running(np.concatenate([a for a, _ in items]), np.concatenate([b for _, b in items]))
            total_running.append(run)
            pl = {**ns, "pool": pool}
            kp = world.key("airflow-pool", tgt.cluster, pool)
            queued = (lambda run, kp, slots: lambda ts: np.maximum(
                0, np.floor(run(ts) - slots) + np.floor(np.maximum(0, 1.5 * smooth(kp, ts, 900)))))(run, kp, slots)
            F("airflow_pool_running_slots", "gauge").add(pl, (lambda run, slots: lambda ts: np.minimum(run(ts), slots))(run, slots))
            F("airflow_pool_open_slots", "gauge").add(pl, (lambda run, slots: lambda ts: np.maximum(slots - run(ts), 0))(run, slots))
            F("airflow_pool_queued_slots", "gauge").add(pl, queued)
            F("airflow_pool_starving_tasks", "gauge").add(
                pl, (lambda run, slots: lambda ts: np.maximum(run(ts) - slots, 0))(run, slots))

        def running_tasks(ts):
            return np.minimum(sum((r(ts) for r in total_running), np.zeros(ts.shape)), PARALLELISM)

        F("airflow_executor_running_tasks", "gauge").add(ns, running_tasks)
        F("airflow_executor_open_slots", "gauge").add(ns, lambda ts: PARALLELISM - running_tasks(ts))
        F("airflow_executor_queued_tasks", "gauge").add(
            ns, lambda ts: np.floor(np.maximum(0, 2 * smooth(k ^ 5, ts, 600) + 0.5)))
        return F.list()
