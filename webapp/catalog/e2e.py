"""Level 1.6 End-to-End Analytics, with monitoring stage 6 (whole pipeline, data quality).

Pipeline and data-quality series come from the documented custom "pipeline-exporter" and the
data-quality Pushgateway (webapp/demo/README.md); the SLIs from the Portal's own HTTP
instrumentation and `up` of the critical services (the design's `job="platform-critical"`, replaced by the
platform's own selector, `DATAOPS_CRITICAL_SERVICES`, in the engine). Pipeline, quality
and portal series are platform-wide (one exporter each), so only the Kubernetes, Spark, Airflow and
availability queries follow the cluster filter.
"""
from __future__ import annotations

from ..labelnames import CRITICAL_SERVICES
from . import thresholds as th
from .model import Dashboard, Panel, Query, Section
from .forms import CONTAINERS, container_cpu

Q = Query

DEPLOY = ("portal", "git", "jenkins", "argocd", "kubernetes")
DATA = ("application", "iceberg", "storage")
_DEPLOY_RE = "|".join(DEPLOY)
_DATA_RE = "|".join(DATA)


def _stage_avg(stages: str, window: str, by: str = "stage") -> str:
    return (f'sum by ({by}) (increase(pipeline_stage_duration_seconds_sum{{stage=~"{stages}"}}[{window}])) '
            f'/ (sum by ({by}) (increase(pipeline_stage_duration_seconds_count{{stage=~"{stages}"}}[{window}])) > 0)')


_RUNS = 'sum(increase(pipeline_duration_seconds_count[$__range]))'
_WITHIN = 'sum(increase(pipeline_duration_seconds_bucket{le="3600"}[$__range]))'
_CRIT = 'up{' + CRITICAL_SERVICES + ', $cluster}'
_PORTAL = 'http_requests_total{job="portal"}'
_PORTAL_H = 'http_request_duration_seconds_bucket{job="portal"}'
_QUALITY = 'sum(dq_check_success) / count(dq_check_success)'

OVERVIEW = Section("Pipeline overview", (
    Panel("e2e-pipeline-map", "Pipeline map: average time per segment", "flow", (
        Q(_stage_avg(_DEPLOY_RE, "$__range"), "{stage}"),
        Q(_stage_avg(_DATA_RE, "$__range"), "{stage}")),
        unit="s", stages=DEPLOY + DATA, width=12,
        description="Deploy journey (Portal → Git → Jenkins → Argo CD → Kubernetes) and data journey "
                    "(Application → Iceberg → Storage): mean time per run in each segment over the selected "
                    "range. The slowest segment is the bottleneck (red)."),
    Panel("e2e-run-time-p95", "End-to-end run time (P95)", "stat", (
        Q('histogram_quantile(0.95, sum by (le) (rate(pipeline_duration_seconds_bucket[$__range])))', "P95"),),
        unit="s", thresholds=(th.PIPELINE_DURATION,), width=3,
        description="Portal request to data in storage, all pipelines. SLO: P95 under 1 hour."),
    Panel("e2e-sla-compliance", "SLA compliance (runs within 1 h)", "stat", (
        Q(f'{_WITHIN} / ({_RUNS} > 0)', "within 1 h"),),
        unit="percentunit", thresholds=(th.PIPELINE_SLA,), width=3,
        description="Share of runs finished end to end within 1 hour. Target: 99.9%."),
    Panel("e2e-sla-breaches", "Runs over 1 h", "stat", (
        Q(f'round({_RUNS} - {_WITHIN})', "runs"),), width=3,
        description="Runs of the selected range that breached the 1-hour SLA."),
    Panel("e2e-run-success", "Pipeline run success rate", "stat", (
        Q('sum(increase(pipeline_runs_total{status="success"}[$__range])) '
          '/ (sum(increase(pipeline_runs_total[$__range])) > 0)', "success"),),
        unit="percentunit", width=3, description="Failed runs include runs stopped by the data-quality gate."),
    Panel("e2e-stage-time-trend", "Time per stage (mean per run, per $__interval)", "timeseries", (
        Q(_stage_avg(".+", "$__interval"), "{stage}"),),
        unit="s", min_step=3600, stacked=True, width=6,
        description="Stacked, the segments add up to the end-to-end run time; a growing band is a bottleneck."),
    Panel("e2e-run-time-trend", "End-to-end run time (P50 / P95, per $__interval)", "timeseries", (
        Q('histogram_quantile(0.5, sum by (le) (rate(pipeline_duration_seconds_bucket[$__interval])))', "P50"),
        Q('histogram_quantile(0.95, sum by (le) (rate(pipeline_duration_seconds_bucket[$__interval])))', "P95")),
        unit="s", min_step=3600, thresholds=(th.PIPELINE_DURATION,), width=6),
    Panel("e2e-pipelines", "Pipelines: SLA compliance, P95, success, last run", "table", (
        Q('sum by (pipeline) (increase(pipeline_duration_seconds_bucket{le="3600"}[$__range])) '
          '/ (sum by (pipeline) (increase(pipeline_duration_seconds_count[$__range])) > 0)',
          column="Within 1 h", unit="percentunit"),
        Q('histogram_quantile(0.95, sum by (pipeline, le) (rate(pipeline_duration_seconds_bucket[$__range])))',
          column="P95 run time", unit="s"),
        Q('sum by (pipeline) (increase(pipeline_runs_total{status="success"}[$__range])) '
          '/ (sum by (pipeline) (increase(pipeline_runs_total[$__range])) > 0)', column="Success", unit="percentunit"),
        Q('round(sum by (pipeline) (increase(pipeline_runs_total[$__range])))', column="Runs", unit="short"),
        Q('max by (pipeline) (pipeline_last_run_timestamp_seconds)', column="Last run", unit="dateTime")),
        label_columns=("pipeline",), thresholds=(th.PIPELINE_SLA, th.PIPELINE_DURATION), sort_desc=False, width=12,
        description="Worst SLA compliance first."),
))

