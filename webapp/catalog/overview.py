"""Level 0: the six domain tiles and the health signals that colour them.

A signal's expression gives one value per entity; the tile is the worst verdict of its
signals under the thresholds of thresholds.py. The alert rules are generated from the same
Signal objects, so a tile turns red exactly where its alert fires. Signals that count events round
their `increase()`: it extrapolates to the window's edges, and "2.03 OOM kills" reads as a bug.
"""
from __future__ import annotations

from ..labelnames import CRITICAL_SERVICES
from . import links
from . import thresholds as th
from .forms import CONTAINERS, hms_api, hms_pool, minio, trino
from .model import Query, Signal, Tile

S = Signal

GITOPS_SIGNALS = (
    S(th.JENKINS_SUCCESS_RATE,
      'sum by (jenkins_job) (increase(default_jenkins_builds_success_build_count_total{$cluster}[1h])) '
      '/ (sum by (jenkins_job) (increase(default_jenkins_builds_total_build_count_total{$cluster}[1h])) > 0)',
      "jenkins_job", "Jenkins jobs", links.JENKINS_JOB),
    S(th.JENKINS_QUEUE, 'sum by (cluster) (jenkins_queue_size_value{$cluster})', "cluster", "Jenkins queues"),
    # A healthy entity reads 0 (not nothing), so the tile knows the signal was read.
    S(th.ARGOCD_UNHEALTHY,
      'count by (namespace, name) (argocd_app_info{health_status!="Healthy", $cluster, $namespace:dest_namespace} == 1) '
      'or count by (namespace, name) (argocd_app_info{$cluster, $namespace:dest_namespace}) * 0', "name",
      "Argo CD apps", links.ARGOCD_APP),
    S(th.POD_NOT_RUNNING,
      'count by (namespace) (kube_pod_status_phase{phase=~"Pending|Failed|Unknown", $cluster, $namespace} == 1) '
      'or count by (namespace) (kube_pod_status_phase{$cluster, $namespace}) * 0',
      "namespace", "namespaces", links.NAMESPACE),
    S(th.CONTAINER_RESTARTS,
      'round(sum by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{$cluster, $namespace}[1h])))',
      "pod", "containers", links.NAMESPACE),
)

CAPACITY_SIGNALS = (
    S(th.CPU_USAGE,
      'sum by (cluster) (rate(container_cpu_usage_seconds_total{' + CONTAINERS + ', $cluster}[5m])) '
      '/ sum by (cluster) (kube_node_status_allocatable{resource="cpu", $cluster})', "cluster", "clusters"),
    S(th.MEMORY_USAGE,
      'sum by (cluster) (container_memory_working_set_bytes{' + CONTAINERS + ', $cluster}) '
      '/ sum by (cluster) (kube_node_status_allocatable{resource="memory", $cluster})', "cluster", "clusters"),
    S(th.STORAGE_USAGE,
      'max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{$cluster, $namespace} '
      '/ kubelet_volume_stats_capacity_bytes{$cluster, $namespace})', "persistentvolumeclaim",
      "PVCs", links.PVC),
    S(th.PACKET_DROPS,
      'sum by (instance) (rate(node_network_receive_drop_total{device!~"lo|veth.*", $cluster}[5m])) '
      '/ (sum by (instance) (rate(node_network_receive_packets_total{device!~"lo|veth.*", $cluster}[5m])) > 0)',
      "instance", "nodes"),
    S(th.STORAGE_DISK_USAGE, 'ceph_cluster_total_used_bytes{$cluster} / ceph_cluster_total_bytes{$cluster}',
      "cluster", "Ceph clusters"),
)



def _inc15(selector: str) -> str:
    return f"increase({selector}[15m])"


def _rate5(selector: str) -> str:
    return f"rate({selector}[5m])"


def _rate_step(selector: str) -> str:
    return f"rate({selector}[$__rate_interval])"


