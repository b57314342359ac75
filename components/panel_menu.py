"""The panel menu: PromQL, Explore, CSV, PNG, View (full view) and Copy incident link.

At page load a panel carries two components (the menu button and an empty menu): a page has
~60 panels and Dash's renderer pays per component. The menu's items are built in the browser when
it first opens (a clientside callback); what they show (queries as sent, CSV, the data source's UI
link, the incident link) is computed on demand, through the same engine as the panel (tenant scope,
cache). `assets/panel_menu.js` gives the menu its keyboard behaviour and draws PNGs.
"""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from urllib.parse import urlencode, urlsplit

import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, ctx, dcc, html, no_update
from flask import Flask, Response, redirect, request

from webapp.catalog.kinds import PANEL_KINDS
from webapp.catalog.model import Panel
from webapp.engine import plan_query
from webapp.promql import TemplateError
from webapp.sources.base import SourceError
from webapp.viewstate import ViewState, parse_view_state

log = logging.getLogger(__name__)
ACTIONS = ("promql", "explore", "csv", "png", "view", "incident-link")
# Kinds drawn as a picture: their menu offers a PNG (a table has none; its CSV is the export).
PICTURE_KINDS = sorted(k.name for k in PANEL_KINDS.values() if k.chart)
FULL_HEIGHT = 560  # px: a chart in full view
PATH_PREFIX = "path-"  # Level 2 path values in the export endpoints' query strings


def menu_button(panel: Panel, title: str) -> list:
    """The menu of one panel at page load: a button and an empty menu (filled when first opened)."""
    return [
        html.Button("•••", id={"type": "panel-menu-toggle", "panel": panel.id}, type="button",
                    className="panel-menu-toggle btn btn-sm btn-link", title="Panel menu",
                    **{"aria-haspopup": "menu", "aria-expanded": "false", "aria-label": f"Menu of {title}",
                       "data-source": panel.source, "data-kind": panel.kind}),
        html.Div([], id={"type": "panel-menu", "panel": panel.id}, className="panel-menu dropdown-menu",
                 role="menu", **{"aria-label": f"{title}: panel menu"}),
    ]


def menu_links(view: ViewState, store: dict) -> dict:
    """What the browser needs to build a page's menu links: the view's query string (with the
    Level 2 path values, for the export endpoints), and the panel in full view."""
    path_vars = store.get("path_vars") if isinstance(store.get("path_vars"), dict) else {}
    params = view.query_params() + [(PATH_PREFIX + k, v) for k, v in path_vars.items() if isinstance(v, str) and v]
    return {"query": urlencode(params), "view": view.query_string(), "full": view.view_panel}


def resolve_view_panel(panels, wanted: str) -> Panel | None:
    """The panel `viewPanel` names: by id, or a Grafana numeric id (`12`, `panel-12`) of an imported
    dashboard (whose panels are named `p12-...`)."""
    if not wanted:
        return None
    for panel in panels:
        if panel.id == wanted:
            return panel
    number = re.fullmatch(r"(?:panel-)?(\d{1,9})", wanted)
    if number:
        return next((p for p in panels if p.id.startswith(f"p{number[1]}-")), None)
    return None


def full_view(view: ViewState, container: html.Div) -> list:
    """The body of a page in full view: a way back to the whole dashboard, and the panel at full width."""
    container.className = "panel state-loading col-12 panel-full"
    back = dcc.Link("Back to the whole dashboard", href="?" + view.query_string(), className="full-view-back",
                    id="full-view-back")
    return [html.Div(back, className="mb-2"), html.Div(container, className="row g-2")]


def unknown_panel_note(wanted: str) -> dbc.Alert:
    """The note of a `viewPanel` that names no panel of this page (the whole dashboard follows)."""
    return dbc.Alert(f"No panel “{wanted[:80]}” on this page; showing the whole dashboard.", color="warning",
                     className="py-1 px-2 small", id="view-panel-note")


def full_view_class(view: ViewState | None, panel: Panel, state: str) -> str | None:
    """The panel's class in full view (None when the view shows the whole dashboard)."""
    if view is None or not view.view_panel or resolve_view_panel((panel,), view.view_panel) is None:
        return None
    return f"panel state-{state} col-12 panel-full"


