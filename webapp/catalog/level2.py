"""Level 2 drill-downs: one dashboard per entity kind, with path variables.

A path variable is a matcher token like the filters: `$job` in a template becomes
`jenkins_job="<value>"`, escaped, never pasted. `exists_query` decides "not found".
"""
from __future__ import annotations

import dataclasses

from . import links
from . import thresholds as th
from .annotations import DEPLOYMENTS_AND_ALERTS
from .gitops import LAST_RESULT
from .model import Dashboard, Panel, Query, Section
from .forms import CONTAINERS, node_cpu_busy, node_memory_available

# The Airflow API is one Airflow (DATAOPS_AIRFLOW_API_URL): its runs are that instance's whatever the
# cluster filter, while the PromQL panels below follow the filter.
_ONE_AIRFLOW = ("From the Airflow REST API the app reads (one Airflow instance): not narrowed by the cluster filter, "
                "unlike the PromQL panels.")
_NODE_REQUESTED = ('sum by (resource) (kube_pod_container_resource_requests{resource=~"cpu|memory|nvidia_com_gpu", $cluster, $node} '
                   '* on (cluster, namespace, pod) group_left () '
                   'max by (cluster, namespace, pod) (kube_pod_status_phase{phase=~"Pending|Running", $cluster} == 1))')
_NODE_ALLOCATABLE = 'sum by (resource) (kube_node_status_allocatable{resource=~"cpu|memory|nvidia_com_gpu", $cluster, $node})'

Q = Query


def _marked(section: Section) -> Section:
    """Level 2 time series show deployments and alert state changes unless a panel says otherwise:
    on an entity's page they are the first question when a curve moves."""
    return dataclasses.replace(section, panels=tuple(
        dataclasses.replace(p, annotations=DEPLOYMENTS_AND_ALERTS) if p.kind == "timeseries" and p.annotations is None
        else p for p in section.panels))


def _l2(id_, title, path_template, variables, parent, entity, exists, sections, description="", **more):
    sections = [_marked(s) for s in sections]
    return Dashboard(id_, title, path_template.split("/<")[0], tuple(sections), ("cluster", "namespace"),
                     description, path_template=path_template, path_variables=tuple(variables.items()),
                     parent=parent, entity=entity, exists_query=exists, **more)


JENKINS_JOB = _l2(
    "jenkins-job", "Jenkins job", "/gitops/jenkins/<job>", {"job": "jenkins_job"}, "/gitops", "Jenkins job",
    "count(last_over_time(default_jenkins_builds_total_build_count_total{$job}[$__range]))",
    [Section("Builds", (
        Panel("l2-jenkins-success", "Success rate", "stat", (
            Q('sum(increase(default_jenkins_builds_success_build_count_total{$cluster, $job}[$__range])) '
              '/ (sum(increase(default_jenkins_builds_total_build_count_total{$cluster, $job}[$__range])) > 0)',
              "success"),), unit="percentunit", thresholds=(th.JENKINS_SUCCESS_RATE,), width=3),
        Panel("l2-jenkins-last-result", "Last result", "stat", (
            Q('max(default_jenkins_builds_last_build_result_ordinal{$cluster, $job})', "result"),),
            unit="none", value_map=LAST_RESULT, width=3),
        Panel("l2-jenkins-last-duration", "Last build duration", "stat", (
            Q('max(default_jenkins_builds_last_build_duration_milliseconds{$cluster, $job}) / 1000', "duration"),),
            unit="s", thresholds=(th.JENKINS_BUILD_DURATION,), width=3),
        Panel("l2-jenkins-last-wait", "Last queue wait", "stat", (
            Q('max(default_jenkins_builds_last_build_waiting_milliseconds{$cluster, $job}) / 1000', "wait"),),
            unit="s", width=3),
        Panel("l2-jenkins-results", "Builds per $__interval by result", "timeseries", (
            Q('sum(increase(default_jenkins_builds_success_build_count_total{$cluster, $job}[$__interval]))', "success"),
            Q('sum(increase(default_jenkins_builds_failed_build_count_total{$cluster, $job}[$__interval]))', "failed"),
            Q('sum(increase(default_jenkins_builds_unstable_build_count_total{$cluster, $job}[$__interval]))', "unstable"),
            Q('sum(increase(default_jenkins_builds_aborted_build_count_total{$cluster, $job}[$__interval]))', "aborted")),
            min_step=3600, stacked=True),
        Panel("l2-jenkins-duration", "Build duration (last build, and average per $__interval)", "timeseries", (
            Q('max(default_jenkins_builds_last_build_duration_milliseconds{$cluster, $job}) / 1000', "last build"),
            Q('sum(increase(default_jenkins_builds_duration_milliseconds_summary_sum{$cluster, $job}[$__interval])) '
              '/ (sum(increase(default_jenkins_builds_duration_milliseconds_summary_count{$cluster, $job}[$__interval])) > 0) '
              '/ 1000', "hourly average")),
            unit="s", thresholds=(th.JENKINS_BUILD_DURATION,), min_step=3600),
    ))],
    "Every build of one job: results, durations and queue waits.")

