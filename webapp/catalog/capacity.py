"""Level 1.2 Resource Capacity Planning, with monitoring stage 3 (resource capacity).

PromQL follows metrics.md: usage from cAdvisor/node-exporter, requests of live pods only (the mixin's
form), throttling as a periods ratio, ratios guarded against division by zero, cAdvisor and
kube-state-metrics aggregated to the same labels before dividing. Forecasts divide the headroom by the
trend (`deriv`) and are clamped to 30 days ("not within 30 days" when flat or shrinking).
"""
from __future__ import annotations

from . import links
from . import thresholds as th
from .annotations import DEPLOYMENTS_AND_ALERTS as MARKS
from .model import Dashboard, Panel, Query, Section
from .forms import CONTAINERS, container_cpu, dcgm, node_memory_available

Q = Query

HORIZON_DAYS = 30
NOT_SOON = ((HORIZON_DAYS, f"not within {HORIZON_DAYS} days"), (0, "full now"))
CEPH_HEALTH = ((0, "HEALTH_OK"), (1, "HEALTH_WARN"), (2, "HEALTH_ERR"))

# building blocks ------------------------------------------------------------------------------
GPU_UTIL = dcgm("DCGM_FI_DEV_GPU_UTIL")
GPU_FB_USED = dcgm("DCGM_FI_DEV_FB_USED")
GPU_FB_FREE = dcgm("DCGM_FI_DEV_FB_FREE")
CPU_USED = container_cpu()
MEM_USED = 'container_memory_working_set_bytes{' + CONTAINERS + ', $cluster, $namespace}'
LIVE_PODS = ('max by (cluster, namespace, pod) (kube_pod_status_phase{phase=~"Pending|Running", $cluster, $namespace} == 1)')


def requests(resource: str) -> str:
    """Requests of live pods only (finished/evicted pods keep their request series)."""
    return (f'kube_pod_container_resource_requests{{resource="{resource}", $cluster, $namespace}} '
            f'* on (cluster, namespace, pod) group_left () {LIVE_PODS}')


def alloc(resource: str) -> str:
    return f'kube_node_status_allocatable{{resource="{resource}", $cluster}}'


NODE_ALLOC_CPU = f'sum by (cluster, node) ({alloc("cpu")})'
NODE_ALLOC_MEM = f'sum by (cluster, node) ({alloc("memory")})'
NODE_REQ_CPU = ('sum by (cluster, node) (kube_pod_container_resource_requests{resource="cpu", $cluster} '
                '* on (cluster, namespace, pod) group_left () max by (cluster, namespace, pod) '
                '(kube_pod_status_phase{phase=~"Pending|Running", $cluster} == 1))')
NODE_REQ_MEM = NODE_REQ_CPU.replace('resource="cpu"', 'resource="memory"')


def as_node(expr: str) -> str:
    """node-exporter series carry the node name in `instance`: copy it to `node` for joins."""
    return f'label_replace({expr}, "node", "$1", "instance", "(.*)")'


def tag(expr: str, system: str, resource_from: str | tuple[str, ...]) -> str:
    """Label a forecast series with `system` and `resource` so all storage systems share one table.

    `resource_from` is a label (or two, joined with "/"), or "=text" for a fixed resource name.
    """
    if isinstance(resource_from, str) and resource_from.startswith("="):
        inner = f'label_replace({expr}, "resource", "{resource_from[1:]}", "", "")'
    elif isinstance(resource_from, tuple):
        inner = f'label_join({expr}, "resource", "/", "{resource_from[0]}", "{resource_from[1]}")'
    else:
        inner = f'label_replace({expr}, "resource", "$1", "{resource_from}", "(.*)")'
    return f'label_replace({inner}, "system", "{system}", "cluster", ".*")'


def days_left(headroom: str, growth: str, keep: str) -> str:
    """Days until `headroom` is used up at the growth rate `growth` (per second); 30 when not growing.

    Both sides must be aggregated by the labels `keep`.
    """
    return (f'clamp_min(clamp_max(round(({headroom}) / (({growth}) > 0) / 86400, 0.1), {HORIZON_DAYS}), 0) '
            f'or on ({keep}) (({headroom}) * 0 + {HORIZON_DAYS})')


