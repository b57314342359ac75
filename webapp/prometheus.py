"""The one module that speaks HTTP to Prometheus / Thanos Query.

Plain `requests` over one session: every call has a timeout, connect errors are retried once and
status codes never (Prometheus answers 503 for query timeouts), the response envelope is read here
so that `warnings` (Thanos partial responses) and `resultType` survive, and every call carries the
request id and is counted per source (`webapp.telemetry.TracedAdapter`).
"""
from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping

import numpy as np
import requests
from urllib3.util.retry import Retry

from .sources.base import SourceError
from .telemetry import traced_session


class PrometheusError(SourceError):
    """Every failure of a query: unreachable, timeout, bad query, bad response.

    `kind` is Prometheus' errorType where it gave one (bad_data, execution, timeout, internal,
    canceled), else one of: unreachable, http, bad_response.
    """

    def __init__(self, kind: str, message: str, status: int | None = None):
        super().__init__(kind, message, status, source="Prometheus")

    @property
    def user_message(self) -> str:
        """A one-line explanation fit for a panel (never a traceback)."""
        if self.kind == "unreachable":
            return "Data source unreachable"
        if self.kind == "timeout":
            return "Query timed out"
        if self.kind == "forbidden":
            return f"Not available: {self.message}"
        if self.kind == "not_found":
            return "Not found"
        if self.kind == "bad_data":
            return f"Query rejected: {self.message[:200]}"
        return f"Data source error ({self.kind}): {self.message[:200]}"


@dataclasses.dataclass(frozen=True)
class Series:
    """One series: labels plus aligned timestamp (seconds) and value arrays."""

    labels: Mapping[str, str]
    timestamps: np.ndarray
    values: np.ndarray

    @property
    def last(self) -> float:
        return float(self.values[-1]) if len(self.values) else math.nan


@dataclasses.dataclass(frozen=True)
class QueryResult:
    """A typed query answer. `result_type` is vector, matrix, scalar or string."""

    query: str
    result_type: str
    series: tuple[Series, ...]
    warnings: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.series


def _retry() -> Retry:
    # Connect errors are retried once; status codes never (503 means the query timed out).
    return Retry(total=1, connect=1, read=False, status=0, other=0, allowed_methods=None,
                 status_forcelist=(), raise_on_status=False, backoff_factor=0)


def _session() -> requests.Session:
    return traced_session("prometheus", max_retries=_retry(), pool_maxsize=32)


def _parse_value(raw: str) -> float:
    try:
        return float(raw)
    except (TypeError, ValueError):
        return math.nan


def parse_response(query: str, payload: object) -> QueryResult:
    """Turn a Prometheus JSON envelope into a QueryResult or raise PrometheusError."""
    if not isinstance(payload, dict):
        raise PrometheusError("bad_response", "response is not a JSON object")
    warnings = tuple(str(w) for w in payload.get("warnings") or ())
    if payload.get("status") != "success":
        raise PrometheusError(str(payload.get("errorType") or "bad_response"),
                              str(payload.get("error") or "query failed"))
    data = payload.get("data")
    if not isinstance(data, dict) or "resultType" not in data:
        raise PrometheusError("bad_response", "response has no data.resultType")
    result_type = data["resultType"]
    raw = data.get("result")
    series: list[Series] = []
    if result_type == "matrix":
        for item in raw or ():
            points = item.get("values") or ()
            ts = np.fromiter((p[0] for p in points), dtype=float, count=len(points))
            vals = np.fromiter((_parse_value(p[1]) for p in points), dtype=float, count=len(points))
            series.append(Series(dict(item.get("metric") or {}), ts, vals))
    elif result_type == "vector":
        for item in raw or ():
            ts, val = item.get("value") or (math.nan, "NaN")
            series.append(Series(dict(item.get("metric") or {}), np.array([float(ts)]),
                                  np.array([_parse_value(val)])))
    elif result_type == "scalar":
        ts, val = raw
        series.append(Series({}, np.array([float(ts)]), np.array([_parse_value(val)])))
    elif result_type == "string":
        return QueryResult(query, result_type, (), warnings)
    else:
        raise PrometheusError("bad_response", f"unknown resultType {result_type!r}")
    return QueryResult(query, result_type, tuple(series), warnings)


@dataclasses.dataclass(frozen=True)
class ActiveAlert:
    """One alert of GET /api/v1/alerts: state is firing or pending; active_at in epoch seconds."""

    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    state: str
    active_at: float
    value: float

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")


def _parse_time(text: object) -> float:
    """RFC 3339 (Prometheus' activeAt, nanosecond precision) -> epoch seconds; NaN if unreadable."""
    from datetime import datetime

    if not isinstance(text, str) or not text:
        return math.nan
    raw = text.replace("Z", "+00:00")
    main, _, rest = raw.partition(".")
    if rest:  # trim the fraction to microseconds, keep the offset
        digits = "".join(ch for ch in rest if ch.isdigit())
        offset = rest[len(digits):]
        raw = f"{main}.{digits[:6]}{offset}"
    try:
        return datetime.fromisoformat(raw).timestamp()
    except ValueError:
        return math.nan