JOURNEY = Section("Data journey", (
    Panel("e2e-deploy-journey", "Deploy journey: Portal → Git → Jenkins → Argo CD → K8s (per $__interval)",
          "timeseries", (
        Q(_stage_avg(_DEPLOY_RE, "$__interval"), "{stage}"),), unit="s", min_step=3600, width=6,
        description="Mean time per run in each segment, one window per step."),
    Panel("e2e-data-journey", "Data journey: Application → Iceberg → Storage (per $__interval)", "timeseries", (
        Q(_stage_avg(_DATA_RE, "$__interval"), "{stage}"),), unit="s", min_step=3600, width=6),
    Panel("e2e-segment-latency", "Latency of each segment", "table", (
        Q(_stage_avg(".+", "$__range"), column="Mean", unit="s"),
        Q('histogram_quantile(0.5, sum by (stage, le) (rate(pipeline_stage_duration_seconds_bucket[$__range])))',
          column="P50", unit="s"),
        Q('histogram_quantile(0.95, sum by (stage, le) (rate(pipeline_stage_duration_seconds_bucket[$__range])))',
          column="P95", unit="s"),
        Q('sum by (stage) (increase(pipeline_stage_duration_seconds_sum[$__range])) '
          '/ ignoring (stage) group_left () (sum(increase(pipeline_duration_seconds_sum[$__range])) > 0)',
          column="Share of run time", unit="percentunit")),
        label_columns=("stage",), width=12, description="Slowest segment first: the bottleneck."),
))

#: the journey exporter's deploy stages (docs/metric-contract.md section 3), in journey order
JOURNEY_STAGES = ("git", "jenkins", "argocd", "kubernetes")
DATA_JOURNEY_STAGES = ("airflow", "application")
_LAST = 'pipeline_last_stage_duration_seconds{journey="deploy"}'
_NEWEST = 'topk(1, max by (pipeline) (pipeline_last_run_timestamp_seconds{journey="deploy"}))'
_LAST_DATA = 'pipeline_last_stage_duration_seconds{journey="data"}'
_NEWEST_DATA = 'topk(1, max by (pipeline) (pipeline_last_run_timestamp_seconds{journey="data"}))'

