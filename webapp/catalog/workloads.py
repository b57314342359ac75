"""Level 1.3 Workload Execution: Spark, Airflow and Trino, with monitoring stage 4.

PromQL follows what the exporters emit (`../shared/real-exposition/`): spark-operator >= 2.0 counters
(no `_total`), the Spark >= 3.0 driver endpoint `/metrics/executors/prometheus` (`metrics_executor_*`
with `_seconds_total`, `_bytes`, `_total`; times in seconds; labels `application_id`,
`application_name`, `executor_id`), Airflow through statsd_exporter with the mapping of
`deploy/exporters/airflow/statsd-mappings.yml` (seconds), Trino's built-in `/metrics` or jmx_exporter
(either form, see forms.py; TimeStat in ms, CounterStat `_TotalCount`).
Rates use fixed windows of at least 5 minutes so that history scraped at a coarse resolution
still has two samples per window.
"""
from __future__ import annotations

from . import links
from . import thresholds as th
from .forms import CONTAINERS, airflow_pool, trino
from .annotations import DEPLOYMENTS_AND_ALERTS as MARKS
from .model import Dashboard, Panel, Query, Section

Q = Query


_SEL = "$cluster, $namespace"
_S_OK = f'spark_application_success_count{{{_SEL}}}'
_S_FAIL = f'spark_application_failure_count{{{_SEL}}}'
_EXEC = f'executor_id!="driver", {_SEL}'
_A_OK = f'airflow_dagrun_duration_count{{{_SEL}}}'
_A_FAIL = f'airflow_dagrun_failed_count{{{_SEL}}}'

def _qm(attribute: str, wrap=lambda s: s) -> str:
    return trino("QueryManager", attribute, _SEL, wrap)


def _qm_inc(attribute: str, window: str) -> str:
    return _qm(attribute, lambda s: f"increase({s}[{window}])")


def _fd(attribute: str) -> str:
    return trino("HeartbeatFailureDetector", attribute, _SEL)


def _mp(attribute: str) -> str:
    return trino("ClusterMemoryPool", attribute, _SEL)

_DRIVER_TS = f'timestamp(metrics_executor_memoryUsed_bytes{{executor_id="driver", {_SEL}}})'


def _ratio(num: str, den: str) -> str:
    return f'{num} / ({den} > 0)'


