"""Design coverage: every item of the user's design (docs platform-design.md) and the panels that show it.

Data only. One `DesignItem` per item of the design's Level 1 trees 1.1-1.6 (section 3), the Level 2
Spark job drill-down, and the "what to monitor" column of the stage 1-6 tables (section 2). Item
texts are the design's, verbatim, so they can be checked against the document.

An item lists a panel only when that panel's PromQL (or REST resource) really shows it. A `note` on
a covered item says how it is shown; a note starting "Partial:" (a part is missing) or "Proxy:" (a
stand-in signal) marks a caveat. An item with `panels=()` is not shown anywhere and its note says why,
naming the nearest panels in backticks.

This module must not import the catalog package (the package imports every module in it at start-up);
`coverage_report.py` joins these ids to the catalog.
"""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class DesignItem:
    section: str
    group: str
    item: str
    panels: tuple[str, ...] = ()
    note: str = ""

    @property
    def covered(self) -> bool:
        return bool(self.panels)

    @property
    def caveat(self) -> bool:
        """Covered only in part, or through a stand-in signal (the note says which)."""
        return self.covered and self.note.startswith(CAVEATS)


D = DesignItem
CAVEATS = ("Partial:", "Proxy:")  # a note on a covered item that starts so marks a caveat

S11 = "1.1 GitOps Deployment Pipeline"
S12 = "1.2 Resource Capacity Planning"
S13 = "1.3 Workload Execution"
S14 = "1.4 Data Pipeline Health"
S15 = "1.5 Optimization & Troubleshooting"
S16 = "1.6 End-to-End Analytics"
L2 = "Level 2: Spark job drill-down"
ST1 = "Stage 1: GitOps deployment pipeline"
ST2 = "Stage 2: deployment verification"
ST3 = "Stage 3: resource capacity"
ST4 = "Stage 4: workload execution"
ST5 = "Stage 5: data pipeline"
ST6 = "Stage 6: end-to-end"

SECTIONS = (S11, S12, S13, S14, S15, S16, L2, ST1, ST2, ST3, ST4, ST5, ST6)

# shared notes ------------------------------------------------------------------------------------
_OUT_OF_SYNC = ("Not exported by Argo CD: no metric has the sync state of each resource (only the API's "
                "status.resources). Per-application OutOfSync is shown instead in `argocd-out-of-sync-count` and "
                "`argocd-apps` (with orphaned resources per application).")
_HMS_LOCK = ("Proxy: the ACID lock table has no wait timer; the oldest lock's age bounds how long a waiter "
             "can have waited.")
_STAGE_TIME = ("Partial: per application only, from the Spark History Server REST API (Level 2); Spark exports no "
               "stage-duration metric, so there is no Level 1 panel or alert on stage time.")

