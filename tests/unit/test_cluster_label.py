"""The cluster label's name as a setting: the planned PromQL rewritten, the answer mapped back."""
from __future__ import annotations

import numpy as np
import promql_parser
import pytest

from webapp.catalog import DASHBOARDS, TILES
from webapp.labelnames import label_usages, rename_label, rename_result_labels, validate_label_name
from webapp.prometheus import QueryResult, Series
from webapp.promql import TemplateError, render, template_variables
from webapp.settings import SettingsError, load_settings

NEW = "k8s_cluster"

CASES = [
    ('up{cluster="a"}', 'up{k8s_cluster="a"}'),
    ('sum by (cluster, namespace) (rate(x{cluster!="", job=~"b"}[5m] offset 1h))',
     'sum by (k8s_cluster, namespace) (rate(x{k8s_cluster!="", job=~"b"}[5m] offset 1h))'),
    ('sum(x) by (cluster)', 'sum(x) by (k8s_cluster)'),
    ('count without (cluster) (w)', 'count without (k8s_cluster) (w)'),
    ('a / on (cluster) group_left (cluster_name) b', 'a / on (k8s_cluster) group_left (cluster_name) b'),
    ('a > bool ignoring(cluster) b', 'a > bool ignoring(k8s_cluster) b'),
    ('a * on (namespace) group_right (cluster) b', 'a * on (namespace) group_right (k8s_cluster) b'),
    ('label_replace(up, "cluster", "$1", "cluster", "(.*)")',
     'label_replace(up, "k8s_cluster", "$1", "k8s_cluster", "(.*)")'),
    ('label_join(up, "cluster", ",", "a", "cluster")', 'label_join(up, "k8s_cluster", ",", "a", "k8s_cluster")'),
    ('sort_by_label(up, "cluster")', 'sort_by_label(up, "k8s_cluster")'),
    ('count_values("cluster", up)', 'count_values("k8s_cluster", up)'),
    ('max_over_time(sum by (cluster) (x)[1h:5m])', 'max_over_time(sum by (k8s_cluster) (x)[1h:5m])'),
]

UNTOUCHED = [
    'cluster{job="cluster"}',                                     # a metric named cluster, a value "cluster"
    'up{job="cluster=\\"x\\""}',                                  # a matcher inside a value
    'label_replace(up, "dst", "cluster", "src", "cluster")',       # replacement and regex are not names
    'cluster_cpu:ratio{instance="a"}',                            # names that contain the word
    'sum by (exported_cluster, cluster_name) (up)',
    'up # by (cluster)\n',                                        # a comment
]


@pytest.mark.parametrize(("query", "expected"), CASES)
def test_every_label_name_position_is_rewritten(query, expected):
    assert rename_label(query, "cluster", NEW) == expected
    assert all(name != "cluster" for _, name in label_usages(rename_label(query, "cluster", NEW)))


@pytest.mark.parametrize("query", UNTOUCHED)
def test_metric_names_values_and_comments_are_left_alone(query):
    assert promql_parser.parse(rename_label(query, "cluster", NEW)).prettify() == promql_parser.parse(query).prettify()


def test_same_name_is_a_no_op_and_bad_queries_fail_clearly():
    assert rename_label("up{cluster=\"a\"}", "cluster", "cluster") == 'up{cluster="a"}'
    with pytest.raises(TemplateError):
        rename_label("sum by (cluster (up", "cluster", NEW)


@pytest.mark.parametrize("name", ["", "1abc", "a-b", "a b", "__name__", "é", "a\"}", "x\n"])
def test_setting_rejects_invalid_label_names(name):
    with pytest.raises(ValueError):
        validate_label_name(name)
    if name:
        with pytest.raises(SettingsError, match="DATAOPS_CLUSTER_LABEL"):
            load_settings({"DATAOPS_CLUSTER_LABEL": name})


def test_setting_default_and_value():
    assert load_settings({}).cluster_label == "cluster"
    assert load_settings({"DATAOPS_CLUSTER_LABEL": "k8s_cluster"}).cluster_label == "k8s_cluster"


def _all_templates():
    for dashboard in DASHBOARDS.values():
        for panel in dashboard.panels:
            if panel.source == "prometheus":
                yield from (q.expr for q in panel.queries)
        if dashboard.exists_query:
            yield dashboard.exists_query
    for tile in TILES:
        yield tile.figure.expr
        yield tile.sparkline.expr
        yield from (s.expr for s in tile.signals)


def test_every_catalog_query_renames_completely():
    """Every query of the catalog, filled with a cluster value, uses the new name and never `cluster`."""
    count = 0
    for template in _all_templates():
        selections = {name: (name, ("v",)) for name in template_variables(template)}
        query = render(template, selections, range_seconds=21600, step_seconds=60)
        renamed = rename_label(query, "cluster", NEW)
        before, after = label_usages(query), label_usages(renamed)
        assert not any(name == "cluster" for _, name in after), query
        assert sum(before.values()) == sum(after.values())
        count += 1
    assert count > 200


def test_results_are_mapped_back_to_the_catalog_name():
    series = Series({NEW: "east", "cluster": "isilon-prod", "job": "x"}, np.array([1.0]), np.array([2.0]))
    result = rename_result_labels(QueryResult("q", "vector", (series,)), NEW, "cluster")
    assert dict(result.series[0].labels) == {"cluster": "east", "job": "x"}