DELIVERY = Section("Delivery journey: commit → running pods", (
    # one flow per journey: a flow highlights its slowest segment, and a DAG's Spark application (tens of
    # minutes) would otherwise always outshine every stage of the commit-to-pods journey
    Panel("e2e-last-journey", "Latest deployment: commit → build → sync → pods ready", "flow", (
        Q(f'max by (stage) ({_LAST} and on (pipeline) {_NEWEST})', "{stage}"),),
        unit="s", stages=JOURNEY_STAGES, width=6,
        description="The newest deployment the journey exporter followed by its commit: Bitbucket commit to the "
                    "Jenkins build start (git), the build (jenkins), build end to Argo CD's deployedAt (argocd), "
                    "deployedAt to the last pod Ready (kubernetes). The slowest stage is the bottleneck (red)."),
    Panel("e2e-last-data-journey", "Latest DAG run: queued → Spark application → Iceberg commit", "flow", (
        Q(f'max by (stage) ({_LAST_DATA} and on (pipeline) {_NEWEST_DATA})', "{stage}"),),
        unit="s", stages=DATA_JOURNEY_STAGES, width=6,
        description="The newest DAG run the journey exporter followed: queued to its Spark application's start "
                    "(airflow), the application until the data is committed to Iceberg (application). The "
                    "slowest stage is the bottleneck (red)."),
    Panel("e2e-journeys", "Last journey per application", "table", tuple(
        Q(f'max by (pipeline) (pipeline_last_stage_duration_seconds{{journey="deploy", stage="{st}"}})',
          column=st, unit="s") for st in JOURNEY_STAGES) + (
        Q(f'sum by (pipeline) ({_LAST})', column="commit to running", unit="s"),
        Q('max by (pipeline) (pipeline_last_run_timestamp_seconds{journey="deploy"})', column="pods ready",
          unit="dateTime")),
        label_columns=("pipeline",), width=6, description="Stage durations of each application's last deployment."),
    Panel("e2e-bottlenecks", "Bottleneck of each pipeline's last journey", "bar", (
        Q('max by (pipeline, stage) (pipeline_bottleneck_duration_seconds{journey="deploy"})', "{pipeline}: {stage}"),
        Q('max by (pipeline, stage) (pipeline_bottleneck_duration_seconds{journey="data"})', "{pipeline}: {stage}")),
        unit="s", width=6, description="The slowest stage of the last journey: applications (deploy) and DAGs (data)."),
    Panel("e2e-journey-stage-trend", "Deploy journey: time per stage of the last deployment (mean of applications)",
          "timeseries", (
        Q('avg by (stage) (pipeline_last_stage_duration_seconds{journey="deploy"})', "{stage}"),),
        unit="s", stacked=True, width=12,
        description="Each application's last deployment, averaged per stage and stacked: the bands add up to "
                    "commit-to-running. The histograms (pipeline_stage_duration_seconds{journey=\"deploy\"}) "
                    "give percentiles over many deployments."),
))