def parse_alerts(payload: object) -> list[ActiveAlert]:
    """Turn a /api/v1/alerts envelope into alerts or raise PrometheusError."""
    if not isinstance(payload, dict):
        raise PrometheusError("bad_response", "response is not a JSON object")
    if payload.get("status") != "success":
        raise PrometheusError(str(payload.get("errorType") or "bad_response"),
                              str(payload.get("error") or "alerts query failed"))
    data = payload.get("data")
    items = data.get("alerts") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise PrometheusError("bad_response", "response has no data.alerts")
    alerts = []
    for item in items:
        if not isinstance(item, dict):
            continue
        labels = {str(k): str(v) for k, v in (item.get("labels") or {}).items()}
        annotations = {str(k): str(v) for k, v in (item.get("annotations") or {}).items()}
        alerts.append(ActiveAlert(labels, annotations, str(item.get("state") or ""),
                                  _parse_time(item.get("activeAt")), _parse_value(item.get("value"))))
    return alerts


class PrometheusClient:
    """Typed client for the Prometheus HTTP API (and Thanos Query's extensions)."""

    def __init__(self, url: str, timeout: float = 20.0, thanos_params: Mapping[str, str] | None = None,
                 headers: Mapping[str, str] | None = None, session: requests.Session | None = None):
        """`session`: one from `webapp.sources.transport.session` (credentials, CA, client certificate)."""
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.thanos_params = dict(thanos_params or {})
        self.headers = dict(headers or {})
        self._session = session or _session()
        self.last_duration = 0.0

    def _request(self, path: str, params: Mapping[str, object], method: str = "POST") -> object:
        full = {**params, **self.thanos_params} if path.startswith("/api/v1/query") else dict(params)
        started = time.perf_counter()
        try:
            if method == "POST":
                response = self._session.post(f"{self.url}{path}", data=full, timeout=self.timeout,
                                              headers=self.headers)
            else:
                response = self._session.get(f"{self.url}{path}", params=full, timeout=self.timeout,
                                             headers=self.headers)
        except requests.exceptions.Timeout:
            raise PrometheusError("timeout", f"no answer within {self.timeout:g}s") from None
        except requests.exceptions.RequestException as exc:
            raise PrometheusError("unreachable", type(exc).__name__) from None
        finally:
            self.last_duration = time.perf_counter() - started
        try:
            payload = response.json()
        except ValueError:
            raise PrometheusError("http", f"HTTP {response.status_code} without a JSON body",
                                  response.status_code) from None
        if response.status_code >= 400 and isinstance(payload, dict):
            raise PrometheusError(str(payload.get("errorType") or "http"),
                                  str(payload.get("error") or f"HTTP {response.status_code}"),
                                  response.status_code)
        return payload

    def query_payload(self, promql: str, at: float | None = None) -> object:
        """Instant query: the JSON envelope as Prometheus sent it (for the cache; see parse_response)."""
        params: dict[str, object] = {"query": promql, "timeout": f"{self.timeout:g}s"}
        if at is not None:
            params["time"] = f"{at:.3f}"
        return self._request("/api/v1/query", params)

    def query_range_payload(self, promql: str, start: float, end: float, step: float) -> object:
        """Range query's JSON envelope; start and end should already be aligned to step."""
        params = {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}",
                  "timeout": f"{self.timeout:g}s"}
        return self._request("/api/v1/query_range", params)

    def query(self, promql: str, at: float | None = None) -> QueryResult:
        """Instant query."""
        return parse_response(promql, self.query_payload(promql, at))

    def query_range(self, promql: str, start: float, end: float, step: float) -> QueryResult:
        """Range query; start and end should already be aligned to step."""
        return parse_response(promql, self.query_range_payload(promql, start, end, step))

    def label_values(self, label: str, match: list[str] | None = None, start: float | None = None,
                     end: float | None = None) -> list[str]:
        """Values of one label, optionally restricted by series selectors."""
        params: dict[str, object] = {}
        if match:
            params["match[]"] = match
        if start is not None:
            params["start"] = f"{start:.3f}"
        if end is not None:
            params["end"] = f"{end:.3f}"
        payload = self._request(f"/api/v1/label/{label}/values", params, method="GET")
        if not isinstance(payload, dict) or payload.get("status") != "success":
            raise PrometheusError("bad_response", "label values query failed")
        return sorted(str(v) for v in payload.get("data") or ())

    def alerts_payload(self) -> object:
        """GET /api/v1/alerts as sent (see parse_alerts)."""
        return self._request("/api/v1/alerts", {}, method="GET")

    def alerts(self) -> list[ActiveAlert]:
        """Firing and pending alerts of the rule evaluator (Prometheus, or Thanos Rule/Query)."""
        return parse_alerts(self.alerts_payload())

    def ready(self) -> bool:
        """True when the data source answers a trivial query."""
        try:
            self.query("vector(1)")
            return True
        except PrometheusError:
            return False
