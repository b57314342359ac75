"""The Bitbucket and journey exporters against the demo's delivery APIs (Bitbucket Server REST 1.0,
Jenkins JSON API, Argo CD /api/v1, Kubernetes pods), whose answers follow the products' published
shapes (checked below), and the HTTP client's rate-limit handling."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from webapp.demo.deliveryapis import APPS, PROJECT, DeliveryApiServer, Flow
from webapp.exporters.base import read_credentials
from webapp.exporters.bitbucket import BitbucketExporter, BitbucketSettings, load_bitbucket_settings
from webapp.exporters.http import ApiClient, ApiError
from webapp.exporters.journey import JourneyExporter, JourneySettings, load_journey_settings
from webapp.settings import SettingsError

T0 = 1_790_000_000.0     # a fixed "now": the flow is a function of the clock, so tests hold at any date


class Clock:
    def __init__(self, t: float):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def apis():
    clock = Clock(T0)
    srv = DeliveryApiServer(clock=clock).start()
    srv.clock = clock
    yield srv
    srv.stop()


def _samples(text: str) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def _journey(url: str) -> JourneyExporter:
    return JourneyExporter(JourneySettings(argocd_url=f"{url}/argocd", jenkins_url=f"{url}/jenkins",
                                           bitbucket_url=f"{url}/bitbucket", kubernetes_url=f"{url}/kubernetes"))


# ---------------------------------------------------------------- shapes (published API documentation)
def test_bitbucket_answers_have_the_documented_shape(apis):
    """Bitbucket Data Center REST 1.0: paged responses {size, limit, isLastPage, values, start[, nextPageStart]};
    branch {id, displayId, type, latestCommit, isDefault}; commit {id, displayId, author, authorTimestamp,
    committer, committerTimestamp, message, parents}; pull request {id, version, title, state, open, closed,
    createdDate, updatedDate, fromRef, toRef} (+ closedDate once closed); timestamps in epoch milliseconds."""
    base = f"{apis.url}/bitbucket/rest/api/1.0/projects/{PROJECT}/repos/orders-api"
    page = requests.get(f"{base}/pull-requests", params={"state": "ALL", "limit": 5}, timeout=5).json()
    assert {"size", "limit", "isLastPage", "values", "start", "nextPageStart"} <= page.keys()
    for pr in page["values"]:
        assert {"id", "version", "title", "state", "open", "closed", "createdDate", "updatedDate", "fromRef",
                "toRef"} <= pr.keys() and pr["state"] in ("OPEN", "MERGED", "DECLINED")
        assert isinstance(pr["createdDate"], int) and (pr["state"] == "OPEN") == ("closedDate" not in pr)
    br = requests.get(f"{base}/branches", timeout=5).json()["values"][0]
    assert {"id", "displayId", "type", "latestCommit", "isDefault"} <= br.keys() and br["id"] == "refs/heads/main"
    c = requests.get(f"{base}/commits", params={"until": br["id"], "limit": 1}, timeout=5).json()["values"][0]
    assert {"id", "displayId", "author", "authorTimestamp", "committer", "committerTimestamp", "message",
            "parents"} <= c.keys() and c["id"] == br["latestCommit"]
    assert requests.get(f"{base}/commits/{c['id']}", timeout=5).json() == c
    assert requests.get(f"{base}/commits/{'0' * 40}", timeout=5).status_code == 404


def test_jenkins_argocd_kubernetes_answers_have_the_documented_shape(apis):
    """Jenkins: builds {number, result, building, timestamp (ms), duration (ms), actions[] with BuildData
    lastBuiltRevision.SHA1, changeSets[].items[].commitId}. Argo CD (swagger v1alpha1Application):
    status.history[] {id, revision, deployStartedAt, deployedAt, source}, status.operationState {phase,
    startedAt, finishedAt, syncResult.revision}, spec.destination.namespace. Kubernetes PodList
    {kind, apiVersion, items[].status.conditions[] {type, status, lastTransitionTime}}."""
    job = requests.get(f"{apis.url}/jenkins/job/orders-api/api/json", timeout=5).json()
    b = next(b for b in job["builds"] if not b["building"])
    assert {"number", "result", "building", "timestamp", "duration", "actions", "changeSets"} <= b.keys()
    assert b["actions"][0]["lastBuiltRevision"]["SHA1"] == b["changeSets"][0]["items"][0]["commitId"]
    apps = requests.get(f"{apis.url}/argocd/api/v1/applications", timeout=5).json()["items"]
    assert sorted(a["metadata"]["name"] for a in apps) == sorted(APPS)
    h = apps[0]["status"]["history"][-1]
    assert {"id", "revision", "deployStartedAt", "deployedAt", "source"} <= h.keys()
    assert h["deployedAt"].endswith("Z") and h["deployStartedAt"] < h["deployedAt"]
    assert {"phase", "startedAt", "syncResult"} <= apps[0]["status"]["operationState"].keys()
    pods = requests.get(f"{apis.url}/kubernetes/api/v1/namespaces/orders-api/pods",
                        params={"labelSelector": "app.kubernetes.io/instance=orders-api"}, timeout=5).json()
    assert pods["kind"] == "PodList" and pods["items"]
    cond = pods["items"][0]["status"]["conditions"][0]
    assert cond["type"] == "Ready" and cond["status"] in ("True", "False") and cond["lastTransitionTime"].endswith("Z")


# ---------------------------------------------------------------- Bitbucket exporter
def test_bitbucket_counts_new_commits_and_pull_requests(apis):
    exp = BitbucketExporter(BitbucketSettings(url=f"{apis.url}/bitbucket"))
    assert exp.run_once(), exp.last_error
    v = _samples(exp.exposition().decode())
    key = (("branch", "main"), ("project", PROJECT), ("repository", "orders-api"))
    assert v[("git_commits_total", key)] == 0                     # the first poll is the baseline
    states = {s: v[("git_pull_requests", (("project", PROJECT), ("repository", "orders-api"), ("state", s)))]
              for s in ("OPEN", "MERGED", "DECLINED")}
    assert states["OPEN"] == 2 and states["MERGED"] > 0 and states["DECLINED"] > 0
    merged = v[("git_pull_request_merge_seconds_count", (("project", PROJECT), ("repository", "orders-api")))]
    assert merged == states["MERGED"]
    apis.clock.t += 3 * APPS["orders-api"][0]        # three more commits on main
    calls = exp.api_calls["commits"]
    assert exp.run_once(), exp.last_error
    v = _samples(exp.exposition().decode())
    assert v[("git_commits_total", key)] == 3
    assert exp.api_calls["commits"] - calls == len(APPS)      # one `since` listing per moved branch
    assert v[("git_branch_last_commit_timestamp_seconds", key)] == Flow().times(
        "orders-api", int((T0 + 3 * APPS["orders-api"][0]) // APPS["orders-api"][0]))["commit"]


def test_a_missing_repository_is_one_error(apis):
    exp = BitbucketExporter(BitbucketSettings(url=f"{apis.url}/bitbucket", projects=(PROJECT, "NOPE")))
    assert exp.run_once()
    v = _samples(exp.exposition().decode())
    assert v[("dataops_exporter_errors_total", (("exporter", "bitbucket"), ("object", "NOPE"), ("source", "project")))] == 1
    assert ("git_pull_requests", (("project", PROJECT), ("repository", "portal-ui"), ("state", "OPEN"))) in v


# ---------------------------------------------------------------- journey exporter
def test_journey_stage_durations_and_bottleneck(apis):
    exp = _journey(apis.url)
    assert exp.run_once(), exp.last_error
    v = _samples(exp.exposition().decode())
    flow = Flow()
    for app, (period, phase, stages) in APPS.items():
        done = [i for i in flow.commits(app, T0) if flow.times(app, i)["ready"] <= T0]
        i = done[-1]
        t = flow.times(app, i)
        expected = {"git": t["build_start"] - t["commit"], "jenkins": t["build_end"] - t["build_start"],
                    "argocd": t["deployed"] - t["build_end"], "kubernetes": t["ready"] - t["deployed"]}
        got = {dict(k[1])["stage"]: val for k, val in v.items()
               if k[0] == "pipeline_last_stage_duration_seconds" and dict(k[1])["pipeline"] == app}
        # Jenkins and Bitbucket keep milliseconds, Argo CD and Kubernetes whole seconds
        assert got.keys() == expected.keys() and all(abs(got[s] - expected[s]) < 2.1 for s in expected), (app, got)
        slow = [dict(k[1])["stage"] for k in v if k[0] == "pipeline_bottleneck_duration_seconds"
                and dict(k[1])["pipeline"] == app]
        assert slow == ["kubernetes" if app == "ml-serving" else "jenkins"]
        assert v[("pipeline_runs_total", (("journey", "deploy"), ("pipeline", app), ("status", "success")))] == 1
        total = v[("pipeline_duration_seconds_sum", (("journey", "deploy"), ("pipeline", app)))]
        assert abs(total - sum(got.values())) < 1e-6
    # the same deployment is not observed twice; the next one is
    assert exp.run_once()
    assert _samples(exp.exposition().decode())[
        ("pipeline_runs_total", (("journey", "deploy"), ("pipeline", "orders-api"), ("status", "success")))] == 1
    apis.clock.t += APPS["orders-api"][0]
    assert exp.run_once()
    assert _samples(exp.exposition().decode())[
        ("pipeline_runs_total", (("journey", "deploy"), ("pipeline", "orders-api"), ("status", "success")))] == 2


def test_journey_exporter_survives_an_unreachable_source(apis):
    exp = JourneyExporter(JourneySettings(argocd_url="http://127.0.0.1:9", jenkins_url=f"{apis.url}/jenkins",
                                          bitbucket_url=f"{apis.url}/bitbucket",
                                          kubernetes_url=f"{apis.url}/kubernetes"))
    assert not exp.run_once()
    assert "argocd_applications" in exp.last_error
    assert b"dataops_exporter_errors_total" in exp.exposition()


# ---------------------------------------------------------------- rate limits and settings
class _Limited(BaseHTTPRequestHandler):
    hits = 0

    def log_message(self, *a):
        return

    def do_GET(self):
        type(self).hits += 1
        if type(self).hits == 1:
            self.send_response(429)
            self.send_header("Retry-After", "7")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-RateLimit-Remaining", "0")
        self.send_header("X-RateLimit-FillRate", "5")
        self.send_header("X-RateLimit-Interval-Seconds", "1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_rate_limit_retry_after_and_empty_bucket():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Limited)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    slept = []
    exp = BitbucketExporter(BitbucketSettings(url="http://x"))
    client = ApiClient(f"http://127.0.0.1:{httpd.server_address[1]}", exp, sleep=slept.append)
    try:
        assert client.get("/a", "commits") == {"ok": True}
        assert slept == [7.0] and exp.rate_limited["commits"] == 1 and exp.api_calls["commits"] == 2
        client.get("/b", "commits")            # the bucket was empty: wait for one token (1 s / 5)
        assert len(slept) == 2 and 0 < slept[1] <= 0.2
    finally:
        httpd.shutdown()
        httpd.server_close()
    with pytest.raises(ApiError, match="commits"):
        ApiClient("http://127.0.0.1:9", exp).get("/", "commits")


def test_settings_and_credentials(tmp_path):
    with pytest.raises(SettingsError, match="DATAOPS_BITBUCKET_URL"):
        load_bitbucket_settings({})
    with pytest.raises(SettingsError, match="DATAOPS_BITBUCKET_URL"):
        load_bitbucket_settings({"DATAOPS_BITBUCKET_URL": "ftp://x"})
    f = tmp_path / "creds"
    f.write_text("svc-monitor:s3cret\n")
    s = load_bitbucket_settings({"DATAOPS_BITBUCKET_URL": "https://bb.example.com/",
                                 "DATAOPS_BITBUCKET_CREDENTIALS_FILE": str(f)})
    assert s.url == "https://bb.example.com" and s.credentials == ("svc-monitor", "s3cret")
    assert "s3cret" not in repr(s)
    f.write_text("\n  token-abc  \n")
    assert read_credentials("X", str(f)) == "token-abc"
    f.write_text("")
    with pytest.raises(SettingsError, match="empty"):
        read_credentials("X", str(f))
    with pytest.raises(SettingsError, match="cannot read"):
        read_credentials("X", str(tmp_path / "missing"))
    with pytest.raises(SettingsError, match="DATAOPS_JOURNEY_ARGOCD_URL"):
        load_journey_settings({})
    with pytest.raises(SettingsError, match="DATAOPS_JOURNEY_REFRESH"):
        load_journey_settings({k: "http://x" for k in ("DATAOPS_JOURNEY_ARGOCD_URL", "DATAOPS_JOURNEY_JENKINS_URL",
                                                      "DATAOPS_JOURNEY_BITBUCKET_URL",
                                                      "DATAOPS_JOURNEY_KUBERNETES_URL")}
                              | {"DATAOPS_JOURNEY_REFRESH": "0"})


# ---------------------------------------------------------------- data journey (Airflow -> Spark -> Iceberg)
def test_airflow_and_spark_answers_have_the_documented_shape(apis):
    """Airflow 3 REST API v2: the DAG-run collection validates against Airflow's own OpenAPI spec; the Spark
    History Server's application list has the fields of a recorded Spark 4.3 answer."""
    import pathlib

    from tests.openapi_subset import validate_component
    r = requests.get(f"{apis.url}/airflow/api/v2/dags/orders_etl/dagRuns", timeout=5)
    assert r.status_code == 401                                    # a JWT is required, as in Airflow 3
    tok = requests.post(f"{apis.url}/airflow/auth/token", json={"username": "u", "password": "p"}, timeout=5)
    assert tok.status_code == 201
    runs = requests.get(f"{apis.url}/airflow/api/v2/dags/orders_etl/dagRuns", timeout=5,
                        headers={"Authorization": f"Bearer {tok.json()['access_token']}"}).json()
    runs.setdefault("total_entries", len(runs["dag_runs"]))
    assert validate_component(runs, "DAGRunCollectionResponse") == []
    recorded = json.loads((pathlib.Path(__file__).parents[1] / "fixtures" / "spark_history" /
                           "applications.json").read_text())[0]
    apps = requests.get(f"{apis.url}/spark-history/api/v1/applications", params={"status": "completed"},
                        timeout=5).json()
    assert apps and set(apps[0]) == set(recorded)
    assert set(recorded["attempts"][0]) - {"exitCode", "logSourceName", "logSourceFullPath"} <= set(apps[0]["attempts"][0])


