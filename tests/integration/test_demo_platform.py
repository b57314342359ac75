"""The embedded demo platform against a real Prometheus (tiny scale, started once per module)."""
from __future__ import annotations

import filecmp
import time

import pytest
import requests

from webapp.demo.generate import write_backfill
from webapp.demo.platform import SCALES, DemoPlatform
from webapp.demo.world import World

pytestmark = pytest.mark.integration

CLUSTERS = {"prod-east", "prod-west"}
JOBS = ["kube-state-metrics", "cadvisor", "kubelet", "node-exporter", "jenkins", "argocd", "bitbucket"]
TARGET = {"job", "instance", "cluster"}

# family -> documented label names (besides job/instance/cluster); None = only check existence
FAMILIES: dict[str, set[str] | None] = {
    "kube_pod_info": {"namespace", "pod", "uid", "node", "created_by_kind", "created_by_name", "host_ip", "pod_ip"},
    "kube_pod_status_phase": {"namespace", "pod", "uid", "phase"},
    "kube_pod_status_ready": {"namespace", "pod", "uid", "condition"},
    "kube_pod_container_status_ready": {"namespace", "pod", "uid", "container"},
    "kube_pod_container_status_waiting_reason": {"namespace", "pod", "uid", "container", "reason"},
    "kube_pod_container_status_restarts_total": {"namespace", "pod", "uid", "container"},
    "kube_pod_container_status_last_terminated_reason": {"namespace", "pod", "uid", "container", "reason"},
    "kube_pod_container_status_last_terminated_exitcode": {"namespace", "pod", "uid", "container"},
    "kube_pod_created": {"namespace", "pod", "uid"},
    "kube_pod_start_time": {"namespace", "pod", "uid"},
    "kube_pod_status_ready_time": {"namespace", "pod", "uid"},
    "kube_pod_container_resource_requests": {"namespace", "pod", "uid", "container", "node", "resource", "unit"},
    "kube_pod_container_resource_limits": {"namespace", "pod", "uid", "container", "node", "resource", "unit"},
    "kube_node_info": {"node"},
    "kube_node_status_allocatable": {"node", "resource", "unit"},
    "kube_node_status_capacity": {"node", "resource", "unit"},
    "kube_node_status_condition": {"node", "condition", "status"},
    "kube_deployment_spec_replicas": {"namespace", "deployment"},
    "kube_deployment_status_replicas_available": {"namespace", "deployment"},
    "kube_deployment_status_replicas_unavailable": {"namespace", "deployment"},
    "kube_deployment_metadata_generation": {"namespace", "deployment"},
    "kube_deployment_status_observed_generation": {"namespace", "deployment"},
    "kube_replicaset_created": {"namespace", "replicaset"},
    "kube_replicaset_owner": {"namespace", "replicaset", "owner_kind", "owner_name"},
    "kube_endpointslice_endpoints": {"namespace", "endpointslice", "address", "ready", "serving", "targetref_name"},
    "kube_persistentvolumeclaim_info": {"namespace", "persistentvolumeclaim", "volumemode"},
    "kube_persistentvolume_capacity_bytes": {"persistentvolume"},
    "container_cpu_usage_seconds_total": {"namespace", "pod", "container", "image", "id", "name", "cpu"},
    "container_memory_working_set_bytes": {"namespace", "pod", "container", "image", "id", "name"},
    "container_cpu_cfs_periods_total": {"namespace", "pod", "container"},
    "container_cpu_cfs_throttled_periods_total": {"namespace", "pod", "container"},
    "container_cpu_cfs_throttled_seconds_total": {"namespace", "pod", "container"},
    "container_oom_events_total": {"namespace", "pod", "container"},
    "container_network_receive_bytes_total": {"namespace", "pod", "interface"},
    "container_network_transmit_bytes_total": {"namespace", "pod", "interface"},
    "container_network_receive_packets_total": {"namespace", "pod", "interface"},
    "container_network_transmit_packets_total": {"namespace", "pod", "interface"},
    "container_network_receive_packets_dropped_total": {"namespace", "pod", "interface"},
    "container_network_transmit_packets_dropped_total": {"namespace", "pod", "interface"},
    "kubelet_volume_stats_used_bytes": {"namespace", "persistentvolumeclaim"},
    "kubelet_volume_stats_capacity_bytes": {"namespace", "persistentvolumeclaim"},
    "kubelet_volume_stats_available_bytes": {"namespace", "persistentvolumeclaim"},
    "kubelet_volume_stats_inodes": {"namespace", "persistentvolumeclaim"},
    "kubelet_volume_stats_inodes_used": {"namespace", "persistentvolumeclaim"},
    "node_cpu_seconds_total": {"cpu", "mode"},
    "node_memory_MemTotal_bytes": set(),
    "node_memory_MemAvailable_bytes": set(),
    "node_memory_MemFree_bytes": set(),
    "node_network_receive_bytes_total": {"device"},
    "node_network_transmit_bytes_total": {"device"},
    "node_network_receive_drop_total": {"device"},
    "node_network_transmit_drop_total": {"device"},
    "node_network_receive_packets_total": {"device"},
    "node_network_transmit_packets_total": {"device"},
    "node_network_speed_bytes": {"device"},
    "node_filesystem_avail_bytes": {"mountpoint", "device", "fstype"},
    "node_filesystem_size_bytes": {"mountpoint", "device", "fstype"},
    "default_jenkins_builds_success_build_count_total": {"jenkins_job", "repo", "buildable"},
    "default_jenkins_builds_failed_build_count_total": {"jenkins_job", "repo", "buildable"},
    "default_jenkins_builds_unstable_build_count_total": {"jenkins_job", "repo", "buildable"},
    "default_jenkins_builds_aborted_build_count_total": {"jenkins_job", "repo", "buildable"},
    "default_jenkins_builds_total_build_count_total": {"jenkins_job", "repo", "buildable"},
    "default_jenkins_builds_duration_milliseconds_summary_sum": {"jenkins_job"},
    "default_jenkins_builds_duration_milliseconds_summary_count": {"jenkins_job"},
    "default_jenkins_builds_last_build_result_ordinal": {"jenkins_job"},
    "default_jenkins_builds_last_build_result": {"jenkins_job"},
    "default_jenkins_builds_last_build_duration_milliseconds": {"jenkins_job"},
    "default_jenkins_builds_last_build_waiting_milliseconds": {"jenkins_job"},
    "jenkins_queue_size_value": set(),
    "jenkins_queue_blocked_value": set(),
    "jenkins_queue_stuck_value": set(),
    "jenkins_executor_in_use_value": set(),
    "jenkins_executor_free_value": set(),
    "jenkins_job_waiting_duration": {"quantile"},
    "jenkins_job_waiting_duration_count": set(),
    "jenkins_runs_failure_total": set(),
    "argocd_app_info": {"namespace", "name", "project", "repo", "dest_server", "dest_namespace", "sync_status",
                        "health_status", "autosync_enabled"},
    "argocd_app_sync_total": {"namespace", "name", "project", "dest_server", "dry_run", "phase"},
    "argocd_app_sync_duration_seconds_total": {"namespace", "name", "project", "dest_server"},
    "argocd_app_reconcile_bucket": {"namespace", "dest_server", "le"},
    "argocd_app_reconcile_sum": {"namespace", "dest_server"},
    "argocd_app_reconcile_count": {"namespace", "dest_server"},
    "argocd_app_orphaned_resources_count": {"name", "project"},
    "bitbucket_repo_push_count": {"repository", "username"},
    "bitbucket_active_users_gauge": set(),
    "git_commits_total": {"repository", "branch"},
    "git_pull_requests": {"repository", "state"},
    "git_pull_request_merge_seconds_bucket": {"repository", "le"},
    "git_pull_request_merge_seconds_sum": {"repository"},
    "git_pull_request_merge_seconds_count": {"repository"},
}
# families that only exist where a story puts them (first cluster) or on the single Bitbucket
ONE_CLUSTER = {"kube_pod_container_status_waiting_reason", "kube_pod_container_status_last_terminated_reason",
               "kube_pod_container_status_last_terminated_exitcode", "bitbucket_repo_push_count",
               "bitbucket_active_users_gauge", "git_commits_total", "git_pull_requests",
               "git_pull_request_merge_seconds_bucket", "git_pull_request_merge_seconds_sum",
               "git_pull_request_merge_seconds_count"}


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo-data")
    p = DemoPlatform(root, scale="tiny", seed=42)
    t = time.monotonic()
    p.start()
    p.cold_start_seconds = time.monotonic() - t
    yield p
    p.stop()


