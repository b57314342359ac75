"""Level 1.1 GitOps Deployment Pipeline, with monitoring stages 1 and 2.

PromQL follows metrics.md: real exporter names, `increase()` only on counters, ratios guarded
against division by zero.
"""
from __future__ import annotations

from . import links
from . import thresholds as th
from .annotations import DEPLOYMENTS_AND_ALERTS as MARKS
from .model import Dashboard, Panel, Query, Section
from .forms import endpoints_not_ready

Q = Query

_JENKINS_OK = 'default_jenkins_builds_success_build_count_total{$cluster}'
_JENKINS_ALL = 'default_jenkins_builds_total_build_count_total{$cluster}'
LAST_RESULT = ((0, "SUCCESS"), (1, "UNSTABLE"), (2, "FAILURE"), (3, "NOT_BUILT"), (4, "ABORTED"))

BITBUCKET = Section("Bitbucket activity", (
    Panel("git-commit-frequency", "Commit frequency (per $__interval)", "timeseries", (
        Q('sum by (repository) (increase(git_commits_total{$cluster}[$__interval]))', "{repository}"),),
        unit="short", min_step=3600, stacked=True,
        description="Commits per hour and repository (custom Bitbucket REST exporter)."),
    Panel("git-pull-requests", "Pull requests by state", "pie", (
        Q('sum by (state) (git_pull_requests{$cluster})', "{state}"),),
        description="Open, merged and declined pull requests."),
    Panel("git-branch-activity", "Most active branches", "bar", (
        Q('topk(10, sum by (repository, branch) (increase(git_commits_total{$cluster}[$__range])))',
          "{repository}:{branch}"),),
        description="Commits per branch over the selected range."),
    Panel("bitbucket-pushes", "Pushes per $__interval", "timeseries", (
        Q('sum by (repository) (increase(bitbucket_repo_push_count{$cluster}[$__interval]))', "{repository}"),),
        min_step=3600, stacked=True, description="Push events counted by the Bitbucket plugin."),
    Panel("git-pr-merge-time", "Pull request open-to-merge time (median)", "stat", (
        Q('histogram_quantile(0.5, sum by (le) (rate(git_pull_request_merge_seconds_bucket{$cluster}[$__range])))',
          "median"),),
        unit="s", width=3, description="Branch sync: how long changes wait before they land."),
))

