"""Page chrome: navigation, filter bar (variables, time picker, refresh, share), notes, tiles."""
from __future__ import annotations

import math

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from webapp.catalog.model import Dashboard
from webapp.catalog.variables import VARIABLES
from webapp.prometheus import PrometheusError
from webapp.promql import TemplateError, matcher
from webapp.runner import Problem, TileHealth, Verdict
from webapp.runtime import current_runtime
from webapp.timerange import QUICK_RANGES, REFRESH_CHOICES, format_duration, parse_duration
from webapp.viewstate import ViewState

from .format import format_value, safe
from .links import link_href, with_query
from .panels import SEVERITY_COLOURS, panel_container

NAV_ITEMS = (("/", "Overview"), ("/gitops", "GitOps"), ("/capacity", "Capacity"), ("/workloads", "Workloads"),
             ("/pipeline", "Pipeline"), ("/optimize", "Optimize"), ("/e2e", "E2E"), ("/alerts", "Alerts"),
             ("/slo", "SLOs"), ("/datasources", "Data sources"))
MAX_OPTIONS = 500


def navbar(view: ViewState, active: str) -> dbc.Navbar | None:
    if view.kiosk:
        return None
    links = [dbc.NavItem(dcc.Link(title, href=view.url(path),
                                  className="nav-link" + (" active" if path == active else "")))
             for path, title in NAV_ITEMS]
    other = "light" if view.theme == "dark" else "dark"
    # assets/theme_toggle.js keeps the whole current URL (a Level 2 path too) and flips only `theme`;
    # the href is the fallback without script.
    toggle = html.A(f"{other.capitalize()} theme", href=view.url(active, theme=None if other == "light" else other),
                    id="theme-toggle", className="nav-link theme-toggle", **{"data-theme": other})
    return dbc.Navbar(dbc.Container([
        dcc.Link("DataOps Monitor", href=view.url("/"), className="navbar-brand"),
        dbc.Nav(links + _file_dashboard_menu(view, active), navbar=True, className="me-auto"),
        dbc.Nav([dbc.NavItem(toggle)], navbar=True),
    ], fluid=True), color="dark", dark=True, className="mb-2 app-nav", id="app-nav")


def _file_dashboard_menu(view: ViewState, active: str) -> list:
    """A "Dashboards" menu listing the dashboards loaded from files, when there are any."""
    from webapp.dashboards import file_dashboards
    items = [dbc.DropdownMenuItem(d.spec.title, href=view.url(d.path),
                                  active=d.path == active, className="file-dashboard-link")
             for d in file_dashboards().values()]
    if not items:
        return []
    return [dbc.DropdownMenu(items, label="Dashboards", nav=True, in_navbar=True, id="file-dashboards-menu")]


def _variable_options(name: str, view: ViewState, definitions=None) -> tuple[list[dict], str | None]:
    if definitions:  # a file dashboard's own variables
        from .file_pages import picker_options
        values, note = picker_options(definitions, name, view)
        return [{"label": v, "value": v} for v in values], note
    variable = VARIABLES[name]
    runtime = current_runtime()
    current = list(view.variables.get(name, ()))
    if runtime is None:
        return [{"label": v, "value": v} for v in current], None
    match_parts = []
    for parent in variable.depends_on:
        values = view.variables.get(parent, ())
        if values:
            try:
                match_parts.append(matcher(VARIABLES[parent].label, values))
            except TemplateError:
                pass
    selector = f"{variable.options_from}{{{', '.join(match_parts)}}}"
    tr = view.time_range
    try:
        values = runtime.engine.label_values(variable.label, [selector], tr.start, tr.end)
        note = None
    except PrometheusError as exc:
        values, note = [], f"{variable.title} values unavailable: {exc.user_message}"
    values = values[:MAX_OPTIONS]
    options = [{"label": v, "value": v} for v in dict.fromkeys(current + values)]
    return options, note


