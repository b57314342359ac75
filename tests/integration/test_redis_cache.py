"""The shared cache in a real Redis: answers stored as JSON text, never unpickled."""
from __future__ import annotations

import pickle
import shutil
import subprocess
import time

import pytest
import redis

from tests.conftest import free_port
from webapp.app import create_app
from webapp.catalog import DASHBOARDS
from webapp.runner import run_panels
from webapp.runtime import EXTENSION
from webapp.settings import Settings
from webapp.viewstate import parse_view_state


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed: scripts/install-system-deps.sh redis (part of make test)")
    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


class _Planted:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path(__import__('os').environ['PLANTED']).write_text('ran')",))


def test_panels_are_cached_as_json_and_planted_pickles_never_run(prometheus_url, redis_url, tmp_path, monkeypatch):
    app = create_app(Settings(prometheus_url=prometheus_url, redis_url=redis_url))
    engine = app.server.extensions[EXTENSION].engine
    panels = list(DASHBOARDS["gitops"].panels)[:4]
    first = run_panels(engine, panels, parse_view_state({"from": "now-1h"}))
    store = redis.Redis.from_url(redis_url)
    keys = store.keys("dataops:*")
    assert keys
    for key in keys:
        assert store.get(key).startswith((b"{", b"["))  # JSON text, not a pickle
    # Someone with write access to Redis replaces every entry with a pickle that would run code.
    monkeypatch.setenv("PLANTED", str(tmp_path / "planted"))
    for key in keys:
        store.set(key, b"!" + pickle.dumps(_Planted()))
    again = run_panels(engine, panels, parse_view_state({"from": "now-1h"}))
    assert not (tmp_path / "planted").exists()
    assert {pid: d.state for pid, d in again.items()} == {pid: d.state for pid, d in first.items()}
