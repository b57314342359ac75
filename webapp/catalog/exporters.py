"""Which exporter emits which metric, and in which form: data, one place.

`exporter_of(metric)` names the exporter of a metric by the longest matching prefix (or exact name) of
`EXPORTERS`; the prefixes are taken from what the exporters emit (the real-exporter corpus, see
`tests/unit/test_exporters.py`, which checks every corpus metric maps to the exporter of its file).
A `Form` tells apart two common shapes of one exporter by a PromQL selector that exists only in that
shape (a bare metric name is looked up in the data source's metric inventory; a selector with
matchers is counted by a query).

`required` exporters are those every Level 1 page leans on: `dataops-monitor doctor` fails without them.
"""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Form:
    name: str
    selector: str          # PromQL selector present only in this form
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Exporter:
    name: str              # also the corpus file stem where the corpus has one
    title: str
    prefixes: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    forms: tuple[Form, ...] = ()
    required: bool = False
    in_corpus: bool = True  # a real exporter with output in the corpus; False: a contract or app metrics


EXPORTERS: tuple[Exporter, ...] = (
    Exporter("kube-state-metrics", "kube-state-metrics", ("kube_",), required=True, forms=(
        Form("endpointslices", "kube_endpointslice_endpoints", "default since v2.18"),
        Form("endpoints", "kube_endpoint_address", "--resources=...,endpoints"),
    )),
    Exporter("cadvisor-kubelet", "kubelet / cAdvisor", ("container_", "kubelet_", "machine_", "cadvisor_"),
             required=True),
    Exporter("node_exporter", "node_exporter", ("node_",), required=True),
    Exporter("opencost", "OpenCost", ("opencost_", "kubecost_"),
             exact=("node_cpu_hourly_cost", "node_ram_hourly_cost", "node_gpu_hourly_cost", "node_total_hourly_cost",
                    "pv_hourly_cost", "container_cpu_allocation", "container_memory_allocation_bytes",
                    "container_gpu_allocation")),
    Exporter("dcgm-exporter", "NVIDIA DCGM exporter", ("DCGM_",), forms=(
        Form("Hostname label (released versions)", 'DCGM_FI_DEV_GPU_UTIL{Hostname!=""}'),
        Form("hostname label (newer versions)", 'DCGM_FI_DEV_GPU_UTIL{hostname!=""}'),
    )),
    Exporter("ingress-nginx", "ingress-nginx controller", ("nginx_ingress_controller_",)),
    Exporter("argocd", "Argo CD", ("argocd_",), forms=(
        Form("3.1 or later", "argocd_app_sync_duration_seconds_total", "sync duration counter"),
        Form("any version", "argocd_app_info"),
    )),
    Exporter("jenkins", "Jenkins Prometheus plugin", ("default_jenkins_", "jenkins_")),
    Exporter("spark", "Spark (PrometheusServlet, executor endpoint) and spark-operator",
             ("metrics_executor_", "spark_", "metrics_driver_")),
    Exporter("airflow-statsd", "Airflow via statsd_exporter", ("airflow_",)),
    Exporter("trino", "Trino", ("trino_", "io_airlift_"), forms=(
        Form("built-in /metrics", "trino_execution_name_QueryManager_RunningQueries"),
        Form("JMX exporter", "trino_execution_QueryManager_RunningQueries"),
    )),
    Exporter("hive-metastore", "Hive Metastore via jmx_exporter",
             ("hive_metastore_", "hikaricp_", "metrics_api_", "metrics_num_", "metrics_open_", "metrics_oldest_",
              "metrics_objectstore_", "metrics_directsql_"), forms=(
        Form("project jmx_exporter rules", "hive_metastore_api_Count"),
        Form("jmx_exporter default names", "metrics_num_locks_Value"),
    )),
    Exporter("minio", "MinIO", ("minio_",), forms=(
        Form("metrics v2", "minio_s3_requests_total"),
        Form("metrics v3", "minio_api_requests_total"),
    )),
    Exporter("ceph", "Ceph mgr prometheus module / ceph-exporter", ("ceph_",), forms=(
        Form("OSD perf counters (ceph-exporter)", "ceph_osd_op_r"),
        Form("mgr module", "ceph_health_status"),
    )),
    Exporter("isilon", "PowerScale (Isilon) data insights", ("isilon_",)),
    Exporter("oracledb", "Oracle DB exporter", ("oracledb_",)),
    Exporter("istio", "Istio (service mesh)", ("istio_",), in_corpus=False),
    Exporter("iceberg", "Iceberg table exporter (metric contract)", ("iceberg_",), in_corpus=False),
    Exporter("bitbucket", "Bitbucket exporter (metric contract)", ("git_", "bitbucket_"), in_corpus=False),
    Exporter("journey", "Pipeline journey and data-quality exporter (metric contract)", ("pipeline_", "dq_"),
             in_corpus=False),
    Exporter("portal", "Portal HTTP instrumentation", ("http_request",), in_corpus=False),
    Exporter("jvm", "JVM client (Java services)", ("jvm_",), in_corpus=False),
    Exporter("prometheus", "Prometheus itself", (), exact=("up", "ALERTS", "ALERTS_FOR_STATE"), in_corpus=False),
)

BY_NAME = {e.name: e for e in EXPORTERS}
_EXACT = {m: e for e in EXPORTERS for m in e.exact}
_PREFIXES = sorted(((p, e) for e in EXPORTERS for p in e.prefixes), key=lambda pe: -len(pe[0]))


def exporter_of(metric: str) -> Exporter | None:
    """The exporter that emits `metric` (exact names first, then the longest prefix); None if unknown."""
    if metric in _EXACT:
        return _EXACT[metric]
    return next((e for p, e in _PREFIXES if metric.startswith(p)), None)