SLI = Section("Service level indicators", (
    Panel("e2e-availability", "Availability (selected range)", "stat", (
        Q(f'min(avg_over_time({_CRIT}[$__range]))', "availability"),),
        unit="percentunit", thresholds=(th.PLATFORM_AVAILABILITY,), width=3,
        description="Least available critical service (`up` of the targets the platform names critical). "
                    "Target: 99.9%."),
    Panel("e2e-availability-30d", "Availability (30-day SLO window)", "stat", (
        Q(f'min(avg_over_time({_CRIT}[30d]))', "availability"),),
        unit="percentunit", thresholds=(th.PLATFORM_AVAILABILITY,), width=3, max_points=60,
        description="The design's SLO window (error budget 43.2 min per 30 days), over the stored history."),
    Panel("e2e-error-rate", "Portal error rate (5xx)", "stat", (
        Q(f'sum(rate(http_requests_total{{job="portal", code=~"5.."}}[$__range])) '
          f'/ (sum(rate({_PORTAL}[$__range])) > 0)', "5xx"),),
        unit="percentunit", width=3),
    Panel("e2e-throughput", "Portal throughput", "stat", (
        Q(f'sum(rate({_PORTAL}[$__range]))', "req/s"),), unit="ops", width=3),
    Panel("e2e-latency", "Portal request latency (P50 / P95 / P99)", "timeseries", tuple(
        Q(f'histogram_quantile({q}, sum by (le) (rate({_PORTAL_H}[$__rate_interval])))', f"P{int(q * 100)}")
        for q in (0.5, 0.95, 0.99)), unit="s", width=6),
    Panel("e2e-error-trend", "Portal 5xx ratio by handler", "timeseries", (
        Q(f'sum by (handler) (rate(http_requests_total{{job="portal", code=~"5.."}}[$__rate_interval])) '
          f'/ (sum by (handler) (rate({_PORTAL}[$__rate_interval])) > 0)', "{handler}"),),
        unit="percentunit", width=6),
    Panel("e2e-throughput-trend", "Portal requests per second by handler", "timeseries", (
        Q(f'sum by (handler) (rate({_PORTAL}[$__rate_interval]))', "{handler}"),),
        unit="ops", stacked=True, width=6),
    Panel("e2e-critical-services", "Critical services: availability", "table", (
        Q(f'avg_over_time({_CRIT}[$__range])', column="Selected range", unit="percentunit"),
        Q(f'avg_over_time({_CRIT}[30d])', column="30 days", unit="percentunit"),
        Q(_CRIT, column="Now", unit="none")),
        label_columns=("cluster", "instance"), join_on=("cluster", "instance"), value_map=((0, "DOWN"), (1, "UP")),
        thresholds=(th.PLATFORM_AVAILABILITY,), sort_desc=False, width=6,
        description="Sorted by availability in the selected range, worst first."),
))

BUSINESS = Section("Business metrics", (
    Panel("e2e-data-volume", "Data volume processed", "stat", (
        Q('sum(increase(pipeline_data_processed_bytes_total[$__range]))', "bytes"),), unit="bytes", width=3),
    Panel("e2e-jobs-completed", "Jobs completed", "stat", (
        Q('round(sum(increase(pipeline_runs_total{status="success"}[$__range])) '
          '+ (sum(increase(spark_application_success_count{$cluster}[$__range])) or vector(0)) '
          '+ (sum(increase(airflow_dagrun_duration_count{$cluster}[$__range])) or vector(0)))', "jobs"),),
        width=3, description="Successful pipeline runs, Spark applications and Airflow DAG runs."),
    Panel("e2e-request-time", "User request processing time (mean)", "stat", (
        Q('sum(rate(http_request_duration_seconds_sum{job="portal"}[$__range])) '
          '/ (sum(rate(http_request_duration_seconds_count{job="portal"}[$__range])) > 0)', "mean"),),
        unit="s", width=3, description="Portal API requests; the pipeline's own time is in the overview."),
    Panel("e2e-utilisation", "Platform utilisation (CPU used / allocatable)", "stat", (
        Q(f'sum({container_cpu("$__rate_interval", "$cluster")}) / sum(kube_node_status_allocatable{{resource="cpu", $cluster}})',
          "CPU"),),
        unit="percentunit", thresholds=(th.CPU_USAGE,), width=3),
    Panel("e2e-volume-trend", "Data processed per $__interval by pipeline", "timeseries", (
        Q('sum by (pipeline) (increase(pipeline_data_processed_bytes_total[$__interval]))', "{pipeline}"),),
        unit="bytes", min_step=3600, stacked=True, width=6),
    Panel("e2e-jobs-trend", "Jobs completed per $__interval", "timeseries", (
        Q('sum(increase(pipeline_runs_total{status="success"}[$__interval]))', "pipeline runs"),
        Q('sum(increase(spark_application_success_count{$cluster}[$__interval]))', "Spark applications"),
        Q('sum(increase(airflow_dagrun_duration_count{$cluster}[$__interval]))', "Airflow DAG runs")),
        min_step=3600, stacked=True, width=6),
    Panel("e2e-request-time-handler", "Request processing time by handler (P95)", "bar", (
        Q(f'histogram_quantile(0.95, sum by (handler, le) (rate({_PORTAL_H}[$__range])))', "{handler}"),),
        unit="s", width=6),
    Panel("e2e-utilisation-trend", "CPU utilisation and idle ratio per cluster", "timeseries", (
        Q('sum by (cluster) (rate(container_cpu_usage_seconds_total{' + CONTAINERS + ', $cluster}[$__rate_interval])) '
          '/ sum by (cluster) (kube_node_status_allocatable{resource="cpu", $cluster})', "{cluster} used"),
        Q('1 - sum by (cluster) (rate(container_cpu_usage_seconds_total{' + CONTAINERS + ', $cluster}[$__rate_interval])) '
          '/ sum by (cluster) (kube_pod_container_resource_requests{resource="cpu", $cluster})', "{cluster} idle")),
        unit="percentunit", thresholds=(th.IDLE_RATIO,), width=6,
        description="Idle ratio: share of requested CPU not used (design: idle < 20%)."),
))

