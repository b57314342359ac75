"""Page builders shared by the thin modules in pages/."""
from __future__ import annotations

import functools
import logging
import re
import time
import unicodedata
from urllib.parse import unquote

import dash_bootstrap_components as dbc
from dash import ctx, dcc, html

from webapp.catalog import DASHBOARDS, TILES
from webapp.catalog.model import Dashboard
from webapp.engine import plan_query
from webapp.prometheus import QueryResult
from webapp.promql import TemplateError
from webapp.runner import entity_exists
from webapp.runtime import current_runtime
from webapp.viewstate import entity_path, parse_view_state

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


PIN_SECONDS = 300  # a page's callbacks keep the layout's "now" this long (refreshes take a new one)


def pinned_now(store, max_age: float = PIN_SECONDS) -> float | None:
    """The "now" the page's layout resolved its view at, so the layout and its panels show one view;
    None (take the current time) on a refresh or when the store's value is not a time of the last
    `max_age` seconds."""
    try:
        refreshing = ctx.triggered_id == "refresh-timer"
    except Exception:  # called outside a callback
        refreshing = False
    now = store.get("now") if isinstance(store, dict) else None
    if refreshing or isinstance(now, bool) or not isinstance(now, (int, float)):
        return None
    return float(now) if time.time() - max_age <= now <= time.time() else None


def _split(params: dict, path_names=()) -> tuple[dict, dict]:
    path_vars = {k: params[k] for k in path_names if k in params}
    query = {k: v for k, v in params.items() if k not in path_vars}
    return query, path_vars


@safe_layout
def overview_page(**params) -> html.Div:
    """Level 0: the six domain tiles."""
    now = time.time()
    view = parse_view_state(params, now=now)
    placeholders = [html.Div(html.Div([html.Div(t.title, className="tile-title"),
                                       html.Div("Loading…", className="text-muted")], className="tile-inner"),
                             className="tile tile-placeholder col-12 col-md-6 col-xl-4") for t in TILES]
    body = [html.Div(placeholders, id="tiles", className="row g-3 tiles")]
    return page_frame(view, "/", "DataOps Platform Overview",
                      "Health of each domain, judged by the design's thresholds. Click a tile for its dashboard.",
                      ("cluster", "namespace"), body, {"dashboard": "overview", "params": params, "now": now})


@safe_layout
def dashboard_page(dashboard_id: str, /, **params) -> html.Div:
    """A Level 1 dashboard from the catalog."""
    dashboard: Dashboard = DASHBOARDS[dashboard_id]
    now = time.time()
    view = parse_view_state(params, now=now, allowed_variables=dashboard.variables)
    return page_frame(view, dashboard.path, dashboard.title, dashboard.description, dashboard.variables,
                      dashboard_body(dashboard, view), {"dashboard": dashboard.id, "params": params, "now": now})


def _path_value(raw) -> str | None:
    """A path variable as the user meant it (percent-decoded), or None when it cannot be valid.

    Names keep what their platform allows: slashes (Jenkins folders, typed or encoded as %2F),
    dots, colons, plus signs, spaces and any other printable character.
    """
    if not isinstance(raw, str):
        return None
    value = unquote(raw)
    if (not value or len(value) > 256 or any(unicodedata.category(ch) == "Cc" for ch in value)
            or value.startswith("/") or value.endswith("/") or "//" in value):
        return None
    return value


def _path_from_location(template: str) -> dict[str, str] | None:
    """The path variables as the browser's path names them (Dash merges query parameters over
    path variables of the same name; the path must win). None outside a page-routing callback.
    The template's last variable takes the rest of the path (a Jenkins folder job's slashes)."""
    try:
        pathname = ctx.inputs.get("_pages_location.pathname")
    except Exception:  # not inside a callback (tests, server-side rendering)
        return None
    if not isinstance(pathname, str):
        return None
    parts = pathname.strip("/").split("/")
    template = template.strip("/").split("/")
    if len(parts) < len(template) or (len(parts) > len(template) and not template[-1].startswith("<")):
        return None
    parts = parts[:len(template) - 1] + ["/".join(parts[len(template) - 1:])]
    out = {}
    for seg, tmpl in zip(parts, template):
        if tmpl.startswith("<") and tmpl.endswith(">"):
            out[tmpl[1:-1]] = seg
        elif seg != tmpl:
            return None
    return out


def breadcrumbs(view, trail: list[tuple[str, str | None]]) -> html.Nav:
    """Overview > domain > entity; every link keeps the time range and filters."""
    items = []
    for title, path in trail:
        if path:
            items.append(html.Li(dcc.Link(title, href=view.url(path)), className="breadcrumb-item"))
        else:
            items.append(html.Li(title, className="breadcrumb-item active", **{"aria-current": "page"}))
    return html.Nav(html.Ol(items, className="breadcrumb mb-1"), **{"aria-label": "breadcrumb"}, id="breadcrumbs")


