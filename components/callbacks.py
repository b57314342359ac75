"""The app's few generic callbacks. Adding a panel never adds a callback.

Every callback re-validates what the browser sends (a crafted request can send anything).
"""
from __future__ import annotations

import logging

from dash import ALL, MATCH, Input, Output, State, ctx, html, no_update

from webapp.catalog import TILES
from webapp.catalog.variables import VARIABLES
from webapp.dashboards import file_dashboards, find_dashboard
from webapp.runner import evaluate_tiles, run_panels
from webapp.runtime import current_runtime
from webapp.viewstate import parse_view_state

from .layout import query_string_for, render_tile
from .format import display_zone
from .page_builders import pinned_now
from .panel_menu import enlarge, full_view_class
from .panel_service import panel_cache, serve_panel
from .panels import render_error
from .textalt import data_table

log = logging.getLogger(__name__)
LOCATION = "_pages_location"

# Callbacks are registered on each app by `register_callbacks(app)`, not globally: Dash hands global
# callbacks to the first app only, and tests (or several apps in one process) build many.
_CALLBACKS: list[tuple[tuple, dict, object]] = []
_CLIENTSIDE: list[tuple[str, tuple, dict]] = []


def callback(*args, **kwargs):
    """Like dash.callback, but recorded for `register_callbacks`."""
    def record(fn):
        _CALLBACKS.append((args, kwargs, fn))
        return fn
    return record


def clientside_callback(code: str, *args, **kwargs) -> None:
    _CLIENTSIDE.append((code, args, kwargs))


def register_callbacks(app) -> None:
    """Attach every recorded callback to this app."""
    for args, kwargs, fn in _CALLBACKS:
        app.callback(*args, **kwargs)(fn)
    for code, args, kwargs in _CLIENTSIDE:
        app.clientside_callback(code, *args, **kwargs)


def panel_class(width: int, state: str) -> str:
    return f"panel state-{state} col-12 col-lg-{width}"


def _view_from_store(store):
    if not isinstance(store, dict):
        return None, None, {}
    dashboard_id = store.get("dashboard")
    params = store.get("params") if isinstance(store.get("params"), dict) else {}
    dashboard = find_dashboard(dashboard_id)
    allowed = dashboard.variables if dashboard else tuple(VARIABLES)
    view = parse_view_state(params, now=pinned_now(store),
                            allowed_variables=allowed)
    path_vars = store.get("path_vars") if isinstance(store.get("path_vars"), dict) else {}
    return dashboard, view, path_vars


def _resolve_panel(store, panel_id):
    """(runtime, panel, view, extra) of one panel of the page's dashboard, or an error message."""
    dashboard, view, path_vars = _view_from_store(store)
    runtime = current_runtime()
    if dashboard is None or runtime is None:
        return "Unknown dashboard"
    panel = next((p for p in dashboard.panels if p.id == panel_id), None)
    if panel is None:
        return "Unknown panel"
    extra = _path_selections(dashboard, path_vars)
    if (item := file_dashboards().get(dashboard.id)) is not None:
        prepared, own = item.prepare([panel], view.variables, view.time_range.seconds)
        panel = prepared[0] if prepared else panel
        extra.update(own)
    return runtime, panel, view, extra


@callback(
    Output({"type": "panel-body", "panel": MATCH}, "children"),
    Output({"type": "panel", "panel": MATCH}, "className"),
    Input("view-params", "data"),
    Input("refresh-timer", "n_intervals"),
)
def fill_panel(store, _n):
    """One panel of the page's dashboard: each panel is its own request, so a slow query delays
    only the panel that sends it, and panels appear as they are ready."""
    panel_id = ctx.outputs_list[0]["id"].get("panel")
    resolved = _resolve_panel(store, panel_id)
    if isinstance(resolved, str):
        return render_error(resolved), panel_class(12, "error")
    runtime, panel, view, extra = resolved
    try:
        with display_zone(view.zone, (view.time_range.start, view.time_range.end)):
            children, state = serve_panel(runtime, panel_cache(), panel, view, extra, query_string_for(view))
    except Exception:
        log.exception("panel %s failed", panel_id)
        return render_error("This panel could not be loaded"), panel_class(panel.width, "error")
    if (full := full_view_class(view, panel, state)) is not None:
        return enlarge(children), full
    return children, panel_class(panel.width, state)


@callback(
    Output({"type": "chart-table", "panel": MATCH}, "children"),
    Input({"type": "chart-table-toggle", "panel": MATCH}, "n_clicks"),
    State("view-params", "data"),
    prevent_initial_call=True,
)
def fill_chart_table(_clicks, store):
    """A chart's "View as table", filled when the reader opens it (from the engine's cache: the
    chart just sent the same queries)."""
    panel_id = ctx.outputs_list["id"].get("panel")
    resolved = _resolve_panel(store, panel_id)
    if isinstance(resolved, str):
        return render_error(resolved)
    runtime, panel, view, extra = resolved
    try:
        data = run_panels(runtime.engine, [panel], view, extra)[panel.id]
        table = data_table(data)
    except Exception:
        log.exception("table of panel %s failed", panel_id)
        return render_error("This table could not be loaded")
    return table if table is not None else html.P("No data in this time range.", className="text-muted mb-0")


def _path_selections(dashboard, path_vars: dict) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Level 2 path variables the dashboard declares, validated (strings, bounded length); one the
    page's path did not give (an older, shorter path) matches everything."""
    out = {}
    for name, label in dashboard.path_variables:
        value = path_vars.get(name)
        out[name] = (label, (value,) if isinstance(value, str) and 0 < len(value) <= 256 else ())
    return out