ARGOCD_APP = _l2(
    "argocd-app", "Argo CD application", "/gitops/argocd/<app_ns>/<app>", {"app_ns": "namespace", "app": "name"}, "/gitops",
    "Argo CD application",
    "count(last_over_time(argocd_app_info{$app_ns, $app}[$__range]))",
    [Section("Sync and health", (
        Panel("l2-argocd-status", "Current sync and health status", "table", (
            Q('max by (namespace, name, project, repo, dest_server, dest_namespace, sync_status, health_status) '
              '(argocd_app_info{$cluster, $app_ns, $app})', column="", unit="none"),
            Q('max by (namespace, name) (argocd_app_orphaned_resources_count{$cluster, $app_ns, $app})', column="Orphaned resources")),
            label_columns=("namespace", "name", "project", "dest_namespace", "sync_status", "health_status", "repo"),
            join_on=("namespace", "name"), width=12),
        Panel("l2-argocd-health-timeline", "Health over time", "timeseries", (
            # by cluster too: one application name deployed to two clusters has a health in each
            Q('max by (cluster, health_status) (argocd_app_info{$cluster, $app_ns, $app})', "{cluster}: {health_status}"),),
            width=6),
        Panel("l2-argocd-sync-timeline", "Sync status over time", "timeseries", (
            Q('max by (cluster, sync_status) (argocd_app_info{$cluster, $app_ns, $app})', "{cluster}: {sync_status}"),),
            width=6),
        Panel("l2-argocd-syncs", "Syncs per $__interval by phase", "timeseries", (
            Q('sum by (phase) (round(increase(argocd_app_sync_total{$cluster, $app_ns, $app}[$__interval])))', "{phase}"),),
            min_step=3600, stacked=True),
        Panel("l2-argocd-sync-duration", "Average sync duration (per $__interval)", "timeseries", (
            Q('sum(increase(argocd_app_sync_duration_seconds_total{$cluster, $app_ns, $app}[$__interval])) '
              '/ (sum(increase(argocd_app_sync_total{$cluster, $app_ns, $app}[$__interval])) > 0)', "average sync"),),
            unit="s", min_step=3600, thresholds=(th.ARGOCD_SYNC_DURATION,)),
        Panel("l2-argocd-conditions", "Conditions", "table", (
            Q('max by (name, condition) (argocd_app_condition{$cluster, $app_ns, $app}) > 0', column="Count"),),
            label_columns=("condition",), empty_text="No conditions"),
        Panel("l2-argocd-pods", "Pods in the destination namespace", "bar", (
            Q('sum by (namespace, phase) (kube_pod_status_phase{$cluster} '
              '* on (namespace) group_left () (max by (namespace) (label_replace(argocd_app_info{$cluster, $app_ns, $app}, '
              '"namespace", "$1", "dest_namespace", "(.*)")) > 0)) > 0', "{phase}"),),
            x_label="namespace", stacked=True, link=links.NAMESPACE),
    ))],
    "One application: its sync and health history, syncs and the pods it deployed.",
    # Before applications in any namespace, the path named the application alone.
    alias_templates=("/gitops/argocd/<app>",),
    candidates_query="group by (namespace, name) (last_over_time(argocd_app_info{$app_ns, $app}[$__range]))")

