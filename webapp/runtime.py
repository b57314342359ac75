"""The per-app runtime (settings, client, engine, metrics), reachable from any request."""
from __future__ import annotations

import dataclasses

from flask import current_app, has_app_context

from .engine import QueryEngine
from .metrics import AppMetrics
from .prometheus import PrometheusClient
from .settings import Settings

EXTENSION = "dataops"


@dataclasses.dataclass
class Runtime:
    settings: Settings
    client: PrometheusClient
    engine: QueryEngine
    metrics: AppMetrics


def current_runtime() -> Runtime | None:
    """The runtime of the app serving this request (None outside a request)."""
    if not has_app_context():
        return None
    return current_app.extensions.get(EXTENSION)
