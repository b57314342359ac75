"""Alerts and SLOs as data: what `webapp.rules` turns into Prometheus rule files.

Three kinds of entries:

- threshold alerts: every Level 0 tile signal (overview.py) plus EXTRA_SIGNALS below, one alert per
  signal, judged by its Threshold (thresholds.py). Together they cover every threshold of the
  design's stage 1-5 tables (and the stage 6 ones the E2E tile uses).
- NAMED_ALERTS: the six alerts of the design's section 5, with the PromQL of metrics.md section 15
  and the design's `for` durations.
- SLOS: the six SLOs of the design's section 5; the generator writes their SLI recording rules and
  multi-window multi-burn-rate alerts (SRE workbook / Sloth / Pyrra).

Signal expressions use the same `$cluster`/`$namespace` tokens as the tiles; rules render them with
every variable set to All, so an alert expression is exactly the tile's query.
"""
from __future__ import annotations

import dataclasses

from ..labelnames import CRITICAL_SERVICES
from . import thresholds as th
from .forms import minio, trino
from .model import Priority, Signal

S = Signal

# Thresholds of the design's stage 1-5 tables that no Level 0 tile signal judges.
EXTRA_SIGNALS: tuple[Signal, ...] = (
    S(th.JENKINS_BUILD_DURATION,
      'sum by (jenkins_job) (increase(default_jenkins_builds_duration_milliseconds_summary_sum{$cluster}[1h])) '
      '/ (sum by (jenkins_job) (increase(default_jenkins_builds_duration_milliseconds_summary_count{$cluster}[1h])) > 0) '
      '/ 1000', "jenkins_job"),
    S(th.ARGOCD_SYNC_DURATION,
      'sum by (cluster, name) (increase(argocd_app_sync_duration_seconds_total{$cluster}[1h])) '
      '/ (sum by (cluster, name) (increase(argocd_app_sync_total{$cluster}[1h])) > 0)', "name"),
    S(th.POD_NOT_READY,
      'sum by (cluster, namespace) (kube_pod_status_ready{condition="false", $cluster, $namespace})', "namespace"),
    S(th.POD_EVICTED,
      'count by (cluster, namespace) (kube_pod_status_reason{reason="Evicted", $cluster, $namespace} == 1) '
      'or count by (cluster, namespace) (kube_pod_status_phase{$cluster, $namespace}) * 0',
      "namespace"),
    # Only pods created within the last hour: a slow start is news once, not forever.
    S(th.POD_STARTUP,
      'max by (cluster, namespace, pod) ((max by (cluster, namespace, pod, uid) (kube_pod_status_ready_time{$cluster, $namespace}) '
      '- on (cluster, namespace, pod, uid) max by (cluster, namespace, pod, uid) (kube_pod_created{$cluster, $namespace})) '
      'and on (cluster, namespace, pod, uid) (time() - kube_pod_created{$cluster, $namespace} < 3600))', "pod"),
    S(th.NETWORK_BANDWIDTH,
      'max by (cluster, instance) ('
      'max by (cluster, instance, device) (rate(node_network_receive_bytes_total{device!~"lo|veth.*", $cluster}[5m])) '
      '/ on (cluster, instance, device) (max by (cluster, instance, device) (node_network_speed_bytes{$cluster}) > 0) '
      'or label_replace(max by (cluster, instance, device) (rate(node_network_transmit_bytes_total{device!~"lo|veth.*", $cluster}[5m])) '
      '/ on (cluster, instance, device) (max by (cluster, instance, device) (node_network_speed_bytes{$cluster}) > 0), '
      '"direction", "tx", "", ""))',
      "instance"),
    S(th.SPARK_MEMORY,
      'max by (cluster, namespace, application_name, executor_id) (metrics_executor_memoryUsed_bytes{$cluster, $namespace} '
      '/ (metrics_executor_maxMemory_bytes{$cluster, $namespace} > 0))', "application_name"),
    S(th.SPARK_DURATION_SLA,
      'sum by (cluster, namespace, app_type) (increase(spark_application_success_execution_time_seconds_sum{$cluster, $namespace}[1h])) '
      '/ (sum by (cluster, namespace, app_type) (increase(spark_application_success_execution_time_seconds_count{$cluster, $namespace}[1h])) > 0)',
      "app_type"),
    S(th.AIRFLOW_TASK_SLA,
      'sum by (dag_id, task_id) (increase(airflow_task_duration_sum{$cluster}[1h])) '
      '/ (sum by (dag_id, task_id) (increase(airflow_task_duration_count{$cluster}[1h])) > 0)', "task_id"),
    S(th.S3_LATENCY,
      'histogram_quantile(0.95, sum by (cluster, api, le) ('
      + minio("minio_s3_requests_ttfb_seconds_distribution", "$cluster, $namespace",
              lambda sel: f"rate({sel}[5m])", "getobject|putobject") + '))', "api"),
    S(th.ORACLE_POOL,
      'max by (cluster, resource_name) (oracledb_resource_current_utilization{resource_name=~"sessions|processes", $cluster} '
      '/ (oracledb_resource_limit_value{resource_name=~"sessions|processes", $cluster} > 0))', "resource_name"),
    S(th.ORACLE_QUERY,
      'sum by (cluster, sql_id) (rate(oracledb_sql_elapsed_seconds_total{$cluster}[15m])) '
      '/ (sum by (cluster, sql_id) (rate(oracledb_sql_executions_total{$cluster}[15m])) > 0)', "sql_id"),
    S(th.STORAGE_LATENCY,
      'label_replace(sum by (cluster) (rate(ceph_osd_op_w_latency_sum{$cluster}[5m])) '
      '/ (sum by (cluster) (rate(ceph_osd_op_w_latency_count{$cluster}[5m])) > 0), "system", "ceph", "", "") '
      'or label_replace(max by (isilon_cluster) (isilon_stat_cluster_protostats_nfs_total_time_avg{$cluster}) / 1e6, '
      '"system", "isilon", "", "")', "system"),
    S(th.ICEBERG_DATA_LOSS,
      'max by (cluster, catalog, database, table) (iceberg_table_files_deleted_unexpectedly{$cluster})', "table"),
    # Stage 6 (E2E page): share of pipeline runs that finished within the 1 h SLA.
    S(th.PIPELINE_SLA,
      'sum by (pipeline) (increase(pipeline_duration_seconds_bucket{le="3600"}[6h])) '
      '/ (sum by (pipeline) (increase(pipeline_duration_seconds_count[6h])) > 0)', "pipeline"),
)