ITEMS: tuple[DesignItem, ...] = (
    # ---------------------------------------------------------------- 1.1 GitOps Deployment Pipeline
    D(S11, "Bitbucket activity", "commit frequency (hourly)", ("git-commit-frequency",)),
    D(S11, "Bitbucket activity", "PR state (Open/Merged/Declined)", ("git-pull-requests",)),
    D(S11, "Bitbucket activity", "activity per branch", ("git-branch-activity",)),
    D(S11, "Jenkins CI", "build success rate (by time of day)",
      ("jenkins-success-by-hour", "jenkins-success-rate", "jenkins-jobs")),
    D(S11, "Jenkins CI", "running jobs", ("jenkins-running",),
      "Proxy: builds running = executors in use (Jenkins exports no per-build running gauge)."),
    D(S11, "Jenkins CI", "queue wait time", ("jenkins-queue-wait", "l2-jenkins-last-wait")),
    D(S11, "Jenkins CI", "build duration (per job)", ("jenkins-build-duration", "jenkins-jobs", "l2-jenkins-duration")),
    D(S11, "Argo CD", "application sync state", ("argocd-sync-status", "argocd-apps", "l2-argocd-sync-timeline")),
    D(S11, "Argo CD", "health status",
      ("argocd-health-status", "argocd-unhealthy", "argocd-apps", "l2-argocd-health-timeline")),
    D(S11, "Argo CD", "out-of-sync resources", (), _OUT_OF_SYNC),
    D(S11, "Argo CD", "sync duration", ("argocd-sync-duration", "l2-argocd-sync-duration"),
      "Average per sync (argocd_app_sync_duration_seconds_total, Argo CD v3.1+)."),
    D(S11, "Deployment verification", "pod status by namespace", ("pod-status-by-namespace", "pod-phase-trend")),
    D(S11, "Deployment verification", "container restart count",
      ("container-restarts", "restarts-trend", "pod-problems")),
    D(S11, "Deployment verification", "image pull status", ("image-pull-status", "pod-problems"),
      "Partial: pull failures (ErrImagePull, ImagePullBackOff, InvalidImageName); successful pulls have no metric."),
    D(S11, "Deployment verification", "rollout history", ("rollout-history", "l2-ns-rollouts", "l2-argocd-syncs"),
      "Deployment rollouts from ReplicaSet creation times; Argo CD syncs per application at Level 2."),

    # ---------------------------------------------------------------- 1.2 Resource Capacity Planning
    D(S12, "Compute", "CPU usage per cluster", ("cpu-usage-per-cluster", "cpu-used")),
    D(S12, "Compute", "memory usage per cluster", ("memory-usage-per-cluster", "memory-used")),
    D(S12, "Compute", "resources per node", ("node-resources", "l2-node-cpu", "l2-node-memory", "l2-node-requests")),
    D(S12, "Compute", "GPU availability (where present)", ("gpu-availability", "gpu-free", "gpu-utilisation")),
    D(S12, "Storage", "PVC usage top 10", ("pvc-usage-top10",)),
    D(S12, "Storage", "S3 bucket size trend", ("s3-bucket-size", "pipeline-s3-bucket-size")),
    D(S12, "Storage", "Ceph cluster state",
      ("ceph-health", "ceph-used", "ceph-pools", "pipeline-ceph-health", "ceph-osds-down")),
    D(S12, "Storage", "Isilon capacity", ("isilon-capacity", "isilon-quotas", "isilon-usage-now")),
    D(S12, "Storage", "Oracle tablespace usage", ("oracle-tablespaces", "pipeline-oracle-tablespaces")),
    D(S12, "Network", "bandwidth usage", ("node-bandwidth", "pod-bandwidth")),
    D(S12, "Network", "Ingress traffic", ("ingress-requests", "ingress-table")),
    D(S12, "Network", "service-mesh metrics", ("mesh-traffic", "mesh-slowest")),
    D(S12, "Capacity forecast", "expected CPU exhaustion time", ("cpu-exhaustion", "exhaustion-table")),
    D(S12, "Capacity forecast", "expected memory exhaustion time", ("memory-exhaustion", "exhaustion-table")),
    D(S12, "Capacity forecast", "expected storage exhaustion time",
      ("storage-exhaustion", "exhaustion-table", "pvc-forecast", "ceph-capacity", "l2-pvc-forecast")),

    # ---------------------------------------------------------------- 1.3 Workload Execution
    D(S13, "Spark", "active jobs", ("spark-active-apps", "spark-running-trend"),
      "Counted as running SparkApplications (spark-operator), not the Spark jobs inside an application."),
    D(S13, "Spark", "job run-time distribution", ("spark-runtime-distribution", "spark-exec-time"),
      "Partial: run time per application run (longest 15) and average run time; the operator's run-time metric is a "
      "summary, so there is no histogram across runs."),
    D(S13, "Spark", "executor usage", ("spark-executor-usage", "spark-running-trend", "spark-executor-memory")),
    D(S13, "Spark", "shuffle read/write", ("spark-shuffle",)),
    D(S13, "Spark", "GC time ratio", ("spark-gc-ratio", "spark-jvm-gc")),
    D(S13, "Airflow", "DAG run success rate", ("airflow-dag-success-rate", "airflow-dags")),
    D(S13, "Airflow", "task duration heatmap", ("airflow-task-heatmap",)),
    D(S13, "Airflow", "scheduler delay", ("airflow-schedule-delay", "airflow-dags")),
    D(S13, "Airflow", "worker pool usage", ("airflow-pool-usage", "airflow-pool-waiting", "airflow-executor")),
    D(S13, "Trino", "running queries", ("trino-running", "trino-queries")),
    D(S13, "Trino", "query wall time", ("trino-wall-time", "trino-wall-time-max")),
    D(S13, "Trino", "worker node state", ("trino-workers", "trino-workers-ratio")),
    D(S13, "Trino", "memory pool usage", ("trino-memory", "trino-memory-bytes")),
    D(S13, "Cross-application", "overall job success rate", ("cross-success-rate", "cross-success-trend")),
    D(S13, "Cross-application", "resource usage compared", ("cross-cpu", "cross-memory")),
    D(S13, "Cross-application", "run-time trend", ("cross-runtime-trend",)),

    # ---------------------------------------------------------------- 1.4 Data Pipeline Health
    D(S14, "Iceberg", "table metadata size", ("iceberg-metadata-size", "iceberg-tables", "l2-iceberg-size")),
    D(S14, "Iceberg", "snapshot count trend", ("iceberg-snapshots-trend", "l2-iceberg-snapshots")),
    D(S14, "Iceberg", "file count (small-file ratio)",
      ("iceberg-files-trend", "iceberg-small-file-ratio", "iceberg-small-files-by-table", "l2-iceberg-files")),
    D(S14, "Iceberg", "tables needing compaction", ("iceberg-needs-compaction", "iceberg-tables-over-files")),
    D(S14, "Hive Metastore", "response time", ("hms-response-time", "hms-get-table-p95", "hms-apis")),
    D(S14, "Hive Metastore", "connection-pool usage", ("hms-pool-usage", "hms-pool-usage-now", "hms-pool-pending")),
    D(S14, "Hive Metastore", "lock wait time", ("hms-lock-wait", "hms-oldest-lock"), _HMS_LOCK),
    D(S14, "Hive Metastore", "error rate", ("hms-error-rate", "hms-error-ratio-now"),
      "Proxy: HMS keeps no per-API error counter; its direct SQL error count (`directsql_errors`) per API call."),
    D(S14, "S3/MinIO", "GET/PUT latency", ("s3-latency",), "Time to first byte (MinIO's request-time histogram)."),
    D(S14, "S3/MinIO", "4xx/5xx error rate", ("s3-error-rate", "s3-errors-range")),
    D(S14, "S3/MinIO", "bucket size trend", ("pipeline-s3-bucket-size", "s3-buckets", "l2-bucket-size")),
    D(S14, "S3/MinIO", "object count", ("s3-object-count", "s3-buckets", "l2-bucket-objects")),
    D(S14, "Oracle DB", "connection-pool usage", ("oracle-pool", "oracle-pool-now"),
      "Database side: sessions and processes against their limits."),
    D(S14, "Oracle DB", "query time", ("oracle-query-time", "oracle-query-time-trend"),
      "Custom gv$sqlstats metric (elapsed / executions); the stock exporter has no per-query time."),
    D(S14, "Oracle DB", "tablespace usage",
      ("pipeline-oracle-tablespaces", "oracle-tablespace-trend", "oracle-tablespace-max", "l2-tablespace-usage")),
    D(S14, "Oracle DB", "lock wait events", ("oracle-lock-waits", "oracle-blocked", "oracle-blocked-now")),
    D(S14, "Storage (Ceph/Isilon)", "IOPS trend", ("storage-iops",)),
    D(S14, "Storage (Ceph/Isilon)", "throughput", ("storage-throughput",)),
    D(S14, "Storage (Ceph/Isilon)", "latency", ("storage-latency", "ceph-osd-latency")),
    D(S14, "Storage (Ceph/Isilon)", "disk usage",
      ("ceph-usage", "ceph-usage-now", "isilon-usage-now", "ceph-osd-usage", "pipeline-ceph-pools",
       "pipeline-isilon-quotas")),

    # ---------------------------------------------------------------- 1.5 Optimization & Troubleshooting
    D(S15, "Performance analysis", "slow queries (Trino)", ("trino-slow-queries",),
      "Partial: execution-time percentiles per cluster; Trino exports no per-query list, so the slow queries "
      "themselves are not named."),
    D(S15, "Performance analysis", "long-running jobs (Spark)", ("spark-long-running", "spark-runtime-distribution")),
    D(S15, "Performance analysis", "failed tasks (Airflow)",
      ("airflow-task-failures", "airflow-failed-tasks", "airflow-ti-failed"),
      "Partial: task failures carry no DAG/task label in the statsd mapping: counted per cluster; failed DAG runs "
      "are shown per DAG."),
    D(S15, "Performance analysis", "bottleneck analysis", ("bottlenecks", "mesh-slowest")),
    D(S15, "Error analysis", "error frequency by category", ("errors-by-category", "errors-category-range")),
    D(S15, "Error analysis", "top 10 error messages", ("top-error-reasons",),
      "Proxy: top 10 error reasons (termination, waiting and pod reasons, failure counters), not free-text "
      "messages: no log backend is queried. Spark failure messages appear per application in "
      "`l2-spark-stage-table` and `l2-spark-events`."),
    D(S15, "Error analysis", "failed pod analysis", ("failed-pods",)),
    D(S15, "Error analysis", "OOM kill events", ("oom-events", "oom-table", "oom-kills")),
    D(S15, "Cost optimization", "resource idle ratio", ("cpu-idle-ratio", "memory-idle-ratio", "idle-ratio-trend")),
    D(S15, "Cost optimization", "over-provisioned workloads", ("over-provisioned",)),
    D(S15, "Cost optimization", "cost trend (compute/storage)", ("cost-trend", "monthly-cost")),
    D(S15, "Cost optimization", "savings recommendations", ("savings-by-namespace", "potential-savings")),
    D(S15, "Recommendations", "scaling recommendations", ("scaling",)),
    D(S15, "Recommendations", "resource right-sizing", ("right-sizing",)),
    D(S15, "Recommendations", "configuration tuning suggestions", ("tuning",)),

    # ---------------------------------------------------------------- 1.6 End-to-End Analytics
    D(S16, "Pipeline overview", "whole pipeline map", ("e2e-pipeline-map",)),
    D(S16, "Pipeline overview", "time per stage", ("e2e-stage-time-trend", "e2e-segment-latency")),
    D(S16, "Pipeline overview", "bottleneck highlight", ("e2e-pipeline-map", "e2e-segment-latency"),
      "The slowest segment is drawn red on the map; the segment table is sorted slowest first."),
    D(S16, "Pipeline overview", "SLA compliance", ("e2e-sla-compliance", "e2e-sla-breaches", "e2e-pipelines")),
    D(S16, "Data journey", "Portal → Git → Jenkins → Argo CD → K8s", ("e2e-deploy-journey", "e2e-pipeline-map", "e2e-last-journey")),
    D(S16, "Data journey", "Application → Iceberg → Storage", ("e2e-data-journey", "e2e-pipeline-map", "e2e-last-data-journey")),
    D(S16, "Data journey", "latency of each segment", ("e2e-segment-latency",)),
    D(S16, "Service level indicators", "availability (99.9% target)",
      ("e2e-availability", "e2e-availability-30d", "e2e-critical-services")),
    D(S16, "Service level indicators", "latency (P50/P95/P99)", ("e2e-latency",),
      "Portal request latency."),
    D(S16, "Service level indicators", "error rate", ("e2e-error-rate", "e2e-error-trend"), "Portal 5xx ratio."),
    D(S16, "Service level indicators", "throughput", ("e2e-throughput", "e2e-throughput-trend"),
      "Portal requests per second."),
    D(S16, "Business metrics", "data volume processed", ("e2e-data-volume", "e2e-volume-trend")),
    D(S16, "Business metrics", "jobs completed", ("e2e-jobs-completed", "e2e-jobs-trend")),
    D(S16, "Business metrics", "user request processing time", ("e2e-request-time", "e2e-request-time-handler")),
    D(S16, "Business metrics", "platform utilisation", ("e2e-utilisation", "e2e-utilisation-trend")),

    # ---------------------------------------------------------------- Level 2: click a Spark job
    D(L2, "Spark job", "job stages breakdown", ("l2-spark-stages", "l2-spark-stage-table")),
    D(L2, "Spark job", "task timeline (Gantt chart)", ("l2-spark-tasks",), "Up to 2000 tasks, one lane per executor."),
    D(L2, "Spark job", "per-executor metrics", ("l2-spark-executors", "l2-spark-executor-table", "l2-spark-memory")),
    D(L2, "Spark job", "input/output data size", ("l2-spark-stage-table", "l2-spark-io", "l2-spark-executors"),
      "Input and output per stage (History Server); executors export input bytes only."),
    D(L2, "Spark job", "shuffle details", ("l2-spark-shuffle", "l2-spark-stage-table", "l2-spark-executors")),
    D(L2, "Spark job", "log and event timeline", ("l2-spark-events",),
      "Partial: event timeline only (executors added/removed, OOM kills, stages, jobs, with failure reasons); "
      "driver and executor logs are not shown (no log backend)."),

    # ---------------------------------------------------------------- Stage 1 table
    D(ST1, "Git repository", "commit frequency", ("git-commit-frequency",)),
    D(ST1, "Git repository", "PR/MR state", ("git-pull-requests", "git-pr-merge-time")),
    D(ST1, "Git repository", "branch sync", (),
      "No exporter reports whether branches are in sync (commits ahead/behind the target branch). Nearest: "
      "PR open-to-merge time in `git-pr-merge-time` and commits per branch in `git-branch-activity`."),
    D(ST1, "Jenkins CI", "build success rate", ("jenkins-success-rate", "jenkins-success-by-hour", "jenkins-jobs")),
    D(ST1, "Jenkins CI", "build time", ("jenkins-build-duration", "jenkins-jobs", "l2-jenkins-duration")),
    D(ST1, "Jenkins CI", "queue wait", ("jenkins-queue-wait", "jenkins-queue", "l2-jenkins-last-wait"),
      "Wait time (p95) and queue length (the design's threshold: queue > 10)."),
    D(ST1, "Jenkins CI", "running jobs", ("jenkins-running",), "Proxy: executors in use."),
    D(ST1, "Argo CD", "sync state", ("argocd-sync-status", "argocd-apps")),
    D(ST1, "Argo CD", "health state", ("argocd-health-status", "argocd-unhealthy")),
    D(ST1, "Argo CD", "sync duration", ("argocd-sync-duration", "l2-argocd-sync-duration")),
    D(ST1, "Argo CD", "out-of-sync resources", (), _OUT_OF_SYNC),
    D(ST1, "Deployment verification", "pod readiness", ("pods-not-ready", "pod-readiness")),
    D(ST1, "Deployment verification", "container restarts", ("container-restarts", "restarts-trend")),
    D(ST1, "Deployment verification", "image pull state", ("image-pull-status",),
      "Partial: pull failures only; successful pulls have no metric."),

    # ---------------------------------------------------------------- Stage 2 table
    D(ST2, "Pod state", "Running/Pending/Failed", ("pod-phase-trend", "pods-not-running", "pod-status-by-namespace")),
    D(ST2, "Pod state", "eviction", ("pods-evicted",)),
    D(ST2, "Pod state", "CrashLoopBackOff", ("pod-problems", "failed-pods")),
    D(ST2, "Service health", "liveness/readiness probes", ("pods-not-ready", "pod-readiness", "container-restarts"),
      "Partial: readiness from kube_pod_status_ready; failed liveness probes show only as container restarts "
      "(the kubelet's prober_probe_total is not used)."),
    D(ST2, "Service health", "endpoint availability", ("endpoint-health", "scrape-health", "targets-down")),
    D(ST2, "Service health", "service-mesh connectivity", ("mesh-traffic", "mesh-slowest"),
      "5xx ratio and p95 latency per caller/callee pair (Istio)."),
    D(ST2, "Start-up time", "pod start time", ("pod-startup-time",), "Created to ready."),
    D(ST2, "Start-up time", "application init", ("pod-startup-time",),
      "Proxy: no exporter has an application-init metric; created-to-ready includes init when the "
      "readiness probe waits for it."),
    D(ST2, "Start-up time", "data loading time", (),
      "No exporter measures data loading at start-up; it needs instrumentation in the applications "
      "(the design's application_init_duration does not exist). `pod-startup-time` includes it only if "
      "readiness waits for the load."),

    # ---------------------------------------------------------------- Stage 3 table
    D(ST3, "CPU", "request/limit", ("namespace-resources", "cpu-requested", "cpu-usage-per-cluster", "l2-ns-cpu",
                                     "cpu-vs-limit"),
      "Requests per namespace and cluster; usage against limits per container."),
    D(ST3, "CPU", "actual usage", ("cpu-used", "cpu-usage-per-cluster", "namespace-resources")),
    D(ST3, "CPU", "throttling", ("cpu-throttling", "bottlenecks"), "Throttled CFS periods / all periods."),
    D(ST3, "CPU", "free node CPU", ("node-resources", "free-node-capacity"), "Allocatable minus live-pod requests."),
    D(ST3, "Memory", "request/limit",
      ("namespace-resources", "memory-vs-limit", "memory-usage-per-cluster", "l2-ns-memory")),
    D(ST3, "Memory", "actual usage", ("memory-used", "memory-usage-per-cluster", "namespace-resources")),
    D(ST3, "Memory", "OOM kills", ("oom-kills", "oom-events", "oom-table")),
    D(ST3, "Memory", "free node memory", ("node-resources",), "Allocatable minus live-pod requests, per node."),
    D(ST3, "Storage", "PVC usage", ("pvc-usage-top10", "pvc-usage-trend", "l2-pvc-usage")),
    D(ST3, "Storage", "IOPS", ("storage-iops",), "Ceph OSD and Isilon NFS operations; no per-PVC IOPS."),
    D(ST3, "Storage", "throughput", ("storage-throughput",), "Ceph OSD and Isilon NFS bytes; no per-PVC throughput."),
    D(ST3, "Storage", "S3 quota", (),
      "No panel reads MinIO bucket quotas (minio_bucket_quota_total_bytes). Nearest: MinIO cluster capacity "
      "in `minio-capacity` and Isilon directory quotas (the design's isilon_quota_used) in `isilon-quotas`."),
    D(ST3, "Network", "bandwidth usage", ("node-bandwidth", "pod-bandwidth")),
    D(ST3, "Network", "packet drops", ("packet-drops", "l2-node-network")),
    D(ST3, "Network", "latency", ("mesh-traffic", "mesh-slowest", "ingress-table"),
      "Proxy: request latency (mesh and ingress p95), not network round-trip time: no RTT probe is scraped."),

    # ---------------------------------------------------------------- Stage 4 table
    D(ST4, "Spark", "job success/failure",
      ("spark-success-rate", "spark-failures", "spark-failures-trend", "spark-failures-by-namespace")),
    D(ST4, "Spark", "stage time", ("l2-spark-stages", "l2-spark-stage-table"), _STAGE_TIME),
    D(ST4, "Spark", "executor usage", ("spark-executor-usage", "spark-executor-memory", "spark-running-trend")),
    D(ST4, "Spark", "shuffle", ("spark-shuffle", "spark-apps")),
    D(ST4, "Spark", "GC time", ("spark-gc-ratio", "spark-jvm-gc")),
    D(ST4, "Airflow", "DAG success/failure",
      ("airflow-dag-success-rate", "airflow-dag-failed", "airflow-dags", "airflow-dag-failures-trend")),
    D(ST4, "Airflow", "task time", ("airflow-task-duration", "airflow-task-heatmap")),
    D(ST4, "Airflow", "scheduler delay", ("airflow-schedule-delay", "airflow-heartbeat", "airflow-heartbeat-trend"),
      "Schedule delay per DAG, and the heartbeat interval the design's threshold judges (> 30 s)."),
    D(ST4, "Airflow", "worker availability", ("airflow-executor", "airflow-pool-usage", "airflow-pool-waiting"),
      "Proxy: open executor and pool slots; the number of live workers is not exported."),
    D(ST4, "Trino", "query success/failure", ("trino-failure-ratio", "trino-failure-trend", "trino-failure-types")),
    D(ST4, "Trino", "query time", ("trino-wall-time", "trino-wall-time-max")),
    D(ST4, "Trino", "worker state", ("trino-workers", "trino-workers-ratio")),
    D(ST4, "Trino", "memory", ("trino-memory", "trino-memory-bytes")),
    D(ST4, "Trino", "CPU time", ("trino-cpu",)),

    # ---------------------------------------------------------------- Stage 5 table
    D(ST5, "Iceberg", "table metadata size", ("iceberg-metadata-size", "iceberg-tables")),
    D(ST5, "Iceberg", "snapshot count", ("iceberg-snapshots-trend", "iceberg-tables-over-snapshots", "iceberg-tables")),
    D(ST5, "Iceberg", "file count", ("iceberg-files-trend", "iceberg-tables-over-files", "iceberg-tables")),
    D(ST5, "Iceberg", "compaction state", ("iceberg-needs-compaction", "l2-iceberg-commits"),
      "Tables needing compaction and their last compaction time."),
    D(ST5, "Hive Metastore", "response time", ("hms-response-time", "hms-get-table-p95", "hms-apis")),
    D(ST5, "Hive Metastore", "connection-pool usage", ("hms-pool-usage", "hms-pool-usage-now")),
    D(ST5, "Hive Metastore", "lock wait", ("hms-lock-wait", "hms-oldest-lock"), _HMS_LOCK),
    D(ST5, "S3/MinIO", "GET/PUT latency", ("s3-latency",), "Time to first byte."),
    D(ST5, "S3/MinIO", "4xx/5xx rate", ("s3-error-rate", "s3-errors-range")),
    D(ST5, "S3/MinIO", "bucket size", ("pipeline-s3-bucket-size", "s3-buckets")),
    D(ST5, "S3/MinIO", "object count", ("s3-object-count", "s3-buckets")),
    D(ST5, "Oracle DB", "connection pool", ("oracle-pool", "oracle-pool-now"),
      "Sessions and processes against limits."),
    D(ST5, "Oracle DB", "query time", ("oracle-query-time", "oracle-query-time-trend"),
      "Custom gv$sqlstats metric (elapsed / executions)."),
    D(ST5, "Oracle DB", "tablespace usage", ("pipeline-oracle-tablespaces", "oracle-tablespace-trend",
                                             "oracle-tablespace-max")),
    D(ST5, "Oracle DB", "lock waits", ("oracle-lock-waits", "oracle-blocked")),
    D(ST5, "Ceph/Isilon", "IOPS", ("storage-iops",)),
    D(ST5, "Ceph/Isilon", "throughput", ("storage-throughput",)),
    D(ST5, "Ceph/Isilon", "latency", ("storage-latency", "ceph-osd-latency")),
    D(ST5, "Ceph/Isilon", "disk usage", ("ceph-usage", "ceph-usage-now", "isilon-usage-now", "ceph-osd-usage")),

    # ---------------------------------------------------------------- Stage 6 table
    D(ST6, "Whole pipeline", "end-to-end run time", ("e2e-run-time-p95", "e2e-run-time-trend", "e2e-pipelines")),
    D(ST6, "Whole pipeline", "time per stage", ("e2e-stage-time-trend", "e2e-segment-latency")),
    D(ST6, "Whole pipeline", "bottleneck", ("e2e-pipeline-map", "e2e-segment-latency")),
    D(ST6, "Data quality", "consistency", ("e2e-quality-score", "e2e-quality-by-dataset", "e2e-checks"),
      "Proxy: the suites' check results (row-count range, uniqueness, schema, freshness); no cross-system "
      "reconciliation check is exported."),
    D(ST6, "Data quality", "schema-change detection", ("e2e-schema-changes", "e2e-schema-changes-by-dataset")),
    D(ST6, "Data quality", "null/duplicate ratio", ("e2e-unexpected-ratio",)),
    D(ST6, "Cost efficiency", "compute cost", ("cost-trend", "monthly-cost", "cost-by-namespace")),
    D(ST6, "Cost efficiency", "storage cost", ("cost-trend", "monthly-cost")),
    D(ST6, "Cost efficiency", "idle ratio", ("cpu-idle-ratio", "memory-idle-ratio", "idle-ratio-trend",
                                             "e2e-utilisation-trend")),
)