def path_extra(dashboard: Dashboard, path_values: dict[str, str]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Template selections of a Level 2 page: a path variable the URL did not give matches everything."""
    return {name: (label, (path_values[name],) if path_values.get(name) else ())
            for name, label in dashboard.path_variables}


def _candidates(dashboard: Dashboard, view, path_values: dict[str, str]) -> list[dict[str, str]]:
    """The entities a short (alias) path may name, as path values; [] when unknown."""
    runtime = current_runtime()
    if runtime is None or not dashboard.candidates_query:
        return []
    try:
        plan = plan_query(dashboard.candidates_query, view, True, extra=path_extra(dashboard, path_values))
    except TemplateError:
        return []
    outcome = runtime.engine.run([plan])[plan]
    if not isinstance(outcome, QueryResult):
        return []
    return [{name: dict(s.labels).get(label, "") for name, label in dashboard.path_variables}
            for s in outcome.series]


def _choose_page(dashboard: Dashboard, view, candidates: list[dict[str, str]]) -> html.Div:
    links = [html.Li(dcc.Link(" / ".join(c.values()), href=view.url(entity_path(dashboard.path_template, c)),
                              className="entity-link")) for c in candidates]
    return html.Div(dbc.Container([
        html.H1(f"Which {dashboard.entity}?", className="page-title", **{"data-page": "choose"}),
        html.P(f"Several {dashboard.entity}s have this name; each is identified by "
               f"{' and '.join(label for _, label in dashboard.path_variables)}:"),
        html.Ul(links, id="entity-choices"),
    ], className="pt-4"), className="page choose-entity", **{"data-page": "choose"})


@safe_layout
def entity_page(dashboard_id: str, template: str = "", /, **params) -> html.Div:
    """A Level 2 page: a catalog dashboard filtered to the entity named in the path.

    `template` is the path template that matched (the dashboard's, or one of its older aliases).
    Both are positional-only, so that a query parameter of the same name stays a query parameter.
    """
    dashboard: Dashboard = DASHBOARDS[dashboard_id]
    template = template or dashboard.path_template
    names = re.findall(r"<([^>]+)>", template)
    query, raw_path = _split(params, names)
    located = _path_from_location(template)
    if located is not None:
        # The path wins; a query parameter of the same name stays in `query` to be noted as ignored.
        query = {k: v for k, v in params.items() if k not in located or params[k] != located[k]}
        raw_path = located
    path_values = {name: _path_value(raw_path.get(name)) for name in names}
    now = time.time()
    view = parse_view_state(query, now=now, allowed_variables=dashboard.variables)
    if any(v is None for v in path_values.values()):
        return not_found_page(f"That is not a valid {dashboard.entity.lower()} name.")
    if set(names) != set(dashboard.path_labels):
        candidates = _candidates(dashboard, view, path_values)
        if len(candidates) > 1:
            return _choose_page(dashboard, view, candidates)
        if len(candidates) == 1:
            path_values = candidates[0]
    entity = " / ".join(v for v in path_values.values() if v)
    runtime = current_runtime()
    exists = entity_exists(runtime.engine, dashboard, view, path_values) if runtime is not None else None
    if exists is False:
        return not_found_page(f"No {dashboard.entity.lower()} named “{entity}” has data in the selected time "
                              f"range ({view.time_range.raw_from} to {view.time_range.raw_to}).")
    parent = DASHBOARDS.get(next((d.id for d in DASHBOARDS.values() if d.path == dashboard.parent), ""), None)
    trail = [("Overview", "/"), (parent.title if parent else dashboard.parent, dashboard.parent),
             (f"{dashboard.entity}: {entity}", None)]
    notes = [] if exists else ["Could not check that this entity exists: the data source did not answer."]
    return page_frame(view, dashboard.parent, f"{dashboard.entity}: {entity}", dashboard.description,
                      dashboard.variables, dashboard_body(dashboard, view),
                      {"dashboard": dashboard.id, "params": query, "path_vars": path_values, "now": now},
                      extra_notes=notes, breadcrumbs=breadcrumbs(view, trail))


def not_found_page(message: str = "This page does not exist.", title: str = "Not found") -> html.Div:
    return html.Div(html.Main(dbc.Container([
        html.H1(title, className="page-title", **{"data-page": "not-found"}),
        html.P(message),
        dcc.Link("Back to the overview", href="/"),
    ], className="pt-4"), id="main-content"), className="page not-found", **{"data-page": "not-found"})