# A threshold alert keeps the design's name where the design gives one.
ALERT_NAMES = {"iceberg_data_loss": "DataLoss"}


@dataclasses.dataclass(frozen=True)
class NamedAlert:
    """One of the design's named alerts (section 5), with corrected PromQL (metrics.md section 15)."""

    name: str
    expr: str
    for_duration: str
    priority: Priority
    domain: str
    summary: str
    description: str


STORAGE_CAPACITY_LOW = 0.85  # design section 5: StorageCapacityLow > 0.85

NAMED_ALERTS: tuple[NamedAlert, ...] = (
    NamedAlert(
        "PlatformDown",
        f'up{{{CRITICAL_SERVICES}}} == 0 or absent(up{{{CRITICAL_SERVICES}}})',
        "1m", "P1", "e2e",
        "Critical platform service down: {{ $labels.instance }}",
        "The platform-critical target {{ $labels.instance }} ({{ $labels.cluster }}) is not answering its "
        "scrape (or no platform-critical target exists at all)."),
    NamedAlert(
        "OOMKillFrequent",
        'sum by (cluster, namespace, pod, container) '
        '(increase(kube_pod_container_status_restarts_total[10m])) > 0 '
        'and on (cluster, namespace, pod, container) '
        'kube_pod_container_status_last_terminated_reason{reason="OOMKilled"} == 1',
        "2m", "P1", "capacity",
        "Container OOM-killed: {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }}",
        "The container restarted in the last 10 minutes and its last termination was OOMKilled: "
        "raise its memory limit or reduce its memory use."),
    NamedAlert(
        "SparkJobFailureHigh",
        'sum by (cluster, namespace) (increase(spark_application_failure_count[1h])) '
        '/ ((sum by (cluster, namespace) (increase(spark_application_success_count[1h])) '
        '+ sum by (cluster, namespace) (increase(spark_application_failure_count[1h]))) > 0) > 0.02',
        "5m", "P2", "workloads",
        "Spark application failures above 2% in {{ $labels.namespace }}",
        "{{ $value | humanizePercentage }} of the Spark applications that finished in the last hour in "
        "{{ $labels.cluster }}/{{ $labels.namespace }} failed (SLO: 98% succeed)."),
    NamedAlert(
        "StorageCapacityLow",
        f'label_replace(kubelet_volume_stats_used_bytes / (kubelet_volume_stats_capacity_bytes > 0) > {STORAGE_CAPACITY_LOW}, '
        '"system", "pvc", "", "") '
        f'or label_replace(ceph_cluster_total_used_bytes / (ceph_cluster_total_bytes > 0) > {STORAGE_CAPACITY_LOW}, '
        '"system", "ceph", "", "") '
        f'or label_replace(1 - minio_cluster_capacity_usable_free_bytes / (minio_cluster_capacity_usable_total_bytes > 0) '
        f'> {STORAGE_CAPACITY_LOW}, "system", "minio", "", "") '
        f'or label_replace(isilon_quota_hard_utilization_ratio > {STORAGE_CAPACITY_LOW}, "system", "isilon", "", "") '
        f'or label_replace(oracledb_tablespace_bytes / (oracledb_tablespace_max_bytes > 0) > {STORAGE_CAPACITY_LOW}, '
        '"system", "oracle", "", "")',
        "10m", "P2", "capacity",
        "Storage above 85% full ({{ $labels.system }})",
        "{{ $labels.system }} storage in {{ $labels.cluster }} is {{ $value | humanizePercentage }} full."),
    NamedAlert(
        "SlowQueries",
        f'{trino("QueryManager", "ExecutionTime_FiveMinutes_P95", "")} / 1000 > {th.TRINO_WALL_TIME.value:g}',
        "15m", "P3", "workloads",
        "Trino p95 execution time above 10 minutes in {{ $labels.cluster }}",
        "The coordinator's five-minute p95 query execution time is {{ $value | humanizeDuration }}."),
)


