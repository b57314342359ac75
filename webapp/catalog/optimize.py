"""Level 1.5 Optimization & Troubleshooting: performance, errors, cost and recommendations.

PromQL follows metrics.md: Trino percentiles are precomputed gauges in ms (either form, forms.py),
Spark executor times are cumulative seconds (Spark >= 3.0), Airflow statsd counters, OOM kills in the corrected §15 form, OpenCost prices in $/h
(x 730 for a month). Right-sizing uses the p95 of usage over the selected range (a subquery) with 20%
headroom; the HPA formula (target 70% of the request) gives the replica recommendation.
"""
from __future__ import annotations

from . import links
from . import thresholds as th
from .forms import CONTAINERS, container_cpu, dcgm, trino, trino_names
from .model import Dashboard, Panel, Query, Section

Q = Query

HEADROOM = 1.2           # right-sized request = p95 usage x 1.2
HPA_TARGET = 0.7         # target CPU utilisation of the request for scaling recommendations
HOURS_PER_MONTH = 730
BY_C = "cluster, namespace, container"

LIVE_RUNNING = ('max by (cluster, namespace, pod) (kube_pod_status_phase{phase="Running", $cluster, $namespace} == 1)')


def live_requests(resource: str) -> str:
    return (f'kube_pod_container_resource_requests{{resource="{resource}", $cluster, $namespace}} '
            f'* on (cluster, namespace, pod) group_left () {LIVE_RUNNING}')


CPU_RATE = container_cpu()
MEM_WS = 'container_memory_working_set_bytes{' + CONTAINERS + ', $cluster, $namespace}'
REQ_CPU = f'sum by ({BY_C}) ({live_requests("cpu")})'
REQ_MEM = f'sum by ({BY_C}) ({live_requests("memory")})'
REPLICAS = f'count by ({BY_C}) ({live_requests("cpu")})'
P95_CPU = f'quantile_over_time(0.95, sum by ({BY_C}) ({CPU_RATE})[$__range:5m])'
MAX_MEM = f'max_over_time(sum by ({BY_C}) ({MEM_WS})[$__range:5m])'
CPU_PRICE = 'on (cluster) group_left () avg by (cluster) (node_cpu_hourly_cost{$cluster})'
RAM_PRICE = 'on (cluster) group_left () avg by (cluster) (node_ram_hourly_cost{$cluster})'
RIGHT_CPU = f'clamp_min(ceil(({P95_CPU}) * {HEADROOM} * 20) / 20, 0.05)'            # cores, 50m steps
RIGHT_MEM = f'clamp_min(ceil(({MAX_MEM}) * {HEADROOM} / 67108864) * 67108864, 67108864)'   # 64 MiB steps
SAVE_CPU = f'clamp_min(({REQ_CPU}) - ({RIGHT_CPU}), 0)'
SAVE_MEM = f'clamp_min(({REQ_MEM}) - ({RIGHT_MEM}), 0)'
SAVE_USD = (f'(({SAVE_CPU}) * {CPU_PRICE} + ({SAVE_MEM}) / 1073741824 * {RAM_PRICE}) * {HOURS_PER_MONTH}')
OVER = f'({P95_CPU}) / (({REQ_CPU}) > 0) < 0.5'
SCALE = (f'clamp_min(ceil(({P95_CPU}) / ({HPA_TARGET} * (avg by ({BY_C}) ({live_requests("cpu")}) > 0))), 1) '
         f'!= ({REPLICAS})')
OOM_RANGE = ('round(sum by (cluster, namespace, pod, container) '
             '(increase(kube_pod_container_status_restarts_total{$cluster, $namespace}[$__range]))) > 0 '
             'and on (cluster, namespace, pod, container) '
             'kube_pod_container_status_last_terminated_reason{reason="OOMKilled", $cluster, $namespace} == 1')


def reason(expr: str, text: str, source: str) -> str:
    """Give an error count series fixed `reason`/`source` labels (text may use $1 of the regex below)."""
    return (f'label_replace(label_replace(sum({expr}), "reason", "{text}", "", ""), '
            f'"source", "{source}", "", "")')


