"""Request ids, JSON log lines and per-source upstream metrics, over a real local HTTP server."""
from __future__ import annotations

import json
import logging

import pytest

from tests.unit.test_prometheus_client import FakeBackend
from webapp import telemetry
from webapp.alertmanager_client import AlertmanagerClient, AlertmanagerError
from webapp.metrics import AppMetrics
from webapp.prometheus import PrometheusClient, PrometheusError


@pytest.fixture
def backend():
    b = FakeBackend()
    seen = []
    handler = b.server.RequestHandlerClass
    original = handler._answer

    def recording(self):
        seen.append(self.headers.get("X-Request-Id"))
        original(self)
    handler._answer = recording
    handler.do_GET = handler.do_POST = recording
    b.request_ids = seen
    yield b
    b.server.shutdown()


def _value(metrics: AppMetrics, name: str, **labels) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize("header,kept", [
    ("abc-123", True), ("7f0c1e8a9b2d4c6e8f0a1b2c3d4e5f60", True), ("a" * 128, True), ("a" * 129, False),
    ("", False), (None, False), ("x y", False), ("id\r\nX-Evil: 1", False), ('"><script>', False),
])
def test_request_id_kept_only_when_a_short_token(header, kept):
    got = telemetry.request_id_from(header)
    assert (got == header) is kept
    if not kept:
        assert len(got) == 32 and int(got, 16) >= 0


def test_request_id_and_metrics_go_upstream_per_source(backend):
    metrics = AppMetrics()
    client = PrometheusClient(backend.url, timeout=5)
    token = telemetry.bind("req-1", metrics)
    try:
        client.query("up")
        backend.status, backend.body = 503, {"status": "error", "errorType": "timeout", "error": "slow"}
        with pytest.raises(PrometheusError):
            client.query("up")
    finally:
        telemetry.unbind(token)
    backend.status, backend.body = 200, {"status": "success", "data": {"resultType": "vector", "result": []}}
    client.query("up")  # outside a request: no id, nothing counted
    assert backend.request_ids == ["req-1", "req-1", None]
    assert len(backend.requests) == 3  # the 503 was not retried
    assert _value(metrics, "dataops_upstream_requests_total", source="prometheus", code="200") == 1
    assert _value(metrics, "dataops_upstream_requests_total", source="prometheus", code="503") == 1
    assert _value(metrics, "dataops_upstream_errors_total", source="prometheus", kind="http") == 1
    assert _value(metrics, "dataops_upstream_request_duration_seconds_count", source="prometheus") == 2


def test_unreachable_source_is_counted_as_an_error_of_that_source():
    metrics = AppMetrics()
    token = telemetry.bind("req-2", metrics)
    try:
        with pytest.raises(AlertmanagerError):
            AlertmanagerClient("http://127.0.0.1:9", timeout=2).silences()
    finally:
        telemetry.unbind(token)
    assert _value(metrics, "dataops_upstream_requests_total", source="alertmanager", code="error") == 1
    assert _value(metrics, "dataops_upstream_errors_total", source="alertmanager", kind="unreachable") == 1


def test_context_executor_carries_the_request_context():
    token = telemetry.bind("req-3")
    try:
        with telemetry.ContextExecutor(2) as pool:
            assert pool.submit(telemetry.current_request_id).result() == "req-3"
    finally:
        telemetry.unbind(token)
    assert telemetry.current_request_id() is None


def test_json_formatter_writes_one_object_a_line_with_the_request_id():
    formatter = telemetry.JsonFormatter()
    record = logging.LogRecord("dataops.access", logging.INFO, __file__, 1, "GET %s %s", ("/x\n\"y", 200), None)
    record.status = 200
    token = telemetry.bind("req-4")
    try:
        line = formatter.format(record)
    finally:
        telemetry.unbind(token)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == 'GET /x\n"y 200' and entry["request_id"] == "req-4"
    assert entry["level"] == "info" and entry["logger"] == "dataops.access" and entry["status"] == 200
    assert entry["ts"].endswith("Z")


def test_build_info_names_the_version():
    metrics = AppMetrics()
    body, content_type = metrics.exposition()
    assert content_type.startswith("text/plain")
    assert b'dataops_build_info{python_version="' in body and b'version="0.1.0"' in body


def test_prometheus_session_retries_a_connect_error_once_and_never_a_status():
    client = PrometheusClient("http://127.0.0.1:9", timeout=1)
    for scheme in ("http://", "https://"):
        adapter = client._session.get_adapter(scheme + "thanos.example")
        assert isinstance(adapter, telemetry.TracedAdapter) and adapter.source == "prometheus"
        retry = adapter.max_retries
        assert (retry.total, retry.connect, retry.read, retry.status) == (1, 1, False, 0)
        assert not retry.status_forcelist and retry.backoff_factor == 0
    with pytest.raises(PrometheusError) as caught:
        client.query("up")
    assert caught.value.kind == "unreachable"
