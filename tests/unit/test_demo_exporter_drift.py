"""The demo's Spark, Airflow, Trino, Hive Metastore, MinIO, Ceph, Oracle and PowerScale exporters emit
what the real exporters emit (the corpus of ../shared/real-exposition, read by tests/corpus.py): the same
families, types and label names, except where tests/demo_drift.py says why."""
from __future__ import annotations

import pytest

from tests.corpus import corpus_files
from tests.demo_drift import DEMO_JOBS, EXTRA, NOT_EMITTED, demo_shape, drift, expected_shape
from webapp.demo.core import HOUR
from webapp.demo.world import build_world

ANCHOR = 1_764_147_600.0          # 2025-11-26 09:00 UTC
WORLD = build_world("tiny", 42, ANCHOR)
# several scrape times: batch Spark applications and ACID leaders exist at some times only
TIMES = [ANCHOR - 20 * HOUR, ANCHOR - 2 * HOUR, ANCHOR - 30 * 60, ANCHOR]


@pytest.fixture(scope="module", autouse=True)
def _corpus_present():
    if not corpus_files():
        pytest.fail("the real-exporter corpus is absent (../shared/real-exposition or DATAOPS_CORPUS_DIR)")


@pytest.mark.parametrize("stem", sorted(DEMO_JOBS))
def test_demo_matches_the_real_exporter(stem):
    assert drift(WORLD, stem, TIMES) == []


@pytest.mark.parametrize("stem", sorted(DEMO_JOBS))
def test_exceptions_are_justified(stem):
    corpus = set(expected_shape(stem)) | set(NOT_EMITTED.get(stem, {}))
    for name, (_type, _labels, source) in EXTRA.get(stem, {}).items():
        assert source.strip(), name
    for name, reason in NOT_EMITTED.get(stem, {}).items():
        assert reason.strip() and name in corpus, name


def test_drift_is_detected():
    """A renamed family, a changed type and an extra label each show up as drift."""
    import tests.demo_drift as dd

    want = expected_shape("spark")
    have = demo_shape(WORLD, "spark", TIMES[-1:])
    assert "metrics_executor_totalGCTime_seconds_total" in want and "metrics_executor_totalGCTime_seconds_total" in have
    original = dd.demo_shape
    try:
        dd.demo_shape = lambda *a: {**{k: v for k, v in have.items() if k != "metrics_executor_activeTasks"},
                                    "metrics_executor_activeTasks_Value": ("untyped", frozenset({frozenset()})),
                                    "metrics_executor_rddBlocks": ("gauge", have["metrics_executor_rddBlocks"][1]),
                                    "spark_info": ("untyped", frozenset({frozenset({"version", "revision", "spark_app_id"})}))}
        problems = "\n".join(dd.drift(WORLD, "spark", TIMES[-1:]))
    finally:
        dd.demo_shape = original
    assert "metrics_executor_activeTasks is missing" in problems
    assert "emits metrics_executor_activeTasks_Value" in problems
    assert "metrics_executor_rddBlocks is gauge in the demo, untyped" in problems
    assert "spark_info labels" in problems