def reason_by(expr: str, label: str, text: str, source: str) -> str:
    """Like reason() but one series per value of `label` (`text` uses $1)."""
    return (f'label_replace(label_replace(sum by ({label}) ({expr}), "reason", "{text}", "{label}", "(.*)"), '
            f'"source", "{source}", "", "")')


def union(parts) -> str:
    return " or ".join(f"({p})" for p in parts)


def _inc(metric: str, selector: str = "", window: str = "$__range") -> str:
    sel = f"{selector}, $cluster" if selector else "$cluster"
    return f'increase({metric}{{{sel}}}[{window}])'


def _trino_inc(attribute: str, window: str = "$__range") -> str:
    return trino("QueryManager", attribute, "$cluster", lambda sel: f"increase({sel}[{window}])")


def _increase(counter: str | tuple[str, ...], window: str) -> str:
    """increase() of a counter selector, or the union of increase() of each form's selector."""
    if isinstance(counter, tuple):
        return "(" + " or ".join(f"increase({c}[{window}])" for c in counter) + ")"
    return f"increase({counter}[{window}])"


# error categories: (legend, counter selector with $cluster, or one selector per exporter form)
CATEGORIES = (
    ("Pod restarts", 'kube_pod_container_status_restarts_total{$cluster, $namespace}'),
    ("Jenkins failed builds", 'default_jenkins_builds_failed_build_count_total{$cluster}'),
    ("Argo CD failed syncs", 'argocd_app_sync_total{phase=~"Error|Failed", $cluster, $namespace:dest_namespace}'),
    ("Spark application failures", 'spark_application_failure_count{$cluster, $namespace}'),
    ("Airflow task failures", 'airflow_ti_failures{$cluster}'),
    ("Trino failed queries", tuple(n + '{$cluster}' for n in trino_names("QueryManager", "FailedQueries_TotalCount"))),
    ("S3 5xx errors", 'minio_s3_requests_5xx_errors_total{$cluster}'),
    ("Ingress 5xx", 'nginx_ingress_controller_requests{status=~"5.+", $cluster, $namespace}'),
    ("Service mesh 5xx", 'istio_requests_total{reporter="destination", response_code=~"5..", $cluster, '
                         '$namespace:destination_workload_namespace}'),
)

TOP_REASONS = 'topk(10, round(' + union([
    # terminations in the range by last-terminated reason (OOMKilled, Error, ...)
    'label_replace(sum by (reason) (round(increase(kube_pod_container_status_restarts_total{$cluster, $namespace}[$__range])) '
    '* on (cluster, namespace, pod, container) group_left (reason) max by (cluster, namespace, pod, container, reason) '
    '(kube_pod_container_status_last_terminated_reason{$cluster, $namespace} == 1)) > 0, "source", "Kubernetes", "", "")',
    reason_by('max_over_time(kube_pod_container_status_waiting_reason{$cluster, $namespace}[$__range]) == 1',
              "reason", "$1", "Kubernetes"),
    reason_by('kube_pod_status_reason{$cluster, $namespace} == 1', "reason", "$1", "Kubernetes"),
    reason(_inc("default_jenkins_builds_failed_build_count_total"), "Jenkins build FAILURE", "Jenkins"),
    reason_by(_inc("argocd_app_sync_total", 'phase=~"Error|Failed", $namespace:dest_namespace'), "phase",
              "Argo CD sync $1", "Argo CD"),
    reason(_inc("spark_application_failure_count", "$namespace"), "Spark application failed", "Spark"),
    reason(_inc("airflow_ti_failures"), "Airflow task failed", "Airflow"),
    reason(_trino_inc("UserErrorFailures_TotalCount"), "Trino user error", "Trino"),
    reason(_trino_inc("InternalFailures_TotalCount"), "Trino internal failure", "Trino"),
    reason(_trino_inc("ExternalFailures_TotalCount"), "Trino external failure", "Trino"),
    reason(_trino_inc("InsufficientResourcesFailures_TotalCount"),
           "Trino insufficient resources", "Trino"),
    reason(_inc("minio_s3_requests_5xx_errors_total"), "S3 5xx", "MinIO"),
    reason_by(_inc("nginx_ingress_controller_requests", 'status=~"5.+", $namespace'), "status", "HTTP $1",
              "Ingress"),
    reason_by(_inc("istio_requests_total", 'reporter="destination", response_code=~"5..", '
                                          '$namespace:destination_workload_namespace'),
              "response_code", "HTTP $1", "Service mesh"),
]) + ') > 0)'