@dataclasses.dataclass(frozen=True)
class SLO:
    """A service level objective of the design's section 5.

    `errors` and `total` are PromQL with `{w}` where the window goes; the SLI error ratio over a
    window is errors / total (or `error_ratio` directly when the SLI is not a ratio of counts).
    """

    key: str
    title: str
    objective: float
    window: str
    domain: str
    priority: Priority
    description: str
    errors: str = ""
    total: str = ""
    error_ratio: str = ""

    def error_ratio_expr(self, window: str) -> str:
        if self.error_ratio:
            return self.error_ratio.format(w=window)
        return f"({self.errors.format(w=window)}) / (({self.total.format(w=window)}) > 0)"

    @property
    def budget(self) -> float:
        return 1 - self.objective


def _trino_window_sum(attribute: str) -> str:
    """sum(increase()) of a Trino QueryManager counter in either form, with `{w}` for the window."""
    expr = trino("QueryManager", attribute, "", lambda sel: f"increase({sel}[WINDOW])")
    return "sum(" + expr.replace("{", "{{").replace("}", "}}").replace("WINDOW", "{w}") + ")"


SLOS: tuple[SLO, ...] = (
    SLO("platform_availability", "Whole-platform availability", 0.999, "30d", "e2e", "P1",
        "Share of time the platform-critical services answer their scrape (up).",
        error_ratio='1 - avg(avg_over_time(up{{' + CRITICAL_SERVICES + '}}[{w}]))'),
    SLO("deployment_success", "Deployment success rate", 0.95, "7d", "gitops", "P2",
        "Argo CD syncs that succeed.",
        errors='sum(increase(argocd_app_sync_total{{phase=~"Error|Failed"}}[{w}]))',
        total='sum(increase(argocd_app_sync_total[{w}]))'),
    SLO("spark_success", "Spark job success rate", 0.98, "24h", "workloads", "P2",
        "Spark applications that finish successfully (spark-operator).",
        errors='sum(increase(spark_application_failure_count[{w}]))',
        total='sum(increase(spark_application_success_count[{w}])) + sum(increase(spark_application_failure_count[{w}]))'),
    SLO("trino_success", "Trino query success rate", 0.99, "24h", "workloads", "P2",
        "Trino queries that complete without failing.",
        errors=_trino_window_sum("FailedQueries_TotalCount"),
        total=_trino_window_sum("CompletedQueries_TotalCount")),
    SLO("airflow_success", "Airflow DAG success rate", 0.95, "24h", "workloads", "P2",
        "Airflow DAG runs that succeed.",
        errors='sum(increase(airflow_dagrun_failed_count[{w}]))',
        total='sum(increase(airflow_dagrun_duration_count[{w}])) + sum(increase(airflow_dagrun_failed_count[{w}]))'),
    SLO("pipeline_latency", "Data pipeline latency (P95 < 1 hour)", 0.95, "24h", "e2e", "P2",
        "Pipeline runs that finish end to end within 1 hour: P95 < 1 h means at least 95% do.",
        errors='sum(increase(pipeline_duration_seconds_count[{w}])) '
               '- sum(increase(pipeline_duration_seconds_bucket{{le="3600"}}[{w}]))',
        total='sum(increase(pipeline_duration_seconds_count[{w}]))'),
)