SPARK = Section("Spark", (
    Panel("spark-active-apps", "Active applications", "stat", (
        Q(f'sum(spark_application_running_count{{{_SEL}}}) or vector(0)', "running"),),
        width=3, description="SparkApplications running now (spark-operator)."),
    Panel("spark-success-rate", "Application success rate", "stat", (
        Q(_ratio(f'sum(increase({_S_OK}[$__range]))',
                 f'(sum(increase({_S_OK}[$__range])) + sum(increase({_S_FAIL}[$__range])))'), "success"),),
        unit="percentunit", width=3, description="Succeeded / (succeeded + failed) over the range. SLO: 98% over 24 h."),
    Panel("spark-failures", "Failed applications", "stat", (
        Q(f'sum(round(increase({_S_FAIL}[$__range]))) or vector(0)', "failed"),),
        thresholds=(th.SPARK_FAILURES,), width=3, description="Applications that ended FAILED in the range."),
    Panel("spark-start-latency", "Start latency (p95)", "stat", (
        Q('histogram_quantile(0.95, sum by (le) (rate(spark_application_start_latency_seconds_histogram_bucket'
          f'{{{_SEL}}}[$__range])))', "p95"),),
        unit="s", width=3, description="From submission to driver running (spark-operator histogram)."),
    Panel("spark-running-trend", "Active applications and executors", "timeseries", (
        Q(f'sum by (app_type) (spark_application_running_count{{{_SEL}}})', "apps: {app_type}"),
        Q(f'sum by (app_type) (spark_executor_running_count{{{_SEL}}})', "executors: {app_type}")),
        width=6),
    Panel("spark-failures-trend", "Application results per $__interval", "timeseries", (
        Q(f'sum(increase({_S_OK}[$__interval]))', "succeeded"),
        Q(f'sum(increase({_S_FAIL}[$__interval]))', "failed"),
        Q(f'sum(increase(spark_application_failed_submission_count{{{_SEL}}}[$__interval]))', "submission failed")),
        min_step=3600, thresholds=(th.SPARK_FAILURES,), width=6, annotations=MARKS),
    Panel("spark-runtime-distribution", "Job run time per application run (longest 15)", "bar", (
        Q(f'topk(15, max by (application_name, application_id) (max_over_time({_DRIVER_TS}[$__range:2m]) '
          f'- min_over_time({_DRIVER_TS}[$__range:2m])))', "{application_name} {application_id}"),),
        unit="s", thresholds=(th.SPARK_DURATION_SLA,), link=links.SPARK_APP, width=6,
        description="Observed lifetime of each application's driver inside the range (a long-running "
                    "streaming application shows the whole range)."),
    Panel("spark-exec-time", "Average run time of finished applications (per $__interval)", "timeseries", (
        Q(_ratio(f'sum by (app_type) (increase(spark_application_success_execution_time_seconds_sum{{{_SEL}}}[$__interval]))',
                 f'sum by (app_type) (increase(spark_application_success_execution_time_seconds_count{{{_SEL}}}[$__interval]))'),
          "succeeded ({app_type})"),
        Q(_ratio(f'sum by (app_type) (increase(spark_application_failure_execution_time_seconds_sum{{{_SEL}}}[$__interval]))',
                 f'sum by (app_type) (increase(spark_application_failure_execution_time_seconds_count{{{_SEL}}}[$__interval]))'),
          "failed ({app_type})")),
        unit="s", min_step=3600, thresholds=(th.SPARK_DURATION_SLA,), width=6,
        description="Stage durations are not exported by Spark; application run time vs the SLA is."),
    Panel("spark-executor-usage", "Executor usage: active tasks per application", "timeseries", (
        Q(f'sum by (application_name) (metrics_executor_activeTasks{{{_EXEC}}})', "{application_name}"),),
        stacked=True, width=6, description="Running tasks on all executors (4 cores each)."),
    Panel("spark-executor-memory", "Executor storage memory (peak in the last hour)", "table", (
        Q('max by (application_name, application_id, executor_id) '
          f'(max_over_time(metrics_executor_memoryUsed_bytes{{{_SEL}}}[1h]) '
          f'/ (max_over_time(metrics_executor_maxMemory_bytes{{{_SEL}}}[1h]) > 0))',
          column="Peak memory used", unit="percentunit"),
        Q('max by (application_name, application_id, executor_id) '
          f'(metrics_executor_memoryUsed_bytes{{{_SEL}}} / (metrics_executor_maxMemory_bytes{{{_SEL}}} > 0))',
          column="Now", unit="percentunit")),
        label_columns=("application_name", "application_id", "executor_id"), thresholds=(th.SPARK_MEMORY,),
        link=links.SPARK_APP, width=6, limit=15, description="Highest first. Alert: above 90%."),
    Panel("spark-shuffle", "Shuffle read / write", "timeseries", (
        Q(f'sum(rate(metrics_executor_totalShuffleRead_bytes_total{{{_SEL}}}[$__rate_interval]))', "read"),
        Q(f'sum(rate(metrics_executor_totalShuffleWrite_bytes_total{{{_SEL}}}[$__rate_interval]))', "write"),
        Q(f'sum(rate(metrics_executor_totalInputBytes_bytes_total{{{_SEL}}}[$__rate_interval]))', "input")),
        unit="Bps", min_step=60, width=6),
    Panel("spark-gc-ratio", "GC time ratio per application", "timeseries", (
        Q(_ratio(f'sum by (application_name) (rate(metrics_executor_totalGCTime_seconds_total{{{_SEL}}}[$__rate_interval]))',
                 f'sum by (application_name) (rate(metrics_executor_totalDuration_seconds_total{{{_SEL}}}[$__rate_interval]))'),
          "{application_name}"),),
        unit="percentunit", min_step=60, thresholds=(th.SPARK_GC,), width=6,
        description="JVM GC time / task time of all executors. Alert: above 10%."),
    Panel("spark-jvm-gc", "JVM GC time per pod (jmx_exporter, top 10)", "bar", (
        Q(f'topk(10, sum by (namespace, pod) (rate(jvm_gc_collection_seconds_sum{{{_SEL}}}[10m])))',
          "{namespace}/{pod}"),),
        unit="s", width=6, description="Seconds of GC per second of wall time, all collectors."),
    Panel("spark-apps", "Application runs in the range", "table", (
        Q(f'sum by (application_id, application_name) (round(increase(metrics_executor_failedTasks_total{{{_SEL}}}[$__range])))',
          column="Failed tasks", unit="short"),
        Q(_ratio(f'sum by (application_id, application_name) (increase(metrics_executor_totalGCTime_seconds_total{{{_SEL}}}[$__range]))',
                 f'sum by (application_id, application_name) (increase(metrics_executor_totalDuration_seconds_total{{{_SEL}}}[$__range]))'),
          column="GC ratio", unit="percentunit"),
        Q(f'sum by (application_id, application_name) (increase(metrics_executor_totalShuffleRead_bytes_total{{{_SEL}}}[$__range]))',
          column="Shuffle read", unit="bytes"),
        Q(f'sum by (application_id, application_name) (increase(metrics_executor_completedTasks_total{{{_SEL}}}[$__range]))',
          column="Completed tasks", unit="short")),
        label_columns=("application_name", "application_id"), join_on=("application_id",),
        thresholds=(th.SPARK_GC,), link=links.SPARK_APP, width=12, limit=30,
        description="Sorted by failed tasks. Runs whose tasks keep failing are the failed applications."),
    Panel("spark-failures-by-namespace", "Failures by namespace and application type", "table", (
        Q(f'sum by (cluster, namespace, app_type) (round(increase({_S_FAIL}[$__range])))',
          column="Failed", unit="short"),
        Q(f'sum by (cluster, namespace, app_type) (round(increase({_S_OK}[$__range])))',
          column="Succeeded", unit="short"),
        Q(f'sum by (cluster, namespace, app_type) (round(increase(spark_application_failed_submission_count{{{_SEL}}}[$__range])))',
          column="Submission failed", unit="short")),
        label_columns=("cluster", "namespace", "app_type"), thresholds=(th.SPARK_FAILURES,), width=12),
))