NAMESPACE = _l2(
    "namespace", "Namespace", "/capacity/namespace/<ns>", {"ns": "namespace"}, "/capacity", "Namespace",
    "count(last_over_time(kube_pod_info{$ns}[$__range]))",
    [Section("Pods", (
        Panel("l2-ns-phase", "Pods by phase", "timeseries", (
            Q('sum by (phase) (kube_pod_status_phase{$cluster, $ns})', "{phase}"),), stacked=True),
        Panel("l2-ns-problems", "Waiting containers and restarts", "table", (
            Q('max by (pod, container, reason) (max_over_time(kube_pod_container_status_waiting_reason{$cluster, $ns}[10m])) == 1',
              column="", unit="none"),
            Q('sum by (pod, container) (increase(kube_pod_container_status_restarts_total{$cluster, $ns}[1h])) > 0',
              column="Restarts (1h)")),
            label_columns=("pod", "container", "reason"), join_on=("pod", "container"),
            thresholds=(th.CONTAINER_RESTARTS,), empty_text="No waiting or restarting containers"),
        Panel("l2-ns-cpu", "CPU usage against requests", "timeseries", (
            Q('sum(rate(container_cpu_usage_seconds_total{' + CONTAINERS + ', $cluster, $ns}[$__rate_interval]))',
              "used"),
            Q('sum(kube_pod_container_resource_requests{resource="cpu", $cluster, $ns} '
              '* on (cluster, namespace, pod) group_left () '
              'max by (cluster, namespace, pod) (kube_pod_status_phase{phase="Running", $cluster, $ns} == 1))',
              "requested")), unit="cores"),
        Panel("l2-ns-memory", "Memory working set against requests", "timeseries", (
            Q('sum(container_memory_working_set_bytes{' + CONTAINERS + ', $cluster, $ns})', "used"),
            Q('sum(kube_pod_container_resource_requests{resource="memory", $cluster, $ns} '
              '* on (cluster, namespace, pod) group_left () '
              'max by (cluster, namespace, pod) (kube_pod_status_phase{phase="Running", $cluster, $ns} == 1))',
              "requested")), unit="bytes"),
        Panel("l2-ns-pods-cpu", "Top pods by CPU", "bar", (
            Q('topk(10, sum by (pod) (rate(container_cpu_usage_seconds_total{' + CONTAINERS + ', $cluster, $ns}[5m])))',
              "{pod}"),), unit="cores"),
        Panel("l2-ns-pvc", "PVC usage", "bar", (
            Q('max by (persistentvolumeclaim) (kubelet_volume_stats_used_bytes{$cluster, $ns} '
              '/ kubelet_volume_stats_capacity_bytes{$cluster, $ns})', "{persistentvolumeclaim}"),),
            unit="percentunit", thresholds=(th.STORAGE_USAGE,), empty_text="No PVCs",
            link=links.PVC),
        Panel("l2-ns-network", "Network traffic", "timeseries", (
            Q('sum(rate(container_network_receive_bytes_total{$cluster, $ns}[$__rate_interval]))', "received"),
            Q('sum(rate(container_network_transmit_bytes_total{$cluster, $ns}[$__rate_interval]))', "sent")),
            unit="Bps"),
        Panel("l2-ns-rollouts", "Rollouts (ReplicaSets created)", "table", (
            Q('max by (owner_name, replicaset) (max by (cluster, namespace, replicaset) (kube_replicaset_created{$cluster, $ns}) '
              '* on (cluster, namespace, replicaset) group_left (owner_name) '
              'max by (cluster, namespace, replicaset, owner_name) (kube_replicaset_owner{$cluster, $ns}))',
              column="Created", unit="dateTime"),),
            label_columns=("owner_name", "replicaset"), sort_desc=True),
    ))],
    "Everything running in one namespace: pods, resources, storage, traffic and rollouts.")