# pods in trouble now, one series per (cluster, namespace, pod, reason), value 1
FAILED_PODS = union([
    # over the range: a crash-looping container is only waiting between its restarts
    'max by (cluster, namespace, pod, reason) '
    '(max_over_time(kube_pod_container_status_waiting_reason{$cluster, $namespace}[$__range]) == 1)',
    'max by (cluster, namespace, pod, reason) (kube_pod_status_reason{$cluster, $namespace} == 1)',
    'label_replace(max by (cluster, namespace, pod, phase) (kube_pod_status_phase{phase=~"Failed|Pending|Unknown", '
    '$cluster, $namespace} == 1), "reason", "phase $1", "phase", "(.*)")',
    'label_replace(max by (cluster, namespace, pod) (' + OOM_RANGE + '), "reason", "OOMKilled", "", "")',
])

# configuration tuning rules: (suggestion, evidence expression labelled cluster/namespace/target)
RULES = (
    ("Raise the CPU limit (or remove it): throttled > 10% of periods",
     'max by (cluster, namespace, container) (sum by (cluster, namespace, pod, container) '
     '(increase(container_cpu_cfs_throttled_periods_total{container!="", $cluster, $namespace}[$__range])) '
     '/ (sum by (cluster, namespace, pod, container) '
     '(increase(container_cpu_cfs_periods_total{container!="", $cluster, $namespace}[$__range])) > 0)) > 0.1',
     "container"),
    ("Raise the memory limit: OOM-killed in this range",
     'sum by (cluster, namespace, container) (' + OOM_RANGE + ')', "container"),
    ("Raise the memory limit: working set above 85% of it",
     'max by (cluster, namespace, container) (sum by (cluster, namespace, pod, container) (' + MEM_WS + ') '
     '/ (sum by (cluster, namespace, pod, container) '
     '(kube_pod_container_resource_limits{resource="memory", $cluster, $namespace}) > 0)) > 0.85', "container"),
    ("Lower the CPU request: p95 usage below 30% of it",
     f'({P95_CPU}) / (({REQ_CPU}) > 0) < 0.3', "container"),
    ("Fix the crash loop (check logs, probes, config)",
     'count by (cluster, namespace, container) (max_over_time(kube_pod_container_status_waiting_reason'
     '{reason="CrashLoopBackOff", $cluster, $namespace}[10m]) == 1)', "container"),
    ("Fix the image reference or registry credentials",
     'count by (cluster, namespace, container) (kube_pod_container_status_waiting_reason'
     '{reason=~"ErrImagePull|ImagePullBackOff|InvalidImageName", $cluster, $namespace} == 1)', "container"),
    ("Tune Spark executor memory / GC: GC above 10% of task time",
     'sum by (cluster, application_name) (rate(metrics_executor_totalGCTime_seconds_total{$cluster}[$__range])) '
     '/ (sum by (cluster, application_name) (rate(metrics_executor_totalDuration_seconds_total{$cluster}[$__range])) > 0) > 0.1',
     "application_name"),
    ("Run compaction (rewrite_data_files): over half the files are small",
     'max by (cluster, table) (iceberg_table_small_files{$cluster}) '
     '/ (max by (cluster, table) (iceberg_table_data_files{$cluster}) > 0) > 0.5', "table"),
    ("Expire snapshots: more than 100 snapshots",
     'max by (cluster, table) (iceberg_table_snapshots{$cluster}) > 100', "table"),
    ("Review slow Trino queries / add workers: p95 above 10 min",
     f'max by (cluster) ({trino("QueryManager", "ExecutionTime_FiveMinutes_P95", "$cluster")}) / 1000 > 600',
     "cluster"),
    ("Expand the volume: more than 80% used",
     'max by (cluster, namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{$cluster, $namespace}) '
     '/ (max by (cluster, namespace, persistentvolumeclaim) (kubelet_volume_stats_capacity_bytes{$cluster, $namespace}) > 0) '
     '> 0.8', "persistentvolumeclaim"),
)


