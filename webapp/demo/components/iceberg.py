"""Apache Iceberg: our documented custom exporter (metrics.md section 7), one per cluster, reading
the metadata tables of every table of the cluster's catalog.

Gauges (labels ``catalog``, ``database``, ``table``): ``iceberg_table_snapshots``,
``iceberg_table_data_files``, ``iceberg_table_small_files`` (files < 32 MiB),
``iceberg_table_metadata_files_bytes``, ``iceberg_table_total_bytes``, ``iceberg_table_records``,
``iceberg_table_last_commit_timestamp_seconds``, ``iceberg_table_last_compaction_timestamp_seconds``
(docs/metric-contract.md section 1); ``iceberg_table_delete_files`` and
``iceberg_table_files_deleted_unexpectedly`` (the design's DataLoss alert) are 0 for these tables. The
lost file comes from the real Iceberg exporter, which the demo runs against its real lakehouse
(``lakehouse.py``, ``realexporters.py``) and which reports that lakehouse's tables.

The Iceberg namespace (database) is exported as label ``database``, not ``namespace``: the scrape
(ServiceMonitor) already sets ``namespace`` to the Kubernetes namespace of the exporter pod, and the
app's namespace picker matches that label.

Model per table: commits arrive as Poisson events (busy tables ~10 per hour); each commit adds a
number of data files and one snapshot. A periodic compaction (rewrite_data_files) brings the data
files back to the table's compacted size; a periodic expire_snapshots keeps the snapshot count low.

Stories (relative to the world's anchor, first cluster):
``iceberg-compaction-overdue``: lakehouse.raw.clickstream_events has had no compaction since 24 h
before the anchor; its data files pass 10,000 ~3 h before the anchor and keep growing.
``iceberg-snapshots-piling`` (raw.orders_cdc) is told by the real exporter on the real lakehouse
(``components/lakehouse.py``).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..core import DAY, HOUR, Families, Family, Target, count_le, poisson_events, target, u1
from ..world import World
from . import Component

MIB = 1024 * 1024
CATALOG = "lakehouse"
# (database, table, commits per hour, data files per commit, MiB per written file)
TABLES = {
    0: [("raw", "clickstream_events", 10, 40, 6), ("raw", "payments_cdc", 10, 8, 24),
        ("raw", "inventory_snapshots", 1, 12, 128), ("staging", "orders_enriched", 4, 10, 96),
        ("staging", "sessions", 6, 20, 48), ("staging", "customer_dim", 0.5, 4, 200),
        ("curated", "daily_sales", 0.2, 8, 256), ("curated", "customer_360", 0.5, 16, 220),
        ("curated", "product_catalog", 0.3, 2, 180), ("curated", "marketing_attribution", 1, 12, 150),
        ("ml", "features_user", 2, 24, 120), ("ml", "training_sets", 0.2, 30, 400),
        ("ml", "model_predictions", 6, 10, 40)],
    1: [("raw", "iot_telemetry", 12, 30, 12), ("raw", "logs_app", 10, 25, 8), ("staging", "telemetry_agg", 2, 8, 128),
        ("curated", "device_health", 0.5, 6, 200), ("curated", "fleet_kpis", 0.2, 4, 256),
        ("ml", "anomaly_scores", 4, 6, 64)],
}
COMPACTION_STORY = ("raw", "clickstream_events")
SMALL_FILE_MIB = 32


def story_starts(world: World) -> dict[str, float]:
    return {"iceberg-compaction-overdue": world.anchor - 24 * HOUR}


class Table:
    """The event history of one table, from the world's epoch to ``until``."""

    def __init__(self, world: World, cluster: str, spec: tuple, until: float):
        self.database, self.name, rate, fpc, mib = spec
        ci = world.clusters.index(cluster)
        k = world.key("iceberg", cluster, self.database, self.name)
        self.fpc = fpc
        self.small_frac = 0.9 if mib < SMALL_FILE_MIB else 0.15
        stories = story_starts(world)
        first = ci == 0
        self.commits = poisson_events(k, world.epoch, until, lambda x: np.full(x.shape, rate / HOUR))
        # compaction every 4-12 h (daily for quiet tables), at a per-table phase
        period = (4 + 8 * u1(k, 1)) * HOUR if rate >= 1 else DAY
        comp = world.epoch + (np.arange(0, int((until - world.epoch) / period) + 1) + u1(k, 2)) * period
        if first and (self.database, self.name) == COMPACTION_STORY:
            comp = comp[comp < stories["iceberg-compaction-overdue"]]
        self.compactions = comp[comp < until]
        # expire_snapshots: keep `retain`, run often enough that a healthy table stays below ~85
        self.retain = 5 + int(15 * u1(k, 3))
        per_hour = rate + HOUR / period
        every = min(24.0, max(1.0, (80 - self.retain) / per_hour)) * HOUR
        exp = world.epoch + (np.arange(0, int((until - world.epoch) / every) + 1) + u1(k, 4)) * every
        self.expirations = exp[exp < until]
        bytes_per_commit = fpc * mib * MIB
        self.bytes0 = (0.5 + 4 * u1(k, 5)) * 1024 ** 4 if rate >= 1 else (0.05 + 0.5 * u1(k, 5)) * 1024 ** 4
        self.bytes_per_commit = bytes_per_commit
        self.bytes_per_record = 60 + 140 * u1(k, 6)
        self.files0 = 400 + int(1400 * u1(k, 7)) if rate >= 1 else 60 + int(300 * u1(k, 7))
        if first and (self.database, self.name) == COMPACTION_STORY:
            self.files0 = 1600

    @staticmethod
    def _last(events: np.ndarray, ts: np.ndarray) -> np.ndarray:
        i = np.searchsorted(events, ts, side="right")
        return np.where(i > 0, events[np.maximum(i - 1, 0)] if len(events) else np.nan, np.nan)

    def commits_since(self, events: np.ndarray, ts: np.ndarray) -> np.ndarray:
        last = self._last(events, ts)
        since = count_le(self.commits, ts) - count_le(self.commits, np.nan_to_num(last, nan=-np.inf))
        return since

    def data_files(self, ts):
        return self.files0 + self.fpc * self.commits_since(self.compactions, ts)

    def small_files(self, ts):
        return np.round(self.files0 * 0.03 + self.fpc * self.small_frac * self.commits_since(self.compactions, ts))

    def snapshots(self, ts):
        last = np.nan_to_num(self._last(self.expirations, ts), nan=-np.inf)
        comps = count_le(self.compactions, ts) - count_le(self.compactions, last)
        return self.retain + self.commits_since(self.expirations, ts) + comps

    def total_bytes(self, ts):
        return np.round(self.bytes0 + self.bytes_per_commit * count_le(self.commits, ts))

    def records(self, ts):
        return np.round(self.total_bytes(ts) / self.bytes_per_record)

    def metadata_bytes(self, ts):
        return 200_000 + self.data_files(ts) * 600 + self.snapshots(ts) * 160_000

    def last_commit(self, ts):
        return self._last(self.commits, ts)

    def last_compaction(self, ts):
        return self._last(self.compactions, ts)


