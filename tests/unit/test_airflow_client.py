"""AirflowClient against the Airflow 3 spec-validated fixtures (tests/fixtures/airflow/), served by a
real local HTTP server; the fixtures and the demo Airflow API's answers are validated against the
spec's schemas."""
from __future__ import annotations

import json
import math
import pathlib
import time
import urllib.parse

import pytest
import requests

from tests.openapi_subset import load_spec, validate_component
from tests.rest_fixture_server import FixtureServer
from webapp.airflowapi import AirflowClient, DagRun, TaskInstance
from webapp.restsource import RestSourceError

FIX = pathlib.Path(__file__).parent.parent / "fixtures" / "airflow"
J = "application/json"
DAG = "sales_mart_refresh"


def _fix(name: str) -> bytes:
    return (FIX / name).read_bytes()


RUNS = json.loads(_fix("dag_runs.json"))
RUN_ID = RUNS["dag_runs"][1]["dag_run_id"]


def _routes() -> dict:
    return {f"/api/v2/dags/{DAG}": (200, J, _fix("dag.json")),
            f"/api/v2/dags/{DAG}/dagRuns": (200, J, _fix("dag_runs.json")),
            f"/api/v2/dags/{DAG}/dagRuns/{urllib.parse.quote(RUN_ID, safe='')}/taskInstances":
                (200, J, _fix("task_instances.json"))}


@pytest.fixture
def server():
    with FixtureServer(_routes(), default=(404, J, _fix("not_found.json"))) as s:
        yield s


@pytest.mark.parametrize("name,schema", [("dag_runs.json", "DAGRunCollectionResponse"),
                                         ("task_instances.json", "TaskInstanceCollectionResponse"),
                                         ("dag.json", "DAGResponse"), ("not_found.json", "HTTPExceptionResponse")])
def test_fixtures_match_the_spec(name, schema):
    assert validate_component(json.loads(_fix(name)), schema) == []


def test_spec_is_airflow_3_v2():
    spec = load_spec()
    assert spec["openapi"].startswith("3.") and "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances" in spec["paths"]


def test_validator_catches_violations():
    bad = json.loads(_fix("dag_runs.json"))
    bad["dag_runs"][0]["state"] = "exploded"
    del bad["dag_runs"][0]["start_date"]
    bad["dag_runs"][1]["duration"] = "long"
    errs = validate_component(bad, "DAGRunCollectionResponse")
    assert any("exploded" in e for e in errs) and any("start_date" in e for e in errs)
    assert any("duration" in e for e in errs)
    ti = json.loads(_fix("task_instances.json"))
    ti["task_instances"][0]["start_date"] = "yesterday"
    assert validate_component(ti, "TaskInstanceCollectionResponse")


def test_dag(server):
    dag = AirflowClient(server.url).dag(DAG)
    assert dag.dag_id == DAG and dag.timetable_summary and dag.owners == ("data-eng",)
    assert AirflowClient(server.url).dag("unknown_dag") is None


def test_dag_runs(server):
    runs = AirflowClient(server.url).dag_runs(DAG, limit=4)
    assert server.requests[-1] == f"/api/v2/dags/{DAG}/dagRuns?order_by=-start_date&limit=4"
    assert all(isinstance(r, DagRun) for r in runs) and len(runs) == len(RUNS["dag_runs"])
    assert {r.state for r in runs} >= {"failed", "success"}
    manual = next(r for r in runs if r.run_type == "manual")
    assert manual.duration == pytest.approx(377.512)
    for r in runs:
        if r.state in ("success", "failed"):
            assert r.end_date > r.start_date and r.duration == pytest.approx((r.end_date - r.start_date).total_seconds(), abs=0.01)
        assert r.logical_date is not None and r.start_date.tzinfo is not None


def test_task_instances(server):
    tis = AirflowClient(server.url).task_instances(DAG, RUN_ID)
    assert all(isinstance(t, TaskInstance) for t in tis)
    by = {(t.task_id, t.map_index): t for t in tis}
    assert by[("build_mart", -1)].state == "failed" and by[("build_mart", -1)].try_number == 3
    assert by[("publish_mart", -1)].state == "upstream_failed" and by[("publish_mart", -1)].start_date is None
    assert by[("notify_owners", 0)].state == "skipped" and by[("notify_owners", 1)].map_index == 1
    assert by[("wait_for_orders", -1)].operator == "ExternalTaskSensor"
    assert by[("build_mart", -1)].duration > 600


def test_token_login_and_refresh():
    state = {"issued": 0}

    def token(handler):
        body = json.loads(handler.body)
        if body != {"username": "viewer", "password": "s3cret"}:
            return 401, J, b'{"detail": "bad"}'
        state["issued"] += 1
        return 201, J, json.dumps({"access_token": f"tok{state['issued']}"}).encode()

    def dag(handler):
        if handler.headers.get("Authorization") != f"Bearer tok{state['issued']}" or state["issued"] < 2 and state.get("expire"):
            state["expire"] = False
            return 401, J, b'{"detail": "expired"}'
        return 200, J, _fix("dag.json")

    state["expire"] = True
    with FixtureServer({"/auth/token": token, f"/api/v2/dags/{DAG}": dag}) as s:
        c = AirflowClient(s.url, username="viewer", password="s3cret")
        assert c.dag(DAG).dag_id == DAG          # token 1 refused as expired -> relogin -> token 2
        assert state["issued"] == 2
    with FixtureServer({"/auth/token": token}) as s:
        with pytest.raises(RestSourceError) as ei:
            AirflowClient(s.url, username="viewer", password="wrong").dag(DAG)
        assert ei.value.kind == "auth" and ei.value.status == 401