WORKLOAD_SIGNALS = (
    S(th.SPARK_FAILURES,
      'round(sum by (namespace) (increase(spark_application_failure_count{$cluster, $namespace}[1h])))', "namespace",
      "Spark namespaces", links.NAMESPACE),
    S(th.SPARK_GC,
      'sum by (application_name) (rate(metrics_executor_totalGCTime_seconds_total{$cluster}[5m])) '
      '/ (sum by (application_name) (rate(metrics_executor_totalDuration_seconds_total{$cluster}[5m])) > 0)',
      "application_name", "Spark applications"),
    S(th.AIRFLOW_DAG_FAILED, 'round(sum by (dag_id) (increase(airflow_dagrun_failed_count{$cluster}[1h])))', "dag_id",
      "Airflow DAGs", links.AIRFLOW_DAG),
    S(th.TRINO_WALL_TIME,
      f'max by (cluster) ({trino("QueryManager", "ExecutionTime_FiveMinutes_P95", "$cluster")}) / 1000', "cluster",
      "Trino clusters"),
    S(th.TRINO_FAILURES,
      f'sum by (cluster) ({trino("QueryManager", "FailedQueries_TotalCount", "$cluster", _inc15)}) '
      f'/ (sum by (cluster) ({trino("QueryManager", "CompletedQueries_TotalCount", "$cluster", _inc15)}) > 0)',
      "cluster", "Trino clusters"),
    S(th.TRINO_WORKERS,
      f'sum by (cluster) ({trino("HeartbeatFailureDetector", "ActiveCount", "$cluster")}) '
      f'/ (sum by (cluster) ({trino("HeartbeatFailureDetector", "TotalCount", "$cluster")}) > 0)', "cluster",
      "Trino clusters"),
    S(th.AIRFLOW_HEARTBEAT, '1 / sum by (cluster) (rate(airflow_scheduler_heartbeat{$cluster}[2m]))', "cluster",
      "Airflow schedulers"),
)

PIPELINE_SIGNALS = (
    S(th.ICEBERG_FILES, 'max by (table) (iceberg_table_data_files{$cluster})', "table", "Iceberg tables",
      links.ICEBERG_TABLE),
    S(th.ICEBERG_SNAPSHOTS, 'max by (table) (iceberg_table_snapshots{$cluster})', "table", "Iceberg tables",
      links.ICEBERG_TABLE),
    # One verdict per metastore (its slowest API), not one per API: a slow backing database slows
    # every call at once, and one alert says so; /pipeline shows the APIs.
    S(th.HMS_RESPONSE, f'max by (cluster) ({hms_api("95thPercentile", "$cluster")}) / 1000', "cluster",
      "Hive Metastores"),
    S(th.HMS_POOL, f'max by (pool) ({hms_pool("active", "$cluster")} / ({hms_pool("max", "$cluster")} > 0))',
      "pool", "connection pools"),
    S(th.S3_ERRORS,
      f'(sum by (cluster) ({minio("minio_s3_requests_4xx_errors_total", "$cluster", _rate5)}) '
      f'+ sum by (cluster) ({minio("minio_s3_requests_5xx_errors_total", "$cluster", _rate5)})) '
      f'/ (sum by (cluster) ({minio("minio_s3_requests_total", "$cluster", _rate5)}) > 0)', "cluster",
      "MinIO clusters"),
    S(th.ORACLE_TABLESPACE,
      'max by (tablespace) (oracledb_tablespace_bytes{$cluster} / oracledb_tablespace_max_bytes{$cluster})',
      "tablespace", "tablespaces", links.ORACLE_TABLESPACE),
)

OPTIMIZE_SIGNALS = (
    S(th.OOM_KILLED,
      'round(sum by (cluster, namespace, pod, container) (increase(kube_pod_container_status_restarts_total{$cluster, $namespace}[1h]))) '
      '* on (cluster, namespace, pod, container) group_left () '
      'max by (cluster, namespace, pod, container) '
      '(kube_pod_container_status_last_terminated_reason{reason="OOMKilled", $cluster, $namespace})', "pod",
      "containers", links.NAMESPACE),
    S(th.CPU_THROTTLING,
      'sum by (namespace, pod, container) (increase(container_cpu_cfs_throttled_periods_total{container!="", $cluster, $namespace}[5m])) '
      '/ (sum by (namespace, pod, container) (increase(container_cpu_cfs_periods_total{container!="", $cluster, $namespace}[5m])) > 0)',
      "pod", "containers", links.NAMESPACE),
    S(th.IDLE_RATIO,
      '1 - sum by (cluster) (rate(container_cpu_usage_seconds_total{' + CONTAINERS + ', $cluster}[5m])) '
      '/ (sum by (cluster) (kube_pod_container_resource_requests{resource="cpu", $cluster} '
      '* on (cluster, namespace, pod) group_left () max by (cluster, namespace, pod) '
      '(kube_pod_status_phase{phase="Running", $cluster} == 1)) > 0)', "cluster",
      "clusters"),
)

