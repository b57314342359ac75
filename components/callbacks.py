"""The app's few generic callbacks. Adding a panel never adds a callback.

Every callback re-validates what the browser sends (a crafted request can send anything).
"""
from __future__ import annotations

import logging
from urllib.parse import urlencode

from dash import ALL, Input, Output, State, ctx, no_update

from webapp.catalog import TILES
from webapp.catalog.variables import VARIABLES
from webapp.dashboards import file_dashboards, find_dashboard
from webapp.runner import run_panels, evaluate_tiles
from webapp.runtime import current_runtime
from webapp.viewstate import parse_view_state

from .layout import query_string_for, render_tile
from .pages import pinned_now
from .panels import apply_theme, render_error, render_panel_body

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


@callback(
    Output({"type": "panel-body", "panel": ALL}, "children"),
    Output({"type": "panel", "panel": ALL}, "className"),
    Input("view-params", "data"),
    Input("refresh-timer", "n_intervals"),
)
def fill_panels(store, _n):
    """Run every panel of the page's dashboard concurrently and render each on its own."""
    ids = [item["id"]["panel"] for item in ctx.outputs_list[0]]
    if not ids:
        return [], []
    dashboard, view, path_vars = _view_from_store(store)
    runtime = current_runtime()
    if dashboard is None or runtime is None:
        return [render_error("Unknown dashboard") for _ in ids], [panel_class(12, "error") for _ in ids]
    panels = {p.id: p for p in dashboard.panels}
    wanted = [panels[i] for i in ids if i in panels]
    extra = {}
    for name, (label, value) in _path_selections(dashboard, path_vars).items():
        extra[name] = (label, (value,))
    if (item := file_dashboards().get(dashboard.id)) is not None:
        wanted, own = item.prepare(wanted, view.variables, view.time_range.seconds)
        extra.update(own)
    try:
        data = run_panels(runtime.engine, wanted, view, extra)
    except Exception:
        log.exception("panel run failed")
        return [render_error("The dashboard could not be loaded") for _ in ids], \
            [panel_class(panels[i].width if i in panels else 12, "error") for i in ids]
    qs = query_string_for(view)
    bodies, classes = [], []
    for panel_id in ids:
        panel = panels.get(panel_id)
        if panel is None:
            bodies.append(render_error("Unknown panel"))
            classes.append(panel_class(12, "error"))
            continue
        children, state = render_panel_body(data[panel_id], qs)
        children = apply_theme(children, view.theme)
        bodies.append(children)
        classes.append(panel_class(panel.width, state))
    return bodies, classes


def _path_selections(dashboard, path_vars: dict) -> dict[str, tuple[str, str]]:
    """Level 2 path variables the dashboard declares, validated (strings, bounded length)."""
    out = {}
    for name, label in dashboard.path_variables:
        value = path_vars.get(name)
        if isinstance(value, str) and 0 < len(value) <= 256:
            out[name] = (label, value)
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
    params: list[tuple[str, str]] = []
    trigger = ctx.triggered_id
    if trigger == "time-quick" and isinstance(quick, str):
        params += [("from", quick), ("to", "now")]
    elif trigger in ("time-apply", "time-from", "time-to"):
        params += [("from", str(raw_from or "now-6h")[:40]), ("to", str(raw_to or "now")[:40])]
    else:
        params += [("from", view.time_range.raw_from), ("to", view.time_range.raw_to)]
    names = [item["id"]["name"] for item in ctx.inputs_list[0]]
    for name, value in zip(names, picked or []):
        if name not in allowed:
            continue
        values = value if isinstance(value, list) else ([value] if isinstance(value, str) else [])
        params += [(f"var-{name}", v) for v in values if isinstance(v, str) and v]
    if isinstance(refresh, str) and refresh != "off":
        params.append(("refresh", refresh))
    # Page-specific filters (e.g. /alerts severity and domain) ride along; their pages validate them.
    page_filters = store.get("filters") if isinstance(store.get("filters"), dict) else {}
    for name in ("severity", "domain"):
        values = page_filters.get(name)
        if isinstance(values, list):
            params += [(name, v) for v in values if isinstance(v, str) and len(v) <= 40]
    if view.kiosk:
        params.append(("kiosk", ""))
    if view.theme != "light":
        params.append(("theme", view.theme))
    search = "?" + urlencode(params)
    return search


clientside_callback(
    """
    function(n) {
        if (!n) { return window.dash_clientside.no_update; }
        var url = window.location.href;
        try {
            if (navigator.clipboard && window.isSecureContext) {
                navigator.clipboard.writeText(url).catch(function () {});
            }
        } catch (e) {}
        return url;
    }
    """,
    Output("share-url", "value"),
    Input("share-button", "n_clicks"),
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