@callback(
    Output("tiles", "children"),
    Input("view-params", "data"),
    Input("refresh-timer", "n_intervals"),
)
def fill_tiles(store, _n):
    """Level 0: each tile's health from its signals."""
    _, view, _ = _view_from_store(store)
    runtime = current_runtime()
    if view is None or runtime is None:
        return no_update
    try:
        healths = evaluate_tiles(runtime.engine, TILES, view)
    except Exception:
        log.exception("tile evaluation failed")
        return [render_error("Domain health could not be evaluated; the next refresh retries.")]
    qs = query_string_for(view)
    return [render_tile(h, qs) for h in healths]


@callback(
    Output(LOCATION, "search"),
    Input({"type": "var-picker", "name": ALL}, "value"),
    Input("time-quick", "value"),
    Input("time-apply", "n_clicks"),
    Input("time-from", "n_submit"),
    Input("time-to", "n_submit"),
    Input("refresh-picker", "value"),
    State("time-from", "value"),
    State("time-to", "value"),
    State("view-params", "data"),
    prevent_initial_call=True,
)
def update_url(picked, quick, _apply, _sf, _st, refresh, raw_from, raw_to, store):
    """Filters -> URL; the page re-renders from the URL, so the URL is always the whole view."""
    dashboard, view, _ = _view_from_store(store)
    if view is None:
        return no_update
    allowed = set(dashboard.variables) if dashboard else set(VARIABLES)
    changes: dict[str, object] = {}
    trigger = ctx.triggered_id
    if trigger == "time-quick" and isinstance(quick, str):
        changes.update(from_=quick, to="now")
    elif trigger in ("time-apply", "time-from", "time-to"):
        changes.update(from_=str(raw_from or "now-6h")[:64], to=str(raw_to or "now")[:64])
    names = [item["id"]["name"] for item in ctx.inputs_list[0]]
    for name, value in zip(names, picked or []):
        if name not in allowed:
            continue
        values = value if isinstance(value, list) else ([value] if isinstance(value, str) else [])
        changes[f"var_{name}"] = [v for v in values if isinstance(v, str) and v]
    changes["refresh"] = refresh if isinstance(refresh, str) and refresh != "off" else None
    # Page-specific filters (e.g. /alerts severity and domain) ride along; their pages validate them.
    page_filters = store.get("filters") if isinstance(store.get("filters"), dict) else {}
    for name in ("severity", "domain"):
        values = page_filters.get(name)
        if isinstance(values, list):
            changes[name] = [v for v in values if isinstance(v, str) and len(v) <= 40]
    # One URL builder: variables of other pages, timezone, kiosk and theme are kept as they were.
    changes["viewPanel"] = view.view_panel or None  # a panel in full view stays so
    return view.url("", **changes) or "?"


@callback(
    Output("share-url", "value"),
    Input("share-button", "n_clicks"),
    State(LOCATION, "href"),
    prevent_initial_call=True,
)
def share_link(n_clicks, href):
    """The link to this view; a long one (many filters) becomes a short link `/s/<id>`."""
    from urllib.parse import urlsplit

    from flask import current_app

    from webapp.shortlinks import SHORTEN_ABOVE, ShortLinkError

    if not n_clicks or not isinstance(href, str):
        return no_update
    if len(href) <= SHORTEN_ABOVE:
        return href
    links = current_app.extensions.get("dataops.shortlinks")
    try:
        key = links.store(href)
    except (ShortLinkError, AttributeError):
        return href
    origin = urlsplit(href)
    return f"{origin.scheme}://{origin.netloc}/s/{key}" if origin.scheme else f"/s/{key}"


clientside_callback(
    """
    function(url) {
        try {
            if (url && navigator.clipboard && window.isSecureContext) {
                navigator.clipboard.writeText(url).catch(function () {});
            }
        } catch (e) {}
        return window.dash_clientside.no_update;
    }
    """,
    Output("share-url", "title"),
    Input("share-url", "value"),
    prevent_initial_call=True,
)


# Clicking a bar or a line that names an entity opens its Level 2 page (the href was put on the
# trace by the renderer, already escaped and carrying the view's query string).
clientside_callback(
    """
    function(clicks, figures) {
        var cc = window.dash_clientside.callback_context;
        var none = window.dash_clientside.no_update;
        if (!cc.triggered.length || !cc.triggered[0].value) { return none; }
        var point = (cc.triggered[0].value.points || [])[0];
        if (!point) { return none; }
        var href = (typeof point.customdata === "string") ? point.customdata : null;
        if (!href) {
            var id = JSON.parse(cc.triggered[0].prop_id.split(".")[0]);
            var ids = cc.inputs_list[0].map(function (i) { return i.id.panel; });
            var figure = figures[ids.indexOf(id.panel)];
            var trace = figure && figure.data && figure.data[point.curveNumber];
            href = trace && typeof trace.meta === "string" ? trace.meta : null;
        }
        return (href && href.charAt(0) === "/") ? href : none;
    }
    """,
    Output(LOCATION, "href", allow_duplicate=True),
    Input({"type": "panel-graph", "panel": ALL}, "clickData"),
    State({"type": "panel-graph", "panel": ALL}, "figure"),
    prevent_initial_call=True,
)


# Table panels sort in the browser by each column's sort key (components/tables.py).
from .tables import SORT_JS  # noqa: E402

clientside_callback(
    SORT_JS,
    Output({"type": "panel-table", "panel": MATCH}, "data"),
    Input({"type": "panel-table", "panel": MATCH}, "sort_by"),
    State({"type": "panel-table", "panel": MATCH}, "data"),
    prevent_initial_call=True,
)
