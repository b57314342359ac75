"""The dashboard catalog: every dashboard, panel and tile of the app, as data."""
from __future__ import annotations

from .gitops import GITOPS
from .model import Dashboard, Link, Panel, Query, Section, Signal, Threshold, Tile
from .overview import TILES

DASHBOARDS: dict[str, Dashboard] = {d.id: d for d in (GITOPS,)}


def dashboard_for_path(path: str) -> Dashboard | None:
    """The Level 1 dashboard served at `path`, if any."""
    return next((d for d in DASHBOARDS.values() if d.path == path), None)


__all__ = ["DASHBOARDS", "TILES", "Dashboard", "Link", "Panel", "Query", "Section", "Signal", "Threshold",
           "Tile", "dashboard_for_path"]
