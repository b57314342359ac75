"""The dashboard catalog: every dashboard, panel and tile of the app, as data.

Each domain module defines `DASHBOARD`; this package collects them, so adding a dashboard is
adding a module, and adding a panel is one entry in that module.
"""
from __future__ import annotations

import importlib
import pkgutil

from .model import Dashboard, Link, Panel, Query, Section, Signal, Threshold, Tile
from .overview import TILES

LEVEL1_ORDER = ("gitops", "capacity", "workloads", "pipeline", "optimize", "e2e")


def _discover() -> dict[str, Dashboard]:
    found: dict[str, Dashboard] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        candidates = [getattr(module, "DASHBOARD", None), *getattr(module, "LEVEL2_DASHBOARDS", ())]
        for dashboard in candidates:
            if isinstance(dashboard, Dashboard):
                if dashboard.id in found:
                    raise ValueError(f"two dashboards with id {dashboard.id!r}")
                found[dashboard.id] = dashboard
    order = {d: i for i, d in enumerate(LEVEL1_ORDER)}
    return dict(sorted(found.items(), key=lambda kv: (order.get(kv[0], 99), kv[0])))


DASHBOARDS: dict[str, Dashboard] = _discover()


def level1() -> list[Dashboard]:
    return [d for d in DASHBOARDS.values() if d.level == 1]


def level2() -> list[Dashboard]:
    return [d for d in DASHBOARDS.values() if d.level == 2]


def dashboard_for_path(path: str) -> Dashboard | None:
    """The Level 1 dashboard served at `path`, if any."""
    return next((d for d in DASHBOARDS.values() if d.path == path), None)


__all__ = ["DASHBOARDS", "level1", "level2", "TILES", "Dashboard", "Link", "Panel", "Query", "Section", "Signal", "Threshold",
           "Tile", "dashboard_for_path"]
