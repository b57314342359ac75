"""Generators of the workload components (Spark, Airflow, Trino): determinism, counters, stories."""
import numpy as np
import pytest

from webapp.demo.components import all_components
from webapp.demo.components.airflow import Airflow
from webapp.demo.components.spark import Spark, apps
from webapp.demo.components.trino import Trino, night
from webapp.demo.core import DAY, HOUR
from webapp.demo.world import build_world

ANCHOR = 1_764_147_600.0  # 2025-11-26 09:00 UTC
WORLD = build_world("tiny", 42, ANCHOR)
T0, T1 = ANCHOR - 26 * HOUR, ANCHOR
TS = np.arange(T0, T1, 120.0)


def series(component):
    for tgt in component.targets(WORLD):
        for fam in component.families(WORLD, tgt, T0, T1):
            for s in fam.series:
                yield tgt, fam, s


def test_registered():
    names = {c.name for c in all_components()}
    assert {"spark", "airflow", "trino"} <= names


def is_counter(fam, s) -> bool:
    if "quantile" in s.labels:
        return False
    return fam.type in ("counter", "histogram", "summary") or s.name.endswith("_TotalCount")


@pytest.mark.parametrize("component", [Spark(), Airflow(), Trino()], ids=lambda c: c.name)
def test_deterministic_and_counters_monotonic(component):
    first = {(t.path, s.name, tuple(sorted(s.labels.items()))): (is_counter(f, s), s.fn(TS))
             for t, f, s in series(component)}
    again = {(t.path, s.name, tuple(sorted(s.labels.items()))): s.fn(TS) for t, _, s in series(component)}
    assert first.keys() == again.keys() and len(first) > 10
    counters = 0
    for key, (counter, values) in first.items():
        np.testing.assert_array_equal(values, again[key])
        if counter:
            counters += 1
            v = values[~np.isnan(values)]
            assert np.all(np.diff(v) >= 0), key
    assert counters > 5


def test_live_value_matches_backfill():
    """The live exporter evaluates families(t, t): its values equal the backfill's at t."""
    t = float(TS[-5])
    for component in (Spark(), Airflow(), Trino()):
        wide = {(tg.path, s.name, tuple(sorted(s.labels.items()))): float(s.fn(np.array([t]))[0])
                for tg, _, s in series(component)}
        for tg in component.targets(WORLD):
            for fam in component.families(WORLD, tg, t, t):
                for s in fam.series:
                    v = float(s.fn(np.array([t]))[0])
                    key = (tg.path, s.name, tuple(sorted(s.labels.items())))
                    if not np.isnan(v):
                        assert key in wide and np.isclose(wide[key], v), key


def test_spark_stories():
    east = WORLD.clusters[0]
    runs = [a for a in apps(WORLD, east, ANCHOR - 3 * HOUR, ANCHOR) if a.name == "customer-360-agg"]
    assert runs and all(a.failing for a in runs if a.start >= ANCHOR - 3 * HOUR)
    west = [a for a in apps(WORLD, WORLD.clusters[1], T0, T1) if a.name == "customer-360-agg"]
    assert sum(a.failing for a in west) <= 2


def test_trino_night_window_is_utc_night():
    hours = np.arange(0, DAY, 600.0) + 20000 * DAY
    bump = night(hours)
    on = ((hours % DAY) / HOUR)[bump == 1]
    assert on.min() >= 1 and on.max() <= 3.5