def enlarge(children) -> list:
    """A panel body's children for the full view: its main chart FULL_HEIGHT pixels high."""
    from plotly.io.json import to_json_plotly
    data = children if _plain(children) else json.loads(to_json_plotly(children))

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            props = node.get("props") if isinstance(node.get("props"), dict) else {}
            figure = props.get("figure")
            if "panel-graph" in str(props.get("className", "")) and isinstance(figure, dict):
                figure["layout"] = {**figure.get("layout", {}), "height": FULL_HEIGHT}
            walk(props.get("children"))
    walk(data)
    return data


def _plain(children) -> bool:
    return isinstance(children, (list, dict)) and all(isinstance(c, (dict, str)) for c in (
        children if isinstance(children, list) else [children]))


def panel_dialog() -> list:
    """The page's one dialog for the menus' PromQL and incident link (filled on demand)."""
    return [dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle("", id="panel-dialog-title")),
        dbc.ModalBody([html.Div(id="panel-dialog-notes", className="small text-muted mb-2"),
                       html.Pre("", id="panel-dialog-text", className="panel-dialog-text", tabIndex=0)]),
        dbc.ModalFooter([html.Span("", id="panel-dialog-copied", className="small text-muted me-auto",
                                   role="status"),
                         html.Button("Copy", id="panel-dialog-copy", className="btn btn-sm btn-primary",
                                     type="button")]),
    ], id="panel-dialog", is_open=False, size="lg", scrollable=True), dcc.Store(id="panel-dialog-clip")]


# --------------------------------------------------------------------------- on demand: the queries

def _queries_as_sent(runtime, panel: Panel, view: ViewState, extra) -> list:
    """[(legend, QueryPlan as sent)] of a PromQL panel; raises TemplateError or SourceError."""
    out = []
    for query in panel.queries:
        plan = plan_query(query.expr, view, panel.instant, panel.max_points, panel.min_step, extra)
        out.append((query.legend or query.column, runtime.engine.as_sent(plan)))
    return out


def _utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def promql_text(runtime, panel: Panel, view: ViewState, extra) -> tuple[str, str]:
    """(notes, text): the panel's queries exactly as the engine sends them (variables filled, label
    names of the data source, tenant scope) and their time parameters."""
    if panel.source != "prometheus":
        from webapp.restpanels import SOURCE_NAMES
        name = SOURCE_NAMES.get(panel.source, panel.source)
        return (f"This panel reads the {name}, not PromQL.",
                "\n".join(f"{panel.source}: {q.expr}" for q in panel.queries))
    try:
        sent = _queries_as_sent(runtime, panel, view, extra)
    except TemplateError:
        return "This panel's queries cannot be built for this view.", ""
    except SourceError as exc:
        return exc.message, ""
    if not sent:
        return "This panel sends no query.", ""
    plan = sent[0][1]
    when = (f"Instant query at {_utc(plan.end)}." if plan.instant else
            f"Range query from {_utc(plan.start)} to {_utc(plan.end)}, step {plan.step}s.")
    options = runtime.settings.thanos_params
    if options:
        when += " Thanos options: " + ", ".join(f"{k}={v}" for k, v in sorted(options.items())) + "."
    text = "\n\n".join((f"# {name}\n" if name else "") + p.promql for name, p in sent)
    return when, text


# --------------------------------------------------------------------------- callbacks

_REGISTERED: list[bool] = []