def rule(text: str, expr: str, target: str) -> str:
    inner = f'label_replace({expr}, "suggestion", "{text}", "", "")'
    return f'label_replace({inner}, "target", "$1", "{target}", "(.*)")'


TUNING = union([rule(*r) for r in RULES])

# sections ---------------------------------------------------------------------------------------
PERFORMANCE = Section("Performance analysis", (
    Panel("trino-slow-queries", "Slow queries: Trino execution time p95", "timeseries", (
        Q(f'max by (cluster) ({trino("QueryManager", "ExecutionTime_FiveMinutes_P95", "$cluster")}) / 1000', "{cluster} p95"),
        Q(f'max by (cluster) ({trino("QueryManager", "ExecutionTime_FiveMinutes_P99", "$cluster")}) / 1000', "{cluster} p99")),
        unit="s", thresholds=(th.TRINO_WALL_TIME,), width=6,
        description="Trino exports precomputed percentiles of the last 5 minutes (ms); there is no histogram."),
    Panel("spark-long-running", "Long-running Spark applications (driver age)", "bar", (
        Q('topk(10, time() - max by (namespace, pod) (kube_pod_start_time{pod=~".+-driver", $cluster, $namespace}))',
          "{namespace}/{pod}"),),
        unit="s", width=6, link=links.NAMESPACE,
        description="Spark drivers by time since start (kube-state-metrics)."),
    Panel("spark-task-time", "Spark task time per application (selected range)", "bar", (
        Q('topk(10, sum by (application_name) (increase(metrics_executor_totalDuration_seconds_total{$cluster}[$__range])))',
          "{application_name}"),),
        unit="s", width=6,
        description="Executor task time summed over executors (cumulative seconds from /metrics/executors/prometheus)."),
    Panel("spark-running", "Spark applications running", "timeseries", (
        Q('sum by (namespace) (spark_application_running_count{$cluster, $namespace})', "{namespace}"),),
        width=6),
    Panel("airflow-failed-tasks", "Failed Airflow DAG runs per DAG (selected range, top 10)", "bar", (
        Q('topk(10, sum by (dag_id) (round(increase(airflow_dagrun_failed_count{$cluster}[$__range]))))',
          "{dag_id}"),),
        width=6, link=links.AIRFLOW_DAG, empty_text="No Airflow DAGs",
        description="statsd `dagrun.duration.failed.<dag_id>` count per DAG; `airflow_ti_failures` (task "
                    "failures, no DAG label in the chart mapping) is counted under Error analysis."),
    Panel("airflow-task-failures", "Airflow task failures per $__interval", "timeseries", (
        Q('sum by (cluster) (increase(airflow_ti_failures{$cluster}[$__interval]))', "{cluster}"),),
        min_step=3600, width=6),
    Panel("bottlenecks", "Bottleneck analysis: most saturated resources now", "table", (
        Q('topk(15, ' + union([
            'label_replace(label_join(topk(5, sum by (cluster, namespace, pod) '
            '(increase(container_cpu_cfs_throttled_periods_total{container!="", $cluster, $namespace}[5m])) '
            '/ (sum by (cluster, namespace, pod) (increase(container_cpu_cfs_periods_total{container!="", $cluster, $namespace}[5m])) > 0)), '
            '"entity", "/", "namespace", "pod"), "resource", "CPU throttling", "", "")',
            'label_replace(label_join(topk(5, sum by (cluster, namespace, pod) (' + MEM_WS + ') '
            '/ (sum by (cluster, namespace, pod) (kube_pod_container_resource_limits{resource="memory", $cluster, $namespace}) > 0)), '
            '"entity", "/", "namespace", "pod"), "resource", "Memory vs limit", "", "")',
            'label_replace(label_replace(topk(3, sum by (cluster, instance) (rate(node_cpu_seconds_total{mode!~"idle|iowait|steal", $cluster}[5m])) '
            '/ (sum by (cluster, instance) (rate(node_cpu_seconds_total{$cluster}[5m])) > 0)), '
            '"entity", "$1", "instance", "(.*)"), "resource", "Node CPU busy", "", "")',
            'label_replace(label_join(topk(3, max by (cluster, namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{$cluster, $namespace}) '
            '/ (max by (cluster, namespace, persistentvolumeclaim) (kubelet_volume_stats_capacity_bytes{$cluster, $namespace}) > 0)), '
            '"entity", "/", "namespace", "persistentvolumeclaim"), "resource", "Volume used", "", "")',
            'label_replace(label_join(topk(3, max by (cluster, hostname, gpu) (' + dcgm("DCGM_FI_DEV_GPU_UTIL") + ') / 100), '
            '"entity", " GPU ", "hostname", "gpu"), "resource", "GPU utilisation", "", "")',
            'label_replace(label_replace(max by (cluster) (1 - '
            f'{trino("ClusterMemoryPool", "FreeDistributedBytes", "$cluster")} '
            f'/ ({trino("ClusterMemoryPool", "TotalDistributedBytes", "$cluster")} > 0)), '
            '"entity", "general pool", "", ""), "resource", "Trino memory pool", "", "")',
        ]) + ')', column="Saturation", unit="percentunit"),),
        label_columns=("resource", "cluster", "entity"), join_on=("resource", "cluster", "entity"),
        thresholds=(th.CPU_USAGE,), width=6,
        description="The fullest resources of each kind: where work waits first."),
    Panel("mesh-slowest", "Slowest service calls (mesh p95)", "bar", (
        Q('topk(5, histogram_quantile(0.95, sum by (le, source_workload, destination_workload) '
          '(rate(istio_request_duration_milliseconds_bucket{reporter="destination", $cluster, '
          '$namespace:destination_workload_namespace}[5m]))))', "{source_workload} → {destination_workload}"),),
        unit="ms", width=6, description="Bottlenecks between services: p95 latency per caller/callee pair."),
))

