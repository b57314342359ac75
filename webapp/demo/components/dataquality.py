"""Data-quality results (metrics.md section 14 naming): a Great-Expectations-style suite per
dataset runs after every run of the pipeline that writes it and pushes its results to a
Pushgateway (``dq_*``). Check results and ratios are those of the suite's last run.

Story ``orders-schema-change`` (relative to the anchor, see pipeline.QUALITY_GATE_LEAD): 5 h
before the anchor the upstream schema of ``sales.orders`` changes (``customer_id`` renamed):
``dq_schema_changes_total`` steps up, the ``schema_matches`` check and ``not_null:customer_id``
fail from then on (null ratio ~38%), so the dataset's quality drops to 75% and the platform
score below 95%. The pipeline's quality gate then fails its runs (pipeline.py).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..core import DAY, Families, Family, Target, count_le, poisson_events, target, u01
from ..world import World
from . import Component
from .pipeline import pipeline_runs, quality_gate_start

#: dataset -> (suite, pipeline, not-null columns, unique column)
DATASETS = {
    "sales.orders": ("orders_suite", "orders-etl", ("order_id", "customer_id", "amount"), "order_id"),
    "crm.customer_360": ("customer_suite", "customer-360", ("customer_id", "email"), "customer_id"),
    "web.clickstream": ("clickstream_suite", "clickstream-ingest", ("session_id", "event_time"), "event_id"),
    "ml.features": ("features_suite", "ml-features", ("entity_id", "feature_ts"), "entity_id"),
}
STORY_DATASET = "sales.orders"
STORY_FAILING = ("schema_matches", "not_null:customer_id")


def checks(dataset: str) -> list[tuple[str, str, str]]:
    """(check, column, kind) of a dataset's suite; kind is the unexpected-ratio kind or ''."""
    _suite, _p, cols, uniq = DATASETS[dataset]
    out = [("row_count_between", "", ""), ("schema_matches", "", ""), ("freshness_under_2h", "", "")]
    out += [(f"not_null:{c}", c, "null") for c in cols]
    out.append((f"unique:{uniq}", uniq, "duplicate"))
    return out


class SuiteRuns:
    def __init__(self, world: World, dataset: str, until_day: int):
        suite, pipeline, _cols, _u = DATASETS[dataset]
        runs = pipeline_runs(world, pipeline, until_day)
        self.times = runs.sorted_finish + 30           # the suite runs right after the pipeline run
        n = len(self.times)
        i = np.arange(n)
        k = world.key("dq", dataset)
        story = quality_gate_start(world)
        self.checks = checks(dataset)
        self.ok = np.ones((n, len(self.checks)))
        self.ratio = np.zeros((n, len(self.checks)))
        for c, (name, _col, kind) in enumerate(self.checks):
            flaky = u01(k ^ (c + 11), i) < 0.01
            self.ok[:, c] = np.where(flaky, 0.0, 1.0)
            if kind:
                self.ratio[:, c] = np.round(0.0003 + 0.003 * u01(k ^ (c + 101), i) ** 2, 6)
            if dataset == STORY_DATASET and name in STORY_FAILING:
                self.ok[:, c] = np.where(self.times >= story, 0.0, self.ok[:, c])
                if kind:
                    self.ratio[:, c] = np.where(self.times >= story, np.round(0.36 + 0.04 * u01(k ^ 7, i), 4),
                                                self.ratio[:, c])
        self.passed = np.cumsum(self.ok.sum(axis=1))
        self.failed = np.cumsum(len(self.checks) - self.ok.sum(axis=1))
        ev = poisson_events(k ^ 0x5C, world.epoch, (until_day + 2) * DAY, lambda x: np.full(x.shape, 1 / (6 * DAY)),
                            slot=DAY)
        if dataset == STORY_DATASET:
            ev = np.sort(np.append(ev, story))
        self.schema_events = ev

    def last(self, arr: np.ndarray):
        def fn(ts):
            j = np.searchsorted(self.times, ts, side="right") - 1
            return np.where(j >= 0, arr[np.maximum(j, 0)], np.nan)
        return fn


@lru_cache(maxsize=16)
def suite_runs(world: World, dataset: str, until_day: int) -> SuiteRuns:
    return SuiteRuns(world, dataset, until_day)


class DataQuality(Component):
    name = "dataquality"
    jobs = ("data-quality",)

    def targets(self, world: World) -> list[Target]:
        return [target("data-quality", world.clusters[0], "pushgateway.monitoring.svc:9091", component=self.name)]

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        day = int(t1 // DAY)
        for dataset, (suite, _p, _c, _u) in DATASETS.items():
            r = suite_runs(world, dataset, day)
            for c, (check, column, kind) in enumerate(r.checks):
                F("dq_check_success", "gauge", "1 when the check passed in the suite's last run").add(
                    {"suite": suite, "check": check, "dataset": dataset}, r.last(r.ok[:, c]))
                if kind:
                    F("dq_unexpected_ratio", "gauge", "share of unexpected (null/duplicate) values").add(
                        {"dataset": dataset, "column": column, "check": kind}, r.last(r.ratio[:, c]))
            for status, cum in (("success", r.passed), ("failure", r.failed)):
                F("dq_checks_total", "counter", "checks evaluated, by result").add(
                    {"suite": suite, "status": status}, r.last(cum))
            F("dq_schema_changes_total", "counter", "schema changes detected").add(
                {"dataset": dataset}, (lambda e: lambda ts: count_le(e, ts))(r.schema_events))
            F("dq_last_run_timestamp_seconds", "gauge", "finish time of the suite's last run").add(
                {"suite": suite}, r.last(r.times))
        return F.list()
