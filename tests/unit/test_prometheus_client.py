"""The client over recorded response envelopes, served by a real local HTTP server."""
import json
import math
import pathlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from webapp.prometheus import PrometheusClient, PrometheusError, parse_response

FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures" / "prometheus"


def load(name):
    return json.loads((FIXTURES / name).read_text())


class FakeBackend:
    """A real HTTP server that answers every query with a chosen status and body."""

    def __init__(self):
        self.status, self.body, self.requests, self.delay = 200, load("matrix_ok.json"), [], 0.0
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode()) if length else {}
                backend.requests.append((self.path, form))
                if backend.delay:
                    import time
                    time.sleep(backend.delay)
                payload = json.dumps(backend.body).encode() if backend.body is not None else b"<html>oops</html>"
                self.send_response(backend.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def backend():
    b = FakeBackend()
    yield b
    b.server.shutdown()


def test_matrix_parsing_keeps_nan():
    result = parse_response("q", load("matrix_ok.json"))
    assert result.result_type == "matrix"
    (series,) = result.series
    assert series.labels == {"jenkins_job": "etl-orders-build"}
    assert list(series.timestamps) == [1764140400, 1764144000, 1764147600]
    assert series.values[0] == 0.5 and math.isnan(series.values[1]) and series.last == 1


def test_vector_warnings_are_kept():
    result = parse_response("q", load("vector_warnings.json"))
    assert result.warnings == ("partial response: store 10.0.0.7:10901 unavailable",)
    assert [s.last for s in result.series] == [42, math.inf]


def test_scalar():
    assert parse_response("q", load("scalar.json")).series[0].last == 3.5


@pytest.mark.parametrize("name,status,kind", [
    ("error_bad_data.json", 400, "bad_data"),
    ("error_execution.json", 422, "execution"),
    ("error_timeout.json", 503, "timeout"),
])
def test_errors_map_to_one_type_and_503_is_not_retried(backend, name, status, kind):
    backend.status, backend.body = status, load(name)
    client = PrometheusClient(backend.url, timeout=5)
    with pytest.raises(PrometheusError) as err:
        client.query("up")
    assert err.value.kind == kind and err.value.status == status
    assert len(backend.requests) == 1  # no retry: a timed-out query must not run four times
    assert "Traceback" not in err.value.user_message


def test_non_json_answer(backend):
    backend.status, backend.body = 502, None
    with pytest.raises(PrometheusError) as err:
        PrometheusClient(backend.url, timeout=5).query("up")
    assert err.value.kind == "http" and err.value.status == 502


def test_client_timeout(backend):
    backend.delay = 1.5
    with pytest.raises(PrometheusError) as err:
        PrometheusClient(backend.url, timeout=0.3).query("up")
    assert err.value.kind == "timeout"


def test_unreachable():
    with pytest.raises(PrometheusError) as err:
        PrometheusClient("http://127.0.0.1:9", timeout=1).query("up")
    assert err.value.kind == "unreachable"


def test_thanos_parameters_and_range_are_sent(backend):
    client = PrometheusClient(backend.url, timeout=5, thanos_params={"dedup": "true", "partial_response": "false",
                                                                      "max_source_resolution": "5m"})
    client.query_range("up", 600, 1200, 60)
    path, form = backend.requests[-1]
    assert path == "/api/v1/query_range"
    assert form["dedup"] == ["true"] and form["partial_response"] == ["false"]
    assert form["max_source_resolution"] == ["5m"]
    assert form["start"] == ["600.000"] and form["end"] == ["1200.000"] and form["step"] == ["60"]
    assert form["timeout"] == ["5s"]