@pytest.fixture(scope="module")
def prom(platform):
    url = platform.url

    def query(expr: str, at: float | None = None):
        params = {"query": expr}
        if at is not None:
            params["time"] = at
        r = requests.get(url + "/api/v1/query", params=params, timeout=30)
        body = r.json()
        assert body["status"] == "success", (expr, body)
        return body["data"]["result"]

    return query


def scalar(result) -> float:
    assert result, "empty result"
    return float(result[0]["value"][1])


def test_cold_start_and_stats(platform):
    s = platform.stats
    assert s["reused"] is False
    assert s["series"] > 1000 and s["samples"] > 100_000
    assert s["history_hours"] >= 24
    # goal: < 25 s on 2 idle cores with the core components; generous here because the machine is
    # shared and the other components add series (stats are printed for the record)
    print("tiny cold start", round(platform.cold_start_seconds, 1), s)
    assert platform.cold_start_seconds < 120


def test_every_family_exists_with_documented_labels(prom):
    missing, bad_labels, one_cluster = [], [], []
    for fam, labels in FAMILIES.items():
        res = prom(f'count by (cluster) ({{__name__="{fam}"}})')
        clusters = {r["metric"].get("cluster") for r in res}
        if not clusters:
            missing.append(fam)
            continue
        if fam not in ONE_CLUSTER and not CLUSTERS <= clusters:
            one_cluster.append((fam, clusters))
        if labels is not None:
            sample = prom(f'topk(1, {{__name__="{fam}"}})')[0]["metric"]
            names = set(sample) - {"__name__"}
            if not (labels | TARGET) <= names:
                bad_labels.append((fam, sorted((labels | TARGET) - names)))
    assert not missing, missing
    assert not one_cluster, one_cluster
    assert not bad_labels, bad_labels


