"""Data sources: the protocol and error type (`base`), one HTTP transport with per-source credentials
(`transport`), the JSON cache with single-flight (`cache`), the registry, and one module per source:
`prometheus`, `alerts`, `spark_history`, `airflow`, `alertmanager`.

`source_health(runtime)` is what `/metrics` and the data sources page show.
"""
from __future__ import annotations

import time
from concurrent.futures import TimeoutError as FutureTimeout

from .base import DataSource, SourceError, SourceHealth
from .registry import REGISTRY, build_sources, load_builtin, register

__all__ = ["DataSource", "SourceError", "SourceHealth", "REGISTRY", "build_sources", "load_builtin", "register",
           "source_health"]


HEALTH_SECONDS = 15  # probes are reused this long: /metrics scrapes and page views do not load the sources


def source_health(runtime, max_age: float = HEALTH_SECONDS, wait: float | None = None) -> list[SourceHealth]:
    """Health of every registered source for this app, in registry order: configured ones probed
    (a trivial request each, concurrently, within the query timeout; reused for `max_age` seconds;
    a probe still running after `wait` seconds counts as down, "no answer yet"), the others
    `configured=False`.

    Also sets `dataops_datasource_up{source}` in the app's metrics (1 up, 0 down)."""
    load_builtin()
    engine = runtime.engine
    probed_at, last = getattr(engine, "health_probe", (0.0, None))
    if last is not None and time.monotonic() - probed_at < max_age:
        return last
    futures = {name: engine.pool.submit(src.health) for name, src in engine.sources.items()}
    deadline = None if wait is None else time.monotonic() + wait
    out = []
    for name, reg in REGISTRY.items():
        if name in futures:
            try:
                health = futures[name].result(None if deadline is None else max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                health = SourceHealth(name, reg.title, True, False, f"no answer within {wait:g} s", wait or 0.0)
            runtime.metrics.datasource_up.labels(name).set(1 if health.up else 0)
        else:
            health = SourceHealth(name, reg.title, False, None, "not configured")
        out.append(health)
    engine.health_probe = (time.monotonic(), out)
    return out