def filter_bar(view: ViewState, variables: tuple[str, ...], time_picker: bool = True,
               definitions=None) -> tuple[html.Div, list[str]]:
    """The filter bar and notes about it (e.g. picker values unavailable).

    `definitions`: a file dashboard's variables by name (else the catalog's `VARIABLES`)."""
    notes = []
    pickers = []
    for name in variables:
        options, note = _variable_options(name, view, definitions)
        if note:
            notes.append(note)
        spec = definitions[name] if definitions else None
        multi = spec.multi if spec else True
        value = list(view.variables.get(name, ()) or (spec.default if spec else ()))
        pickers.append(html.Div([
            html.Label(spec.title or name if spec else VARIABLES[name].title, htmlFor=f"var-{name}",
                       className="filter-label"),
            dcc.Dropdown(id={"type": "var-picker", "name": name}, options=options,
                         value=value if multi else (value[0] if value else None),
                         multi=multi, placeholder="All" if not spec or spec.include_all else "Choose",
                         className="filter-dropdown"),
        ], className="filter-item", id=f"var-{name}"))
    tr = view.time_range
    quick_values = [v for v, _ in QUICK_RANGES]
    quick = tr.raw_from if tr.raw_to == "now" and tr.raw_from in quick_values else None
    time_picker = html.Div([
        html.Label("Time range", htmlFor="time-quick", className="filter-label"),
        html.Div([
            dcc.Dropdown(id="time-quick", options=[{"label": label, "value": value} for value, label in QUICK_RANGES],
                         value=quick, placeholder="Custom range", clearable=False, className="time-quick"),
            dcc.Input(id="time-from", value=tr.raw_from, debounce=True, className="form-control form-control-sm",
                      placeholder="from: now-6h, ISO 8601 or epoch ms"),
            dcc.Input(id="time-to", value=tr.raw_to, debounce=True, className="form-control form-control-sm",
                      placeholder="to: now"),
            html.Button("Apply", id="time-apply", className="btn btn-sm btn-outline-primary"),
            html.Span(f"Times in {view.zone.name}", id="time-zone", className="small text-muted ms-1",
                      **{"data-timezone": view.zone.name}),
        ], className="time-row"),
    ], className="filter-item filter-time", style=None if time_picker else {"display": "none"})
    refresh_value = format_duration(view.refresh_seconds) if view.refresh_seconds else "off"
    runtime = current_runtime()
    floor = runtime.settings.min_refresh_seconds if runtime else 0
    # As Grafana's picker: no choice faster than the floor (DATAOPS_MIN_REFRESH) is offered.
    offered = tuple(c for c in REFRESH_CHOICES if c == "off" or parse_duration(c) >= floor)
    refresh_choices = list(dict.fromkeys(offered + (refresh_value,)))
    refresh = html.Div([
        html.Label("Refresh", htmlFor="refresh-picker", className="filter-label"),
        dcc.Dropdown(id="refresh-picker", options=[{"label": c, "value": c} for c in refresh_choices],
                     value=refresh_value, clearable=False, className="refresh-picker"),
    ], className="filter-item")
    share = html.Div([
        html.Label("Share", htmlFor="share-button", className="filter-label"),
        html.Div([
            html.Button("Copy link", id="share-button", className="btn btn-sm btn-primary"),
            dcc.Input(id="share-url", readOnly=True, value="", className="form-control form-control-sm share-url",
                      placeholder="link to this view"),
        ], className="time-row"),
    ], className="filter-item")
    return html.Div(pickers + [time_picker, refresh, share], className="filter-bar", id="filter-bar",
                    role="group", **{"aria-label": "Filters and time range"}), notes


def notes_box(notes: list[str] | tuple[str, ...]):
    if not notes:
        return None
    return dbc.Alert([html.Div(safe(n)) for n in notes], color="warning", className="py-1 px-2 small view-notes",
                     id="view-notes")


def page_frame(view: ViewState, active: str, title: str, description: str, variables: tuple[str, ...],
               body: list, store: dict, extra_notes: list[str] = (), breadcrumbs: list | None = None,
               time_picker: bool = True, definitions=None) -> html.Div:
    """Everything a page shows around its panels, plus the stores the callbacks read."""
    # Pages that show only "now" keep the time inputs (the URL callback needs them) but hide them.
    bar, bar_notes = filter_bar(view, variables, time_picker, definitions)
    from .panel_menu import menu_links
    store = {**store, "menu": menu_links(view, store)}
    if view.view_panel:
        from webapp.dashboards import find_dashboard
        if find_dashboard(store.get("dashboard")) is None:  # Level 0, /alerts, /slo: no panels to show alone
            extra_notes = [*extra_notes, f"This page has no panel “{view.view_panel[:80]}”; showing the whole page."]
    nav = navbar(view, active)
    return html.Div([
        html.A("Skip to content", href="#main-content", className="skip-link visually-hidden-focusable"),
        html.Header(nav, className="app-header") if nav is not None else None,
        html.Main([
            breadcrumbs,
            html.H1(title, className="page-title"),
            html.P(description, className="text-muted page-description") if description else None,
            notes_box(list(view.notes) + list(extra_notes) + bar_notes),
            bar,
            *body,
        ], className="container-fluid", id="main-content", tabIndex=-1),
        dcc.Store(id="view-params", data=store),
        dcc.Interval(id="refresh-timer", interval=(view.refresh_seconds or 3600) * 1000,
                     disabled=not view.refresh_seconds),
    ], className=f"page theme-{view.theme}" + (" kiosk" if view.kiosk else ""))


def panel_title(panel, view: ViewState | None) -> str:
    """The panel's title; `$__interval` in it names the step the panel's windows follow (`3h`)."""
    if "$__interval" not in panel.title:
        return panel.title
    if view is None:
        return panel.title.replace("$__interval", "step")
    step = view.time_range.step_for(panel.max_points, panel.min_step)
    return panel.title.replace("$__interval", format_duration(step))


def dashboard_body(dashboard: Dashboard, view: ViewState | None = None) -> list:
    from .panel_menu import full_view, panel_dialog, resolve_view_panel, unknown_panel_note
    note = []
    if view is not None and view.view_panel:  # `viewPanel`: that panel alone, full size
        panel = resolve_view_panel(dashboard.panels, view.view_panel)
        if panel is not None:
            return full_view(view, panel_container(panel, panel_title(panel, view))) + panel_dialog()
        note = [unknown_panel_note(view.view_panel)]
    sections = []
    for section in dashboard.sections:
        sections.append(html.Section([
            html.H2(section.title, className="section-title"),
            html.Div([panel_container(p, panel_title(p, view)) for p in section.panels], className="row g-2"),
        ], className="dashboard-section"))
    return note + sections + panel_dialog()