def test_counter_names_kept_exactly(prom):
    # a counter without _total keeps its name; counters with _total are not doubled
    assert prom('count(bitbucket_repo_push_count)')
    assert not prom('count({__name__=~"bitbucket_repo_push_count_total|.*_total_total_total"})')
    assert prom('count(jenkins_runs_failure_total)')
    assert not prom('count({__name__=~".*_total_total"})')


def test_counters_never_decrease(prom):
    counters = [f for f in FAMILIES if f.endswith(("_total", "_bucket", "_count")) or f == "bitbucket_repo_push_count"]
    assert len(counters) > 30
    bad = {f: prom(f"count(resets({f}[1d]) > 0)") for f in counters}
    assert not {f: r for f, r in bad.items() if r}, bad


@pytest.mark.parametrize("job", JOBS)
def test_up_is_one_for_every_job(prom, job):
    res = prom(f'up{{job="{job}"}}')
    assert res, job
    assert all(r["value"][1] == "1" for r in res), res


def test_live_targets_all_healthy(platform):
    time.sleep(16)  # every target is scraped within one interval
    body = requests.get(platform.url + "/api/v1/targets", timeout=10).json()
    active = body["data"]["activeTargets"]
    assert set(JOBS) <= {t["labels"]["job"] for t in active}
    bad = [(t["scrapeUrl"], t["lastError"]) for t in active if t["health"] != "up"]
    assert not bad, bad


