"""SparkHistoryClient against real recorded History Server answers (Spark 4.3.0, see
tests/fixtures/spark_history/README.md), served by a real local HTTP server."""
from __future__ import annotations

import datetime as dt
import json
import pathlib

import pytest

from webapp.restsource import RestSourceError
from webapp.sparkhistory import Executor, SparkApplication, SparkHistoryClient, Stage, Task

from tests.rest_fixture_server import FixtureServer, slow

FIX = pathlib.Path(__file__).parent.parent / "fixtures" / "spark_history"
MANIFEST = json.loads((FIX / "manifest.json").read_text())
APP = MANIFEST["app_id"]
J = "application/json"


def _routes() -> dict:
    routes = {}
    for name, path in MANIFEST["files"].items():
        if name.endswith(".json"):
            routes["/api/v1" + path.split("?")[0]] = (200, J, (FIX / name).read_bytes())
    return routes


@pytest.fixture
def server():
    with FixtureServer(_routes(), default=(404, "text/plain", (FIX / "not_found.txt").read_bytes())) as s:
        yield s


class DictCache:
    def __init__(self):
        self.d, self.sets = {}, []

    def get(self, k):
        return self.d.get(k)

    def set(self, k, v, timeout=None):
        self.sets.append((k, timeout))
        self.d[k] = v


def test_application(server):
    app = SparkHistoryClient(server.url).application(APP)
    assert isinstance(app, SparkApplication)
    assert app.id == APP and app.name == MANIFEST["app_name"] and app.completed
    assert app.spark_version == MANIFEST["spark_version"]
    assert app.start_time.tzinfo is not None and app.end_time > app.start_time
    assert app.duration_ms == int((app.end_time - app.start_time).total_seconds() * 1000)


def test_unknown_application_is_none(server):
    assert SparkHistoryClient(server.url).application("app-does-not-exist") is None


def test_jobs_and_stages(server):
    c = SparkHistoryClient(server.url)
    jobs = c.jobs(APP)
    assert sorted(j.job_id for j in jobs) == [0, 1, 2]
    assert all(j.status == "SUCCEEDED" for j in jobs)
    assert next(j for j in jobs if j.job_id == 1).num_failed_tasks == 1
    stages = c.stages(APP)
    assert all(isinstance(s, Stage) for s in stages)
    assert [s.stage_id for s in stages] == sorted(s.stage_id for s in stages)
    assert {s.status for s in stages} == {"COMPLETE"}
    assert sum(s.shuffle_write_bytes for s in stages) > 0 and sum(s.shuffle_read_bytes for s in stages) > 0
    assert sum(s.num_failed_tasks for s in stages) == 1
    for s in stages:
        assert s.completion_time >= s.submission_time and s.duration_ms >= 0
        assert s.num_tasks >= 1 and s.executor_run_time_ms >= 0


def test_tasks_with_retried_failure(server):
    c = SparkHistoryClient(server.url)
    stage = next(s for s in c.stages(APP) if s.num_failed_tasks)
    tasks = c.tasks(APP, stage.stage_id, stage.attempt_id)
    assert all(isinstance(t, Task) for t in tasks)
    failed = [t for t in tasks if t.status == "FAILED"]
    assert len(failed) == 1 and "simulated transient failure" in failed[0].error_message
    retry = [t for t in tasks if t.index == failed[0].index and t.status == "SUCCESS"]
    assert retry and retry[0].attempt == 1
    for t in tasks:
        assert t.executor_id == "driver" and t.host and t.duration_ms >= 0
        assert isinstance(t.launch_time, dt.datetime)
    assert server.requests[-1].endswith(f"/stages/{stage.stage_id}/{stage.attempt_id}/taskList?length=500")


def test_executors(server):
    ex = SparkHistoryClient(server.url).executors(APP)
    assert len(ex) == 1 and isinstance(ex[0], Executor)
    d = ex[0]
    assert d.id == "driver" and d.is_active and d.remove_time is None and d.remove_reason == ""
    assert d.completed_tasks > 0 and d.failed_tasks == 1 and d.max_memory > 0 and ":" not in d.host
    assert server.requests[-1].endswith("/allexecutors")
    SparkHistoryClient(server.url).executors(APP, include_removed=False)
    assert server.requests[-1].endswith("/executors")


