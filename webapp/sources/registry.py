"""Data sources by name: each source module registers itself once; the app builds the configured ones.

    register("spark_history", "The Spark History Server", build)   # at the end of the source's module

`build(settings, cache, credentials)` returns the source, or None when it is not configured. The
built-in sources register exactly as an addition would.
"""
from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable

from .base import DataSource

BUILTIN = ("prometheus", "alerts", "spark_history", "airflow", "alertmanager")


@dataclasses.dataclass(frozen=True)
class Registration:
    name: str
    title: str
    build: Callable[..., DataSource | None]


REGISTRY: dict[str, Registration] = {}


def register(name: str, title: str, build: Callable[..., DataSource | None]) -> None:
    """Make a source known by `name` (a second registration of a name replaces the first)."""
    REGISTRY[name] = Registration(name, title, build)


def load_builtin() -> None:
    for module in BUILTIN:
        importlib.import_module(f"{__package__}.{module}")


def build_sources(settings, cache, credentials: dict, prometheus_client=None) -> dict[str, DataSource]:
    """Every registered source that is configured, by name (a missing one is simply absent)."""
    load_builtin()
    sources = {}
    for name, reg in REGISTRY.items():
        source = reg.build(settings, cache, credentials.get(name), prometheus_client=prometheus_client)
        if source is not None:
            sources[name] = source
    return sources