# per system: (days-left expression, used-ratio expression), both labelled system/cluster/resource
_K = "cluster"


def cpu_days(window: str = "5m") -> str:
    """Days until allocatable CPU is used up: headroom (usage rated over `window`) over the 24 h trend."""
    used = container_cpu(window, "$cluster")
    return days_left(
        f'sum by (cluster) ({alloc("cpu")}) - sum by (cluster) ({used})',
        f'deriv(sum by (cluster) ({container_cpu(matchers="$cluster")})[24h:10m])',
        _K)


CPU_DAYS = cpu_days()
CPU_RATIO = (f'sum by (cluster) ({container_cpu(matchers="$cluster")}) / (sum by (cluster) ({alloc("cpu")}) > 0)')
MEM_DAYS = days_left(
    f'sum by (cluster) ({alloc("memory")}) - sum by (cluster) ({MEM_USED.replace(", $namespace", "")})',
    'deriv(sum by (cluster) (container_memory_working_set_bytes{' + CONTAINERS + ', $cluster})[24h:10m])',
    _K)
MEM_RATIO = (f'sum by (cluster) ({MEM_USED.replace(", $namespace", "")}) / (sum by (cluster) ({alloc("memory")}) > 0)')
_PVC_K = "cluster, namespace, persistentvolumeclaim"
PVC_DAYS = days_left(
    f'max by ({_PVC_K}) (kubelet_volume_stats_available_bytes{{$cluster, $namespace}})',
    f'max by ({_PVC_K}) (deriv(kubelet_volume_stats_used_bytes{{$cluster, $namespace}}[6h]))', _PVC_K)
PVC_RATIO = (f'max by ({_PVC_K}) (kubelet_volume_stats_used_bytes{{$cluster, $namespace}}) '
             f'/ (max by ({_PVC_K}) (kubelet_volume_stats_capacity_bytes{{$cluster, $namespace}}) > 0)')
CEPH_DAYS = days_left(
    'max by (cluster) (ceph_cluster_total_bytes{$cluster} - ceph_cluster_total_used_bytes{$cluster})',
    'max by (cluster) (deriv(ceph_cluster_total_used_bytes{$cluster}[6h]))', _K)
CEPH_RATIO = ('max by (cluster) (ceph_cluster_total_used_bytes{$cluster}) '
              '/ (max by (cluster) (ceph_cluster_total_bytes{$cluster}) > 0)')
MINIO_DAYS = days_left(
    'max by (cluster) (minio_cluster_capacity_usable_free_bytes{$cluster})',
    '-max by (cluster) (deriv(minio_cluster_capacity_usable_free_bytes{$cluster}[6h]))', _K)
MINIO_RATIO = ('1 - max by (cluster) (minio_cluster_capacity_usable_free_bytes{$cluster}) '
               '/ (max by (cluster) (minio_cluster_capacity_usable_total_bytes{$cluster}) > 0)')
ISILON_DAYS = days_left(
    'min by (cluster) (isilon_stat_ifs_percent_avail{$cluster})',
    '-min by (cluster) (deriv(isilon_stat_ifs_percent_avail{$cluster}[6h]))', _K)
ISILON_RATIO = '1 - min by (cluster) (isilon_stat_ifs_percent_avail{$cluster}) / 100'
_ORA_K = "cluster, tablespace"
ORACLE_DAYS = days_left(
    f'max by ({_ORA_K}) (oracledb_tablespace_max_bytes{{$cluster}} - oracledb_tablespace_bytes{{$cluster}})',
    f'max by ({_ORA_K}) (deriv(oracledb_tablespace_bytes{{$cluster}}[6h]))', _ORA_K)
ORACLE_RATIO = (f'max by ({_ORA_K}) (oracledb_tablespace_bytes{{$cluster}}) '
                f'/ (max by ({_ORA_K}) (oracledb_tablespace_max_bytes{{$cluster}}) > 0)')

