"""Start `dataops-monitor` (and Redis) as real processes on loopback for the serving tests."""
from __future__ import annotations

import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import requests

from tests.conftest import free_port

ROOT = pathlib.Path(__file__).resolve().parent.parent
CLI = str(pathlib.Path(sys.executable).with_name("dataops-monitor"))


class Served:
    """One `dataops-monitor` process; `output()` is its stdout and stderr so far."""

    def __init__(self, args: list[str], env: dict[str, str], log: pathlib.Path, prefix: list[str] | None = None):
        self.port = int(env["DATAOPS_PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._file = open(log, "wb")
        self.proc = subprocess.Popen([*(prefix or []), CLI, *args], env=env, stdout=self._file,
                                     stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)

    def wait_ready(self, path: str = "/healthz", timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.output()[-3000:]}")
            try:
                if requests.get(self.url + path, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise AssertionError(f"server not ready within {timeout:.0f}s:\n{self.output()[-3000:]}")

    def output(self) -> str:
        if not self._file.closed:
            self._file.flush()
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._file.close()


def serve_env(prometheus_url: str, port: int | None = None, **extra: str) -> dict[str, str]:
    """A clean environment for `serve`: PATH, the data source, a free port, and `extra`."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATAOPS_PROMETHEUS_URL": prometheus_url,
           "DATAOPS_HOST": "127.0.0.1", "DATAOPS_PORT": str(port or free_port())}
    env.update(extra)
    return env


class Redis:
    """A real redis-server on a loopback port, no persistence, in `folder`. `args` (a chart's or a compose
    file's command line) override the persistence flags, not the address or folder; a bad one fails the start."""

    def __init__(self, folder: pathlib.Path, args: tuple[str, ...] = ()):
        binary = shutil.which("redis-server")
        if binary is None:
            raise AssertionError("redis-server is not installed: run scripts/install-system-deps.sh redis")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._log = open(folder / "redis.log", "wb")
        self.proc = subprocess.Popen([binary, "--save", "", "--appendonly", "no", *args,
                                      "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(folder)],
                                     stdout=self._log, stderr=subprocess.STDOUT)
        import redis
        self.client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.client.ping()
                return
            except redis.exceptions.ConnectionError:
                if self.proc.poll() is not None:
                    log = (folder / "redis.log").read_text(errors="replace")
                    raise AssertionError(f"redis-server {' '.join(args)} exited: {log[-2000:]}") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self._log.close()


def tiles_request(params: dict[str, str]) -> dict:
    """The body Dash's renderer posts to /_dash-update-component for the Level 0 tiles."""
    return {"output": "tiles.children", "outputs": {"id": "tiles", "property": "children"},
            "inputs": [{"id": "view-params", "property": "data", "value": {"dashboard": None, "params": params}},
                       {"id": "refresh-timer", "property": "n_intervals", "value": 0}],
            "changedPropIds": ["view-params.data"], "state": []}


def panel_request(spec: str, panel_id: str, store: dict) -> dict:
    """The body Dash's renderer posts for one panel (`spec`: the panel callback's output string of
    `/_dash-dependencies`; `store`: the page's `view-params` data)."""
    return {"output": spec,
            "outputs": [{"id": {"type": "panel-body", "panel": panel_id}, "property": "children"},
                        {"id": {"type": "panel", "panel": panel_id}, "property": "className"}],
            "inputs": [{"id": "view-params", "property": "data", "value": store},
                       {"id": "refresh-timer", "property": "n_intervals", "value": 0}],
            "changedPropIds": []}


def dash_callback(session: requests.Session, url: str, body: dict, **headers: str) -> requests.Response:
    """POST one callback as the browser does; raises for a non-200 answer."""
    answer = session.post(url + "/_dash-update-component", json=body, timeout=120,
                          headers={"Content-Type": "application/json", **headers})
    if answer.status_code != 200:
        raise AssertionError(f"callback answered HTTP {answer.status_code}: {answer.text[:300]}")
    return answer