@lru_cache(maxsize=64)
def tables(world: World, cluster: str, until_day: int) -> list[Table]:
    ci = world.clusters.index(cluster)
    specs = TABLES[0] if ci == 0 else TABLES[1] if ci == 1 else TABLES[1][:3]
    return [Table(world, cluster, s, (until_day + 2) * DAY) for s in specs]


class Iceberg(Component):
    name = "iceberg"
    jobs = ("iceberg-exporter",)

    def targets(self, world: World) -> list[Target]:
        return [target("iceberg-exporter", cl, "iceberg-exporter.data-platform.svc:9560", component=self.name)
                for cl in world.clusters]

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        for tb in tables(world, tgt.cluster, int(t1 // DAY)):
            lab = {"catalog": CATALOG, "database": tb.database, "table": tb.name}
            for name, fn in (("iceberg_table_snapshots", tb.snapshots), ("iceberg_table_data_files", tb.data_files),
                             ("iceberg_table_small_files", tb.small_files),
                             ("iceberg_table_metadata_files_bytes", tb.metadata_bytes),
                             ("iceberg_table_total_bytes", tb.total_bytes), ("iceberg_table_records", tb.records),
                             ("iceberg_table_last_commit_timestamp_seconds", tb.last_commit),
                             ("iceberg_table_last_compaction_timestamp_seconds", tb.last_compaction)):
                F(name, "gauge").add(lab, fn)
            # copy-on-write tables: no delete files; nothing lost behind Iceberg's back
            for name in ("iceberg_table_delete_files", "iceberg_table_files_deleted_unexpectedly"):
                F(name, "gauge").add(lab, lambda ts: np.zeros(ts.shape))
        return F.list()