FORECASTS = (  # system, resource label source, days, used ratio
    ("CPU", "=allocatable CPU (all nodes)", CPU_DAYS, CPU_RATIO),
    ("Memory", "=allocatable memory (all nodes)", MEM_DAYS, MEM_RATIO),
    ("PVC", ("namespace", "persistentvolumeclaim"), PVC_DAYS, PVC_RATIO),
    ("Ceph", "=raw capacity", CEPH_DAYS, CEPH_RATIO),
    ("MinIO", "=usable capacity", MINIO_DAYS, MINIO_RATIO),
    ("Isilon", "=/ifs", ISILON_DAYS, ISILON_RATIO),
    ("Oracle tablespace", "tablespace", ORACLE_DAYS, ORACLE_RATIO),
)


def _union(exprs: list[str]) -> str:
    return " or ".join(f"({e})" for e in exprs)


FORECAST_DAYS = _union([tag(d, s, r) for s, r, d, _ in FORECASTS])
FORECAST_USED = _union([tag(u, s, r) for s, r, _, u in FORECASTS])
STORAGE_DAYS = _union([tag(d, s, r) for s, r, d, _ in FORECASTS[2:]])

# sections ---------------------------------------------------------------------------------------
COMPUTE = Section("Compute", (
    Panel("cpu-used", "CPU used (of allocatable)", "stat", (
        Q(f'sum({container_cpu("$__rate_interval", "$cluster")}) / (sum({alloc("cpu")}) > 0)',
          "CPU used"),),
        unit="percentunit", thresholds=(th.CPU_USAGE,), width=3,
        description="Container CPU usage over node allocatable CPU, all selected clusters."),
    Panel("cpu-requested", "CPU requested (of allocatable)", "stat", (
        Q(f'sum({requests("cpu").replace(", $namespace", "")}) / (sum({alloc("cpu")}) > 0)', "requested"),),
        unit="percentunit", width=3,
        description="Requests of Pending/Running pods: what the scheduler can no longer hand out."),
    Panel("memory-used", "Memory used (of allocatable)", "stat", (
        Q(f'sum({MEM_USED.replace(", $namespace", "")}) / (sum({alloc("memory")}) > 0)', "memory used"),),
        unit="percentunit", thresholds=(th.MEMORY_USAGE,), width=3),
    Panel("gpu-free", "GPUs available (utilisation < 50%)", "stat", (
        Q(f'count(max by (hostname, gpu) ({GPU_UTIL}) < 50) or (count(DCGM_FI_DEV_GPU_UTIL{{$cluster}}) * 0)',
          "GPUs free"),),
        width=3, empty_text="No GPU nodes in this cluster",
        description="GPUs under half busy, from dcgm-exporter; the table below lists every GPU."),
    Panel("cpu-usage-per-cluster", "CPU usage per cluster", "timeseries", (
        Q(f'sum by (cluster) ({container_cpu("$__rate_interval", "$cluster")}) / (sum by (cluster) ({alloc("cpu")}) > 0)',
          "{cluster} used"),
        Q(f'sum by (cluster) ({requests("cpu").replace(", $namespace", "")}) / (sum by (cluster) ({alloc("cpu")}) > 0)',
          "{cluster} requested")),
        unit="percentunit", thresholds=(th.CPU_USAGE,), width=6, annotations=MARKS),
    Panel("memory-usage-per-cluster", "Memory usage per cluster", "timeseries", (
        Q(f'sum by (cluster) ({MEM_USED.replace(", $namespace", "")}) / (sum by (cluster) ({alloc("memory")}) > 0)',
          "{cluster} used"),
        Q(f'sum by (cluster) ({requests("memory").replace(", $namespace", "")}) / (sum by (cluster) ({alloc("memory")}) > 0)',
          "{cluster} requested")),
        unit="percentunit", thresholds=(th.MEMORY_USAGE,), width=6, annotations=MARKS),
    Panel("node-resources", "Resources per node", "table", (
        Q(as_node('sum by (cluster, instance) (rate(node_cpu_seconds_total{mode!~"idle|iowait|steal", $cluster}[5m])) '
                  '/ (sum by (cluster, instance) (rate(node_cpu_seconds_total{$cluster}[5m])) > 0)'),
          column="CPU used", unit="percentunit"),
        Q(f'{NODE_REQ_CPU} / ({NODE_ALLOC_CPU} > 0)', column="CPU requested", unit="percentunit"),
        Q(f'{NODE_ALLOC_CPU} - ({NODE_REQ_CPU} or {NODE_ALLOC_CPU} * 0)', column="Free CPU (unrequested)", unit="cores"),
        Q(as_node(f'1 - {node_memory_available()} / (node_memory_MemTotal_bytes{{$cluster}} > 0)'),
          column="Memory used", unit="percentunit"),
        Q(f'{NODE_ALLOC_MEM} - ({NODE_REQ_MEM} or {NODE_ALLOC_MEM} * 0)', column="Free memory (unrequested)",
          unit="bytes"),
        Q('count by (cluster, node) (kube_pod_info{$cluster} * on (cluster, namespace, pod) group_left () '
          'max by (cluster, namespace, pod) (kube_pod_status_phase{phase="Running", $cluster} == 1))',
          column="Running pods", unit="short"),
        Q(f'label_replace(count by (cluster, hostname) ({GPU_UTIL}), "node", "$1", "hostname", "(.*)")',
          column="GPUs", unit="short")),
        label_columns=("cluster", "node"), thresholds=(th.CPU_USAGE, th.MEMORY_USAGE), width=12,
        link=links.NODE,
        description="Used = node-exporter; requested/free = kube-state-metrics requests of live pods against "
                    "allocatable (the mixin's free-capacity form)."),
    Panel("gpu-availability", "GPU availability", "table", (
        Q(f'max by (hostname, gpu, modelName) ({GPU_UTIL}) / 100', column="Utilisation",
          unit="percentunit"),
        Q(f'max by (hostname, gpu, modelName) ({GPU_FB_USED}) '
          f'/ (max by (hostname, gpu, modelName) ({GPU_FB_USED} + {GPU_FB_FREE}) > 0)',
          column="Memory used", unit="percentunit"),
        Q(f'max by (hostname, gpu, modelName) ({GPU_FB_FREE}) * 1048576', column="Memory free",
          unit="bytes")),
        label_columns=("hostname", "gpu", "modelName"), thresholds=(th.CPU_USAGE,), width=6,
        empty_text="No GPU nodes in this cluster",
        description="dcgm-exporter, per GPU (frame buffer in MiB converted to bytes)."),
    Panel("gpu-utilisation", "GPU utilisation", "timeseries", (
        Q(f'max by (hostname, gpu) ({GPU_UTIL}) / 100', "{hostname} GPU {gpu}"),),
        unit="percentunit", width=6, empty_text="No GPU nodes in this cluster"),
    Panel("gpu-allocatable", "GPUs allocatable and requested per node", "table", (
        Q('sum by (cluster, node) (kube_node_status_allocatable{resource="nvidia_com_gpu", $cluster})',
          column="Allocatable"),
        Q('sum by (cluster, node) (kube_pod_container_resource_requests{resource="nvidia_com_gpu", $cluster})',
          column="Requested")),
        label_columns=("cluster", "node"), link=links.NODE, width=6,
        empty_text="No GPU nodes in this cluster"),
    Panel("cpu-vs-limit", "Containers closest to their CPU limit", "table", (
        Q(f'topk(15, sum by (cluster, namespace, pod, container) ({CPU_USED}) '
          '/ (sum by (cluster, namespace, pod, container) '
          '(kube_pod_container_resource_limits{resource="cpu", $cluster, $namespace}) > 0))',
          column="CPU used / limit", unit="percentunit", thresholds=(th.CPU_USAGE,)),
        Q('sum by (cluster, namespace, pod, container) '
          '(kube_pod_container_resource_limits{resource="cpu", $cluster, $namespace})',
          column="CPU limit", unit="cores")),
        label_columns=("cluster", "namespace", "pod", "container"), width=6,
        link=links.NAMESPACE,
        description="Usage against limits: above 80% the container is close to being throttled."),
    Panel("namespace-resources", "Usage and requests by namespace", "table", (
        Q(f'sum by (cluster, namespace) ({CPU_USED})', column="CPU used", unit="cores"),
        Q(f'sum by (cluster, namespace) ({requests("cpu")})', column="CPU requested", unit="cores"),
        Q(f'sum by (cluster, namespace) ({CPU_USED}) / (sum by (cluster, namespace) ({requests("cpu")}) > 0)',
          column="CPU used / requested", unit="percentunit"),
        Q(f'sum by (cluster, namespace) ({MEM_USED})', column="Memory used", unit="bytes"),
        Q(f'sum by (cluster, namespace) ({requests("memory")})', column="Memory requested", unit="bytes")),
        label_columns=("cluster", "namespace"), width=12, link=links.NAMESPACE,
        description="Low used/requested = over-provisioned (see Optimization for right-sizing)."),
    Panel("cpu-throttling", "CPU throttling ratio (top 10 containers)", "bar", (
        Q('topk(10, sum by (cluster, namespace, pod, container) '
          '(increase(container_cpu_cfs_throttled_periods_total{container!="", $cluster, $namespace}[5m])) '
          '/ (sum by (cluster, namespace, pod, container) '
          '(increase(container_cpu_cfs_periods_total{container!="", $cluster, $namespace}[5m])) > 0))',
          "{namespace}/{pod}"),),
        unit="percentunit", thresholds=(th.CPU_THROTTLING,), width=6, link=links.NAMESPACE,
        description="Throttled CFS periods over all periods (not throttled seconds)."),
    Panel("memory-vs-limit", "Memory working set vs limit (top 10 containers)", "bar", (
        Q('topk(10, sum by (cluster, namespace, pod, container) '
          '(container_memory_working_set_bytes{' + CONTAINERS + ', $cluster, $namespace}) '
          '/ (sum by (cluster, namespace, pod, container) '
          '(kube_pod_container_resource_limits{resource="memory", $cluster, $namespace}) > 0))',
          "{namespace}/{pod}"),),
        unit="percentunit", thresholds=(th.MEMORY_USAGE,), width=6, link=links.NAMESPACE),
    Panel("oom-kills", "OOM kills in the selected range", "bar", (
        Q('round(sum by (cluster, namespace, pod, container) '
          '(increase(kube_pod_container_status_restarts_total{$cluster, $namespace}[$__range]))) > 0 '
          'and on (cluster, namespace, pod, container) '
          'kube_pod_container_status_last_terminated_reason{reason="OOMKilled", $cluster, $namespace} == 1',
          "{namespace}/{pod}/{container}"),),
        thresholds=(th.OOM_KILLED,), width=6, empty_text="No OOM kills in this range",
        link=links.NAMESPACE,
        description="Restarts of containers whose last termination was OOMKilled (metrics.md §15)."),
    Panel("free-node-capacity", "Unrequested CPU per cluster", "timeseries", (
        Q(f'sum by (cluster) ({alloc("cpu")}) - sum by (cluster) ({requests("cpu").replace(", $namespace", "")})',
          "{cluster}"),),
        unit="cores", width=6, description="Allocatable CPU not yet requested by live pods."),
))