AIRFLOW = Section("Airflow", (
    Panel("airflow-dag-success-rate", "DAG run success rate", "stat", (
        Q(_ratio(f'sum(increase({_A_OK}[$__range]))',
                 f'(sum(increase({_A_OK}[$__range])) + sum(increase({_A_FAIL}[$__range])))'), "success"),),
        unit="percentunit", width=3, description="SLO: 95% over 24 h."),
    Panel("airflow-dag-failed", "Failed DAG runs", "stat", (
        Q(f'sum(round(increase({_A_FAIL}[$__range]))) or vector(0)', "failed"),),
        thresholds=(th.AIRFLOW_DAG_FAILED,), width=3),
    Panel("airflow-ti-failed", "Failed task instances", "stat", (
        Q(f'sum(round(increase(airflow_ti_failures{{{_SEL}}}[$__range]))) or vector(0)', "failed"),),
        width=3),
    Panel("airflow-heartbeat", "Scheduler heartbeat interval", "stat", (
        Q(f'max(1 / sum by (cluster) (rate(airflow_scheduler_heartbeat{{{_SEL}}}[$__rate_interval])))', "interval"),),
        unit="s", thresholds=(th.AIRFLOW_HEARTBEAT,), width=3,
        description="Mean seconds between scheduler heartbeats (~5 s when healthy; infinite when none)."),
    Panel("airflow-dags", "DAGs: success rate, failed runs, average duration", "table", (
        Q(_ratio(f'sum by (dag_id) (increase({_A_OK}[$__range]))',
                 f'(sum by (dag_id) (increase({_A_OK}[$__range])) + sum by (dag_id) (increase({_A_FAIL}[$__range])))'),
          column="Success rate", unit="percentunit"),
        Q(f'sum by (dag_id) (round(increase({_A_FAIL}[$__range])))', column="Failed runs", unit="short"),
        Q(_ratio(f'sum by (dag_id) (increase(airflow_dagrun_duration_sum{{{_SEL}}}[$__range]))',
                 f'sum by (dag_id) (increase({_A_OK}[$__range]))'), column="Avg duration (success)", unit="s"),
        Q(_ratio(f'sum by (dag_id) (increase(airflow_dagrun_schedule_delay_sum{{{_SEL}}}[$__range]))',
                 f'sum by (dag_id) (increase(airflow_dagrun_schedule_delay_count{{{_SEL}}}[$__range]))'),
          column="Avg schedule delay", unit="s")),
        label_columns=("dag_id",), thresholds=(th.AIRFLOW_DAG_FAILED,), sort_desc=False, link=links.AIRFLOW_DAG, width=12,
        description="Worst success rate first."),
    Panel("airflow-dag-failures-trend", "Failed DAG runs per $__interval", "timeseries", (
        Q(f'sum by (dag_id) (increase({_A_FAIL}[$__interval])) > 0', "{dag_id}"),),
        min_step=3600, stacked=True, thresholds=(th.AIRFLOW_DAG_FAILED,), width=6,
        empty_text="No failed DAG runs", annotations=MARKS),
    Panel("airflow-task-heatmap", "Task duration heatmap (all tasks) (per $__interval)", "heatmap", (
        Q(f'sum by (le) (increase(airflow_task_duration_bucket{{{_SEL}}}[$__interval]))', "{le}"),),
        min_step=900, max_points=96, width=6,
        description="Finished task instances per duration bucket (seconds) and interval. Needs the histogram "
                    "mapping of deploy/exporters/airflow/statsd-mappings.yml (the Helm chart's own mapping makes "
                    "task duration a summary, without buckets)."),
    Panel("airflow-task-duration", "Average task duration (longest 15)", "bar", (
        Q(f'topk(15, {_ratio(f"sum by (dag_id, task_id) (increase(airflow_task_duration_sum{{{_SEL}}}[$__range]))", f"sum by (dag_id, task_id) (increase(airflow_task_duration_count{{{_SEL}}}[$__range]))")})',
          "{dag_id}.{task_id}"),),
        unit="s", thresholds=(th.AIRFLOW_TASK_SLA,), link=links.AIRFLOW_DAG, width=6),
    Panel("airflow-task-failures-trend", "Task instances per $__interval", "timeseries", (
        Q(f'sum(increase(airflow_ti_successes{{{_SEL}}}[$__interval]))', "succeeded"),
        Q(f'sum(increase(airflow_ti_failures{{{_SEL}}}[$__interval]))', "failed")),
        min_step=3600, width=6),
    Panel("airflow-schedule-delay", "Scheduler delay per DAG (average per $__interval)", "timeseries", (
        Q(_ratio(f'sum by (dag_id) (increase(airflow_dagrun_schedule_delay_sum{{{_SEL}}}[$__interval]))',
                 f'sum by (dag_id) (increase(airflow_dagrun_schedule_delay_count{{{_SEL}}}[$__interval]))'), "{dag_id}"),),
        unit="s", min_step=3600, width=6, description="From the scheduled time to the run's start."),
    Panel("airflow-heartbeat-trend", "Scheduler heartbeats per minute", "timeseries", (
        Q(f'sum by (cluster) (rate(airflow_scheduler_heartbeat{{{_SEL}}}[$__rate_interval])) * 60', "{cluster}"),),
        min_step=60, width=6),
    Panel("airflow-pool-usage", "Worker pool usage", "timeseries", (
        Q(_ratio(f'sum by (pool) ({airflow_pool("running_slots", _SEL)})',
                 f'(sum by (pool) ({airflow_pool("running_slots", _SEL)}) + sum by (pool) ({airflow_pool("open_slots", _SEL)}))'),
          "{pool}"),),
        unit="percentunit", width=6, description="Running slots / (running + open) per pool."),
    Panel("airflow-pool-waiting", "Tasks waiting for a pool slot", "bar", (
        Q(f'sum by (pool) ({airflow_pool("queued_slots", _SEL)})', "queued"),
        Q(f'sum by (pool) ({airflow_pool("starving_tasks", _SEL)})', "starving")),
        x_label="pool", width=6),
    Panel("airflow-executor", "Executor slots", "timeseries", (
        Q(f'sum(airflow_executor_running_tasks{{{_SEL}}})', "running"),
        Q(f'sum(airflow_executor_queued_tasks{{{_SEL}}})', "queued"),
        Q(f'sum(airflow_executor_open_slots{{{_SEL}}})', "open")),
        width=6),
))