NODE = _l2(
    "node", "Node", "/capacity/node/<node>", {"node": "node"}, "/capacity", "Node",
    "count(last_over_time(kube_node_info{$node}[$__range]))",
    [Section("Node", (
        Panel("l2-node-conditions", "Conditions", "table", (
            Q('max by (condition, status) (kube_node_status_condition{$cluster, $node}) == 1', column="", unit="none"),),
            label_columns=("condition", "status")),
        Panel("l2-node-cpu", "CPU busy", "timeseries", (
            Q(node_cpu_busy("$__rate_interval", "$cluster, $node:instance"), "busy"),),
            unit="percentunit", thresholds=(th.CPU_USAGE,)),
        Panel("l2-node-memory", "Memory used", "timeseries", (
            Q(f'1 - sum({node_memory_available("$cluster, $node:instance")}) '
              '/ sum(node_memory_MemTotal_bytes{$cluster, $node:instance})', "used"),),
            unit="percentunit", thresholds=(th.MEMORY_USAGE,)),
        # One row per resource, each in its own unit (cores, bytes, GPUs), so the share is the column
        # that compares rows.
        Panel("l2-node-requests", "Requested against allocatable", "table", (
            Q(_NODE_REQUESTED, column="Requested"),
            Q(_NODE_ALLOCATABLE, column="Allocatable"),
            Q(f'{_NODE_REQUESTED} / ({_NODE_ALLOCATABLE} > 0)', column="Share requested", unit="percentunit")),
            label_columns=("resource",),
            description="Requests of the node's Pending and Running pods against its allocatable: cpu in cores, "
                        "memory in bytes, GPUs in devices."),
        Panel("l2-node-pods", "Pods on this node by namespace", "bar", (
            Q('count by (namespace) (kube_pod_info{$cluster, $node})', "{namespace}"),), link=links.NAMESPACE),
        Panel("l2-node-network", "Network drops", "timeseries", (
            Q('sum(rate(node_network_receive_drop_total{device!~"lo|veth.*", $cluster, $node:instance}[$__rate_interval])) '
              '/ (sum(rate(node_network_receive_packets_total{device!~"lo|veth.*", $cluster, $node:instance}[$__rate_interval])) > 0)',
              "receive drop ratio"),), unit="percentunit", thresholds=(th.PACKET_DROPS,)),
        Panel("l2-node-disk", "Root filesystem used", "stat", (
            Q('1 - max(node_filesystem_avail_bytes{mountpoint="/", $cluster, $node:instance} '
              '/ node_filesystem_size_bytes{mountpoint="/", $cluster, $node:instance})', "used"),),
            unit="percentunit", thresholds=(th.STORAGE_USAGE,), width=3),
    ))],
    "One node: conditions, CPU, memory, requests, pods and network.")

PVC = _l2(
    "pvc", "Persistent volume claim", "/capacity/pvc/<pvc>", {"pvc": "persistentvolumeclaim"}, "/capacity", "PVC",
    "count(last_over_time(kubelet_volume_stats_capacity_bytes{$pvc}[$__range]))",
    [Section("Volume", (
        Panel("l2-pvc-usage", "Used", "timeseries", (
            Q('max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{$cluster, $pvc} '
              '/ kubelet_volume_stats_capacity_bytes{$cluster, $pvc})', "{namespace}/{persistentvolumeclaim}"),),
            unit="percentunit", thresholds=(th.STORAGE_USAGE,)),
        Panel("l2-pvc-forecast", "Days until full (6 h trend)", "table", (
            Q('clamp_max(max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_available_bytes{$cluster, $pvc}) '
              '/ (max by (namespace, persistentvolumeclaim) (-deriv(kubelet_volume_stats_available_bytes{$cluster, $pvc}[6h])) > 0) '
              '/ 86400, 30) or clamp_max(max by (namespace, persistentvolumeclaim) '
              '(kubelet_volume_stats_available_bytes{$cluster, $pvc}) * 0 + 30, 30)', column="Days until full", unit="none"),),
            label_columns=("namespace", "persistentvolumeclaim"), value_map=((30, "not within 30 days"),),
            sort_desc=False),
        Panel("l2-pvc-inodes", "Inodes used", "timeseries", (
            Q('max(kubelet_volume_stats_inodes_used{$cluster, $pvc} / kubelet_volume_stats_inodes{$cluster, $pvc})',
              "inodes"),), unit="percentunit"),
    ))],
    "One volume: how full it is and when it will be full.")

