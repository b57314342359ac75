"""The app's own Prometheus metrics (served at /metrics), one registry per app instance."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class AppMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("dataops_http_requests_total", "HTTP requests served", ["endpoint", "status"],
                                registry=self.registry)
        self.request_seconds = Histogram("dataops_http_request_duration_seconds", "HTTP request latency",
                                         ["endpoint"], registry=self.registry)
        self.query_seconds = Histogram("dataops_query_duration_seconds", "Data source query latency",
                                       ["source"], registry=self.registry)
        self.query_errors = Counter("dataops_query_errors_total", "Failed data source queries", ["kind", "source"],
                                    registry=self.registry)
        self.cache_hits = Counter("dataops_cache_hits_total", "Query cache hits", ["source"], registry=self.registry)
        self.cache_misses = Counter("dataops_cache_misses_total", "Query cache misses", ["source"],
                                    registry=self.registry)
        self.datasource_up = Gauge("dataops_datasource_up", "Data source answered its last health probe (1) or not",
                                   ["source"], registry=self.registry)
