"""Prometheus / Thanos Query as a data source: PromQL plans and label values.

Tenant scope: the scope's matchers are added to every vector selector by the parser-checked
rewrite (`webapp.tenancy.scope_query`); a query that cannot be rewritten is refused, never sent.
Answers are the JSON envelopes as Prometheus sent them; `parse_response` types them after the cache.
"""
from __future__ import annotations

import dataclasses
import logging
import time

from ..prometheus import PrometheusClient
from ..tenancy import ScopeError, scope_query
from .base import SourceHealth, forbidden, probe_health
from .registry import register

log = logging.getLogger(__name__)
INSTANT_ALIGN = 15  # seconds: instant queries "at now" share a cache entry for this long
TITLE = "Prometheus / Thanos Query"


@dataclasses.dataclass(frozen=True)
class LabelValues:
    """Values of `label` over series matching `match` between start and end (epoch seconds)."""

    label: str
    match: tuple[str, ...]
    start: float
    end: float


class PrometheusSource:
    name = "prometheus"
    title = TITLE

    def __init__(self, client: PrometheusClient, key: str = ""):
        self.client = client
        self.key = key or client.url + repr(sorted(client.thanos_params.items()))

    def scope(self, request, scope):
        if not scope:
            return request
        try:
            if isinstance(request, LabelValues):
                return dataclasses.replace(request, match=tuple(scope_query(m, scope) for m in request.match))
            return dataclasses.replace(request, promql=scope_query(request.promql, scope))
        except ScopeError:
            log.error("query refused: tenant matchers could not be added: %s",
                      getattr(request, "promql", "label values")[:200])
            raise forbidden(TITLE, "this query could not be limited to your data") from None

    def cache_key(self, request) -> str:
        if isinstance(request, LabelValues):
            return f"lv|{self.key}|{request.label}|{request.match}|{int(request.start) // 300}"
        return f"q|{self.key}|{request.promql}|{request.start:.0f}|{request.end:.0f}|{request.step}"

    def ttl(self, request) -> int:
        if isinstance(request, LabelValues):
            return 60
        if request.end < time.time() - 3600:
            return 3600  # the past does not change
        return max(INSTANT_ALIGN, min(request.step, 60)) if request.step else INSTANT_ALIGN

    def fetch(self, request):
        if isinstance(request, LabelValues):
            return self.client.label_values(request.label, match=list(request.match), start=request.start,
                                            end=request.end)
        if request.step == 0:
            return self.client.query_payload(request.promql, at=request.end)
        return self.client.query_range_payload(request.promql, request.start, request.end, request.step)

    def cacheable(self, answer) -> bool:
        # Never cache partial answers (warnings) or errors: the next refresh should try again.
        if isinstance(answer, list):
            return True
        return isinstance(answer, dict) and answer.get("status") == "success" and not answer.get("warnings")

    def health(self) -> SourceHealth:
        return probe_health(self, lambda: self.client.query("vector(1)"))


def build(settings, cache, credentials, prometheus_client=None):
    return PrometheusSource(prometheus_client) if prometheus_client is not None else None


register("prometheus", TITLE, build)