JENKINS = Section("Jenkins CI", (
    Panel("jenkins-success-rate", "Build success rate", "stat", (
        Q(f'sum(increase({_JENKINS_OK}[$__range])) / (sum(increase({_JENKINS_ALL}[$__range])) > 0)', "success"),),
        unit="percentunit", thresholds=(th.JENKINS_SUCCESS_RATE,), width=3,
        description="All jobs, over the selected range. Target: at least 95%."),
    Panel("jenkins-success-by-hour", "Build success rate by time of day (per $__interval)", "timeofday", (
        Q(f'sum(increase({_JENKINS_OK}[$__interval])) / (sum(increase({_JENKINS_ALL}[$__interval])) > 0)', "success"),),
        unit="percentunit", min_step=3600, thresholds=(th.JENKINS_SUCCESS_RATE,), width=6,
        description="Each cell is one hour of one day."),
    Panel("jenkins-jobs", "Jobs: success rate, last result, last duration", "table", (
        Q(f'sum by (jenkins_job) (increase({_JENKINS_OK}[$__range])) '
          f'/ (sum by (jenkins_job) (increase({_JENKINS_ALL}[$__range])) > 0)',
          column="Success rate", unit="percentunit"),
        Q('max by (jenkins_job) (default_jenkins_builds_last_build_result_ordinal{$cluster})',
          column="Last result", unit="none"),
        Q('max by (jenkins_job) (default_jenkins_builds_last_build_duration_milliseconds{$cluster}) / 1000',
          column="Last duration", unit="s")),
        label_columns=("jenkins_job",), thresholds=(th.JENKINS_SUCCESS_RATE, th.JENKINS_BUILD_DURATION),
        value_map=LAST_RESULT, sort_desc=False, width=12,
        link=links.JENKINS_JOB,
        description="Sorted by success rate, worst first."),
    Panel("jenkins-running", "Running builds and free executors", "timeseries", (
        Q('sum(jenkins_executor_in_use_value{$cluster})', "running"),
        Q('sum(jenkins_executor_free_value{$cluster})', "free executors")), width=4),
    Panel("jenkins-queue", "Build queue", "timeseries", (
        Q('sum(jenkins_queue_size_value{$cluster})', "queued"),
        Q('sum(jenkins_queue_blocked_value{$cluster})', "blocked"),
        Q('sum(jenkins_queue_stuck_value{$cluster})', "stuck")),
        thresholds=(th.JENKINS_QUEUE,), width=4),
    Panel("jenkins-queue-wait", "Queue wait time (p95)", "timeseries", (
        Q('jenkins_job_waiting_duration{quantile="0.95", $cluster}', "{instance}"),),
        unit="s", width=4, description="Per Jenkins instance: summary quantiles cannot be averaged."),
    Panel("jenkins-build-duration", "Average build duration per job", "bar", (
        Q('topk(15, (sum by (jenkins_job) (increase(default_jenkins_builds_duration_milliseconds_summary_sum{$cluster}[$__range])) '
          '/ (sum by (jenkins_job) (increase(default_jenkins_builds_duration_milliseconds_summary_count{$cluster}[$__range])) > 0)) / 1000)',
          "{jenkins_job}"),),
        unit="s", thresholds=(th.JENKINS_BUILD_DURATION,), width=6,
        link=links.JENKINS_JOB),
    Panel("jenkins-build-results", "Builds per $__interval by result", "timeseries", (
        Q('sum(increase(default_jenkins_builds_success_build_count_total{$cluster}[$__interval]))', "success"),
        Q('sum(increase(default_jenkins_builds_failed_build_count_total{$cluster}[$__interval]))', "failed"),
        Q('sum(increase(default_jenkins_builds_unstable_build_count_total{$cluster}[$__interval]))', "unstable"),
        Q('sum(increase(default_jenkins_builds_aborted_build_count_total{$cluster}[$__interval]))', "aborted")),
        min_step=3600, stacked=True, width=6, annotations=MARKS),
))

# Applications in any namespace: an application is its namespace and its name.

ARGOCD = Section("Argo CD", (
    Panel("argocd-sync-status", "Applications by sync status", "pie", (
        Q('sum by (sync_status) (argocd_app_info{$cluster, $namespace:dest_namespace})', "{sync_status}"),),
        width=3),
    Panel("argocd-health-status", "Applications by health", "pie", (
        Q('sum by (health_status) (argocd_app_info{$cluster, $namespace:dest_namespace})', "{health_status}"),),
        width=3),
    Panel("argocd-unhealthy", "Applications not Healthy", "stat", (
        Q('count(argocd_app_info{health_status!="Healthy", $cluster, $namespace:dest_namespace} == 1) or vector(0)',
          "apps"),),
        thresholds=(th.ARGOCD_UNHEALTHY,), width=3),
    Panel("argocd-out-of-sync-count", "Applications OutOfSync", "stat", (
        Q('count(argocd_app_info{sync_status="OutOfSync", $cluster, $namespace:dest_namespace} == 1) or vector(0)',
          "apps"),),
        width=3),
    Panel("argocd-apps", "Applications", "table", (
        Q('max by (namespace, name, project, dest_namespace, sync_status, health_status) '
          '(argocd_app_info{$cluster, $namespace:dest_namespace})', column="", unit="none"),
        Q('sum by (namespace, name) (round(increase(argocd_app_sync_total{phase=~"Error|Failed", $cluster}[$__range])))',
          column="Failed syncs", unit="short"),
        Q('max by (namespace, name) (argocd_app_orphaned_resources_count{$cluster})', column="Orphaned resources",
          unit="short")),
        label_columns=("name", "namespace", "project", "dest_namespace", "sync_status", "health_status"),
        join_on=("namespace", "name"), link=links.ARGOCD_APP, width=12, sort_desc=True,
        description="Out-of-sync resources per application are not exported by Argo CD; OutOfSync "
                    "applications and their orphaned resources are."),
    Panel("argocd-sync-duration", "Average sync duration per application", "bar", (
        Q('topk(15, sum by (namespace, name) (increase(argocd_app_sync_duration_seconds_total{$cluster}[$__range])) '
          '/ (sum by (namespace, name) (increase(argocd_app_sync_total{$cluster}[$__range])) > 0))', "{namespace}/{name}"),),
        unit="s", thresholds=(th.ARGOCD_SYNC_DURATION,), link=links.ARGOCD_APP),
    Panel("argocd-sync-failures", "Failed syncs per $__interval", "timeseries", (
        Q('sum by (name) (round(increase(argocd_app_sync_total{phase=~"Error|Failed", $cluster}[$__interval])))', "{name}"),),
        min_step=3600, stacked=True, annotations=MARKS),
    Panel("argocd-reconcile", "Reconciliation time (p95)", "timeseries", (
        Q('histogram_quantile(0.95, sum by (le, cluster) (rate(argocd_app_reconcile_bucket{$cluster}[$__rate_interval])))',
          "{cluster}"),),
        unit="s"),
))