QUALITY = Section("Data quality", (
    Panel("e2e-quality-score", "Data quality score", "stat", (Q(_QUALITY, "score"),),
          unit="percentunit", thresholds=(th.DATA_QUALITY,), width=3,
          description="Checks passing in each suite's last run. Target: above 95%."),
    Panel("e2e-schema-changes", "Schema changes", "stat", (
        Q('round(sum(increase(dq_schema_changes_total[$__range])))', "changes"),), width=3),
    Panel("e2e-checks-failed", "Failed checks", "stat", (
        Q('round(sum(increase(dq_checks_total{status="failure"}[$__range])))', "checks"),), width=3),
    Panel("e2e-quality-freshness", "Oldest suite result", "stat", (
        Q('time() - min(dq_last_run_timestamp_seconds)', "age"),), unit="s", width=3),
    Panel("e2e-quality-by-dataset", "Quality score by dataset", "bar", (
        Q('sum by (dataset) (dq_check_success) / count by (dataset) (dq_check_success)', "{dataset}"),),
        unit="percentunit", thresholds=(th.DATA_QUALITY,), sort_desc=False, width=6),
    Panel("e2e-quality-trend", "Quality score by dataset over time", "timeseries", (
        Q('sum by (dataset) (dq_check_success) / count by (dataset) (dq_check_success)', "{dataset}"),),
        unit="percentunit", thresholds=(th.DATA_QUALITY,), width=6),
    Panel("e2e-unexpected-ratio", "Null and duplicate ratio (top 10)", "bar", (
        Q('topk(10, max by (dataset, column, check) (dq_unexpected_ratio))', "{dataset}.{column} ({check})"),),
        unit="percentunit", width=6),
    Panel("e2e-schema-changes-by-dataset", "Schema changes by dataset", "bar", (
        Q('round(sum by (dataset) (increase(dq_schema_changes_total[$__range])))', "{dataset}"),),
        width=6, description="Detected schema changes in the selected range (0 = none)."),
    Panel("e2e-checks", "Checks (last run), failing first", "table", (
        Q('min by (suite, dataset, check) (dq_check_success)', column="Result", unit="none"),),
        label_columns=("dataset", "suite", "check"), value_map=((0, "FAIL"), (1, "PASS")), sort_desc=False,
        width=12, limit=12),
))

DASHBOARD = E2E = Dashboard(
    "e2e", "End-to-End Analytics", "/e2e", (OVERVIEW, JOURNEY, DELIVERY, SLI, BUSINESS, QUALITY), variables=("cluster",),
    description="The whole pipeline from the Portal request to data in storage: per-segment latency and the "
                "bottleneck, SLA compliance, service level indicators, business metrics and data quality.",
)