# ------------------------------------------------------------------------------ stories

def test_story_jenkins_failing_job(prom):
    ratio = ('sum(increase(default_jenkins_builds_success_build_count_total{{jenkins_job="etl-orders-build"}}[1h]{off}))'
             ' / sum(increase(default_jenkins_builds_total_build_count_total{{jenkins_job="etl-orders-build"}}[1h]{off}))')
    assert scalar(prom(ratio.format(off=""))) < 0.5
    assert scalar(prom(ratio.format(off=" offset 23h"))) > 0.9
    overall = ('sum(increase(default_jenkins_builds_success_build_count_total{cluster="prod-east"}[3h]))'
               ' / sum(increase(default_jenkins_builds_total_build_count_total{cluster="prod-east"}[3h]))')
    assert scalar(prom(overall)) < 0.95
    assert scalar(prom('max(max_over_time(jenkins_queue_size_value[1d]))')) > 10


def test_story_argocd_degraded_app(prom):
    assert prom('argocd_app_info{name="trino-gateway",sync_status="OutOfSync",health_status="Degraded"} == 1')
    assert scalar(prom('sum(increase(argocd_app_sync_total{name="trino-gateway",phase=~"Failed|Error"}[1h]))')) > 0
    avg = ('sum(increase(argocd_app_sync_duration_seconds_total{name="trino-gateway",cluster="prod-east"}[2h]))'
           ' / sum(increase(argocd_app_sync_total{name="trino-gateway",cluster="prod-east"}[2h]))')
    assert scalar(prom(avg)) > 300
    assert prom('argocd_app_condition{name="trino-gateway",condition="SyncError"} == 1')


def test_story_crashloop(prom):
    # max_over_time as the kubernetes-mixin does: the container runs for a few seconds between waits
    res = prom('max_over_time(kube_pod_container_status_waiting_reason{namespace="airflow",reason="CrashLoopBackOff"}[10m]) == 1')
    assert res and res[0]["metric"]["pod"].startswith("airflow-worker-")
    pod = res[0]["metric"]["pod"]
    assert scalar(prom(f'increase(kube_pod_container_status_restarts_total{{pod="{pod}"}}[1h])')) > 3
    assert prom(f'kube_pod_status_ready{{pod="{pod}",condition="true"}} == 0')
    assert prom(f'kube_pod_container_status_ready{{pod="{pod}"}} == 0')


def test_story_oom_killed(prom):
    res = prom('kube_pod_container_status_last_terminated_reason{namespace="spark-jobs",reason="OOMKilled"} == 1')
    assert res
    pod = res[0]["metric"]["pod"]
    assert scalar(prom(f'kube_pod_container_status_last_terminated_exitcode{{pod="{pod}"}}')) == 137
    assert scalar(prom(f'increase(kube_pod_container_status_restarts_total{{pod="{pod}"}}[2h])')) > 0
    assert scalar(prom(f'sum(increase(container_oom_events_total{{pod="{pod}"}}[2h]))')) > 0
    near = (f'max_over_time((sum by (pod) (container_memory_working_set_bytes{{pod="{pod}"}})'
            f' / sum by (pod) (kube_pod_container_resource_limits{{pod="{pod}",resource="memory"}}))[2h:2m])')
    assert scalar(prom(near)) > 0.9


def test_story_image_pull_errors(prom):
    res = prom('kube_pod_container_status_waiting_reason{namespace="ml-serving",reason=~"ErrImagePull|ImagePullBackOff"} == 1')
    assert res
    pod = res[0]["metric"]["pod"]
    assert prom(f'kube_pod_status_phase{{pod="{pod}",phase="Pending"}} == 1')
    assert prom('argocd_app_info{name="model-server",health_status="Degraded",cluster="prod-east"} == 1')