def test_500_raises_without_retry():
    with FixtureServer({}, default=(500, "text/plain", b"boom")) as s:
        with pytest.raises(RestSourceError) as ei:
            SparkHistoryClient(s.url).stages("app-1")
        assert ei.value.kind == "http" and ei.value.status == 500
        assert "HTTP 500" in ei.value.user_message and "Spark History Server" in ei.value.user_message
        assert len(s.requests) == 1


def test_404_on_a_list_is_an_error():
    with FixtureServer({}) as s:
        with pytest.raises(RestSourceError) as ei:
            SparkHistoryClient(s.url).jobs("app-1")
        assert ei.value.status == 404


def test_timeout():
    with FixtureServer({}, default=slow(1.5, (200, J, b"[]"))) as s:
        with pytest.raises(RestSourceError) as ei:
            SparkHistoryClient(s.url, timeout=0.3).stages("app-1")
        assert ei.value.kind == "timeout"
        assert ei.value.user_message == "The Spark History Server did not answer in time."


def test_unreachable():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(RestSourceError) as ei:
        SparkHistoryClient(f"http://127.0.0.1:{port}", timeout=2).stages("app-1")
    assert ei.value.kind == "unreachable"


@pytest.mark.parametrize("body,ctype", [(b"<html>login</html>", "text/html"), (b'{"not": "a list"}', J)])
def test_invalid_responses(body, ctype):
    with FixtureServer({}, default=(200, ctype, body)) as s:
        with pytest.raises(RestSourceError) as ei:
            SparkHistoryClient(s.url).stages("app-1")
        assert ei.value.kind == "invalid_response"


@pytest.mark.parametrize("hostile", ["../../api/v1/version", "app/../../x", "a?b=c#d", "a b%2F", "..", "x/y"])
def test_hostile_ids_stay_in_their_segment(hostile):
    with FixtureServer({}) as s:
        c = SparkHistoryClient(s.url)
        if hostile == "..":
            with pytest.raises(RestSourceError) as ei:
                c.application(hostile)
            assert ei.value.kind == "invalid_id"
            assert s.requests == []
            return
        assert c.application(hostile) is None
        raw = s.requests[-1]
        assert raw.startswith("/api/v1/applications/") and raw.count("/") == 4
        assert "?" not in raw and "#" not in raw and ".." not in raw.split("/")


@pytest.mark.parametrize("bad", ["", "x" * 257, "a\nb", "a\x00b", "a\x85b", None, 3.5])
def test_invalid_ids_are_refused_before_any_request(bad):
    with FixtureServer({}) as s:
        with pytest.raises(RestSourceError) as ei:
            SparkHistoryClient(s.url).stages(bad)
        assert ei.value.kind == "invalid_id" and s.requests == []


@pytest.mark.parametrize("stage,attempt", [("1/../2", 0), (-1, 0), (1, "0?x=1"), (True, 0)])
def test_stage_and_attempt_must_be_integers(stage, attempt):
    with pytest.raises(RestSourceError) as ei:
        SparkHistoryClient("http://127.0.0.1:9").tasks("app-1", stage, attempt)
    assert ei.value.kind == "invalid_id"


def test_cache_by_url(server):
    cache = DictCache()
    c = SparkHistoryClient(server.url, cache=cache, cache_timeout=17)
    a = c.stages(APP)
    b = c.stages(APP)
    assert a == b
    assert sum(1 for r in server.requests if "/stages" in r) == 1
    key, timeout = cache.sets[0]
    assert key.endswith(f"{server.url}/api/v1/applications/{APP}/stages") and timeout == 17
    # a 404 (None) is cached too, not re-fetched
    assert c.application("app-does-not-exist") is None and c.application("app-does-not-exist") is None
    assert sum(1 for r in server.requests if r.endswith("app-does-not-exist")) == 1


def test_errors_are_not_cached():
    cache = DictCache()
    with FixtureServer({}, default=(503, "text/plain", b"down")) as s:
        c = SparkHistoryClient(s.url, cache=cache)
        for _ in range(2):
            with pytest.raises(RestSourceError):
                c.stages("app-1")
        assert len(s.requests) == 2 and cache.sets == []


def test_bad_base_url():
    with pytest.raises(ValueError):
        SparkHistoryClient("file:///etc/passwd")
