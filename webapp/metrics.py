"""The app's own Prometheus metrics (served at /metrics), one registry per app instance.

Under gunicorn each worker is its own process: `dataops-monitor serve` sets
``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode) before the workers import
prometheus_client, every worker writes its values to files there, and `exposition()` then adds up
the files of all workers, live and exited, so counters never go back when a scrape lands on
another worker. Without that variable (tests, one process) the app's own registry is served.
"""
from __future__ import annotations

import os
import platform

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("dataops-monitor")
    except PackageNotFoundError:
        return "unknown"


class AppMetrics:
    """Request, callback, query, cache and upstream metrics, plus ``dataops_build_info``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("dataops_http_requests_total", "HTTP requests served", ["endpoint", "status"],
                                registry=self.registry)
        self.request_seconds = Histogram("dataops_http_request_duration_seconds", "HTTP request latency",
                                         ["endpoint"], registry=self.registry)
        self.callback_seconds = Histogram("dataops_callback_duration_seconds",
                                          "Dash callback latency, by the callback's output", ["callback"],
                                          registry=self.registry)
        self.query_seconds = Histogram("dataops_query_duration_seconds", "Data source query latency",
                                       ["source"], registry=self.registry)
        self.query_errors = Counter("dataops_query_errors_total", "Failed data source queries", ["kind", "source"],
                                    registry=self.registry)
        self.cache_hits = Counter("dataops_cache_hits_total", "Query cache hits", ["source"], registry=self.registry)
        self.cache_misses = Counter("dataops_cache_misses_total", "Query cache misses", ["source"],
                                    registry=self.registry)
        self.datasource_up = Gauge("dataops_datasource_up", "Data source answered its last health probe (1) or not",
                                   ["source"], registry=self.registry, multiprocess_mode="mostrecent")
        self.upstream_requests = Counter("dataops_upstream_requests_total",
                                         "HTTP calls to data sources, by source and HTTP status (error: no answer)",
                                         ["source", "code"], registry=self.registry)
        self.upstream_errors = Counter("dataops_upstream_errors_total",
                                       "Failed HTTP calls to data sources (timeout, unreachable, http)",
                                       ["source", "kind"], registry=self.registry)
        self.upstream_seconds = Histogram("dataops_upstream_request_duration_seconds",
                                          "Latency of HTTP calls to data sources", ["source"],
                                          registry=self.registry)
        self.build_info = Gauge("dataops_build_info", "Always 1: the running version and Python",
                                ["version", "python_version"], registry=self.registry,
                                multiprocess_mode="max")
        self.build_info.labels(_version(), platform.python_version()).set(1)

    def exposition(self) -> tuple[bytes, str]:
        """The text exposition (all workers' values in multiprocess mode) and its content type."""
        if os.environ.get(MULTIPROC_ENV):
            from prometheus_client import multiprocess
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