def test_story_small_ones(prom):
    assert prom('kube_pod_status_reason{reason="Evicted"} == 1 and on (pod) kube_pod_status_phase{phase="Failed"} == 1')
    assert prom('kube_pod_status_ready_time - kube_pod_created > 300')
    thr = ('sum by (namespace, pod, container) (increase(container_cpu_cfs_throttled_periods_total{container!=""}[10m]))'
           ' / sum by (namespace, pod, container) (increase(container_cpu_cfs_periods_total{container!=""}[10m])) > 0.10')
    assert prom(thr)
    assert prom('kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes > 0.8')
    drops = ('sum by (instance) (rate(node_network_receive_drop_total{device!~"lo|veth.*"}[10m]))'
             ' / sum by (instance) (rate(node_network_receive_packets_total{device!~"lo|veth.*"}[10m])) > 0.01')
    res = prom(drops)
    assert [r["metric"]["instance"] for r in res] == ["prod-west-node-03"]


def test_stories_visible_in_history(prom):
    # the crash loop started 4 h before the anchor: visible 2 h ago, absent 6 h ago
    past = time.time() - 2 * 3600
    assert prom('max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[10m]) == 1', at=past)
    assert not prom('kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"} == 1', at=time.time() - 6 * 3600)


def test_history_continuity_across_live_boundary(platform, prom):
    step = SCALES["tiny"].step
    for expr in ('up{job="kube-state-metrics",cluster="prod-east"}', 'jenkins_queue_size_value{cluster="prod-east"}',
                 'kube_node_info{cluster="prod-west"}'):
        # Prometheus spreads the first scrapes over one interval: give each target its first one.
        deadline = time.time() + 45
        while True:
            series = prom(f"{expr}[40m]")
            last = min(float(s["values"][-1][0]) for s in series) if series else 0
            if last > time.time() - 60 or time.time() > deadline:
                break
            time.sleep(2)
        assert series, expr
        for s in series:
            ts = [float(v[0]) for v in s["values"]]
            gaps = [b - a for a, b in zip(ts, ts[1:])]
            assert ts[-1] > time.time() - 60, (expr, "no live sample")
            # two backfill steps, plus up to two scrape intervals while Prometheus starts on a busy machine
            assert max(gaps) <= 2 * step + 30, (expr, max(gaps))


def test_determinism_same_seed_same_file(tmp_path):
    anchor = 1_790_000_000.0
    paths = []
    for i in range(2):
        w = World(SCALES["tiny"], 7, anchor)  # fresh objects, no caches shared
        p = tmp_path / f"gen{i}.om"
        write_backfill(p, w, anchor - 1800, anchor, 120)
        paths.append(p)
    assert filecmp.cmp(*paths, shallow=False)
    other = tmp_path / "other.om"
    write_backfill(other, World(SCALES["tiny"], 8, anchor), anchor - 1800, anchor, 120)
    assert not filecmp.cmp(paths[0], other, shallow=False)
    assert paths[0].read_text().endswith("# EOF\n")


def test_second_start_reuses_data(platform):
    """Runs last: stops the module's platform and starts a second one on the same data folder."""
    first = platform.stats["start_seconds"]
    root = platform.data_root
    platform.stop()
    p2 = DemoPlatform(root, scale="tiny", seed=42)
    try:
        url = p2.start()
        assert p2.stats["reused"] is True
        assert p2.stats["start_seconds"] < first
        r = requests.get(url + "/api/v1/query", params={"query": 'count(up{job="jenkins"})'}, timeout=10).json()
        assert r["data"]["result"]
        # history of the first run is still there
        r = requests.get(url + "/api/v1/query",
                         params={"query": 'count(kube_pod_info offset 20h)'}, timeout=10).json()
        assert r["data"]["result"]
    finally:
        p2.stop()
