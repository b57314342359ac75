"""Generators of the pipeline components (Hive Metastore, MinIO, Oracle, Ceph, Isilon; the Iceberg tables are a
real lakehouse: tests/exporters/test_lakehouse_history.py)."""
import numpy as np
import pytest

from webapp.demo.components.ceph import Ceph
from webapp.demo.components.hive_metastore import HiveMetastore
from webapp.demo.components.isilon import Isilon
from webapp.demo.components.minio import MinIO
from webapp.demo.components.oracle import Oracle
from webapp.demo.core import HOUR
from webapp.demo.world import SCALES, World

ANCHOR = 1_780_000_000.0
COMPONENTS = [HiveMetastore(), MinIO(), Oracle(), Ceph(), Isilon()]


@pytest.fixture(scope="module")
def world():
    return World(SCALES["tiny"], 42, ANCHOR)


def evaluate(world, comp, ts):
    out = {}
    for tgt in comp.targets(world):
        for fam in comp.families(world, tgt, float(ts[0]), float(ts[-1])):
            for s in fam.series:
                out[(tgt.cluster, tgt.job, tgt.instance, s.name, tuple(sorted(s.labels.items())))] = (
                    fam.type, np.asarray(s.fn(ts), dtype=float))
    return out


@pytest.mark.parametrize("comp", COMPONENTS, ids=lambda c: c.name)
def test_deterministic_and_counters_monotonic(world, comp):
    ts = np.arange(ANCHOR - 26 * HOUR, ANCHOR + HOUR, 120.0)
    a = evaluate(world, comp, ts)
    b = evaluate(World(SCALES["tiny"], 42, ANCHOR), comp, ts)
    assert a.keys() == b.keys() and a
    for key, (typ, vals) in a.items():
        np.testing.assert_array_equal(vals, b[key][1], err_msg=str(key))
        assert not np.isnan(vals).any(), key
        name = key[3]
        # untyped families are cumulative when named so (jmx_exporter Count, Oracle activity, ...)
        cumulative = (typ == "counter" or "distribution" in name or name.startswith("oracledb_activity_")
                      or (typ in ("summary", "histogram") and name.endswith(("_sum", "_count")))
                      or (typ == "unknown" and name.endswith(("_Count", "_total", "_errors"))))
        if cumulative:
            assert (np.diff(vals) >= 0).all(), key


def test_live_scrape_matches_backfill(world):
    """One timestamp (the live exporter) gives the value of the whole grid at that time."""
    ts = np.arange(ANCHOR - 2 * HOUR, ANCHOR, 600.0)
    for comp in COMPONENTS:
        grid = evaluate(world, comp, ts)
        one = evaluate(world, comp, ts[-1:])
        for key, (_typ, vals) in grid.items():
            assert one[key][1][0] == vals[-1], key


def test_minio_histogram_buckets_are_cumulative(world):
    ts = np.arange(ANCHOR - 4 * HOUR, ANCHOR, 300.0)
    fams = {f.name: f for f in MinIO().families(world, MinIO().targets(world)[0], ts[0], ts[-1])}
    dist = fams["minio_s3_requests_ttfb_seconds_distribution"].series
    by_api = {}
    for s in dist:
        if s.labels["server"].startswith("minio-0"):
            by_api.setdefault(s.labels["api"], []).append(s.fn(ts))
    total = {s.labels["api"]: s.fn(ts) for s in fams["minio_s3_requests_total"].series
             if s.labels["server"].startswith("minio-0")}
    for api, buckets in by_api.items():
        stacked = np.vstack(buckets)
        assert (np.diff(stacked, axis=0) >= 0).all(), api
        np.testing.assert_array_equal(stacked[-1], total[api])