TRINO = Section("Trino", (
    Panel("trino-running", "Running queries", "stat", (
        Q(f'sum({_qm("RunningQueries")})', "running"),), width=3),
    Panel("trino-failure-ratio", "Query failure ratio", "stat", (
        Q(_ratio(f'sum({_qm_inc("FailedQueries_TotalCount", "$__range")})',
                 f'sum({_qm_inc("CompletedQueries_TotalCount", "$__range")})'), "failed"),),
        unit="percentunit", thresholds=(th.TRINO_FAILURES,), width=3, description="SLO: 99% success over 24 h."),
    Panel("trino-wall-time-max", "Worst query wall time p95 in the range", "stat", (
        Q(f'max({_qm("ExecutionTime_FiveMinutes_P95", lambda s: f"max_over_time({s}[$__range])")}) / 1000', "p95"),),
        unit="s", thresholds=(th.TRINO_WALL_TIME,), width=3),
    Panel("trino-workers-ratio", "Active worker nodes", "stat", (
        Q(_ratio(f'min(sum by (cluster) ({_fd("ActiveCount")})',
                 f'sum by (cluster) ({_fd("TotalCount")}))'), "active"),),
        unit="percentunit", thresholds=(th.TRINO_WORKERS,), width=3,
        description="Active / known nodes (heartbeat failure detector), worst cluster."),
    Panel("trino-queries", "Running and queued queries", "timeseries", (
        Q(f'sum by (cluster) ({_qm("RunningQueries")})', "running {cluster}"),
        Q(f'sum by (cluster) ({_qm("QueuedQueries")})', "queued {cluster}")),
        width=6),
    Panel("trino-wall-time", "Query wall time (5-minute percentiles)", "timeseries", (
        Q(f'max by (cluster) ({_qm("ExecutionTime_FiveMinutes_P50")}) / 1000', "p50 {cluster}"),
        Q(f'max by (cluster) ({_qm("ExecutionTime_FiveMinutes_P95")}) / 1000', "p95 {cluster}"),
        Q(f'max by (cluster) ({_qm("ExecutionTime_FiveMinutes_P99")}) / 1000', "p99 {cluster}")),
        unit="s", thresholds=(th.TRINO_WALL_TIME,), width=6,
        description="Coordinator TimeStat (ms, converted); one coordinator per cluster. Alert: p95 above 10 min."),
    Panel("trino-failure-trend", "Query failure ratio (per $__interval)", "timeseries", (
        Q(_ratio(f'sum by (cluster) ({_qm_inc("FailedQueries_TotalCount", "$__interval")})',
                 f'sum by (cluster) ({_qm_inc("CompletedQueries_TotalCount", "$__interval")})'), "{cluster}"),),
        unit="percentunit", min_step=900, thresholds=(th.TRINO_FAILURES,), width=6),
    Panel("trino-failure-types", "Failed queries by cause", "bar", (
        Q(f'sum(round({_qm_inc("UserErrorFailures_TotalCount", "$__range")}))', "user error"),
        Q(f'sum(round({_qm_inc("InternalFailures_TotalCount", "$__range")}))', "internal"),
        Q(f'sum(round({_qm_inc("ExternalFailures_TotalCount", "$__range")}))', "external"),
        Q(f'sum(round({_qm_inc("InsufficientResourcesFailures_TotalCount", "$__range")}))',
          "insufficient resources")),
        width=6),
    Panel("trino-workers", "Worker node state", "timeseries", (
        Q(f'sum by (cluster) ({_fd("ActiveCount")})', "active {cluster}"),
        Q(f'sum by (cluster) ({_fd("FailedCount")})', "failed {cluster}"),
        Q(f'max by (cluster) ({trino("ClusterSizeMonitor", "RequiredWorkers", _SEL)})', "required {cluster}")),
        width=6),
    Panel("trino-memory", "Memory pool usage (general)", "timeseries", (
        Q(f'1 - sum by (cluster) ({_mp("FreeDistributedBytes")}) '
          f'/ (sum by (cluster) ({_mp("TotalDistributedBytes")}) > 0)', "{cluster}"),),
        unit="percentunit", width=6, description="Reserved share of the distributed general pool."),
    Panel("trino-memory-bytes", "Memory pool: reserved and free", "timeseries", (
        Q(f'sum({_mp("ReservedDistributedBytes")})', "reserved"),
        Q(f'sum({_mp("FreeDistributedBytes")})', "free"),
        Q(f'sum({_mp("BlockedNodes")})', "blocked nodes")),
        unit="bytes", stacked=False, width=6),
    Panel("trino-cpu", "Query CPU time (cores)", "timeseries", (
        Q(f'sum by (cluster) ({_qm("ConsumedCpuTimeSecs_TotalCount", lambda s: f"rate({s}[$__rate_interval])")})', "{cluster}"),),
        unit="cores", min_step=60, width=6, description="CPU seconds consumed by queries per second."),
))

