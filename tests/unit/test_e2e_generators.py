"""The end-to-end demo generators (pipeline-exporter, data quality, Portal): determinism,
histogram consistency and the stories."""
from __future__ import annotations

import numpy as np

from webapp.demo.components.dataquality import DataQuality
from webapp.demo.components.pipeline import STAGES, PipelineExporter, iceberg_mean, pipeline_runs
from webapp.demo.components.portal import Portal, outage
from webapp.demo.core import HOUR
from webapp.demo.world import build_world

ANCHOR = 1_800_000_000.0


def world():
    return build_world("tiny", 42, ANCHOR)


def values(component, tgt, ts):
    out = {}
    for fam in component.families(world(), tgt, ts[0], ts[-1]):
        for s in fam.series:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.fn(ts)
    return out


def test_series_are_pure_functions_of_time():
    ts = np.arange(ANCHOR - 6 * HOUR, ANCHOR + HOUR, 120.0)
    for comp in (PipelineExporter(), DataQuality(), Portal()):
        tgt = comp.targets(world())[0]
        a, b = values(comp, tgt, ts), values(comp, tgt, ts)
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)
        # one point evaluated alone equals the same point of the grid (backfill == live exporter)
        one = values(comp, tgt, ts[-5:-4])
        assert all(np.array_equal(one[k], a[k][-5:-4], equal_nan=True) for k in one)


def test_counters_and_buckets_are_monotonic():
    ts = np.arange(ANCHOR - 26 * HOUR, ANCHOR + 2 * HOUR, 60.0)
    for comp in (PipelineExporter(), DataQuality(), Portal()):
        tgt = comp.targets(world())[0]
        for (name, labels), v in values(comp, tgt, ts).items():
            if name.endswith(("_total", "_bucket", "_count", "_sum")):
                finite = v[~np.isnan(v)]
                assert np.all(np.diff(finite) >= 0), (name, labels)


def test_histogram_buckets_are_cumulative_in_le():
    ts = np.array([ANCHOR])
    vals = values(PipelineExporter(), PipelineExporter().targets(world())[0], ts)
    buckets = sorted(((float(dict(lab)["le"]), v[0]) for (n, lab), v in vals.items()
                      if n == "pipeline_duration_seconds_bucket" and dict(lab)["pipeline"] == "orders-etl"))
    counts = [c for _, c in buckets]
    assert counts == sorted(counts) and counts[-1] > 0


def test_iceberg_becomes_the_bottleneck_and_runs_breach_the_sla():
    w = world()
    assert iceberg_mean(w, np.array([ANCHOR - 11 * HOUR]))[0] == 120
    assert iceberg_mean(w, np.array([ANCHOR + 5 * HOUR]))[0] == 1500
    r = pipeline_runs(w, "orders-etl", int(ANCHOR // 86400))
    recent = (r.finish > ANCHOR - 6 * HOUR) & (r.finish <= ANCHOR)
    means = r.dur[recent].mean(axis=0)
    assert STAGES[int(np.argmax(means))][0] == "iceberg"
    early = (r.finish > ANCHOR - 30 * HOUR) & (r.finish <= ANCHOR - 20 * HOUR)
    assert STAGES[int(np.argmax(r.dur[early].mean(axis=0)))][0] == "application"
    assert (r.total[recent] > 3600).any() and not (r.total[early] > 3600).any()


def test_platform_critical_outage_is_only_in_the_backfilled_up():
    w = world()
    comp = Portal()
    cl, inst, start, end = outage(w)
    down = [t for t in comp.targets(w) if comp.up(w, t) is not None]
    assert [(t.job, t.cluster, t.instance) for t in down] == [("platform-critical", cl, inst)]
    fn = comp.up(w, down[0])
    assert list(fn(np.array([start - 60, start + 60, end + 60]))) == [1, 0, 1]
    assert ANCHOR - start <= (w.scale.history_hours - 4) * HOUR


def test_live_values_match_the_backfill_precision():
    """The backfill file rounds to 3 decimals; a live value a hair below it would read as a
    counter reset (increase() then adds the whole counter)."""
    ts = np.array([ANCHOR + 1234.5])
    for comp in (PipelineExporter(), DataQuality(), Portal()):
        tgt = comp.targets(world())[0]
        for (name, labels), v in values(comp, tgt, ts).items():
            if name.endswith(("_total", "_bucket", "_count", "_sum")) and not np.isnan(v[0]):
                assert v[0] == np.round(v[0], 3), (name, labels, v[0])