E2E_SIGNALS = (
    S(th.TARGET_DOWN, 'min by (instance) (up{' + CRITICAL_SERVICES + ', $cluster})', "instance",
      "critical services"),
    S(th.PLATFORM_AVAILABILITY, 'min by (instance) (avg_over_time(up{' + CRITICAL_SERVICES + ', $cluster}[1h]))',
      "instance", "critical services"),
    S(th.DATA_QUALITY, 'sum by (dataset) (dq_check_success) / count by (dataset) (dq_check_success)', "dataset",
      "datasets"),
    S(th.PIPELINE_DURATION,
      'histogram_quantile(0.95, sum by (pipeline, le) (rate(pipeline_duration_seconds_bucket[6h])))', "pipeline",
      "pipelines"),
)

TILES: tuple[Tile, ...] = (
    Tile("gitops", "GitOps Deployment", "/gitops",
         Query('sum(increase(default_jenkins_builds_success_build_count_total{$cluster}[$__range])) '
               '/ (sum(increase(default_jenkins_builds_total_build_count_total{$cluster}[$__range])) > 0)',
               "build success"), "percentunit",
         # Sparklines are evaluated per step: windows follow it, so nothing between two points is skipped.
         Query('sum(rate(default_jenkins_builds_total_build_count_total{$cluster}[$__rate_interval])) * 3600',
               "builds/h"),
         GITOPS_SIGNALS, "Bitbucket, Jenkins, Argo CD and rollouts"),
    Tile("capacity", "Resource Capacity", "/capacity",
         Query('sum(rate(container_cpu_usage_seconds_total{' + CONTAINERS + ', $cluster}[5m])) '
               '/ sum(kube_node_status_allocatable{resource="cpu", $cluster})', "CPU used"), "percentunit",
         Query('sum(rate(container_cpu_usage_seconds_total{' + CONTAINERS + ', $cluster}[$__rate_interval])) '
               '/ sum(kube_node_status_allocatable{resource="cpu", $cluster})', "CPU used"),
         CAPACITY_SIGNALS, "Compute, storage, network and forecasts"),
    Tile("workloads", "Workload Execution", "/workloads",
         Query('sum(spark_application_running_count{$cluster}) or vector(0)', "Spark apps running"), "short",
         Query('sum(spark_application_running_count{$cluster})', "Spark apps running"),
         WORKLOAD_SIGNALS, "Spark, Airflow and Trino"),
    Tile("pipeline", "Data Pipeline", "/pipeline",
         Query('max(max by (table) (iceberg_table_data_files{$cluster}))', "largest table (files)"), "short",
         Query(f'sum({minio("minio_s3_requests_total", "$cluster", _rate_step)})', "S3 requests/s"),
         PIPELINE_SIGNALS, "Iceberg, Hive Metastore, S3, Oracle, Ceph and Isilon"),
    Tile("optimize", "Optimize & Troubleshoot", "/optimize",
         Query('1 - sum(rate(container_cpu_usage_seconds_total{' + CONTAINERS + ', $cluster}[5m])) '
               '/ sum(kube_pod_container_resource_requests{resource="cpu", $cluster})', "CPU idle"), "percentunit",
         Query('1 - sum(rate(container_cpu_usage_seconds_total{' + CONTAINERS + ', $cluster}[$__rate_interval])) '
               '/ sum(kube_pod_container_resource_requests{resource="cpu", $cluster})', "CPU idle"),
         OPTIMIZE_SIGNALS, "Errors, OOM kills, idle and over-provisioned resources"),
    Tile("e2e", "E2E Analytics", "/e2e",
         Query('sum(increase(pipeline_duration_seconds_bucket{le="3600"}[$__range])) '
               '/ (sum(increase(pipeline_duration_seconds_count[$__range])) > 0)', "runs within 1 h"), "percentunit",
         Query('sum(increase(pipeline_duration_seconds_bucket{le="3600"}[$__rate_interval])) '
               '/ (sum(increase(pipeline_duration_seconds_count[$__rate_interval])) > 0)', "runs within 1 h"),
         E2E_SIGNALS, "Pipeline map, SLIs and business metrics"),
)
