"""Conformance: every Level 1 panel and tile against the real-exporter corpus replayed into a real Prometheus.

The corpus Prometheus names the cluster label `k8s_cluster` (tests/conftest.py), and the app is told so
(`cluster_label`), so these tests also prove the catalog assumes no label name.

A panel "whose exporters are present" reads only metrics of exporters that are in the corpus. Such a
panel must show data, or the missing state naming the metric it lacks; it may not be a silent
"No data". `KNOWN_EMPTY` lists the panels that break this today, each with why; the list may only
shrink. `test_level1_coverage_with_present_exporters` is the issue's bar (>= 95% answer).
"""
from __future__ import annotations

import re

import pytest
import requests

from tests.corpus import PanelOutcome, coverage_table, measure
from webapp.catalog import level1
from webapp.catalog.exporters import exporter_of
from webapp.datasources import panel_metrics

pytestmark = pytest.mark.integration

# Empty or failing although every exporter they read is in the corpus, with the reason (found by this test).
_DIFFERENT_PODS = ("usage comes from the corpus' kubelet /metrics/resource fixture (pods pod_a, pod_b) and requests or "
                   "limits from kube-state-metrics' fixtures (pod0, pod1...): no pod is in both")
KNOWN_EMPTY = {
    "image-pull-status": "no waiting container with an image-pull reason in the corpus",
    "rollout-history": "the corpus ReplicaSets were created in 2017 (kube_replicaset_created), not within the range",
    "cpu-throttling": "the corpus' CFS period counters come from cAdvisor's own test, without a `container` label",
    "memory-vs-limit": _DIFFERENT_PODS,
    "over-provisioned": _DIFFERENT_PODS,
    "potential-savings": _DIFFERENT_PODS,
    "savings-by-namespace": _DIFFERENT_PODS,
    "scaling": _DIFFERENT_PODS,
    "spark-long-running": "no driver pod (-driver) in the kube-state-metrics corpus",
    "oom-events": "the OOMKilled container of the corpus (pod6) has no restart counter in the corpus",
}

# Of those, the panels whose empty result is the true answer for the corpus' data (nothing of what they list
# happened), shown as their verdict (`empty_text`).
EMPTY_IS_THE_ANSWER = ("image-pull-status", "rollout-history")


@pytest.fixture(scope="module")
def outcomes(corpus_prometheus) -> list[PanelOutcome]:
    found = measure(corpus_prometheus.url, corpus_prometheus.cluster_label, corpus_prometheus.critical_services)
    print("\n" + coverage_table(found))
    return found


@pytest.fixture(scope="module")
def corpus_metrics(corpus_prometheus) -> set[str]:
    answer = requests.get(f"{corpus_prometheus.url}/api/v1/label/__name__/values", timeout=10).json()
    return set(answer["data"])


def _panels():
    return {p.id: p for d in level1() for p in d.panels if p.source == "prometheus"}


def _exporters_present(panel, present: set[str]) -> bool:
    exporters = {exporter_of(m) for m in panel_metrics(panel)}
    return bool(exporters) and all(e is not None and e.name in present for e in exporters)


def test_every_level1_panel_and_tile_ran(outcomes):
    panel_ids = {o.panel for o in outcomes if o.page != "/"}
    assert panel_ids == set(_panels())
    assert len([o for o in outcomes if o.page == "/"]) == 6


def test_missing_panels_name_metrics_that_really_are_absent(outcomes, corpus_metrics):
    missing = [o for o in outcomes if o.state == "missing"]
    assert missing, "the corpus lacks metrics the catalog reads: some panels must be in the missing state"
    panels = _panels()
    for o in missing:
        assert o.detail.startswith("Not in the data source: "), o
        named = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", o.detail)) & panel_metrics(panels[o.panel])
        assert named and not named & corpus_metrics, o


def test_panels_with_present_exporters_show_data_or_missing(outcomes, corpus_prometheus):
    """The contract: no silent "No data" where the exporter is there. Regressions fail; the known list shrinks."""
    panels = _panels()
    present = set(corpus_prometheus.exporters) | {"prometheus"}
    silent = {o.panel: f"{o.page} {o.state} {o.detail}".strip() for o in outcomes
              if o.page != "/" and o.state in ("empty", "error") and _exporters_present(panels[o.panel], present)}
    fixed = sorted(set(KNOWN_EMPTY) - set(silent))
    if fixed:
        print("now with data or missing (remove from KNOWN_EMPTY):", ", ".join(fixed))
    unexpected = {pid: why for pid, why in silent.items() if pid not in KNOWN_EMPTY}
    assert unexpected == {}


def test_tiles_never_ok_with_a_missing_signal(outcomes):
    tiles = {o.panel: o for o in outcomes if o.page == "/"}
    # The corpus has no Iceberg, Hive Metastore rules or pipeline-journey metrics: those tiles cannot be ok.
    for tile in ("tile:pipeline", "tile:e2e"):
        assert tiles[tile].state != "ok", tiles[tile]


def test_level1_coverage_with_present_exporters(outcomes, corpus_prometheus):
    """The issue's bar: of the Level 1 panels whose metrics the corpus' exporters emit, at least 95% answer.

    A panel answers with data, or with its verdict when the data hold none of what it lists (see
    `EMPTY_IS_THE_ANSWER`). Panels in the missing state are not counted: they read a metric the corpus'
    exporter does not emit in its default configuration (`test_missing_panels_name_metrics_that_really_are_absent`
    proves each is absent), and they say so by name."""
    panels = _panels()
    present = set(corpus_prometheus.exporters) | {"prometheus"}
    counted = [o for o in outcomes if o.page != "/" and o.state != "missing"
               and _exporters_present(panels[o.panel], present)]
    answered = [o for o in counted if o.state == "ok" or (o.state == "empty" and o.panel in EMPTY_IS_THE_ANSWER)]
    print(f"\nanswered {len(answered)} of {len(counted)} ({len(answered) / len(counted):.1%}); "
          f"with data {sum(o.state == 'ok' for o in counted)}")
    assert len(answered) >= 0.95 * len(counted), coverage_table(outcomes)


def test_empty_answers_are_verdicts():
    """A panel whose empty result is its answer says what that means, never "No data"."""
    panels = _panels()
    for panel_id in EMPTY_IS_THE_ANSWER:
        assert panel_id in KNOWN_EMPTY
        assert panels[panel_id].empty_text not in ("", "No data"), panel_id


def test_cluster_filter_and_picker_use_the_configured_label(corpus_prometheus):
    """`var-cluster` filters on `k8s_cluster`; answers and the picker speak of `cluster`."""
    import time

    from tests.corpus import CLUSTERS, engine_for
    from webapp.runner import run_panels
    from webapp.viewstate import parse_view_state

    engine = engine_for(corpus_prometheus.url, corpus_prometheus.cluster_label)
    panel = _panels()["scrape-health"]
    both = run_panels(engine, [panel], parse_view_state({}))[panel.id]
    east = run_panels(engine, [panel], parse_view_state({"var-cluster": CLUSTERS[0]}))[panel.id]
    assert {s.labels.get("cluster") for r in both.results for s in r.series} == set(CLUSTERS)
    assert {s.labels.get("cluster") for r in east.results for s in r.series} == {CLUSTERS[0]}
    assert all(corpus_prometheus.cluster_label not in s.labels for r in east.results for s in r.series)
    now = time.time()
    assert engine.label_values("cluster", ["kube_node_info{}"], now - 600, now) == sorted(CLUSTERS)