def test_data_journey_from_airflow_to_spark_to_iceberg(tmp_path):
    import time as _time

    from webapp.demo import lakehouse
    pytest.importorskip("pyiceberg")
    real_now = _time.time()
    q, up, spark, down = 20, 200, 600, 100
    period = 3600
    # a run whose Spark application started 100 s before "real now" (the Iceberg commit is made now)
    spark_start = real_now - 100
    phase = (spark_start - up - q) % period
    dags = {"orders_etl": (period, phase, (q, up, spark, down))}
    clock = Clock(real_now)
    srv = DeliveryApiServer(clock=clock, dags=dags).start()
    try:
        flow = srv.flow
        i = flow.runs("orders_etl", real_now)[-1]
        t = flow.run_times("orders_etl", i)
        assert t["spark_start"] <= real_now <= t["spark_end"]
        cat = lakehouse.build_lakehouse(tmp_path)
        table = cat.load_table(("audit", "access_log"))
        table.append(lakehouse._batch(7), snapshot_properties={"spark.app.id": flow.spark_app_id("orders_etl", i)})
        commit = cat.load_table(("audit", "access_log")).current_snapshot().timestamp_ms / 1000.0
        clock.t = t["end"] + 5
        exp = JourneyExporter(JourneySettings(airflow_url=f"{srv.url}/airflow", airflow_credentials=("u", "p"),
                                              spark_history_url=f"{srv.url}/spark-history"), catalog=cat)
        assert exp.run_once(), exp.last_error
        v = _samples(exp.exposition().decode())
        lab = lambda stage: (("journey", "data"), ("pipeline", "orders_etl"),
                             ("revision", next(k[1] for k in v if k[0] == "pipeline_last_stage_duration_seconds"
                                               and ("stage", stage) in k[1] and ("journey", "data") in k[1])[2][1]),
                             ("stage", stage))
        airflow = v[("pipeline_last_stage_duration_seconds", lab("airflow"))]
        application = v[("pipeline_last_stage_duration_seconds", lab("application"))]
        assert abs(airflow - (t["spark_start"] - t["queued"])) < 0.002
        assert abs(application - (commit - t["spark_start"])) < 0.002         # to the Iceberg commit
        # older runs had no commit in this catalog: their journey ends with the Spark application
        runs = v[("pipeline_runs_total", (("journey", "data"), ("pipeline", "orders_etl"), ("status", "success")))]
        assert runs == len([j for j in flow.runs("orders_etl", clock.t) if flow.run_times("orders_etl", j)["end"] <= clock.t])
        assert exp.api_calls["airflow_token"] == 1
        assert exp.run_once() and _samples(exp.exposition().decode())[
            ("pipeline_runs_total", (("journey", "data"), ("pipeline", "orders_etl"), ("status", "success")))] == runs
    finally:
        srv.stop()