STORAGE = Section("Storage", (
    Panel("pvc-usage-top10", "PVC usage (top 10)", "bar", (
        Q(f'topk(10, {PVC_RATIO})', "{namespace}/{persistentvolumeclaim}"),),
        unit="percentunit", thresholds=(th.STORAGE_USAGE,), width=6,
        link=links.PVC),
    Panel("pvc-usage-trend", "PVC usage trend (top 5)", "timeseries", (
        Q(f'topk(5, {PVC_RATIO})', "{namespace}/{persistentvolumeclaim}"),),
        unit="percentunit", thresholds=(th.STORAGE_USAGE,), width=6),
    Panel("s3-bucket-size", "S3 bucket size trend (MinIO)", "timeseries", (
        Q('max by (bucket) (minio_bucket_usage_total_bytes{$cluster})', "{bucket}"),),
        unit="bytes", stacked=True, width=6),
    Panel("minio-capacity", "MinIO usable capacity used", "gauge", (
        Q(f'max({MINIO_RATIO})', "used"),),
        unit="percentunit", thresholds=(th.STORAGE_USAGE,), width=3),
    Panel("ceph-health", "Ceph cluster state", "stat", (
        Q('max(ceph_health_status{$cluster})', "health"),),
        unit="none", value_map=CEPH_HEALTH, width=3,
        description="ceph_health_status: 0 OK, 1 WARN, 2 ERR (worst cluster)."),
    Panel("ceph-used", "Ceph raw capacity used", "timeseries", (
        Q(CEPH_RATIO, "{cluster}"),),
        unit="percentunit", thresholds=(th.STORAGE_DISK_USAGE,), width=6),
    Panel("ceph-pools", "Ceph pools used", "bar", (
        Q('max by (cluster, pool_id) (ceph_pool_stored{$cluster}) '
          '/ (max by (cluster, pool_id) (ceph_pool_stored{$cluster} + ceph_pool_max_avail{$cluster}) > 0) '
          '* on (cluster, pool_id) group_left (name) topk by (cluster, pool_id) (1, ceph_pool_metadata{$cluster})',
          "{name}"),),
        unit="percentunit", thresholds=(th.STORAGE_USAGE,), width=6,
        description="Stored over stored + max available per pool (names from ceph_pool_metadata)."),
    Panel("isilon-capacity", "Isilon capacity used", "timeseries", (
        Q(ISILON_RATIO, "{cluster}"),),
        unit="percentunit", thresholds=(th.STORAGE_DISK_USAGE,), width=6,
        description="100 - isilon_stat_ifs_percent_avail (PowerScale Data Insights)."),
    Panel("isilon-quotas", "Isilon quota usage (top 10)", "bar", (
        Q('topk(10, max by (path) (isilon_quota_hard_utilization_ratio{$cluster}))', "{path}"),),
        unit="percentunit", thresholds=(th.STORAGE_USAGE,), width=6),
    Panel("oracle-tablespaces", "Oracle tablespace usage", "bar", (
        Q(ORACLE_RATIO, "{tablespace}"),),
        unit="percentunit", thresholds=(th.ORACLE_TABLESPACE,), width=6,
        description="oracledb_tablespace_bytes / oracledb_tablespace_max_bytes (not used_percent: TEMP is 0-1)."),
))