ERRORS = Section("Error analysis", (
    Panel("errors-by-category", "Error frequency by category (per $__interval)", "timeseries", tuple(
        Q(f'sum({_increase(expr, "$__interval")})', name) for name, expr in CATEGORIES),
        min_step=3600, stacked=True, width=8,
        description="Every category is a counter; increase() per hour."),
    Panel("errors-category-range", "Errors by category (selected range)", "pie", tuple(
        Q(f'sum(round({_increase(expr, "$__range")}))', name) for name, expr in CATEGORIES),
        width=4),
    Panel("top-error-reasons", "Top 10 error reasons (selected range)", "table", (
        Q(TOP_REASONS, column="Occurrences", unit="short"),),
        label_columns=("source", "reason"), width=6,
        description="Terminations by last reason, waiting reasons and pod reasons (containers now), and the failure "
                    "counters of Jenkins, Argo CD, Spark, Airflow, Trino, MinIO, Ingress and the mesh."),
    Panel("failed-pods", "Failed pod analysis", "table", (
        Q(FAILED_PODS, column="", unit="none"),
        Q(f'sum by (cluster, namespace, pod) (round(increase(kube_pod_container_status_restarts_total{{$cluster, $namespace}}[$__range]))) '
          f'and on (cluster, namespace, pod) ({FAILED_PODS})', column="Restarts (range)", unit="short"),
        Q(f'max by (cluster, namespace, pod) (kube_pod_created{{$cluster, $namespace}}) '
          f'and on (cluster, namespace, pod) ({FAILED_PODS})', column="Created", unit="dateTime")),
        label_columns=("cluster", "namespace", "pod", "reason"), join_on=("cluster", "namespace", "pod"),
        thresholds=(th.CONTAINER_RESTARTS,), width=6, link=links.NAMESPACE,
        empty_text="No failing pods"),
    Panel("oom-events", "OOM kill events per $__interval", "timeseries", (
        Q('sum by (namespace, pod, container) (round(increase(kube_pod_container_status_restarts_total{$cluster, $namespace}[$__interval]))) '
          '* on (namespace, pod, container) group_left () max by (namespace, pod, container) '
          '(kube_pod_container_status_last_terminated_reason{reason="OOMKilled", $cluster, $namespace}) > 0',
          "{namespace}/{pod}"),),
        min_step=3600, thresholds=(th.OOM_KILLED,), width=6, empty_text="No OOM kills"),
    Panel("oom-table", "OOM-killed containers: kills, peak memory and limit", "table", (
        Q(OOM_RANGE, column="OOM kills (range)", unit="short"),
        Q(f'max by (cluster, namespace, pod, container) (max_over_time({MEM_WS}[$__range])) '
          f'and on (cluster, namespace, pod, container) ({OOM_RANGE})', column="Peak working set", unit="bytes"),
        Q('max by (cluster, namespace, pod, container) (kube_pod_container_resource_limits{resource="memory", $cluster, $namespace}) '
          f'and on (cluster, namespace, pod, container) ({OOM_RANGE})', column="Memory limit", unit="bytes")),
        label_columns=("cluster", "namespace", "pod", "container"), thresholds=(th.OOM_KILLED,), width=6,
        link=links.NAMESPACE, empty_text="No OOM kills in this range"),
))

