"""The production server as it is deployed: gunicorn workers, /metrics, JSON logs, read-only root."""
from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import free_port
from tests.integration.recording_proxy import RecordingProxy
from tests.servers import CLI, ROOT, Redis, Served, dash_callback, serve_env, tiles_request

pytestmark = pytest.mark.integration


@pytest.fixture
def proxy(prometheus_url):
    p = RecordingProxy(prometheus_url)
    yield p
    p.stop()


def _counters(text: str) -> dict[tuple, float]:
    """Every sample of every counter and histogram: the values that must never go back."""
    values = {}
    for family in text_string_to_metric_families(text):
        if family.type not in ("counter", "histogram"):
            continue
        for sample in family.samples:
            if sample.name.endswith(("_total", "_count", "_sum", "_bucket")):
                values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def _children(pid: int) -> list[int]:
    found = []
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def test_two_workers_metrics_only_increase_and_request_ids_reach_the_source(proxy, tmp_path):
    metrics_dir = tmp_path / "metrics"
    server = Served(["serve", "--workers", "2", "--threads", "4"],
                    serve_env(proxy.url, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)), tmp_path / "serve.log")
    try:
        server.wait_ready("/metrics")  # not /healthz: those are counted below
        sent = 0
        scrapes = []
        for round_ in range(6):
            for i in range(8):
                assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
                sent += 1
            ready = requests.get(server.url + "/readyz", headers={"X-Request-Id": f"probe-{round_}"}, timeout=30)
            assert ready.status_code == 200 and ready.headers["X-Request-Id"] == f"probe-{round_}"
            text = requests.get(server.url + "/metrics", timeout=10).text
            scrapes.append(_counters(text))
            # Every /healthz ever served, whichever worker served it and whichever answers the scrape.
            assert scrapes[-1][("dataops_http_requests_total", (("endpoint", "/healthz"), ("status", "200")))] == sent
            if round_ == 2:  # a worker replaced (max_requests, OOM kill): its counts must stay
                workers = _children(server.proc.pid)
                assert len(workers) == 2
                os.kill(workers[0], signal.SIGTERM)
                deadline = time.monotonic() + 60
                while (len(_children(server.proc.pid)) < 2 or workers[0] in _children(server.proc.pid)) \
                        and time.monotonic() < deadline:
                    time.sleep(0.2)
                server.wait_ready("/metrics")
        for before, after in zip(scrapes, scrapes[1:]):
            went_back = {k: (v, after.get(k)) for k, v in before.items() if after.get(k, -1) < v}
            assert not went_back, went_back
        last = scrapes[-1]
        assert last[("dataops_upstream_requests_total", (("code", "200"), ("source", "prometheus")))] >= 6
        text = requests.get(server.url + "/metrics", timeout=10).text
        assert 'dataops_build_info{python_version=' in text and 'version="' in text
        # The request id went upstream with the readiness query.
        assert {f"probe-{r}" for r in range(6)} <= set(proxy.request_ids)
        # JSON logs: every line an object; the access line of a probe carries its id.
        lines = [line for line in server.output().splitlines() if line.strip()]
        records = [json.loads(line) for line in lines]
        access = [r for r in records if r.get("logger") == "dataops.access"]
        assert not access or all("request_id" in r for r in access)
        assert any(r.get("logger") == "gunicorn.error" and "Booting worker" in r["message"] for r in records)
    finally:
        server.stop()


