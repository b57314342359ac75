"""Metric names of exporters that come in more than one common form, and PromQL that reads either.

Catalog modules build their queries for these exporters with the functions below, so each form is
declared once. Every function returns a parenthesised PromQL expression (a union with `or` of the
forms); a platform that runs one form gets that form's series, one that runs both gets the first form
where both exist for the same labels. Sources: `../shared/real-exposition/` (`NOTES.md`, `SOURCES.md`)
and `deploy/exporters/README.md` (the configuration a platform applies).

- Trino: the coordinator's built-in `/metrics` (airlift openmetrics: every ObjectName key in the name,
  `trino_execution_name_QueryManager_RunningQueries`, no labels) or the jmx_exporter java agent
  without rules (`trino_execution_QueryManager_RunningQueries`, further keys as labels such as
  `name="general"`). TimeStats are milliseconds in both.
- Hive Metastore: jmx_exporter over HMS' Codahale JMX beans, with the rules of
  `deploy/exporters/hive-metastore/jmx-exporter.yml` (`hive_metastore_api_95thPercentile{api}`,
  `hikaricp_connections_active{pool}`, ...) or without rules (`metrics_api_get_table_95thPercentile
  {type="timers"}`: the API or pool name is taken out of the metric name with `label_replace`).
  Timer values are milliseconds in both.
- MinIO: metrics v2 (`/minio/v2/metrics/cluster`, label `api` lower-cased: `getobject`) or v3
  (`/minio/metrics/v3/api/requests`, label `name` as MinIO spells the API: `GetObject`); v3 series get
  an `api` label copied from `name` so both read alike.
- Airflow pools: statsd_exporter with the mapping of `deploy/exporters/airflow/statsd-mappings.yml`
  (`airflow_pool_running_slots{pool}`) or with the Helm chart's mapping alone, which leaves the pool in
  the name (`airflow_pool_running_slots_default_pool`).
- Kubernetes and GPU exporters (last section): the kubelet's `/metrics/cadvisor` or `/metrics/resource`,
  kube-state-metrics EndpointSlices or Endpoints, dcgm-exporter `Hostname` or `hostname`, node_exporter
  `MemAvailable` or its parts.
"""
from __future__ import annotations

from typing import Callable

Wrap = Callable[[str], str]


def _same(selector: str) -> str:
    return selector


def _union(parts: list[str]) -> str:
    return "(" + " or ".join(parts) + ")"


def _matchers(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def _selector(name: str, *matchers: str) -> str:
    inner = _matchers(*matchers)
    return f"{name}{{{inner}}}" if inner else name


# --------------------------------------------------------------------------------------------- Trino
# MBean -> ((built-in prefix, extra matchers), (jmx_exporter prefix, extra matchers))
TRINO_FORMS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "QueryManager": (("trino_execution_name_QueryManager_", ""), ("trino_execution_QueryManager_", "")),
    "HeartbeatFailureDetector": (("trino_failuredetector_name_HeartbeatFailureDetector_", ""),
                                 ("trino_failuredetector_HeartbeatFailureDetector_", "")),
    "ClusterSizeMonitor": (("trino_execution_name_ClusterSizeMonitor_", ""), ("trino_execution_ClusterSizeMonitor_", "")),
    "ClusterMemoryPool": (("trino_memory_type_ClusterMemoryPool_name_general_", ""),
                          ("trino_memory_ClusterMemoryPool_", 'name="general"')),
}


def trino(mbean: str, attribute: str, matchers: str = "$cluster, $namespace", wrap: Wrap = _same) -> str:
    """PromQL reading Trino's `attribute` of `mbean` from either form.

    `wrap` receives each form's selector (e.g. `lambda s: f"increase({s}[1h])"`): range functions need
    a selector, so a form is wrapped before the union. Raises KeyError for an unknown MBean.
    """
    return _union([wrap(_selector(prefix + attribute, extra, matchers)) for prefix, extra in TRINO_FORMS[mbean]])


def trino_names(mbean: str, attribute: str) -> tuple[str, ...]:
    """The metric names of `attribute` in each Trino form (built-in first)."""
    return tuple(prefix + attribute for prefix, _ in TRINO_FORMS[mbean])


# ------------------------------------------------------------------------------------ Hive Metastore
_TIMERS, _GAUGES, _COUNTERS = 'type="timers"', 'type="gauges"', 'type="counters"'
HMS_TIMER = "hive_metastore_api_"   # + Count|Mean|95thPercentile|99thPercentile, label api (rules form)