COST = Section("Cost optimization", (
    Panel("cpu-idle-ratio", "CPU idle ratio (requested but unused)", "stat", (
        Q(f'1 - sum({container_cpu("$__rate_interval")}) / (sum({live_requests("cpu")}) > 0)', "CPU idle"),),
        unit="percentunit", thresholds=(th.IDLE_RATIO,), width=3),
    Panel("memory-idle-ratio", "Memory idle ratio", "stat", (
        Q(f'1 - sum({MEM_WS}) / (sum({live_requests("memory")}) > 0)', "memory idle"),),
        unit="percentunit", thresholds=(th.IDLE_RATIO,), width=3),
    Panel("monthly-cost", "Monthly cost at the current rate", "stat", (
        Q(f'sum(node_total_hourly_cost{{$cluster}}) * {HOURS_PER_MONTH} '
          f'+ (sum(pv_hourly_cost{{$cluster}} * on (cluster, persistentvolume) group_left () '
          f'max by (cluster, persistentvolume) (kube_persistentvolume_capacity_bytes{{$cluster}}) / 1073741824) * {HOURS_PER_MONTH} or vector(0))', "$/month"),),
        unit="dollars", width=3, description="OpenCost node prices plus volume prices, x 730 h."),
    Panel("potential-savings", "Potential savings from right-sizing", "stat", (
        Q(f'sum({SAVE_USD})', "$/month"),),
        unit="dollars", width=3, description="Requests above p95 usage x 1.2, priced at the cluster's OpenCost rates."),
    Panel("idle-ratio-trend", "Idle ratio per cluster", "timeseries", (
        Q(f'1 - sum by (cluster) ({container_cpu("$__rate_interval")}) '
          f'/ (sum by (cluster) ({live_requests("cpu")}) > 0)', "{cluster} CPU"),
        Q(f'1 - sum by (cluster) ({MEM_WS}) / (sum by (cluster) ({live_requests("memory")}) > 0)', "{cluster} memory")),
        unit="percentunit", thresholds=(th.IDLE_RATIO,), width=6),
    Panel("cost-trend", "Cost trend: compute and storage ($/month at each moment's rate)", "timeseries", (
        Q(f'sum by (cluster) (node_total_hourly_cost{{$cluster}}) * {HOURS_PER_MONTH}', "{cluster} compute"),
        Q(f'sum by (cluster) (pv_hourly_cost{{$cluster}} * on (cluster, persistentvolume) group_left () '
          f'max by (cluster, persistentvolume) (kube_persistentvolume_capacity_bytes{{$cluster}}) / 1073741824) * {HOURS_PER_MONTH}', "{cluster} storage")),
        unit="dollars", width=6),
    Panel("cost-by-namespace", "Allocated cost by namespace ($/month)", "bar", (
        Q(f'topk(15, sum by (namespace) ('
          f'container_cpu_allocation{{$cluster, $namespace}} * on (cluster, node) group_left () '
          f'avg by (cluster, node) (node_cpu_hourly_cost{{$cluster}}) '
          f'+ container_memory_allocation_bytes{{$cluster, $namespace}} / 1073741824 * on (cluster, node) group_left () '
          f'avg by (cluster, node) (node_ram_hourly_cost{{$cluster}})) * {HOURS_PER_MONTH})', "{namespace}"),),
        unit="dollars", width=6, link=links.NAMESPACE,
        description="OpenCost allocation (max of request and usage) x node prices."),
    Panel("over-provisioned", "Over-provisioned workloads (p95 CPU below 50% of request)", "table", (
        Q(OVER, column="p95 / request", unit="percentunit"),
        Q(f'({REQ_CPU}) and ({OVER})', column="CPU requested", unit="cores"),
        Q(f'({P95_CPU}) and ({OVER})', column="CPU p95", unit="cores"),
        Q(f'({REQ_MEM}) and ({OVER})', column="Memory requested", unit="bytes"),
        Q(f'({MAX_MEM}) and ({OVER})', column="Memory peak", unit="bytes")),
        label_columns=("cluster", "namespace", "container"), join_on=("cluster", "namespace", "container"),
        sort_desc=False, width=6, link=links.NAMESPACE,
        empty_text="No over-provisioned workloads",
        description="Usage summed over the replicas of each container, p95 over the selected range (5m subquery)."),
    Panel("savings-by-namespace", "Savings recommendations by namespace ($/month)", "bar", (
        Q(f'topk(10, sum by (namespace) ({SAVE_USD}) > 0)', "{namespace}"),),
        unit="dollars", width=6, link=links.NAMESPACE,
        empty_text="Nothing to save: requests match usage"),
))