def _register() -> None:
    """Record the menu's callbacks with the app's others (once per process)."""
    if _REGISTERED:
        return
    _REGISTERED.append(True)
    from .callbacks import LOCATION, _resolve_panel, callback, clientside_callback, pinned_now

    clientside_callback(
        """
        function(n, store, id, source, kind, current) {
            var none = window.dash_clientside.no_update;
            if (!n || (current && current.length) || !id) { return none; }
            var links = (store && store.menu) || {};
            var board = encodeURIComponent((store && store.dashboard) || "");
            var pid = encodeURIComponent(id.panel);
            var q = links.query ? "?" + links.query : "";
            function item(action, label, props, server) {
                var p = Object.assign({children: label, className: "dropdown-item", role: "menuitem",
                                       "data-action": action}, props || {});
                if (server) { p.id = {type: "panel-action", panel: id.panel, action: action}; p.n_clicks = 0; }
                return {type: props && props.href !== undefined ? "A" : "Button",
                        namespace: "dash_html_components", props: p};
            }
            function off(action, label, why) {
                return item(action, label, {disabled: true, title: why, "aria-disabled": "true"});
            }
            var promql = source === "prometheus";
            var full = links.full === id.panel;
            var view = "?" + (links.view ? links.view + "&" : "") + (full ? "" : "viewPanel=" + pid);
            return [
                item("promql", promql ? "PromQL" : "Query", {type: "button"}, true),
                promql ? item("explore", "Explore", {href: "/panels/" + board + "/" + pid + "/explore" + q,
                                                     target: "_blank", rel: "noopener noreferrer"})
                       : off("explore", "Explore", "This panel does not read PromQL"),
                item("csv", "CSV", {href: "/panels/" + board + "/" + pid + ".csv" + q, download: id.panel + ".csv"}),
                __CHARTS__.indexOf(kind) >= 0 ? item("png", "PNG", {type: "button"})
                       : off("png", "PNG", "A table has no picture; use CSV"),
                item("view", full ? "Back to the dashboard" : "View", {href: full ? view.replace(/[?&]$/, "") || "?" : view}),
                item("incident-link", "Copy incident link", {type: "button"}, true)
            ];
        }
        """.replace("__CHARTS__", json.dumps(PICTURE_KINDS)),
        Output({"type": "panel-menu", "panel": MATCH}, "children"),
        Input({"type": "panel-menu-toggle", "panel": MATCH}, "n_clicks"),
        State("view-params", "data"),
        State({"type": "panel-menu-toggle", "panel": MATCH}, "id"),
        State({"type": "panel-menu-toggle", "panel": MATCH}, "data-source"),
        State({"type": "panel-menu-toggle", "panel": MATCH}, "data-kind"),
        State({"type": "panel-menu", "panel": MATCH}, "children"),
        prevent_initial_call=True,
    )

    @callback(
        Output("panel-dialog", "is_open"),
        Output("panel-dialog-title", "children"),
        Output("panel-dialog-notes", "children"),
        Output("panel-dialog-text", "children"),
        Output("panel-dialog-clip", "data"),
        Input({"type": "panel-action", "panel": ALL, "action": "promql"}, "n_clicks"),
        Input({"type": "panel-action", "panel": ALL, "action": "incident-link"}, "n_clicks"),
        State("view-params", "data"),
        State(LOCATION, "href"),
        prevent_initial_call=True,
    )
    def panel_dialog_fill(_promql, _incident, store, href):
        """The dialog of a menu action: the panel's queries as sent, or its incident link (copied too)."""
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(t.get("value") for t in ctx.triggered):
            return (no_update,) * 5  # menus appearing, not a click
        panel_id = trigger.get("panel")
        if trigger.get("action") == "incident-link":
            return True, "Incident link", *incident_dialog(store, href, panel_id)
        resolved = _resolve_panel(store, panel_id)
        if isinstance(resolved, str):
            return True, "Query", resolved, "", None
        runtime, panel, view, extra = resolved
        notes, text = promql_text(runtime, panel, view, extra)
        title = f"{'PromQL' if panel.source == 'prometheus' else 'Query'}: {panel.title}"
        return True, title, notes, text, None

    def incident_dialog(store, href, panel_id) -> tuple[str, str, str | None]:
        from .panel_export import incident_link

        if not isinstance(store, dict) or not isinstance(href, str) or not isinstance(panel_id, str):
            return "This link could not be made.", "", None
        from webapp.dashboards import find_dashboard
        dashboard = find_dashboard(store.get("dashboard"))
        params = store.get("params") if isinstance(store.get("params"), dict) else {}
        # The data on screen: as of the page's "now" (up to a day old) when nothing refreshes it, else as of now.
        now = None if params.get("refresh") else pinned_now(store, max_age=86400)
        view = parse_view_state(params, now=now, allowed_variables=dashboard.variables if dashboard else None)
        parts = urlsplit(href)
        link = incident_link(view, parts.path or "/", panel_id)
        full = f"{parts.scheme}://{parts.netloc}{link}" if parts.scheme in ("http", "https") else link
        tr = view.time_range
        notes = (f"From {_utc(tr.start)} to {_utc(tr.end)}: anyone opening this link later sees the same "
                 "data. Copied to the clipboard when the browser allows it.")
        return notes, full, full

    clientside_callback(
        """
        function(clip, n) {
            var text = clip;
            var cc = window.dash_clientside.callback_context;
            if (cc.triggered.length && cc.triggered[0].prop_id.indexOf("panel-dialog-copy") === 0) {
                var pre = document.getElementById("panel-dialog-text");
                text = pre ? pre.textContent : "";
            }
            if (!text) { return ""; }
            try {
                if (navigator.clipboard && window.isSecureContext) {
                    navigator.clipboard.writeText(text).catch(function () {});
                }
            } catch (e) {}
            return "Copied";
        }
        """,
        Output("panel-dialog-copied", "children"),
        Input("panel-dialog-clip", "data"),
        Input("panel-dialog-copy", "n_clicks"),
        prevent_initial_call=True,
    )