def hms_api(stat: str, matchers: str = "$cluster, $namespace", apis: str = "") -> str:
    """Per-API timer attribute `stat` (Count, Mean, 95thPercentile, 99thPercentile; ms) with an `api` label.

    `apis` is an optional regex alternation of Thrift call names (e.g. "get_table|get_database").
    """
    rules_sel = _matchers(f'api=~"{apis}"' if apis else "", matchers)
    name_re = f"metrics_api_({apis})_{stat}" if apis else f"metrics_api_.+_{stat}"
    default = (f'label_replace({{__name__=~"{name_re}", {_matchers(_TIMERS, matchers)}}}, '
               f'"api", "$1", "__name__", "metrics_api_(.+)_{stat}")')
    return _union([_selector(HMS_TIMER + stat, rules_sel), default])


def hms_api_rate(window: str, matchers: str = "$cluster, $namespace") -> str:
    """Calls per second of each API over `window` (the timers' Count), labelled `api`.

    Without rules the API is in the metric name, which `rate()` drops: that form takes the rate of a
    one-minute subquery of the relabelled series.
    """
    default = (f'rate(label_replace({{__name__=~"metrics_api_.+_Count", {_matchers(_TIMERS, matchers)}}}, '
               f'"api", "$1", "__name__", "metrics_api_(.+)_Count")[{window}:1m])')
    return _union([f"rate({_selector(HMS_TIMER + 'Count', matchers)}[{window}])", default])


# name with rules -> (name without rules, JMX type key)
HMS_GAUGES = {
    "hive_metastore_open_connections": ("metrics_open_connections_Count", "counters"),
    "hive_metastore_num_locks": ("metrics_num_locks_Value", "gauges"),
    "hive_metastore_oldest_lock_age_in_sec": ("metrics_oldest_lock_age_in_sec_Value", "gauges"),
}


def hms_gauge(name: str, matchers: str = "$cluster, $namespace") -> str:
    """One HMS gauge (see HMS_GAUGES) from either form."""
    default, jmx_type = HMS_GAUGES[name]
    return _union([_selector(name, matchers), _selector(default, f'type="{jmx_type}"', matchers)])


def hms_directsql_errors_rate(window: str, matchers: str = "$cluster, $namespace") -> str:
    """Direct SQL failures per second (HMS falls back to JDO): the only error counter HMS keeps."""
    return _union([f"rate({_selector('hive_metastore_directsql_errors', matchers)}[{window}])",
                   f"rate(metrics_directsql_errors_Count{{{_matchers(_COUNTERS, matchers)}}}[{window}])"])


# HikariCP pool gauge: rules form name -> Codahale attribute
HMS_POOL = {"active": "ActiveConnections", "idle": "IdleConnections", "pending": "PendingConnections",
            "max": "MaxConnections"}


def hms_pool(stat: str, matchers: str = "$cluster, $namespace") -> str:
    """HikariCP pool gauge `stat` (active, idle, pending, max) of the metastore, labelled `pool`."""
    attr = HMS_POOL[stat]
    default = (f'label_replace({{__name__=~"metrics_.+_pool_{attr}_Value", {_matchers(_GAUGES, matchers)}}}, '
               f'"pool", "$1", "__name__", "metrics_(.+)_pool_{attr}_Value")')
    return _union([_selector(f"hikaricp_connections_{stat}", matchers), default])


# --------------------------------------------------------------------------------------------- MinIO
_S3 = 'type="s3"'
MINIO_V2 = {  # v2 name -> v3 name (v3 labels the API `name`, v2 `api`)
    "minio_s3_requests_total": "minio_api_requests_total",
    "minio_s3_requests_errors_total": "minio_api_requests_errors_total",
    "minio_s3_requests_4xx_errors_total": "minio_api_requests_4xx_errors_total",
    "minio_s3_requests_5xx_errors_total": "minio_api_requests_5xx_errors_total",
    "minio_s3_requests_ttfb_seconds_distribution": "minio_api_requests_ttfb_seconds_distribution",
    "minio_s3_traffic_received_bytes": "minio_api_requests_traffic_received_bytes",
    "minio_s3_traffic_sent_bytes": "minio_api_requests_traffic_sent_bytes",
}