RECOMMEND = Section("Recommendations", (
    Panel("right-sizing", "Right-sizing: requests each workload should have", "table", (
        Q(f'{SAVE_USD}', column="Saving $/month", unit="dollars"),
        Q(REQ_CPU, column="CPU request now", unit="cores"),
        Q(RIGHT_CPU, column="CPU request advised", unit="cores"),
        Q(SAVE_CPU, column="CPU saved", unit="cores"),
        Q(REQ_MEM, column="Memory request now", unit="bytes"),
        Q(RIGHT_MEM, column="Memory request advised", unit="bytes")),
        label_columns=("cluster", "namespace", "container"), join_on=("cluster", "namespace", "container"),
        width=12, limit=25, link=links.NAMESPACE,
        description=f"Advised CPU = p95 of usage over the range x {HEADROOM}; advised memory = peak working set x "
                    f"{HEADROOM} (per container name, summed over replicas). Savings priced with OpenCost."),
    Panel("scaling", "Scaling recommendations (target 70% of CPU request)", "table", (
        Q(SCALE, column="Replicas advised", unit="short"),
        Q(f'({REPLICAS}) and ({SCALE})', column="Replicas now", unit="short"),
        Q(f'({P95_CPU}) / (({REQ_CPU}) > 0) and ({SCALE})', column="p95 CPU / request", unit="percentunit")),
        label_columns=("cluster", "namespace", "container"), join_on=("cluster", "namespace", "container"),
        width=6, empty_text="Every workload is sized for 70% utilisation",
        description="The HPA formula: ceil(p95 usage / (0.7 x request per replica)); only workloads whose "
                    "advised replica count differs from the current one."),
    Panel("tuning", "Configuration tuning suggestions", "table", (
        Q(TUNING, column="Evidence", unit="none"),),
        label_columns=("suggestion", "cluster", "namespace", "target"),
        join_on=("suggestion", "cluster", "namespace", "target"), width=6, empty_text="No rule fires",
        description="Rules over PromQL results: throttling, OOM, memory near limit, idle requests, crash loops, "
                    "image pulls, Spark GC, Iceberg small files and snapshots, slow Trino, full volumes. "
                    "Evidence = the ratio or count that triggered the rule."),
))

DASHBOARD = OPTIMIZE = Dashboard(
    "optimize", "Optimization & Troubleshooting", "/optimize", (PERFORMANCE, ERRORS, COST, RECOMMEND),
    description="Why things are slow or failing, what they cost, and what to change.",
)
