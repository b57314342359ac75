"""Every threshold of the design, declared once.

Tiles, panel threshold lines and the generated alert rules all read these objects; change a
value here and all three move together. Values are in the unit of the signal that uses them
(ratios as 0-1, durations in seconds).
"""
from __future__ import annotations

from .model import Threshold

T = Threshold

# Stage 1: GitOps deployment pipeline
JENKINS_SUCCESS_RATE = T("jenkins_success_rate", "Jenkins build success rate", 0.95, "below", "P2", "percentunit", "gitops", "15m")
JENKINS_BUILD_DURATION = T("jenkins_build_duration", "Jenkins build duration", 600, "above", "P2", "s", "gitops", "15m")
JENKINS_QUEUE = T("jenkins_queue", "Jenkins queue length", 10, "above", "P2", "short", "gitops", "10m")
ARGOCD_UNHEALTHY = T("argocd_unhealthy", "Argo CD application not Healthy", 0, "above", "P1", "short", "gitops", "5m")
ARGOCD_SYNC_DURATION = T("argocd_sync_duration", "Argo CD sync duration", 300, "above", "P1", "s", "gitops", "5m")
POD_NOT_READY = T("pod_not_ready", "Pods not ready", 0, "above", "P2", "short", "gitops", "10m")
CONTAINER_RESTARTS = T("container_restarts", "Container restarts per hour", 3, "above", "P2", "short", "gitops", "5m")

# Stage 2: deployment verification
POD_NOT_RUNNING = T("pod_not_running", "Pods Pending, Failed or Unknown", 0, "above", "P1", "short", "gitops", "15m")
POD_EVICTED = T("pod_evicted", "Evicted pods", 0, "above", "P1", "short", "gitops", "0m")
TARGET_DOWN = T("target_down", "Scrape target or service down", 1, "below", "P2", "short", "gitops", "5m")
POD_STARTUP = T("pod_startup", "Pod start-up time", 300, "above", "P3", "s", "gitops", "0m")

# Stage 3: resource capacity
CPU_USAGE = T("cpu_usage", "CPU usage", 0.80, "above", "P2", "percentunit", "capacity", "15m")
CPU_THROTTLING = T("cpu_throttling", "CPU throttling", 0.10, "above", "P2", "percentunit", "capacity", "15m")
MEMORY_USAGE = T("memory_usage", "Memory usage", 0.85, "above", "P1", "percentunit", "capacity", "15m")
OOM_KILLED = T("oom_killed", "OOM-killed containers", 0, "above", "P1", "short", "capacity", "0m")
STORAGE_USAGE = T("storage_usage", "Storage usage", 0.80, "above", "P2", "percentunit", "capacity", "10m")
NETWORK_BANDWIDTH = T("network_bandwidth", "Network bandwidth usage", 0.80, "above", "P3", "percentunit", "capacity", "15m")
PACKET_DROPS = T("packet_drops", "Packet drop ratio", 0.01, "above", "P3", "percentunit", "capacity", "15m")

# Stage 4: workload execution
SPARK_FAILURES = T("spark_failures", "Spark application failures", 0, "above", "P2", "short", "workloads", "5m")
SPARK_MEMORY = T("spark_executor_memory", "Spark executor memory usage", 0.90, "above", "P2", "percentunit", "workloads", "10m")
SPARK_GC = T("spark_gc_ratio", "Spark GC time ratio", 0.10, "above", "P2", "percentunit", "workloads", "15m")
AIRFLOW_DAG_FAILED = T("airflow_dag_failed", "Airflow DAG runs failed", 0, "above", "P2", "short", "workloads", "0m")
AIRFLOW_HEARTBEAT = T("airflow_heartbeat", "Airflow scheduler heartbeat age", 30, "above", "P2", "s", "workloads", "1m")
TRINO_FAILURES = T("trino_failure_ratio", "Trino query failure ratio", 0.05, "above", "P2", "percentunit", "workloads", "10m")
TRINO_WALL_TIME = T("trino_wall_time", "Trino query wall time p95", 600, "above", "P2", "s", "workloads", "15m")
TRINO_WORKERS = T("trino_workers", "Trino active workers ratio", 0.80, "below", "P2", "percentunit", "workloads", "5m")

# Stage 5: data pipeline
ICEBERG_FILES = T("iceberg_files", "Iceberg data files per table", 10000, "above", "P3", "short", "pipeline", "1h")
ICEBERG_SNAPSHOTS = T("iceberg_snapshots", "Iceberg snapshots per table", 100, "above", "P3", "short", "pipeline", "1h")
HMS_RESPONSE = T("hms_response", "Hive Metastore response time p95", 1, "above", "P2", "s", "pipeline", "10m")
HMS_POOL = T("hms_pool", "Hive Metastore connection pool usage", 0.80, "above", "P2", "percentunit", "pipeline", "10m")
S3_LATENCY = T("s3_latency", "S3 request latency p95", 0.1, "above", "P3", "s", "pipeline", "15m")
S3_ERRORS = T("s3_errors", "S3 error ratio", 0.01, "above", "P3", "percentunit", "pipeline", "15m")
ORACLE_POOL = T("oracle_pool", "Oracle session pool usage", 0.90, "above", "P2", "percentunit", "pipeline", "10m")
ORACLE_QUERY = T("oracle_query", "Oracle query time", 5, "above", "P2", "s", "pipeline", "15m")
ORACLE_TABLESPACE = T("oracle_tablespace", "Oracle tablespace usage", 0.85, "above", "P2", "percentunit", "pipeline", "30m")
STORAGE_LATENCY = T("storage_latency", "Ceph/Isilon latency", 0.010, "above", "P3", "s", "pipeline", "15m")
STORAGE_DISK_USAGE = T("storage_disk_usage", "Ceph/Isilon disk usage", 0.80, "above", "P3", "percentunit", "pipeline", "30m")

# Stage 6: end to end (SLIs with targets)
PIPELINE_DURATION = T("pipeline_duration", "End-to-end pipeline duration", 3600, "above", "P2", "s", "e2e", "15m")
DATA_QUALITY = T("data_quality", "Data quality score", 0.95, "below", "P3", "percentunit", "e2e", "30m")
IDLE_RATIO = T("idle_ratio", "Resource idle ratio", 0.20, "above", "P4", "percentunit", "optimize", "1h")
PLATFORM_AVAILABILITY = T("platform_availability", "Platform availability", 0.999, "below", "P1", "percentunit", "e2e", "5m")


# Additions by domain (append below the marker of your domain; keep ALL last).
# --- capacity/optimize additions ---
# --- workloads additions ---
SPARK_DURATION_SLA = T("spark_duration_sla", "Spark application run time (SLA)", 3600, "above", "P2", "s", "workloads", "0m")
AIRFLOW_TASK_SLA = T("airflow_task_sla", "Airflow task duration (SLA)", 1800, "above", "P2", "s", "workloads", "0m")
# --- pipeline additions ---
ICEBERG_DATA_LOSS = T("iceberg_data_loss", "Iceberg data files deleted unexpectedly", 0, "above", "P1", "short", "pipeline", "0m")
# --- e2e additions ---
PIPELINE_SLA = T("pipeline_sla", "Pipeline runs finished within 1 h", 0.999, "below", "P2", "percentunit", "e2e", "1h")


ALL: tuple[Threshold, ...] = tuple(v for v in globals().values() if isinstance(v, Threshold))