NETWORK = Section("Network", (
    Panel("node-bandwidth", "Node bandwidth vs link speed", "timeseries", (
        Q('max by (cluster, instance) (rate(node_network_receive_bytes_total{device!~"lo|veth.*", $cluster}[$__rate_interval]) '
          '/ node_network_speed_bytes{$cluster} > 0)', "{instance} rx"),
        Q('max by (cluster, instance) (rate(node_network_transmit_bytes_total{device!~"lo|veth.*", $cluster}[$__rate_interval]) '
          '/ node_network_speed_bytes{$cluster} > 0)', "{instance} tx")),
        unit="percentunit", thresholds=(th.NETWORK_BANDWIDTH,), width=6),
    Panel("packet-drops", "Received packet drop ratio per node", "bar", (
        Q('sum by (cluster, instance) (rate(node_network_receive_drop_total{device!~"lo|veth.*", $cluster}[5m])) '
          '/ (sum by (cluster, instance) (rate(node_network_receive_packets_total{device!~"lo|veth.*", $cluster}[5m])) > 0)',
          "{instance}"),),
        unit="percentunit", thresholds=(th.PACKET_DROPS,), width=6),
    Panel("pod-bandwidth", "Pod network traffic by namespace", "timeseries", (
        Q('sum by (namespace) (rate(container_network_receive_bytes_total{$cluster, $namespace}[$__rate_interval]))', "{namespace} rx"),
        Q('sum by (namespace) (rate(container_network_transmit_bytes_total{$cluster, $namespace}[$__rate_interval]))', "{namespace} tx")),
        unit="Bps", width=6, description="cAdvisor pod-level interface counters (container label empty)."),
    Panel("ingress-requests", "Ingress requests per second", "timeseries", (
        Q('sum by (ingress) (rate(nginx_ingress_controller_requests{$cluster, $namespace}[$__rate_interval]))', "{ingress}"),),
        unit="ops", stacked=True, width=6),
    Panel("ingress-table", "Ingress traffic", "table", (
        Q('sum by (namespace, ingress, host) (rate(nginx_ingress_controller_requests{$cluster, $namespace}[5m]))',
          column="Requests/s", unit="ops"),
        Q('sum by (namespace, ingress, host) (rate(nginx_ingress_controller_requests{status=~"5.+", $cluster, $namespace}[5m])) '
          '/ (sum by (namespace, ingress, host) (rate(nginx_ingress_controller_requests{$cluster, $namespace}[5m])) > 0)',
          column="5xx ratio", unit="percentunit"),
        Q('histogram_quantile(0.95, sum by (le, namespace, ingress, host) '
          '(rate(nginx_ingress_controller_request_duration_seconds_bucket{$cluster, $namespace}[5m])))',
          column="p95 latency", unit="s"),
        Q('sum by (namespace, ingress, host) (rate(nginx_ingress_controller_response_size_sum{$cluster, $namespace}[5m]))',
          column="Bytes out/s", unit="Bps")),
        label_columns=("namespace", "ingress", "host"), thresholds=(th.S3_ERRORS,), width=6,
        link=links.NAMESPACE),
    Panel("mesh-traffic", "Service mesh: requests, errors and latency", "table", (
        Q('sum by (source_workload, destination_workload) (rate(istio_requests_total{reporter="destination", '
          '$cluster, $namespace:destination_workload_namespace}[5m]))', column="Requests/s", unit="ops"),
        Q('sum by (source_workload, destination_workload) (rate(istio_requests_total{reporter="destination", '
          'response_code=~"5..", $cluster, $namespace:destination_workload_namespace}[5m])) '
          '/ (sum by (source_workload, destination_workload) (rate(istio_requests_total{reporter="destination", '
          '$cluster, $namespace:destination_workload_namespace}[5m])) > 0)', column="5xx ratio", unit="percentunit"),
        Q('histogram_quantile(0.95, sum by (le, source_workload, destination_workload) '
          '(rate(istio_request_duration_milliseconds_bucket{reporter="destination", '
          '$cluster, $namespace:destination_workload_namespace}[5m])))', column="p95 latency", unit="ms")),
        label_columns=("source_workload", "destination_workload"), thresholds=(th.S3_ERRORS,), width=12,
        description="Istio standard metrics reported by the destination sidecar."),
))

