"""The metric -> exporter map (webapp/catalog/exporters.py) against the real-exporter corpus and the catalog."""
from __future__ import annotations

from tests.corpus import load_corpus
from webapp.catalog import DASHBOARDS, TILES
from webapp.catalog.exporters import BY_NAME, EXPORTERS, exporter_of
from webapp.datasources import panel_metrics, query_metrics

# Samples of library test fixtures kept in the corpus to show the exposition format, not exporter metrics.
FORMAT_EXAMPLES = {"TEST_METRIC", "metrics_counter1_Count", "metrics_gauge1_Number", "metrics_gauge1_Value",
                   "metric_name_count", "metric_name_nested_committed", "metric_name_nested_max",
                   "metric_name_nested_used"}


def test_every_corpus_metric_maps_to_the_exporter_of_its_file():
    corpus = load_corpus()
    assert set(corpus) <= set(BY_NAME)
    for name, families in corpus.items():
        for metric in {s.name for f in families for s in f.samples} - FORMAT_EXAMPLES:
            exporter = exporter_of(metric)
            assert exporter is not None and exporter.name == name, (name, metric, exporter)


def test_every_corpus_exporter_is_marked_so_and_no_other():
    corpus = set(load_corpus())
    assert {e.name for e in EXPORTERS if e.in_corpus} == corpus


def test_every_catalog_metric_has_an_exporter():
    metrics = set()
    for dashboard in DASHBOARDS.values():
        for panel in dashboard.panels:
            metrics |= panel_metrics(panel)
    for tile in TILES:
        for signal in tile.signals:
            metrics |= query_metrics(signal.expr)
    assert len(metrics) > 100
    assert sorted(m for m in metrics if exporter_of(m) is None) == []


def test_query_metrics_reads_names_from_the_parsed_query():
    assert query_metrics('sum by (cluster) (rate(a_total{$namespace}[5m])) / on () group_left b '
                         'or {__name__="c", job="x"} # d') == {"a_total", "b", "c"}
    assert query_metrics("vector(1)") == frozenset()
    assert query_metrics("sum(") == frozenset()