def test_errors():
    with FixtureServer({}, default=(500, J, b'{"detail": "db down"}')) as s:
        with pytest.raises(RestSourceError) as ei:
            AirflowClient(s.url).dag_runs(DAG)
        assert ei.value.kind == "http" and ei.value.status == 500 and len(s.requests) == 1
        assert ei.value.user_message == "The Airflow API answered with an error (HTTP 500)."
    with FixtureServer({}, default=(403, J, b'{"detail": "forbidden"}')) as s:
        with pytest.raises(RestSourceError) as ei:
            AirflowClient(s.url).dag_runs(DAG)
        assert ei.value.kind == "auth"
    with FixtureServer({}, default=(200, J, b'[1, 2]')) as s:
        with pytest.raises(RestSourceError) as ei:
            AirflowClient(s.url).task_instances(DAG, "r1")
        assert ei.value.kind == "invalid_response"


@pytest.mark.parametrize("hostile", ["../../../auth/token", "x/dagRuns", "a?limit=1#", "sales mart"])
def test_hostile_ids_stay_in_their_segment(hostile):
    with FixtureServer({}) as s:
        c = AirflowClient(s.url)
        assert c.dag(hostile) is None
        with pytest.raises(RestSourceError):
            c.task_instances(DAG, hostile)
        for raw in s.requests:
            path = raw.split("?")[0]
            assert path.startswith("/api/v2/dags/") and "#" not in raw
            assert ".." not in path.split("/") and path.count("/") in (4, 7)


# ----------------------------------------------------------------------------- the demo Airflow API
@pytest.fixture(scope="module")
def demo_api():
    from webapp.demo.restapis import RestApiServer
    from webapp.demo.world import build_world
    anchor = math.floor(time.time() / 60) * 60 - 1800
    srv = RestApiServer(build_world("tiny", 42, anchor))
    srv.start()
    yield srv
    srv.stop()


def test_demo_answers_match_the_spec(demo_api):
    from webapp.demo.components.airflow import DAGS
    for cluster in demo_api.world.clusters:
        base = demo_api.airflow_api_url(cluster)
        for dag_id in DAGS:
            dag = requests.get(f"{base}/api/v2/dags/{dag_id}", timeout=10).json()
            assert validate_component(dag, "DAGResponse") == []
            runs = requests.get(f"{base}/api/v2/dags/{dag_id}/dagRuns",
                                params={"order_by": "-start_date", "limit": 5}, timeout=10).json()
            assert validate_component(runs, "DAGRunCollectionResponse") == []
            assert len(runs["dag_runs"]) == 5
            for run in runs["dag_runs"][:2]:
                tis = requests.get(f"{base}/api/v2/dags/{dag_id}/dagRuns/"
                                   f"{urllib.parse.quote(run['dag_run_id'], safe='')}/taskInstances", timeout=10).json()
                assert validate_component(tis, "TaskInstanceCollectionResponse") == []
                assert [t["task_id"] for t in tis["task_instances"]] == [t[0] for t in DAGS[dag_id][1]]
    nf = requests.get(f"{demo_api.airflow_api_url()}/api/v2/dags/nope", timeout=10)
    assert nf.status_code == 404 and validate_component(nf.json(), "HTTPExceptionResponse") == []


def test_demo_failing_dag_story(demo_api):
    c = AirflowClient(demo_api.airflow_api_url(), username="demo", password="demo")
    runs = [r for r in c.dag_runs(DAG, limit=10) if r.state != "running"]
    assert runs and all(r.state == "failed" for r in runs[:5])
    tis = {t.task_id: t for t in c.task_instances(DAG, runs[0].dag_run_id)}
    assert tis["build_mart"].state == "failed" and tis["build_mart"].try_number == 3
    assert tis["publish_mart"].state == "upstream_failed"
    # the other cluster's Airflow has no failing story
    other = AirflowClient(demo_api.airflow_api_url(demo_api.world.clusters[1]))
    assert sum(r.state == "success" for r in other.dag_runs(DAG, limit=10)) >= 8


def test_demo_is_deterministic(demo_api):
    base = demo_api.airflow_api_url()
    a = requests.get(f"{base}/api/v2/dags/orders_daily_load/dagRuns", params={"limit": 3, "order_by": "-start_date"}).json()
    from webapp.demo.restapis import RestApiServer
    from webapp.demo.world import build_world
    other = RestApiServer(build_world("tiny", 42, demo_api.world.anchor), clock=demo_api.airflow.clock)
    other.start()
    try:
        b = requests.get(f"{other.airflow_api_url()}/api/v2/dags/orders_daily_load/dagRuns",
                         params={"limit": 3, "order_by": "-start_date"}).json()
    finally:
        other.stop()
    done = lambda d: [r for r in d["dag_runs"] if r["state"] != "running"]  # noqa: E731
    assert done(a) == done(b)
