"""Several replicas behind the portal's proxy share one Redis: a view computed once is served by all.

The data source is a recording proxy in front of the real Prometheus (standing in for Thanos Query
Frontend), so the test counts the queries that reach it. The same sequence without Redis is the
contrast: each replica (each worker) then asks the data source again.
"""
from __future__ import annotations

import time

import pytest
import requests

from tests.integration.recording_proxy import RecordingProxy
from tests.portal_proxy import PortalProxy
from tests.servers import Redis, Served, dash_callback, serve_env, tiles_request

pytestmark = pytest.mark.integration


def _past_view() -> dict[str, str]:
    """A fixed window well in the past: its cache entries neither expire nor move during the test."""
    to = (int(time.time()) // 3600 - 2) * 3600
    return {"from": str((to - 6 * 3600) * 1000), "to": str(to * 1000)}


def _window_queries(thanos: RecordingProxy) -> int:
    """Queries of the view's window (the metric inventory, read for "now", has its own lifetime)."""
    return sum(1 for path, _ in thanos.requests if path.startswith("/api/v1/query"))


def _replicas(upstream: str, tmp_path, count: int, **env: str) -> list[Served]:
    servers = [Served(["serve", "--workers", "2", "--threads", "4"], serve_env(upstream, **env),
                      tmp_path / f"replica-{i}.log") for i in range(count)]
    for server in servers:
        server.wait_ready()
    return servers


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "no-redis"])
def test_replicas_behind_the_proxy_share_the_query_cache(prometheus_url, tmp_path, shared):
    thanos = RecordingProxy(prometheus_url)
    redis = Redis(tmp_path) if shared else None
    env = {"DATAOPS_REDIS_URL": redis.url} if redis else {}
    replicas = _replicas(thanos.url, tmp_path, 2, **env)
    portal = PortalProxy([r.url for r in replicas])
    session = requests.Session()
    try:
        body = tiles_request(_past_view())
        first = dash_callback(session, portal.url, body, **{"X-Request-Id": "first-view"})
        assert first.text.count('"data-tile"') == 6  # the six Level 0 tiles
        after_first = _window_queries(thanos)
        assert after_first > 0 and set(thanos.request_ids) == {"first-view"}
        for i in range(8):  # both replicas, and (probably) both workers of each
            assert dash_callback(session, portal.url, body).text.count('"data-tile"') == 6
        assert set(portal.backends_used) == {r.url for r in replicas}
        if shared:
            assert _window_queries(thanos) == after_first  # every later view came from Redis
            assert any(key.startswith(b"dataops:") for key in redis.client.scan_iter(count=1000))
        else:
            assert _window_queries(thanos) >= 2 * after_first  # at least the other replica asked again
    finally:
        portal.stop()
        for replica in replicas:
            replica.stop()
        if redis:
            redis.stop()
        thanos.stop()
