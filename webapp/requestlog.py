"""Per-request telemetry of the Flask server: request id, access log, Dash callback latency.

Every request gets an id (`webapp.telemetry.request_id_from` of its ``X-Request-Id`` header),
bound for the request's context (so log lines, the concurrent queries of a page and their
upstream calls carry it) and echoed in the response's ``X-Request-Id``. One access log line per
request goes to the ``dataops.access`` logger with ``method``, ``path``, ``status``,
``duration_ms`` and ``request_id`` (probes and ``/metrics`` at DEBUG so they do not drown the
log). Dash callbacks are timed in ``dataops_callback_duration_seconds{callback}``, labelled by the
callback's output as registered (``other`` for anything not in the app's callback map, so a crafted
request cannot add label values).
"""
from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from . import telemetry
from .metrics import AppMetrics

access_log = logging.getLogger("dataops.access")
_QUIET = ("/healthz", "/readyz", "/metrics")


def install(server: Flask, callback_map: dict, metrics: AppMetrics) -> None:
    """Register the request hooks on `server`; `callback_map` is the Dash app's `callback_map`."""

    @server.before_request
    def bind_request_id():
        g.dataops_request_id = telemetry.request_id_from(request.headers.get(telemetry.REQUEST_ID_HEADER))
        g.dataops_token = telemetry.bind(g.dataops_request_id, metrics)
        g.dataops_started = time.perf_counter()

    @server.after_request
    def log_request(response: Response) -> Response:
        request_id = g.get("dataops_request_id")
        started = g.get("dataops_started")
        if request_id is None or started is None:
            return response
        response.headers[telemetry.REQUEST_ID_HEADER] = request_id
        seconds = time.perf_counter() - started
        if request.path.startswith("/_dash-update-component"):
            body = request.get_json(silent=True)
            output = body.get("output") if isinstance(body, dict) else None
            label = output if isinstance(output, str) and output in callback_map else "other"
            metrics.callback_seconds.labels(label).observe(seconds)
        level = logging.DEBUG if request.path in _QUIET else logging.INFO
        access_log.log(level, "%s %s %s", request.method, request.path[:512], response.status_code,
                       extra={"method": request.method, "path": request.full_path[:2048].rstrip("?"),
                              "status": response.status_code, "duration_ms": round(seconds * 1000, 1),
                              "request_id": request_id})
        return response

    @server.teardown_request
    def unbind_request_id(_exc):
        token = g.pop("dataops_token", None)
        if token is not None:
            try:
                telemetry.unbind(token)
            except ValueError:
                pass  # bound in another context (a copied one): nothing of ours to undo here
