"""Dashboards kept as files (`DATAOPS_DASHBOARDS_DIR`), served beside the built-in catalog at `/d/<uid>`.

`create_app` loads the folder once (`loader.load_dir`) and keeps the result on the app; pages
and callbacks find a dashboard by id here, the catalog's first.
"""
from __future__ import annotations

from flask import current_app, has_app_context

from webapp.catalog import DASHBOARDS
from webapp.catalog.model import Dashboard

from .loader import DashboardFileError, FileDashboard, load_dir

EXTENSION = "dataops.dashboards"


def file_dashboards() -> dict[str, FileDashboard]:
    """The file dashboards of the app serving this request, by uid (empty outside a request)."""
    if not has_app_context():
        return {}
    return current_app.extensions.get(EXTENSION, {})


def find_dashboard(dashboard_id: object) -> Dashboard | None:
    """A built-in dashboard, else a file dashboard of this app, by id."""
    if not isinstance(dashboard_id, str):
        return None
    if dashboard_id in DASHBOARDS:
        return DASHBOARDS[dashboard_id]
    item = file_dashboards().get(dashboard_id)
    return item.dashboard if item else None


__all__ = ["DashboardFileError", "FileDashboard", "EXTENSION", "file_dashboards", "find_dashboard", "load_dir"]