def _past_view() -> dict[str, str]:
    """A fixed window well in the past: its cache entries neither expire nor move during the test."""
    to = (int(time.time()) // 3600 - 2) * 3600
    return {"from": str((to - 6 * 3600) * 1000), "to": str(to * 1000)}


def _panel_queries(proxy: RecordingProxy) -> int:
    """Queries of panels that reached the data source (not the health probe's `vector(1)`)."""
    return sum(1 for path, form in proxy.requests
               if path.startswith("/api/v1/query") and form.get("query") != ["vector(1)"])


def _sample(values: dict[tuple, float], name: str, **labels: str) -> float:
    return values.get((name, tuple(sorted(labels.items()))), 0.0)


def test_callback_latency_cache_and_query_metrics_add_up_over_the_workers(proxy, tmp_path):
    """As deployed with the chart's Redis: two workers, one shared cache. The first view of a window
    misses the cache for every query it sends upstream, the later ones (on either worker) hit it;
    every callback is timed under its registered output, a crafted one under `other`."""
    redis = Redis(tmp_path)
    server = Served(["serve", "--workers", "2", "--threads", "4"],
                    serve_env(proxy.url, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"), DATAOPS_REDIS_URL=redis.url),
                    tmp_path / "serve.log")
    session = requests.Session()
    try:
        server.wait_ready()
        body = tiles_request(_past_view())

        def scrape() -> dict[tuple, float]:
            return _counters(requests.get(server.url + "/metrics", timeout=10).text)

        assert dash_callback(session, server.url, body).text.count('"data-tile"') == 6
        first = scrape()
        upstream = _panel_queries(proxy)
        misses = _sample(first, "dataops_cache_misses_total", source="prometheus")
        assert upstream > 0 and misses == upstream  # every query that went upstream had missed
        for _ in range(4):
            assert dash_callback(session, server.url, body).text.count('"data-tile"') == 6
        after = scrape()
        assert _panel_queries(proxy) == upstream
        assert _sample(after, "dataops_cache_misses_total", source="prometheus") == misses
        hits = _sample(after, "dataops_cache_hits_total", source="prometheus") - \
            _sample(first, "dataops_cache_hits_total", source="prometheus")
        assert hits >= 4 * misses  # each later view found every one of those queries in the cache
        assert _sample(after, "dataops_callback_duration_seconds_count", callback="tiles.children") == 5
        assert _sample(after, "dataops_callback_duration_seconds_sum", callback="tiles.children") > 0
        assert _sample(after, "dataops_query_duration_seconds_count", source="prometheus") >= misses
        assert _sample(after, "dataops_http_request_duration_seconds_count", endpoint="dash-update") == 5
        crafted = dict(body, output="x<script>.children", outputs={"id": "x<script>", "property": "children"})
        session.post(server.url + "/_dash-update-component", json=crafted, timeout=60)
        text = requests.get(server.url + "/metrics", timeout=10).text
        assert _sample(_counters(text), "dataops_callback_duration_seconds_count", callback="other") == 1
        assert "<script>" not in text
    finally:
        server.stop()
        redis.stop()


def test_generated_request_id_and_hostile_request_id(prometheus_url, tmp_path):
    server = Served(["serve", "--workers", "1"], serve_env(prometheus_url), tmp_path / "serve.log")
    try:
        server.wait_ready()
        generated = requests.get(server.url + "/", timeout=30).headers["X-Request-Id"]
        assert len(generated) == 32 and int(generated, 16) >= 0
        hostile = requests.get(server.url + "/", headers={"X-Request-Id": 'x" onload=alert(1) ' + "a" * 300},
                               timeout=30).headers["X-Request-Id"]
        assert hostile != generated and len(hostile) == 32  # replaced, not echoed
        page = [json.loads(line) for line in server.output().splitlines()
                if '"dataops.access"' in line and '"path": "/"' in line]
        assert [r["request_id"] for r in page] == [generated, hostile]
        assert all(r["status"] == 200 and r["duration_ms"] >= 0 for r in page)
    finally:
        server.stop()


def _can_remount_read_only() -> bool:
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            "mount --bind / / && mount -o remount,bind,ro / && ! touch /.rw-probe 2>/dev/null"],
                           capture_output=True)
    return probe.returncode == 0


