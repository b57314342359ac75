"""The rule evaluator's alert list (`GET /api/v1/alerts` of Prometheus or Thanos Rule/Query).

Tenant scope: an alert is an `ALERTS` series, so a scoped group sees the alerts whose labels
satisfy its matchers as placed for `ALERTS` (the same rules as a query of that series).
"""
from __future__ import annotations

import dataclasses

from ..tenancy import Matcher
from .base import SourceHealth, probe_health
from .registry import register

TITLE = "Alert list (Prometheus rules)"


@dataclasses.dataclass(frozen=True)
class AlertList:
    """All active alerts, limited to those matching `matchers` (empty: all)."""

    matchers: tuple[Matcher, ...] = ()


class AlertsSource:
    name = "alerts"
    title = TITLE

    def __init__(self, client):
        self.client = client

    def scope(self, request: AlertList, scope) -> AlertList:
        return AlertList(tuple(scope.for_metric("ALERTS"))) if scope else request

    def cache_key(self, request: AlertList) -> str:
        return f"alerts|{self.client.url}|{[m.text for m in request.matchers]}"

    def ttl(self, request) -> int:
        return 15

    def fetch(self, request: AlertList):
        payload = self.client.alerts_payload()
        data = payload.get("data") if isinstance(payload, dict) else None
        if request.matchers and isinstance(data, dict) and isinstance(data.get("alerts"), list):
            kept = [a for a in data["alerts"] if isinstance(a, dict) and all(
                m.matches({str(k): str(v) for k, v in (a.get("labels") or {}).items()}) for m in request.matchers)]
            payload = {**payload, "data": {**data, "alerts": kept}}
        return payload

    def cacheable(self, answer) -> bool:
        return isinstance(answer, dict) and answer.get("status") == "success"

    def health(self) -> SourceHealth:
        return probe_health(self, self.client.alerts)


def build(settings, cache, credentials, prometheus_client=None):
    return AlertsSource(prometheus_client) if prometheus_client is not None else None


register("alerts", TITLE, build)