DEPLOYMENT = Section("Deployment verification", (
    Panel("pods-not-running", "Pods Pending, Failed or Unknown", "stat", (
        Q('count(kube_pod_status_phase{phase=~"Pending|Failed|Unknown", $cluster, $namespace} == 1) or vector(0)',
          "pods"),),
        thresholds=(th.POD_NOT_RUNNING,), width=3),
    Panel("pods-not-ready", "Pods not ready", "stat", (
        Q('sum(kube_pod_status_ready{condition="false", $cluster, $namespace}) or vector(0)', "pods"),),
        thresholds=(th.POD_NOT_READY,), width=3),
    Panel("pods-evicted", "Evicted pods", "stat", (
        Q('count(kube_pod_status_reason{reason="Evicted", $cluster, $namespace} == 1) or vector(0)', "pods"),),
        thresholds=(th.POD_EVICTED,), width=3),
    Panel("targets-down", "Scrape targets down", "stat", (
        Q('count(up{$cluster} == 0) or vector(0)', "targets"),), width=3),
    Panel("pod-status-by-namespace", "Pod status by namespace", "bar", (
        Q('sum by (namespace, phase) (kube_pod_status_phase{$cluster, $namespace}) > 0', "{phase}"),),
        x_label="namespace", stacked=True, width=8, link=links.NAMESPACE,
        limit=200),
    Panel("pod-phase-trend", "Pods by phase", "timeseries", (
        Q('sum by (phase) (kube_pod_status_phase{$cluster, $namespace})', "{phase}"),), stacked=True, width=4, annotations=MARKS),
    Panel("pod-problems", "Pods waiting: CrashLoopBackOff, image pull and config errors", "table", (
        # max_over_time as the kubernetes-mixin does: a crash-looping container runs between its waits
        Q('max by (cluster, namespace, pod, container, reason) '
          '(max_over_time(kube_pod_container_status_waiting_reason{$cluster, $namespace}[10m])) == 1',
          column="", unit="none"),
        Q('sum by (cluster, namespace, pod, container) '
          '(increase(kube_pod_container_status_restarts_total{$cluster, $namespace}[1h])) '
          'and on (cluster, namespace, pod, container) (max by (cluster, namespace, pod, container) '
          '(max_over_time(kube_pod_container_status_waiting_reason{$cluster, $namespace}[10m])) == 1)',
          column="Restarts (1h)", unit="short")),
        label_columns=("cluster", "namespace", "pod", "container", "reason"),
        join_on=("cluster", "namespace", "pod", "container"),
        thresholds=(th.CONTAINER_RESTARTS,), width=12, empty_text="No waiting containers",
        link=links.NAMESPACE),
    Panel("container-restarts", "Container restarts in the last hour (top 10)", "bar", (
        Q('topk(10, sum by (namespace, pod, container) '
          '(increase(kube_pod_container_status_restarts_total{$cluster, $namespace}[1h])) > 0)',
          "{namespace}/{pod}/{container}"),),
        thresholds=(th.CONTAINER_RESTARTS,), empty_text="No restarts in the last hour"),
    Panel("restarts-trend", "Container restarts per $__interval", "timeseries", (
        Q('sum by (namespace) (increase(kube_pod_container_status_restarts_total{$cluster, $namespace}[$__interval]))',
          "{namespace}"),),
        min_step=3600, thresholds=(th.CONTAINER_RESTARTS,), link=links.NAMESPACE, annotations=MARKS),
    Panel("image-pull-status", "Image pull errors by namespace", "bar", (
        Q('sum by (namespace, reason) (kube_pod_container_status_waiting_reason'
          '{reason=~"ErrImagePull|ImagePullBackOff|InvalidImageName", $cluster, $namespace})', "{reason}"),),
        x_label="namespace", stacked=True, empty_text="No image pull errors"),
    Panel("pod-readiness", "Not-ready pods by namespace", "timeseries", (
        Q('sum by (namespace) (kube_pod_status_ready{condition="false", $cluster, $namespace}) > 0', "{namespace}"),),
        thresholds=(th.POD_NOT_READY,), empty_text="All pods ready", link=links.NAMESPACE, annotations=MARKS),
    Panel("scrape-health", "Probe and endpoint health: targets up", "table", (
        Q('min by (cluster, job) (up{$cluster})', column="Up", unit="none"),
        Q('count by (cluster, job) (up{$cluster})', column="Targets", unit="short")),
        label_columns=("cluster", "job"), value_map=((0, "DOWN"), (1, "UP")), thresholds=(th.TARGET_DOWN,),
        sort_desc=False),
    Panel("endpoint-health", "Service endpoints not ready", "bar", (
        Q(f'count by (namespace, endpoint) ({endpoints_not_ready()})', "{namespace}/{endpoint}"),),
        empty_text="All service endpoints ready",
        description="Not-ready addresses per Service: kube-state-metrics EndpointSlices (the default since 2.18) "
                    "or Endpoints."),
    Panel("pod-startup-time", "Slowest pod start-up (created to ready)", "bar", (
        Q('topk(10, max by (namespace, pod) (max by (cluster, namespace, pod, uid) (kube_pod_status_ready_time{$cluster, $namespace}) '
          '- on (cluster, namespace, pod, uid) max by (cluster, namespace, pod, uid) (kube_pod_created{$cluster, $namespace})))',
          "{namespace}/{pod}"),),
        unit="s", thresholds=(th.POD_STARTUP,)),
    Panel("rollout-history", "Rollouts in the selected range", "table", (
        Q('max by (namespace, owner_name, replicaset) (max by (cluster, namespace, replicaset) (kube_replicaset_created{$cluster, $namespace}) '
          '* on (cluster, namespace, replicaset) group_left (owner_name) max by (cluster, namespace, replicaset, owner_name) '
          '(kube_replicaset_owner{owner_kind="Deployment", $cluster, $namespace})) > (time() - $__range_s)',
          column="Created", unit="dateTime"),),
        label_columns=("namespace", "owner_name", "replicaset"), width=6, empty_text="No rollouts in this range"),
    Panel("deployment-availability", "Deployments below desired replicas", "table", (
        Q('sum by (namespace, deployment) (kube_deployment_spec_replicas{$cluster, $namespace}) '
          '- sum by (namespace, deployment) (kube_deployment_status_replicas_available{$cluster, $namespace}) > 0',
          column="Missing replicas", unit="short"),),
        label_columns=("namespace", "deployment"), width=6, empty_text="All deployments fully available"),
))

DASHBOARD = GITOPS = Dashboard(
    "gitops", "GitOps Deployment Pipeline", "/gitops", (BITBUCKET, JENKINS, ARGOCD, DEPLOYMENT),
    description="From commit to running pods: Bitbucket, Jenkins, Argo CD and the rollout on Kubernetes.",
)