READ_ONLY_SCRIPT = """
set -e
# The container's view: a private tmpfs on /dev/shm (as container runtimes mount it, and the chart's
# emptyDir), the root filesystem and this checkout (wherever it is mounted) read-only.
mount -t tmpfs -o size=64m,mode=1777 tmpfs /dev/shm
mount --bind / / && mount -o remount,bind,ro /
mount --bind "$REPO" "$REPO" && mount -o remount,bind,ro "$REPO"
if setpriv --reuid="$UID_" --regid="$UID_" --clear-groups touch /tmp/.rw-probe "$REPO/.rw-probe" 2>/dev/null; then
    echo "root filesystem is writable" >&2; exit 97
fi
exec setpriv --reuid="$UID_" --regid="$UID_" --clear-groups "$@"
"""


def _chart_container() -> tuple[dict, dict, str]:
    """The chart's (default values) app container, its ConfigMap settings and the pod's uid."""
    from tests.deploy.test_helm_chart import _render

    docs = _render({})
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    config = next(d for d in docs if d["kind"] == "ConfigMap")
    return pod["containers"][0], config["data"], str(pod["securityContext"]["runAsUser"])


def test_chart_command_starts_as_its_user_on_a_read_only_root(prometheus_url, tmp_path):
    """The rendered Deployment's command, environment and uid, with no writable path but /dev/shm.

    What this proves: with the chart's arguments and environment (its settings ConfigMap and its
    env entries; only the data source URL, listen address and port are this machine's), gunicorn
    finds a usable folder for its heartbeat files and the workers for their metric files without
    writing to the root filesystem or the app's folder; no TMPDIR and no HOME are needed; the app
    runs as the chart's uid, which owns nothing here (it has no account). Where mount namespaces are
    not allowed, the same command runs as that uid in a checkout it cannot write (weaker: the root
    filesystem is then not read-only, only not writable for that user)."""
    container, settings, uid = _chart_container()
    assert uid != "0" and container["securityContext"]["readOnlyRootFilesystem"] is True
    env = {"PATH": "/usr/bin:/bin", **settings, **{e["name"]: e["value"] for e in container["env"] if "value" in e},
           "DATAOPS_PROMETHEUS_URL": prometheus_url, "DATAOPS_HOST": "127.0.0.1", "DATAOPS_PORT": str(free_port()),
           "REPO": str(ROOT), "UID_": uid}
    os.chmod(tmp_path, 0o755)
    if _can_remount_read_only():
        prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-c", READ_ONLY_SCRIPT, "ro"]
    else:
        prefix = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
        metrics = tmp_path / "metrics"  # /dev/shm is shared with the machine here
        metrics.mkdir(mode=0o777)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    server = Served(container["args"], env, tmp_path / "ro.log", prefix=prefix)
    try:
        server.wait_ready()
        assert requests.get(server.url + "/readyz", timeout=30).status_code == 200
        assert "dataops_http_requests_total" in requests.get(server.url + "/metrics", timeout=10).text
        # unshare, sh and setpriv exec one another: the process started is gunicorn's master.
        workers = _children(server.proc.pid)
        assert len(workers) == int(container["args"][container["args"].index("--workers") + 1])
        for pid in [server.proc.pid, *workers]:
            assert pathlib.Path(f"/proc/{pid}/status").read_text().split("Uid:")[1].split()[0] == uid
        assert "No usable temporary directory" not in server.output()
    finally:
        server.stop()


def test_unwritable_worker_tmp_dir_is_a_clear_error(tmp_path):
    env = serve_env("http://127.0.0.1:9", DATAOPS_WORKER_TMP_DIR=str(tmp_path / "missing"))
    done = subprocess.run([CLI, "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "DATAOPS_WORKER_TMP_DIR" in done.stderr and "not a writable directory" in done.stderr


def test_worker_counts_out_of_range_are_a_clear_error():
    done = subprocess.run([CLI, "serve", "--workers", "0"], env=serve_env("http://127.0.0.1:9"), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "--workers must be 1..64" in done.stderr