# Success per step (the cross-success-trend panel's windows follow its step).
_SPARK_RATE = _ratio(f'sum(increase({_S_OK}[$__interval]))',
                     f'(sum(increase({_S_OK}[$__interval])) + sum(increase({_S_FAIL}[$__interval])))')
_AIRFLOW_RATE = _ratio(f'sum(increase({_A_OK}[$__interval]))',
                       f'(sum(increase({_A_OK}[$__interval])) + sum(increase({_A_FAIL}[$__interval])))')
_TRINO_RATE = '1 - ' + _ratio(f'sum({_qm_inc("FailedQueries_TotalCount", "$__interval")})',
                              f'sum({_qm_inc("CompletedQueries_TotalCount", "$__interval")})')
_CONTAINERS = CONTAINERS + ', $cluster, $namespace'

CROSS = Section("Cross-application", (
    Panel("cross-success-rate", "Overall job success rate", "stat", (
        Q(_ratio(f'(sum(increase({_S_OK}[$__range])) or vector(0)) + (sum(increase({_A_OK}[$__range])) or vector(0)) '
                 f'+ (sum({_qm_inc("CompletedQueries_TotalCount", "$__range")}) '
                 f'- sum({_qm_inc("FailedQueries_TotalCount", "$__range")}) or vector(0))',
                 f'((sum(increase({_S_OK}[$__range])) + sum(increase({_S_FAIL}[$__range]))) or vector(0)) '
                 f'+ ((sum(increase({_A_OK}[$__range])) + sum(increase({_A_FAIL}[$__range]))) or vector(0)) '
                 f'+ (sum({_qm_inc("CompletedQueries_TotalCount", "$__range")}) or vector(0))'), "success"),),
        unit="percentunit", width=3,
        description="Spark applications, Airflow DAG runs and Trino queries that succeeded, over the range."),
    Panel("cross-success-trend", "Success rate per engine (per $__interval)", "timeseries", (
        Q(_SPARK_RATE, "Spark applications"), Q(_AIRFLOW_RATE, "Airflow DAG runs"), Q(_TRINO_RATE, "Trino queries")),
        unit="percentunit", min_step=3600, width=9),
    Panel("cross-cpu", "Resource usage compared: CPU by namespace (top 8)", "timeseries", (
        Q(f'topk(8, sum by (namespace) (rate(container_cpu_usage_seconds_total{{{_CONTAINERS}}}[$__rate_interval])))',
          "{namespace}"),),
        unit="cores", min_step=60, stacked=True, width=6,
        description="cAdvisor usage of the eight busiest namespaces at each point (Spark, Airflow and Trino run in "
                    "namespaces each platform names); pick namespaces in the filter to compare others."),
    Panel("cross-memory", "Resource usage compared: memory by namespace (top 8)", "timeseries", (
        Q(f'topk(8, sum by (namespace) (container_memory_working_set_bytes{{{_CONTAINERS}}}))', "{namespace}"),),
        unit="bytes", stacked=True, width=6,
        description="cAdvisor working set of the eight largest namespaces at each point."),
    Panel("cross-runtime-trend", "Run-time trend (per $__interval)", "timeseries", (
        Q(_ratio(f'sum(increase(spark_application_success_execution_time_seconds_sum{{{_SEL}}}[$__interval]))',
                 f'sum(increase(spark_application_success_execution_time_seconds_count{{{_SEL}}}[$__interval]))'),
          "Spark application (avg)"),
        Q(_ratio(f'sum(increase(airflow_dagrun_duration_sum{{{_SEL}}}[$__interval]))', f'sum(increase({_A_OK}[$__interval]))'),
          "Airflow DAG run (avg)"),
        Q(f'max({_qm("ExecutionTime_FiveMinutes_P95")}) / 1000', "Trino query (p95)")),
        unit="s", min_step=600, width=12),
))

DASHBOARD = WORKLOADS = Dashboard(
    "workloads", "Workload Execution", "/workloads", (SPARK, AIRFLOW, TRINO, CROSS),
    description="Spark applications, Airflow DAGs and Trino queries: success, run time, resources.",
)