ICEBERG_TABLE = _l2(
    "iceberg-table", "Iceberg table", "/pipeline/iceberg/<table>", {"table": "table"}, "/pipeline", "Iceberg table",
    "count(last_over_time(iceberg_table_data_files{$table}[$__range]))",
    [Section("Table", (
        Panel("l2-iceberg-lost-files", "Files deleted unexpectedly", "stat", (
            Q('max(iceberg_table_files_deleted_unexpectedly{$cluster, $table})', "files"),),
            unit="short", thresholds=(th.ICEBERG_DATA_LOSS,), width=3,
            description="Files the current snapshot references that are gone from storage, removed without an "
                        "Iceberg operation (the DataLoss alert). Reads of the table fail until it is repaired."),
        Panel("l2-iceberg-delete-files", "Delete files", "stat", (
            Q('max(iceberg_table_delete_files{$cluster, $table})', "delete files"),), unit="short", width=3,
            description="Position and equality delete files of merge-on-read writes; compaction folds them in."),
        Panel("l2-iceberg-files", "Data files and small files", "timeseries", (
            Q('max by (database, table) (iceberg_table_data_files{$cluster, $table})', "data files"),
            Q('max by (database, table) (iceberg_table_small_files{$cluster, $table})', "small files")),
            thresholds=(th.ICEBERG_FILES,)),
        Panel("l2-iceberg-snapshots", "Snapshots", "timeseries", (
            Q('max by (database, table) (iceberg_table_snapshots{$cluster, $table})', "snapshots"),),
            thresholds=(th.ICEBERG_SNAPSHOTS,)),
        Panel("l2-iceberg-size", "Table and metadata size", "timeseries", (
            Q('max(iceberg_table_total_bytes{$cluster, $table})', "data"),
            Q('max(iceberg_table_metadata_files_bytes{$cluster, $table})', "metadata")), unit="bytes"),
        Panel("l2-iceberg-commits", "Last commit and last compaction", "table", (
            Q('max by (database, table) (iceberg_table_last_commit_timestamp_seconds{$cluster, $table})',
              column="Last commit", unit="dateTime"),
            Q('max by (database, table) (iceberg_table_last_compaction_timestamp_seconds{$cluster, $table})',
              column="Last compaction", unit="dateTime")),
            label_columns=("database", "table")),
        Panel("l2-iceberg-records", "Records", "timeseries", (
            Q('max(iceberg_table_records{$cluster, $table})', "records"),)),
    ))],
    "One table: files, snapshots, size and maintenance.")

S3_BUCKET = _l2(
    "s3-bucket", "S3 bucket", "/pipeline/s3/<bucket>", {"bucket": "bucket"}, "/pipeline", "Bucket",
    "count(last_over_time(minio_bucket_usage_total_bytes{$bucket}[$__range]))",
    [Section("Bucket", (
        Panel("l2-bucket-size", "Size", "timeseries", (
            Q('max(minio_bucket_usage_total_bytes{$cluster, $bucket})', "bytes"),), unit="bytes"),
        Panel("l2-bucket-objects", "Objects", "timeseries", (
            Q('max(minio_bucket_usage_object_total{$cluster, $bucket})', "objects"),)),
    ))],
    "One bucket: size and object count.")

ORACLE_TABLESPACE = _l2(
    "oracle-tablespace", "Oracle tablespace", "/pipeline/oracle/<tablespace>", {"tablespace": "tablespace"},
    "/pipeline", "Tablespace",
    "count(last_over_time(oracledb_tablespace_bytes{$tablespace}[$__range]))",
    [Section("Tablespace", (
        Panel("l2-tablespace-usage", "Used", "timeseries", (
            Q('max(oracledb_tablespace_bytes{$cluster, $tablespace} / oracledb_tablespace_max_bytes{$cluster, $tablespace})',
              "used"),), unit="percentunit", thresholds=(th.ORACLE_TABLESPACE,)),
        Panel("l2-tablespace-bytes", "Used and maximum", "timeseries", (
            Q('max(oracledb_tablespace_bytes{$cluster, $tablespace})', "used"),
            Q('max(oracledb_tablespace_max_bytes{$cluster, $tablespace})', "maximum")), unit="bytes"),
    ))],
    "One tablespace: usage against its maximum.")

