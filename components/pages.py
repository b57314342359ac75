"""Page builders shared by the thin modules in pages/."""
from __future__ import annotations

import functools
import logging

import dash_bootstrap_components as dbc
from dash import dcc, html

from webapp.catalog import DASHBOARDS, TILES
from webapp.catalog.model import Dashboard
from webapp.viewstate import parse_view_state

from .layout import dashboard_body, page_frame

log = logging.getLogger(__name__)


def safe_layout(build):
    """A page whose layout fails shows a plain message, never a traceback or a blank screen."""
    @functools.wraps(build)
    def wrapper(*args, **params):
        try:
            return build(*args, **params)
        except Exception:
            log.exception("page layout failed")
            return not_found_page("This page could not be built. The error was logged; try again or go back.",
                                  title="Something went wrong")
    return wrapper


def _split(params: dict, path_names=()) -> tuple[dict, dict]:
    path_vars = {k: params[k] for k in path_names if k in params}
    query = {k: v for k, v in params.items() if k not in path_vars}
    return query, path_vars


@safe_layout
def overview_page(**params) -> html.Div:
    """Level 0: the six domain tiles."""
    view = parse_view_state(params)
    placeholders = [html.Div(html.Div([html.Div(t.title, className="tile-title"),
                                       html.Div("Loading…", className="text-muted")], className="tile-inner"),
                             className="tile tile-placeholder col-12 col-md-6 col-xl-4") for t in TILES]
    body = [html.Div(placeholders, id="tiles", className="row g-3 tiles")]
    return page_frame(view, "/", "DataOps Platform Overview",
                      "Health of each domain, judged by the design's thresholds. Click a tile for its dashboard.",
                      ("cluster", "namespace"), body, {"dashboard": "overview", "params": params})


@safe_layout
def dashboard_page(dashboard_id: str, **params) -> html.Div:
    """A Level 1 dashboard from the catalog."""
    dashboard: Dashboard = DASHBOARDS[dashboard_id]
    view = parse_view_state(params, allowed_variables=dashboard.variables)
    return page_frame(view, dashboard.path, dashboard.title, dashboard.description, dashboard.variables,
                      dashboard_body(dashboard), {"dashboard": dashboard.id, "params": params})


def not_found_page(message: str = "This page does not exist.", title: str = "Not found") -> html.Div:
    return html.Div(dbc.Container([
        html.H1(title, className="page-title"),
        html.P(message),
        dcc.Link("Back to the overview", href="/"),
    ], className="pt-4"), className="page not-found", **{"data-page": "not-found"})
