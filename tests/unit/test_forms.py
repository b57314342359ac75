"""Queries that read either form of a multi-form exporter (webapp/catalog/forms.py)."""
from __future__ import annotations

import pytest

from webapp.catalog import forms
from webapp.promql import validate


def test_trino_reads_the_built_in_and_the_jmx_names():
    expr = forms.trino("ClusterMemoryPool", "FreeDistributedBytes", "$cluster", lambda s: f"max({s})")
    assert expr == ('(max(trino_memory_type_ClusterMemoryPool_name_general_FreeDistributedBytes{$cluster}) or '
                    'max(trino_memory_ClusterMemoryPool_FreeDistributedBytes{name="general", $cluster}))')
    assert forms.trino("QueryManager", "RunningQueries", "") == (
        "(trino_execution_name_QueryManager_RunningQueries or trino_execution_QueryManager_RunningQueries)")


def test_minio_v3_gets_the_api_label_and_case_insensitive_api_names():
    expr = forms.minio("minio_s3_requests_total", "$cluster", lambda s: f"rate({s}[5m])", "getobject|putobject")
    assert 'api=~"(?i)(getobject|putobject)"' in expr and 'name=~"(?i)(getobject|putobject)", type="s3"' in expr
    assert 'label_replace(rate(minio_api_requests_total{' in expr and '"api", "$1", "name", "(.*)")' in expr


@pytest.mark.parametrize("expr", [
    forms.hms_api("95thPercentile", "", "get_table|lock"), forms.hms_api_rate("5m", ""), forms.hms_pool("active", ""),
    forms.hms_gauge("hive_metastore_num_locks", ""), forms.hms_directsql_errors_rate("5m", ""),
    forms.airflow_pool("running_slots", ""), forms.minio("minio_s3_traffic_sent_bytes", "", lambda s: f"rate({s}[5m])"),
])
def test_every_form_union_is_valid_promql(expr):
    validate(expr)



def test_missing_state_sees_through_both_forms():
    """A panel reading `named or label_replace({__name__=~pattern})` is missing the named metric only when
    the pattern matches nothing either; the pattern itself is never named."""
    from webapp.datasources import blocking_metrics

    ratio = f'max({forms.hms_pool("active", "")} / ({forms.hms_pool("max", "")} > 0))'
    default_form = frozenset({"metrics_objectstore_pool_ActiveConnections_Value"})
    assert blocking_metrics(ratio, default_form) == ("hikaricp_connections_max",)
    assert blocking_metrics(forms.hms_pool("active", ""), default_form) == ()
    assert blocking_metrics(forms.hms_pool("active", ""), frozenset()) == ("hikaricp_connections_active",)
    assert blocking_metrics(forms.airflow_pool("queued_slots", ""), frozenset({"airflow_pool_queued_slots_spark"})) == ()