_APP = '$cluster, $app_id'
SPARK_APP = _l2(
    "spark-app", "Spark application", "/workloads/spark/<app_id>", {"app_id": "application_id"}, "/workloads",
    "Spark application",
    "count(last_over_time(metrics_executor_totalDuration_seconds_total{$app_id}[$__range]))",
    [Section("Stages and tasks (Spark History Server)", (
        Panel("l2-spark-stages", "Stages breakdown", "gantt", (Q("stages"),), source="spark_history", width=12,
              description="Each stage from submission to completion, coloured by status."),
        Panel("l2-spark-stage-table", "Stages: I/O and shuffle", "rows", (Q("stages"),), source="spark_history",
              width=12, fields=("Stage", "Name", "Status", "Duration", "Tasks", "Failed tasks", "Input",
                              "Output", "Shuffle read", "Shuffle write", "GC time", "Failure")),
        Panel("l2-spark-tasks", "Task timeline (Gantt) by executor", "gantt", (Q("tasks"),), source="spark_history",
              width=12, description="Every task of the application (up to 2000), one lane per executor."),
        Panel("l2-spark-executor-table", "Executors (History Server, including removed ones)", "rows",
              (Q("executors"),), source="spark_history", width=12),
        Panel("l2-spark-events", "Event timeline: executors added and removed, OOM kills, stages, jobs", "rows",
              (Q("events"),), source="spark_history", width=12, limit=200),
    )), Section("Executors (PromQL)", (
        Panel("l2-spark-executors", "Per-executor metrics", "table", (
            Q(f'max by (executor_id) (metrics_executor_memoryUsed_bytes{{{_APP}}} '
              f'/ (metrics_executor_maxMemory_bytes{{{_APP}}} > 0))', column="Storage memory", unit="percentunit",
              thresholds=(th.SPARK_MEMORY,)),
            Q(f'max by (executor_id) (metrics_executor_activeTasks{{{_APP}}})', column="Active tasks"),
            Q(f'max by (executor_id) (metrics_executor_completedTasks_total{{{_APP}}})', column="Completed tasks"),
            Q(f'max by (executor_id) (metrics_executor_failedTasks_total{{{_APP}}})', column="Failed tasks"),
            Q(f'max by (executor_id) (metrics_executor_totalGCTime_seconds_total{{{_APP}}} '
              f'/ (metrics_executor_totalDuration_seconds_total{{{_APP}}} > 0))', column="GC time ratio", unit="percentunit",
              thresholds=(th.SPARK_GC,)),
            Q(f'max by (executor_id) (metrics_executor_totalInputBytes_bytes_total{{{_APP}}})', column="Input", unit="bytes"),
            Q(f'max by (executor_id) (metrics_executor_totalShuffleRead_bytes_total{{{_APP}}})', column="Shuffle read",
              unit="bytes"),
            Q(f'max by (executor_id) (metrics_executor_totalShuffleWrite_bytes_total{{{_APP}}})', column="Shuffle write",
              unit="bytes")),
            label_columns=("executor_id",), thresholds=(th.SPARK_GC, th.SPARK_MEMORY), width=12, sort_desc=True),
        Panel("l2-spark-memory", "Executor storage memory used", "timeseries", (
            Q(f'max by (executor_id) (metrics_executor_memoryUsed_bytes{{{_APP}}} '
              f'/ (metrics_executor_maxMemory_bytes{{{_APP}}} > 0))', "executor {executor_id}"),),
            unit="percentunit", thresholds=(th.SPARK_MEMORY,)),
        Panel("l2-spark-gc", "GC time ratio", "timeseries", (
            Q(f'sum(rate(metrics_executor_totalGCTime_seconds_total{{{_APP}}}[$__rate_interval])) '
              f'/ (sum(rate(metrics_executor_totalDuration_seconds_total{{{_APP}}}[$__rate_interval])) > 0)', "GC"),),
            unit="percentunit", thresholds=(th.SPARK_GC,)),
        Panel("l2-spark-io", "Input read", "timeseries", (
            Q(f'sum(rate(metrics_executor_totalInputBytes_bytes_total{{{_APP}}}[$__rate_interval]))', "input"),),
            unit="Bps"),
        Panel("l2-spark-shuffle", "Shuffle read and write", "timeseries", (
            Q(f'sum(rate(metrics_executor_totalShuffleRead_bytes_total{{{_APP}}}[$__rate_interval]))', "shuffle read"),
            Q(f'sum(rate(metrics_executor_totalShuffleWrite_bytes_total{{{_APP}}}[$__rate_interval]))', "shuffle write")),
            unit="Bps"),
        Panel("l2-spark-task-rate", "Tasks completed and failed per minute", "timeseries", (
            Q(f'sum(rate(metrics_executor_completedTasks_total{{{_APP}}}[$__rate_interval])) * 60', "completed"),
            Q(f'sum(rate(metrics_executor_failedTasks_total{{{_APP}}}[$__rate_interval])) * 60', "failed"))),
    ))],
    "One Spark application: stages, tasks and executors, from the History Server and from PromQL.")

