"""The data source contract: one error type, one health record, the DataSource protocol.

A data source answers *requests* of its own kind (a PromQL plan, a Level 2 REST resource, the alert
list, Alertmanager's silences). The engine (`webapp.engine`) runs every request the same way:
tenant scope (`DataSource.scope`) -> cache (single-flight) -> `DataSource.fetch`; answers are
JSON-safe data, so the cache stores data, never code.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable


class SourceError(Exception):
    """Every failure of every data source.

    `kind`: unreachable | timeout | http | auth | bad_response | invalid_response | invalid_id |
    forbidden (the tenant scope refuses) | not_found (unknown, or outside the tenant scope: the two
    look the same to the user) | Prometheus' errorType (bad_data, execution, ...).
    """

    def __init__(self, kind: str, message: str, status: int | None = None, source: str = "The data source"):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.status = status
        self.source = source

    @property
    def user_message(self) -> str:
        """One line for a panel (no URLs, no credentials, no tracebacks)."""
        if self.kind == "forbidden":
            return f"Not available: {self.message}"
        if self.kind == "not_found":
            return "Not found"
        return f"{self.source} failed ({self.kind})."


FORBIDDEN_MESSAGE = "your portal groups do not grant access to this data"


def forbidden(source: str = "The data source", message: str = FORBIDDEN_MESSAGE) -> SourceError:
    return SourceError("forbidden", message, source=source)


@dataclasses.dataclass(frozen=True)
class SourceHealth:
    """What `/metrics` (`dataops_datasource_up`) and the data sources page show for one source.

    `configured`: a URL is set; `up`: it answered its health probe (None when not configured);
    `message`: a short reason when not up; `seconds`: the probe's latency."""

    name: str
    title: str
    configured: bool
    up: bool | None
    message: str = ""
    seconds: float = 0.0


def probe_health(source, probe: Callable[[], object], errors: tuple[type[Exception], ...] = (SourceError,)
                 ) -> SourceHealth:
    """Run `probe()` for a configured source: up when it returns, down with the error's short text."""
    started = time.perf_counter()
    try:
        probe()
        return SourceHealth(source.name, source.title, True, True, "", time.perf_counter() - started)
    except errors as exc:
        message = exc.user_message if isinstance(exc, SourceError) else str(exc)
        return SourceHealth(source.name, source.title, True, False, message, time.perf_counter() - started)


@runtime_checkable
class DataSource(Protocol):
    """One data source. Registered by name in `webapp.sources.registry`."""

    name: str      # registry key, e.g. "prometheus", "spark_history"
    title: str     # for people, e.g. "The Spark History Server"

    def scope(self, request: Any, scope) -> Any:
        """The request narrowed to the tenant `scope` (a `webapp.tenancy.Scope`, never None here);
        raises SourceError("forbidden"/"not_found") when the scope cannot see it."""

    def cache_key(self, request: Any) -> str | None:
        """A stable text naming the (scoped) request, or None when its answer is not cached here."""

    def ttl(self, request: Any) -> int:
        """Seconds an answer may be served from the cache."""

    def fetch(self, request: Any) -> Any:
        """The answer (JSON-safe when cached); raises SourceError."""

    def cacheable(self, answer: Any) -> bool:
        """False for answers that must not be cached (e.g. Thanos partial responses)."""

    def health(self) -> SourceHealth:
        """A quick probe of the source (a trivial request, short timeout)."""