def minio(v2_name: str, matchers: str = "$cluster, $namespace", wrap: Wrap = _same, apis: str = "") -> str:
    """An S3 request family of MinIO from metrics v2 or v3, with the API in label `api`.

    `apis` is a case-insensitive regex alternation of API names (v2 lower-cases them, v3 does not).
    """
    v3_name = MINIO_V2[v2_name]
    v2_api = f'api=~"(?i)({apis})"' if apis else ""
    v3_api = f'name=~"(?i)({apis})"' if apis else ""
    v2 = _selector(v2_name, v2_api, matchers)
    v3 = _selector(v3_name, v3_api, _S3, matchers)
    if "traffic" in v2_name:
        return _union([wrap(v2), wrap(v3)])
    return _union([wrap(v2), f'label_replace({wrap(v3)}, "api", "$1", "name", "(.*)")'])


# ------------------------------------------------------------------------------------ Airflow pools
def airflow_pool(stat: str, matchers: str = "$cluster, $namespace") -> str:
    """Airflow pool gauge `stat` (running_slots, queued_slots, open_slots, starving_tasks) labelled `pool`.

    The Helm chart's mapping labels open_slots and starving_tasks only; the shipped mapping labels all.
    """
    name = f"airflow_pool_{stat}"
    unmapped = (f'label_replace({{__name__=~"{name}_.+", {matchers}}}, "pool", "$1", "__name__", "{name}_(.+)")'
                if matchers else
                f'label_replace({{__name__=~"{name}_.+"}}, "pool", "$1", "__name__", "{name}_(.+)")')
    return _union([_selector(name, matchers), unmapped])


# ----------------------------------------------------------------------------- Kubernetes and GPU exporters
# cAdvisor container series. The kubelet's /metrics/cadvisor labels them container, pod, namespace, image,
# id, name (pod-level cgroups have container=""); its /metrics/resource endpoint (metrics-server's source)
# labels container_cpu_usage_seconds_total and container_memory_working_set_bytes with container, pod and
# namespace only. `image!=""` would drop the latter, so containers are selected by name alone; "POD" is the
# sandbox (pause) container of dockershim-era kubelets.
CONTAINERS = 'container!="", container!="POD"'


def container_cpu(window: str = "5m", matchers: str = "$cluster, $namespace") -> str:
    """CPU used per container (cores): cAdvisor's counter of the CONTAINERS series rated over `window`
    (`$__rate_interval` where each point must cover its step)."""
    return f"rate(container_cpu_usage_seconds_total{{{CONTAINERS}, {matchers}}}[{window}])"


def dcgm(metric: str, matchers: str = "$cluster") -> str:
    """A dcgm-exporter gauge with the GPU's host in `hostname`, whatever the release calls it.

    Released dcgm-exporter (up to 4.5.x) labels the host `Hostname`; its main branch renamed it to
    `hostname` (NVIDIA/dcgm-exporter#655). Series of either form get `hostname`; both labels are kept,
    so `by (hostname, ...)` groups the two forms together.
    """
    return f'label_replace({metric}{{{matchers}}}, "hostname", "$1", "Hostname", "(.+)")'


def node_memory_available(matchers: str = "$cluster") -> str:
    """node-exporter's available memory (bytes): MemAvailable, or free + buffers + page cache on kernels
    (and fixtures) without MemAvailable, as node-exporter's own mixin did."""
    return (f'(node_memory_MemAvailable_bytes{{{matchers}}} or (node_memory_MemFree_bytes{{{matchers}}} '
            f'+ node_memory_Buffers_bytes{{{matchers}}} + node_memory_Cached_bytes{{{matchers}}}))')


def endpoints_not_ready(matchers: str = "$cluster, $namespace") -> str:
    """One series (value 1) per not-ready address of a Service, labelled namespace, endpoint, address.

    kube-state-metrics >= 2.18 collects EndpointSlices by default (`kube_endpointslice_endpoints`, one slice
    per Service named `<service>-<5 random characters>`); earlier releases, or `--resources=...,endpoints`,
    give `kube_endpoint_address{endpoint, ip}`. Both are read; an address seen in both counts once.
    """
    slices = (f'label_replace(label_replace(kube_endpointslice_endpoints{{ready="false", {matchers}}}, '
              f'"endpoint", "$1", "endpointslice", "(.+)"), "endpoint", "$1", "endpoint", "(.+)-[a-z0-9]{{5}}")')
    endpoints = (f'label_replace(kube_endpoint_address{{ready="false", {matchers}}}, '
                 f'"address", "$1", "ip", "(.+)")')
    return f'max by (cluster, namespace, endpoint, address) ({endpoints} or {slices})'
