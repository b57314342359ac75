"""Data Pipeline Health page (Level 1.4) against the real Prometheus with the demo platform's data."""
import math
import time

import numpy as np

from webapp.app import create_app
from webapp.catalog import DASHBOARDS, TILES
from webapp.catalog import thresholds as th
from webapp.runner import evaluate_tiles, run_panels
from webapp.runtime import EXTENSION
from webapp.viewstate import parse_view_state

PIPELINE = DASHBOARDS["pipeline"]


def engine(settings):
    return create_app(settings).server.extensions[EXTENSION].engine


def run(settings, ids=None, **params):
    panels = [p for p in PIPELINE.panels if ids is None or p.id in ids]
    return run_panels(engine(settings), panels, parse_view_state(params))


def since_anchor(demo_platform, extra_hours: float) -> str:
    hours = math.ceil((time.time() - demo_platform.world.anchor) / 3600 + extra_hours)
    return f"now-{hours}h"


def series(data, panel_id, query=0):
    return data[panel_id].results[query].series


def test_every_panel_has_data_for_the_default_view(settings):
    data = run(settings, **{"from": "now-6h", "to": "now"})
    states = {pid: d.state for pid, d in data.items()}
    assert states == {pid: "ok" for pid in states}, {p: s for p, s in states.items() if s != "ok"}


def test_iceberg_tables_needing_compaction(settings):
    data = run(settings, {"iceberg-needs-compaction", "iceberg-tables-over-files", "iceberg-tables-over-snapshots",
                          "iceberg-data-loss"}, **{"from": "now-6h"})
    files = {s.labels["table"]: s.last for s in series(data, "iceberg-needs-compaction", 0)}
    snaps = {s.labels["table"]: s.last for s in series(data, "iceberg-needs-compaction", 2)}
    assert files["clickstream_events"] > th.ICEBERG_FILES.value
    assert snaps["orders_cdc"] > th.ICEBERG_SNAPSHOTS.value
    assert series(data, "iceberg-tables-over-files")[0].last >= 1
    assert series(data, "iceberg-tables-over-snapshots")[0].last >= 1
    # the simulated tables lost nothing; the real Iceberg exporter finds the demo lakehouse's lost file
    # (finance.ledger_entries) from the time it was lost on (its backfilled history is the exporter's own)
    recent = run(settings, {"iceberg-data-loss"}, **{"from": "now-10m"})
    assert series(recent, "iceberg-data-loss")[0].last == 1


def test_slow_hive_metastore_and_full_pool(settings):
    data = run(settings, {"hms-get-table-p95", "hms-response-time", "hms-pool-usage"}, **{"from": "now-6h"})
    assert series(data, "hms-get-table-p95")[0].last > th.HMS_RESPONSE.value
    east = [s for s in series(data, "hms-response-time")
            if s.labels["api"] == "get_table" and s.labels["cluster"] == "prod-east"][0]
    assert np.nanmax(east.values) > 1 and np.nanmin(east.values) < 0.2   # slow recently, fast before
    pool = {(s.labels["cluster"], s.labels["pool"]): s.last for s in series(data, "hms-pool-usage")}
    assert pool[("prod-east", "objectstore")] > th.HMS_POOL.value
    assert pool[("prod-west", "objectstore")] < th.HMS_POOL.value


def test_s3_5xx_burst(settings, demo_platform):
    data = run(settings, {"s3-error-rate"}, **{"from": since_anchor(demo_platform, 5)})
    five = series(data, "s3-error-rate", 1)[0]
    assert np.nanmax(five.values) > th.S3_ERRORS.value
    assert five.last < th.S3_ERRORS.value           # a burst, over by now


def test_oracle_tablespace_and_slow_query(settings):
    data = run(settings, {"pipeline-oracle-tablespaces", "oracle-query-time"}, **{"from": "now-6h"})
    used = {s.labels["tablespace"]: s.last for s in series(data, "pipeline-oracle-tablespaces", 0)}
    assert used["HMS_DATA"] > th.ORACLE_TABLESPACE.value
    assert max(used.values()) == used["HMS_DATA"]
    slow = {s.labels["sql_id"]: s.last for s in series(data, "oracle-query-time")}
    assert slow["b1f9r7zx03kca"] > th.ORACLE_QUERY.value


def test_ceph_pool_filling_with_a_forecast(settings):
    data = run(settings, {"ceph-usage", "ceph-capacity", "pipeline-ceph-pools"}, **{"from": "now-24h"})
    east = [s for s in series(data, "ceph-usage") if s.labels["cluster"] == "prod-east"][0]
    assert east.last > th.STORAGE_DISK_USAGE.value and np.nanmin(east.values) < th.STORAGE_DISK_USAGE.value
    full_in = {s.labels["cluster"]: s.last for s in series(data, "ceph-capacity", 2)}
    assert 0 < full_in["prod-east"] < 5 * 86400
    assert full_in["prod-west"] == 2592000           # "not within 30 days"
    pools = {(s.labels["cluster"], s.labels["name"]): s.last for s in series(data, "pipeline-ceph-pools", 0)}
    assert max(pools, key=pools.get) == ("prod-east", "spark-scratch")


def test_filters(settings):
    ids = {"hms-calls", "s3-requests", "ceph-usage", "iceberg-tables"}
    everything = run(settings, ids, **{"from": "now-6h"})
    west = run(settings, ids, **{"from": "now-6h", "var-cluster": "prod-west"})
    assert len(series(west, "iceberg-tables")) < len(series(everything, "iceberg-tables"))
    assert {s.labels["cluster"] for s in series(west, "ceph-usage")} == {"prod-west"}
    other_ns = run(settings, ids, **{"from": "now-6h", "var-namespace": "airflow"})
    assert other_ns["hms-calls"].state == "empty" and other_ns["s3-requests"].state == "empty"
    assert other_ns["ceph-usage"].state == "ok"       # no Kubernetes namespace: not filtered
    minio_ns = run(settings, ids, **{"from": "now-6h", "var-namespace": "minio"})
    assert minio_ns["s3-requests"].state == "ok", minio_ns["s3-requests"].outcomes
    assert minio_ns["hms-calls"].state == "empty"


def test_pipeline_tile_warns(settings):
    tile = [h for h in evaluate_tiles(engine(settings), TILES, parse_view_state({})) if h.tile.domain == "pipeline"][0]
    assert tile.status == "warning"   # P2 (High) and P3 stories; only P1 turns a tile red
    keys = {p.threshold_key for p in tile.problems}
    assert {"hms_response", "iceberg_files", "oracle_tablespace"} <= keys