def test_demo_history_is_what_the_journey_exporter_reports(apis):
    """The demo backfills the journey exporter's history (components/journey.py); it must equal what the
    real exporter computes from the demo APIs at the same moment."""
    from webapp.demo.components.journey import data_journeys, deploy_journeys
    from webapp.demo.deliveryapis import DAGS
    exp = JourneyExporter(JourneySettings(argocd_url=f"{apis.url}/argocd", jenkins_url=f"{apis.url}/jenkins",
                                          bitbucket_url=f"{apis.url}/bitbucket", kubernetes_url=f"{apis.url}/kubernetes",
                                          airflow_url=f"{apis.url}/airflow", airflow_credentials=("u", "p"),
                                          spark_history_url=f"{apis.url}/spark-history"))
    assert exp.run_once(), exp.last_error
    live = {(dict(k[1])["pipeline"], dict(k[1])["stage"]): (dict(k[1])["revision"], val)
            for k, val in _samples(exp.exposition().decode()).items() if k[0] == "pipeline_last_stage_duration_seconds"}
    history = {}
    for app in APPS:
        _at, rev, stages, _id = deploy_journeys(app, T0 - 6 * 3600, T0 + 1)[-1]
        history.update({(app, s): (rev, d) for s, d in stages.items()})
    for dag in DAGS:
        _at, _end, run_id, stages, _bytes = data_journeys(dag, T0 - 6 * 3600, T0 + 1)[-1]
        history.update({(dag, s): (run_id, d) for s, d in stages.items()})
    assert live.keys() == history.keys()
    for key, (rev, d) in history.items():
        assert live[key][0] == rev and abs(live[key][1] - d) < 1e-6, (key, live[key], (rev, d))


def test_command_line_as_a_user_runs_it(apis, tmp_path):
    import os
    import pathlib
    import subprocess
    import sys
    root = pathlib.Path(__file__).resolve().parents[2]
    creds = tmp_path / "bitbucket-token"
    creds.write_text("svc-monitor:secret\n")
    env = {**os.environ, "DATAOPS_BITBUCKET_URL": f"{apis.url}/bitbucket",
           "DATAOPS_BITBUCKET_CREDENTIALS_FILE": str(creds)}
    proc = subprocess.run([sys.executable, "-m", "webapp.cli", "exporter", "bitbucket", "--once"], env=env,
                          capture_output=True, text=True, timeout=120, cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert 'git_pull_requests{project="PLAT",repository="orders-api",state="OPEN"} 2.0' in proc.stdout
    bad = subprocess.run([sys.executable, "-m", "webapp.cli", "exporter", "journey", "--once"],
                         env={**os.environ, "DATAOPS_JOURNEY_AIRFLOW_URL": "http://127.0.0.1:9"},
                         capture_output=True, text=True, timeout=120, cwd=root)
    assert bad.returncode == 2 and "DATAOPS_JOURNEY_SPARK_HISTORY_URL" in bad.stderr