FORECAST = Section("Capacity forecast", (
    Panel("cpu-exhaustion", "CPU: days until exhausted (soonest cluster)", "stat", (
        Q(f'min({cpu_days("$__rate_interval")})', "days"),),  # per step: that step's usage
        unit="none", value_map=NOT_SOON, width=4,
        description="Allocatable minus used CPU, divided by the 24 h usage trend (deriv)."),
    Panel("memory-exhaustion", "Memory: days until exhausted (soonest cluster)", "stat", (
        Q(f'min({MEM_DAYS})', "days"),),
        unit="none", value_map=NOT_SOON, width=4,
        description="Allocatable minus working-set memory, divided by the 24 h trend."),
    Panel("storage-exhaustion", "Storage: days until the first volume is full", "stat", (
        Q(f'min({STORAGE_DAYS})', "days"),),
        unit="none", value_map=NOT_SOON, width=4,
        description="Soonest of PVCs, Ceph, MinIO, Isilon and Oracle tablespaces (6 h trend)."),
    Panel("exhaustion-table", "Expected time to exhaustion (soonest first)", "table", (
        Q(FORECAST_DAYS, column="Days until full", unit="none"),
        Q(FORECAST_USED, column="Used now", unit="percentunit")),
        label_columns=("system", "cluster", "resource"), thresholds=(th.STORAGE_USAGE,), value_map=NOT_SOON,
        sort_desc=False, width=12,
        description="Headroom / growth rate (deriv: 24 h for CPU and memory, 6 h for storage), clamped at 30 days; "
                    "flat or shrinking usage shows 'not within 30 days'."),
    Panel("pvc-forecast", "PVC usage forecast (4 days ahead, top 5)", "timeseries", (
        Q(f'topk(5, max by ({_PVC_K}) (predict_linear(kubelet_volume_stats_used_bytes{{$cluster, $namespace}}[6h], 4 * 86400)) '
          f'/ (max by ({_PVC_K}) (kubelet_volume_stats_capacity_bytes{{$cluster, $namespace}}) > 0))',
          "{namespace}/{persistentvolumeclaim}"),),
        unit="percentunit", thresholds=(th.STORAGE_USAGE,), width=12,
        description="predict_linear over 6 h: above 100% means the volume fills within 4 days (mixin alert form)."),
))

DASHBOARD = CAPACITY = Dashboard(
    "capacity", "Resource Capacity Planning", "/capacity", (COMPUTE, STORAGE, NETWORK, FORECAST),
    description="Compute, storage and network capacity across clusters, and when each resource runs out.",
)