# --------------------------------------------------------------------------- endpoints

def _store_from_request(dashboard_id: str) -> dict:
    params: dict = {}
    path_vars: dict = {}
    for key in request.args:
        values = request.args.getlist(key)
        if key.startswith(PATH_PREFIX):
            path_vars[key[len(PATH_PREFIX):]] = values[0]
        else:
            params[key] = values if len(values) > 1 else values[0]
    return {"dashboard": dashboard_id, "params": params, "path_vars": path_vars}


def _text(message: str, status: int) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def install_panel_menu(server: Flask) -> None:
    """The menu's callbacks (recorded for `register_callbacks`, so call this before it) and its
    endpoints: `GET /panels/<dashboard>/<panel>.csv` (the panel's data) and `GET /panels/<dashboard>/<panel>/explore`
    (a redirect to the data source's own UI showing its queries), for the view in the query string
    (`from`, `to`, `var-<name>`, `timezone`; `path-<name>` for a Level 2 page's path values)."""
    _register()
    from .callbacks import _resolve_panel
    from .format import display_zone
    from .panel_export import explore_url, panel_csv

    @server.get("/panels/<dashboard_id>/<panel_id>.csv")
    def panel_data_csv(dashboard_id: str, panel_id: str):
        from webapp.runner import run_panels

        resolved = _resolve_panel(_store_from_request(dashboard_id), panel_id)
        if isinstance(resolved, str):
            return _text(f"{resolved}.", 404)
        runtime, panel, view, extra = resolved
        data = run_panels(runtime.engine, [panel], view, extra)[panel.id]
        if data.state == "error":
            return _text(f"No data: {data.error}", 502)
        with display_zone(view.zone):
            body = panel_csv(data, view.zone.tz)
        filename = re.sub(r"[^a-z0-9-]", "", panel.id.lower()) or "panel"
        return Response(body, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{filename}.csv"', "Cache-Control": "no-store"})

    @server.get("/panels/<dashboard_id>/<panel_id>/explore")
    def panel_explore(dashboard_id: str, panel_id: str):
        resolved = _resolve_panel(_store_from_request(dashboard_id), panel_id)
        if isinstance(resolved, str) or resolved[1].source != "prometheus":
            return _text(f"{resolved}." if isinstance(resolved, str) else
                         "This panel does not read PromQL: there is nothing to explore.", 404)
        runtime, panel, view, extra = resolved
        try:
            sent = [plan for _, plan in _queries_as_sent(runtime, panel, view, extra)]
        except TemplateError:
            return _text("This panel's queries cannot be built for this view.", 400)
        except SourceError as exc:
            return _text(exc.message, 403 if exc.kind == "forbidden" else 502)
        return redirect(explore_url(runtime.settings.explore_base, sent, runtime.settings.thanos_params), code=302)
