"""Prometheus /api/v1/alerts (recorded from the demo) and Alertmanager /api/v2/silences over a real local server."""
import json
import math
import pathlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webapp.alert_views import AlertFilters, alert_page_path, parse_filters, sort_alerts
from webapp.alertmanager_client import AlertmanagerClient, AlertmanagerError
from webapp.prometheus import PrometheusClient, PrometheusError, parse_alerts

FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures"


class Server:
    """A real HTTP server answering every GET with a chosen status and body."""

    def __init__(self, body, status=200):
        self.body, self.status, self.paths = body, status, []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.paths.append(self.path)
                payload = owner.body if isinstance(owner.body, bytes) else json.dumps(owner.body).encode()
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    servers = []

    def make(body, status=200):
        s = Server(body, status)
        servers.append(s)
        return s
    yield make
    for s in servers:
        s.close()


def test_prometheus_alerts_from_recorded_demo_response(server):
    body = json.loads((FIXTURES / "prometheus" / "alerts_ok.json").read_text())
    srv = server(body)
    alerts = PrometheusClient(srv.url, timeout=5).alerts()
    assert srv.paths[0].startswith("/api/v1/alerts")
    assert len(alerts) == 6
    firing = [a for a in alerts if a.state == "firing"]
    assert {a.name for a in firing} == {"OomKilled", "AirflowDagFailed", "PodEvicted"}
    oom = next(a for a in alerts if a.name == "OomKilled")
    assert oom.labels["severity"] == "critical" and oom.labels["domain"] == "optimize"
    assert oom.annotations["dashboard_url"] == "/optimize"
    assert math.isclose(oom.active_at, 1795685641.702976, abs_tol=1e-3)
    assert oom.value > 0
    ordered = sort_alerts(alerts)
    assert [a.state for a in ordered[:3]] == ["firing"] * 3
    assert ordered[0].labels["severity"] == "critical"
    assert alert_page_path(oom) == "/optimize"


@pytest.mark.parametrize("status,body,kind", [
    (200, {"status": "error", "errorType": "internal", "error": "boom"}, "internal"),
    (200, {"status": "success", "data": {}}, "bad_response"),
    (500, {"status": "error", "errorType": "internal", "error": "rule manager down"}, "internal"),
    (502, b"<html>bad gateway</html>", "http"),
])
def test_prometheus_alerts_errors(server, status, body, kind):
    srv = server(body, status)
    with pytest.raises(PrometheusError) as info:
        PrometheusClient(srv.url, timeout=5).alerts()
    assert info.value.kind == kind


def test_prometheus_alerts_unreachable():
    with pytest.raises(PrometheusError) as info:
        PrometheusClient("http://127.0.0.1:9", timeout=2).alerts()
    assert info.value.kind == "unreachable"


def test_parse_alerts_rejects_garbage():
    with pytest.raises(PrometheusError):
        parse_alerts(["not", "an", "envelope"])


def test_alertmanager_silences(server):
    srv = server(json.loads((FIXTURES / "alertmanager_silences.json").read_text()))
    silences = AlertmanagerClient(srv.url).silences()
    assert srv.paths == ["/api/v2/silences"]
    assert [s.state for s in silences] == ["active", "pending"]  # expired left out
    active = silences[0]
    assert active.covers({"alertname": "PodEvicted", "namespace": "data-ingest"})
    assert not active.covers({"alertname": "PodEvicted", "namespace": "airflow"})
    assert not silences[1].covers({"domain": "gitops"})  # pending silences cover nothing yet
    assert active.matcher_text == 'alertname="PodEvicted", namespace=~"data-.*"'
    assert len(AlertmanagerClient(srv.url).silences(include_expired=True)) == 3


@pytest.mark.parametrize("status,body", [(500, {"error": "x"}), (200, b"not json"), (200, {"not": "a list"})])
def test_alertmanager_errors(server, status, body):
    srv = server(body, status)
    with pytest.raises(AlertmanagerError):
        AlertmanagerClient(srv.url).silences()


def test_alertmanager_unreachable():
    with pytest.raises(AlertmanagerError):
        AlertmanagerClient("http://127.0.0.1:9", timeout=1).silences()


def test_alert_filters_are_allow_listed():
    filters, rest, notes = parse_filters({"severity": ["high", "critical", "bogus<script>"], "domain": "gitops",
                                          "from": "now-1h"})
    assert filters == AlertFilters(("critical", "high"), ("gitops",))
    assert rest == {"from": "now-1h"}
    assert len(notes) == 1 and "bogus" in notes[0]
    assert filters.params() == [("severity", "critical"), ("severity", "high"), ("domain", "gitops")]