AIRFLOW_DAG = _l2(
    "airflow-dag", "Airflow DAG", "/workloads/airflow/<dag_id>", {"dag_id": "dag_id"}, "/workloads", "Airflow DAG",
    "count(last_over_time(airflow_dagrun_duration_count{$dag_id}[$__range]) or "
    "last_over_time(airflow_dagrun_failed_count{$dag_id}[$__range]))",
    [Section("Runs (Airflow REST API)", (
        Panel("l2-dag-run-list", "Recent runs", "rows", (Q("runs"),), source="airflow", width=6,
              description=_ONE_AIRFLOW,
              fields=("Run", "State", "Type", "Started", "Duration"),
              link=links.AIRFLOW_RUN),
        Panel("l2-dag-run-gantt", "Latest run: task Gantt", "gantt", (Q("run_tasks"),), source="airflow", width=6,
              description=_ONE_AIRFLOW),
    )), Section("Runs (PromQL)", (
        # By cluster: a DAG id is per Airflow instance, and the same id in two clusters summed reads as
        # one DAG that half fails (the Argo CD page splits by cluster for the same reason).
        Panel("l2-dag-success", "Run success rate by cluster", "bar", (
            Q('sum by (cluster) (increase(airflow_dagrun_duration_count{$cluster, $dag_id}[$__range])) '
              '/ (sum by (cluster) (increase(airflow_dagrun_duration_count{$cluster, $dag_id}[$__range])) '
              '+ sum by (cluster) (increase(airflow_dagrun_failed_count{$cluster, $dag_id}[$__range])) > 0)',
              "{cluster}"),),
            unit="percentunit", x_label="cluster", width=3),
        Panel("l2-dag-runs", "Runs per $__interval", "timeseries", (
            Q('sum by (cluster) (increase(airflow_dagrun_duration_count{$cluster, $dag_id}[$__interval]))',
              "{cluster} succeeded"),
            Q('sum by (cluster) (increase(airflow_dagrun_failed_count{$cluster, $dag_id}[$__interval]))',
              "{cluster} failed")),
            min_step=3600, stacked=True, width=9),
        Panel("l2-dag-duration", "Run duration (p90 of successful runs)", "timeseries", (
            Q('max by (cluster) (airflow_dagrun_duration{quantile="0.9", $cluster, $dag_id})', "{cluster} p90"),),
            unit="s"),
        Panel("l2-dag-task-duration", "Average task duration", "bar", (
            Q('sum by (task_id) (increase(airflow_task_duration_sum{$cluster, $dag_id}[$__range])) '
              '/ (sum by (task_id) (increase(airflow_task_duration_count{$cluster, $dag_id}[$__range])) > 0)',
              "{task_id}"),), unit="s"),
    ))],
    "One DAG: run history, success rate and task durations; the Airflow API adds one run's Gantt.")

AIRFLOW_RUN = _l2(
    "airflow-run", "Airflow DAG run", "/workloads/airflow/<dag_id>/runs/<run_id>",
    {"dag_id": "dag_id", "run_id": "run_id"}, "/workloads", "Airflow DAG run",
    "count(last_over_time(airflow_dagrun_duration_count{$dag_id}[$__range]) or "
    "last_over_time(airflow_dagrun_failed_count{$dag_id}[$__range]))",
    [Section("Run", (
        Panel("l2-run-gantt", "Task Gantt of this run", "gantt", (Q("run_tasks"),), source="airflow", width=12,
              description=_ONE_AIRFLOW),
        Panel("l2-run-task-duration", "Task duration of this DAG (average over the range)", "bar", (
            Q('sum by (task_id) (increase(airflow_task_duration_sum{$cluster, $dag_id}[$__range])) '
              '/ (sum by (task_id) (increase(airflow_task_duration_count{$cluster, $dag_id}[$__range])) > 0)',
              "{task_id}"),), unit="s", width=12),
    ))],
    "One run of a DAG: its task instances on a timeline.")

LEVEL2_DASHBOARDS = (SPARK_APP, AIRFLOW_DAG, AIRFLOW_RUN, JENKINS_JOB, ARGOCD_APP, NAMESPACE, NODE, PVC, ICEBERG_TABLE, S3_BUCKET, ORACLE_TABLESPACE)
