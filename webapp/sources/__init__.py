"""Data sources: the protocol and error type (`base`), one HTTP transport with per-source credentials
(`transport`), the JSON cache with single-flight (`cache`), the registry, and one module per source:
`prometheus`, `alerts`, `spark_history`, `airflow`, `alertmanager`.

`source_health(runtime)` is what `/metrics` and the data sources page show.
"""
from __future__ import annotations

import time

from .base import DataSource, SourceError, SourceHealth
from .registry import REGISTRY, build_sources, load_builtin, register

__all__ = ["DataSource", "SourceError", "SourceHealth", "REGISTRY", "build_sources", "load_builtin", "register",
           "source_health"]


HEALTH_SECONDS = 15  # probes are reused this long: /metrics scrapes and page views do not load the sources


def source_health(runtime, max_age: float = HEALTH_SECONDS) -> list[SourceHealth]:
    """Health of every registered source for this app, in registry order: configured ones probed
    (a trivial request each, concurrently, within the query timeout; reused for `max_age` seconds),
    the others `configured=False`.

    Also sets `dataops_datasource_up{source}` in the app's metrics (1 up, 0 down)."""
    load_builtin()
    engine = runtime.engine
    probed_at, last = getattr(engine, "health_probe", (0.0, None))
    if last is not None and time.monotonic() - probed_at < max_age:
        return last
    futures = {name: engine.pool.submit(src.health) for name, src in engine.sources.items()}
    out = []
    for name, reg in REGISTRY.items():
        if name in futures:
            health = futures[name].result()
            runtime.metrics.datasource_up.labels(name).set(1 if health.up else 0)
        else:
            health = SourceHealth(name, reg.title, False, None, "not configured")
        out.append(health)
    engine.health_probe = (time.monotonic(), out)
    return out
