"""Rendered panels in a real Redis: two app processes' caches coalesce concurrent misses of a key."""
from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from components.panel_service import SharedFlightCache
from webapp.sources.cache import RedisBackend


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url():
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (scripts/install-system-deps.sh redis)")
    pytest.importorskip("redis")
    import redis

    port = _free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(10)


def test_concurrent_misses_in_two_processes_render_once(redis_url):
    # Two caches over the same Redis stand for two gunicorn workers (each has its own memory).
    workers = [SharedFlightCache(RedisBackend(redis_url, prefix="t1:"), 15) for _ in range(2)]
    calls = []
    release = threading.Event()

    def render():
        calls.append(1)
        release.wait(30)
        return {"children": ["x"], "state": "ok"}

    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(workers[i % 2].get_or_fetch, "panel:k", render, 15) for i in range(6)]
        while not calls:
            time.sleep(0.01)
        release.set()
        answers = [f.result(timeout=30)[0] for f in futures]
    assert answers == [{"children": ["x"], "state": "ok"}] * 6
    assert len(calls) == 1


def test_an_answer_not_kept_lets_the_waiters_render_their_own(redis_url):
    workers = [SharedFlightCache(RedisBackend(redis_url, prefix="t2:"), 15) for _ in range(2)]
    calls = []
    release = threading.Event()

    def render():
        calls.append(1)
        release.wait(30)
        return {"state": "error"}

    keep = lambda v: v["state"] == "ok"  # noqa: E731
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(workers[0].get_or_fetch, "panel:e", render, 15, keep)
        while not calls:
            time.sleep(0.01)
        second = pool.submit(workers[1].get_or_fetch, "panel:e", render, 15, keep)
        release.set()
        assert first.result(timeout=30)[0] == second.result(timeout=30)[0] == {"state": "error"}
    assert len(calls) == 2
    assert workers[0].get("panel:e") is None