def _sparkline(health: TileHealth, colour: str):
    result = health.sparkline
    if result is None or result.empty:
        return html.Div("no trend data", className="tile-spark-empty text-muted small")
    series = result.series[0]
    fig = go.Figure(go.Scatter(x=(series.timestamps * 1000).astype("datetime64[ms]"), y=series.values,
                               mode="lines", line=dict(color=colour, width=1.5), fill="tozeroy", hoverinfo="skip"))
    fig.update_layout(height=48, margin=dict(l=0, r=0, t=0, b=0), xaxis=dict(visible=False),
                      yaxis=dict(visible=False), showlegend=False, template="plotly_white")
    return dcc.Graph(figure=fig, config={"staticPlot": True}, className="tile-spark")


def _alerts_line(health: TileHealth):
    """'N alerts firing' (counted as /alerts counts them); nothing when the alert list is unavailable."""
    n = health.firing_alerts
    if n is None:
        return None
    return html.Div(f"{n} alert{'s' if n != 1 else ''} firing",
                    className="tile-alerts" + (" tile-alerts-firing" if n else ""), **{"data-alerts": str(n)})


TILE_BREACHES = 3     # signals listed on a tile, worst first
TILE_ENTITIES = 2     # entities linked per listed signal


def _problem_link(problem: Problem, unit: str, tile_href: str, query_string: str):
    """The entity's Level 2 page when its signal has one, else the tile's Level 1 page (`tile_href`)."""
    href = link_href(problem.link, problem.label_map, query_string) or tile_href
    return dcc.Link(safe(problem.entity), href=href, className="tile-problem-link",
                    title=f"{problem.title}: {format_value(problem.value, unit)}")


def _breach_item(verdict: Verdict, tile_href: str, query_string: str) -> html.Li:
    """'P1 · 1 of 14 Argo CD apps: Argo CD application not Healthy', then its worst entities as links."""
    t = verdict.signal.threshold
    n = len(verdict.breaching)
    links = [_problem_link(p, t.unit, tile_href, query_string) for p in verdict.breaching[:TILE_ENTITIES]]
    more = n - len(links)
    return html.Li([
        html.Span(t.priority, className="tile-priority"),
        html.Span(f" {n} of {verdict.total} {verdict.signal.entities}", className="tile-breach-count"),
        html.Span(f": {t.title}", className="tile-breach-title"),
        html.Div([*(x for link in links for x in (link, " ")),
                  html.Span(f"+{more} more", className="text-muted") if more > 0 else None],
                 className="tile-breach-entities"),
    ], className=f"tile-breach tile-problem sev-{t.severity} status-text-{t.severity}",
        **{"data-breach": t.key, "data-priority": t.priority, "data-breaching": str(n),
           "data-total": str(verdict.total)})


def render_tile(health: TileHealth, query_string: str) -> html.Div:
    """One Level 0 tile: status, key figure and sparkline (linking to its Level 1 page), then its
    signals in breach, worst first ("1 of 14 Argo CD apps"), each entity linking to its Level 2 page."""
    tile = health.tile
    colour = SEVERITY_COLOURS[health.status]
    problems = len(health.problems)
    problem_text = ("no data" if health.status == "unknown" else
                    f"{problems} problem{'s' if problems != 1 else ''}")
    href = with_query(tile.path, query_string)
    breaches = [_breach_item(v, href, query_string) for v in health.verdicts[:TILE_BREACHES]]
    hidden = len(health.verdicts) - len(breaches)
    figure = format_value(health.figure, tile.figure_unit) if not math.isnan(health.figure) else "–"
    return html.Div(html.Div([
        dcc.Link([
            html.Div([html.Span(tile.title, className="tile-title"),
                      html.Span(health.status.upper(), className=f"tile-badge badge-{health.status}")],
                     className="tile-head"),
            html.Div([html.Span(figure, className="tile-figure"),
                      html.Span(tile.figure.legend, className="tile-figure-label text-muted")]),
            _sparkline(health, colour),
        ], href=href, className="tile-link"),
        html.Div(problem_text, className="tile-problems-count"),
        _alerts_line(health),
        html.Ul(breaches, className="tile-problem-list tile-breaches") if breaches else None,
        html.Div(f"and {hidden} more signal{'s' if hidden != 1 else ''} in breach", className="small text-muted")
        if hidden > 0 else None,
        html.Div(tile.description, className="tile-description text-muted small"),
    ], className="tile-inner", style={"borderTopColor": colour}),
        className=f"tile status-{health.status} col-12 col-md-6 col-xl-4",
        **{"data-tile": tile.domain, "data-status": health.status})


def query_string_for(view: ViewState) -> str:
    """The query string links from panels and tiles carry (see ViewState.url)."""
    return view.query_string()
