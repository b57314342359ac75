"""The app's own telemetry plumbing: request ids, JSON logs and upstream call metrics.

* A request id is taken from the incoming ``X-Request-Id`` header (when it is a short token) or
  generated, kept in a context variable for the request, written on every log line, echoed in the
  response and sent to every data source as ``X-Request-Id``, so one id follows a click from the
  portal's proxy through this app to Thanos Query's (or Prometheus') logs.
* :class:`ContextExecutor` is a thread pool that runs each task in a copy of the submitter's
  context: the queries a page runs concurrently keep the request's id and metrics.
* :class:`TracedAdapter` is the one place every outgoing HTTP call passes: it adds the request id
  and counts calls, errors and latency per data source (``prometheus``, ``spark_history``, ...).
* :class:`JsonFormatter` writes one JSON object a line (``ts``, ``level``, ``logger``, ``message``,
  ``request_id`` and any ``extra`` fields of the access log).
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter

REQUEST_ID_HEADER = "X-Request-Id"
# Ids from outside are kept only when they are short tokens: they land in logs and upstream headers.
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

_current: contextvars.ContextVar[tuple[str, object] | None] = contextvars.ContextVar("dataops_request",
                                                                                      default=None)


def request_id_from(header: str | None) -> str:
    """The incoming id when it is a usable token (1-128 of ``A-Za-z0-9._:-``), else a new uuid4 hex."""
    if header and _INCOMING_ID.match(header):
        return header
    return uuid.uuid4().hex


def bind(request_id: str, metrics=None) -> contextvars.Token:
    """Make `request_id` (and the app's metrics) current for this context; returns a reset token."""
    return _current.set((request_id, metrics))


def unbind(token: contextvars.Token) -> None:
    """Undo :func:`bind`."""
    _current.reset(token)


def current_request_id() -> str | None:
    """The id of the request this code runs for, or None outside a request."""
    bound = _current.get()
    return bound[0] if bound else None


def _current_metrics():
    bound = _current.get()
    return bound[1] if bound else None


class ContextExecutor(ThreadPoolExecutor):
    """A ThreadPoolExecutor whose tasks run in a copy of the submitting thread's context."""

    def submit(self, fn, /, *args, **kwargs):
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


class TracedAdapter(HTTPAdapter):
    """An HTTPAdapter that sends the request id and records the call for data source `source`.

    Metrics (when a request bound them): ``dataops_upstream_requests_total{source, code}`` (code is
    the HTTP status, or ``error`` when no answer came), ``dataops_upstream_errors_total{source,
    kind}`` (kind ``timeout``, ``unreachable`` or ``http`` for status >= 400) and
    ``dataops_upstream_request_duration_seconds{source}``. Retries of the adapter count as one call.
    """

    def __init__(self, source: str, **kwargs):
        self.source = source
        super().__init__(**kwargs)

    def send(self, request, *args, **kwargs):
        request_id = current_request_id()
        if request_id and REQUEST_ID_HEADER not in request.headers:
            request.headers[REQUEST_ID_HEADER] = request_id
        metrics = _current_metrics()
        started = time.perf_counter()
        try:
            response = super().send(request, *args, **kwargs)
        except requests.exceptions.Timeout:
            _record(metrics, self.source, "error", "timeout", started)
            raise
        except requests.exceptions.RequestException:
            _record(metrics, self.source, "error", "unreachable", started)
            raise
        _record(metrics, self.source, str(response.status_code),
                "http" if response.status_code >= 400 else None, started)
        return response


def _record(metrics, source: str, code: str, error_kind: str | None, started: float) -> None:
    if metrics is None:
        return
    metrics.upstream_seconds.labels(source).observe(time.perf_counter() - started)
    metrics.upstream_requests.labels(source, code).inc()
    if error_kind:
        metrics.upstream_errors.labels(source, error_kind).inc()


def traced_session(source: str, max_retries=0, pool_maxsize: int = 10) -> requests.Session:
    """A requests Session whose http(s) calls go through a :class:`TracedAdapter` for `source`."""
    session = requests.Session()
    adapter = TracedAdapter(source, max_retries=max_retries, pool_connections=4, pool_maxsize=pool_maxsize)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts (RFC 3339, UTC), level, logger, message, request_id, extras."""

    _STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(log_format: str = "json", level: int = logging.INFO) -> None:
    """Send the root logger to stderr as JSON lines (``json``) or plain text (``text``)."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
