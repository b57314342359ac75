"""/alerts and /slo: layouts (tables) and the one callback that fills them.

The pages' layouts never query: they render the chrome and an empty `alerts-body`; the
callback reads the validated store (`view-params`) and fills it, re-validating everything the
browser sends (page kind, filters allow-listed, view parameters through the view-state parser).
"""
from __future__ import annotations

import logging
import math
import time
from datetime import datetime, timezone

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, dcc, html, no_update

from webapp.alertmanager_client import Silence
from webapp.alert_views import (DOMAINS, FILTERS, AlertFilters, SLOStatus, active_alerts, alert_page_path,
                             count_firing, evaluate_slos, parse_filters, sort_alerts)
from webapp.catalog.overview import TILES
from webapp.prometheus import ActiveAlert
from webapp.rules import PAGE_WINDOWS, SEVERITIES
from webapp.runtime import current_runtime
from webapp.sources.base import SourceError
from webapp.viewstate import ViewState, parse_view_state

from .callbacks import callback
from .format import display_zone, format_moment, format_value, wall_times
from .links import with_query
from .palette import STATUS
from .page_builders import pinned_now

log = logging.getLogger(__name__)
PAGES = ("alerts", "slo")
DOMAIN_TITLES = {t.domain: t.title for t in TILES}
SEVERITY_BADGE = {"critical": "danger", "high": "warning", "medium": "info", "low": "secondary"}


# ---------------------------------------------------------------- layout pieces
def _filter_links(view: ViewState, filters: AlertFilters) -> html.Div:
    """Severity and domain chips: each link toggles one value in the URL (the URL is the view)."""
    def link(chosen: AlertFilters) -> str:
        params = chosen.params()
        return view.url("/alerts", **{k: [v for n, v in params if n == k] or None for k in FILTERS})

    rows = []
    for name, allowed in FILTERS.items():
        chosen = getattr(filters, name)
        chips = [dcc.Link("All", href=link(AlertFilters(**{**_as_dict(filters), name: ()})),
            className="btn btn-sm " + ("btn-primary" if not chosen else "btn-outline-primary"),
            id=f"alerts-filter-{name}-all")]
        for value in allowed:
            toggled = tuple(v for v in allowed if (v in chosen) != (v == value))
            href = link(AlertFilters(**{**_as_dict(filters), name: toggled}))
            label = DOMAIN_TITLES.get(value, value) if name == "domain" else value
            chips.append(dcc.Link(label, href=href, id=f"alerts-filter-{name}-{value}",
                                  className="btn btn-sm " + ("btn-primary" if value in chosen else
                                                             "btn-outline-primary")))
        rows.append(html.Div([html.Span(name.capitalize(), className="filter-label me-2"),
                              html.Div(chips, className="btn-group flex-wrap")],
                             className="d-flex align-items-center gap-2 mb-1", **{"data-filter": name}))
    return html.Div(rows, className="alert-filters mb-2", id="alert-filters")


def _as_dict(filters: AlertFilters) -> dict:
    return {"severity": filters.severity, "domain": filters.domain}


def alerts_body(view: ViewState, filters: AlertFilters) -> list:
    return [_filter_links(view, filters),
            html.Div(html.Div("Loading alerts…", className="text-muted"), id="alerts-body",
                     className="alerts-body")]


def slo_body() -> list:
    return [html.Div(html.Div("Loading SLOs…", className="text-muted"), id="alerts-body", className="slo-body")]


# ---------------------------------------------------------------- alerts table
def _since(ts: float, now: float) -> html.Span:
    if math.isnan(ts):
        return html.Span("–")
    age = max(0.0, now - ts)
    stamp = format_moment(datetime.fromtimestamp(ts, tz=timezone.utc), seconds=True)
    return html.Span([stamp, html.Br(), html.Small(f"for {format_value(age, 's')}", className="text-muted")],
                     title=stamp)


def _entity(alert: ActiveAlert) -> str:
    skip = {"alertname", "severity", "priority", "domain", "threshold", "slo", "burn", "job"}
    return ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()) if k not in skip)[:200]


def render_alerts(alerts: list[ActiveAlert], filters: AlertFilters, query_string: str,
                  silences: list[Silence] | None, silence_error: str | None) -> list:
    now = time.time()
    shown = sort_alerts(a for a in alerts if a.state in ("firing", "pending") and filters.accepts(a))
    firing = sum(count_firing(shown).values())
    pending = len(shown) - firing
    rows = []
    for a in shown:
        severity = a.labels.get("severity", "")
        domain = a.labels.get("domain", "")
        path = alert_page_path(a)
        silenced = [s for s in silences or () if s.covers(a.labels)]
        page = dcc.Link(DOMAIN_TITLES.get(domain, "SLOs") if path else "", href=with_query(path, query_string)) if path else "–"
        rows.append(html.Tr([
            html.Td(dbc.Badge(f"{severity} ({a.labels.get('priority', '')})", color=SEVERITY_BADGE.get(severity, "dark"))),
            html.Td([html.Strong(a.name), html.Br(), html.Small(a.annotations.get("summary", ""))]),
            html.Td(a.state + (" · silenced" if silenced else ""), className=f"alert-state-{a.state}"),
            html.Td(domain),
            html.Td(html.Small(_entity(a))),
            html.Td(_since(a.active_at, now)),
            html.Td(page),
        ], className=f"alert-row alert-{a.state}" + (" alert-silenced" if silenced else ""),
            **{"data-alert": a.name, "data-severity": severity, "data-domain": domain, "data-state": a.state},
            title=a.annotations.get("description", "")))
    summary = html.Div([html.Span(str(firing), className="alerts-firing-count fw-bold"), " firing, ",
                        html.Span(str(pending), className="alerts-pending-count fw-bold"), " pending",
                        f" (of {len(alerts)} active in total)" if len(shown) != len(alerts) else ""],
                       className="alerts-summary mb-2", **{"data-firing": str(firing), "data-pending": str(pending)})
    header = html.Thead(html.Tr([html.Th(h) for h in ("Severity", "Alert", "State", "Domain", "Labels", "Since",
                                                        "Explained on")]))
    table = (dbc.Table([header, html.Tbody(rows)], size="sm", hover=True, responsive=True, className="alerts-table")
             if rows else html.Div("No alerts firing or pending for these filters.", className="text-muted alerts-empty"))
    out = [summary, table]
    if silence_error:
        out.append(dbc.Alert(f"Silences unavailable: {silence_error}", color="warning", className="py-1 small"))
    elif silences is not None:
        out.append(html.H2("Silences", className="section-title mt-3"))
        if silences:
            out.append(dbc.Table([
                html.Thead(html.Tr([html.Th(h) for h in ("State", "Matchers", "Ends", "Created by", "Comment")])),
                html.Tbody([html.Tr([html.Td(s.state), html.Td(html.Code(s.matcher_text)),
                                     html.Td(format_value(s.ends_at, "dateTime")), html.Td(s.created_by),
                                     html.Td(s.comment)], className="silence-row", **{"data-silence": s.id})
                            for s in silences])], size="sm", responsive=True, className="silences-table"))
        else:
            out.append(html.Div("No active silences.", className="text-muted silences-empty"))
    return out


# ---------------------------------------------------------------- SLO table
def _budget_figure(status: SLOStatus):
    result = status.history
    if result is None or result.empty:
        return html.Span("no history", className="text-muted small")
    series = result.series[0]
    ok = status.budget_left > 0 if not math.isnan(status.error_ratio) else True
    fig = go.Figure(go.Scatter(x=wall_times(series.timestamps), y=series.values * 100,
                               mode="lines", line=dict(color=STATUS["ok" if ok else "critical"], width=1.5),
                               hovertemplate="%{x}<br>%{y:.1f}% left<extra></extra>"))
    fig.update_layout(height=60, width=220, margin=dict(l=0, r=0, t=0, b=0), xaxis=dict(visible=False),
                      yaxis=dict(visible=False), showlegend=False, template="plotly_white")
    return dcc.Graph(figure=fig, config={"displayModeBar": False}, className="slo-budget-graph")


def _exhaustion(status: SLOStatus) -> str:
    seconds = status.exhaustion_seconds
    if math.isnan(status.error_ratio):
        return "–"
    if seconds == 0:
        return "budget spent"
    if seconds is None:
        return "not at the current rate"
    if seconds > status.window_seconds * 10:
        return f"in more than {10 * status.window_seconds // 86400 or 1} days"
    return f"in {format_value(seconds, 's')}"


def render_slos(statuses: list[SLOStatus]) -> list:
    rows = []
    for s in statuses:
        unknown = math.isnan(s.error_ratio)
        budget = "–" if unknown else format_value(s.budget_left, "percentunit")
        budget_time = ("–" if unknown else "none" if s.budget_left <= 0
                       else format_value(s.budget_left_seconds, "s"))
        cls = "slo-row" + (" slo-unknown" if unknown else " slo-spent" if s.budget_left <= 0 else "")
        rows.append(html.Tr([
            html.Td([html.Strong(s.slo.title), html.Br(), html.Small(s.slo.description, className="text-muted")]),
            html.Td(f"{s.slo.objective * 100:g}%", className="slo-objective"),
            html.Td(s.slo.window),
            html.Td("–" if unknown else format_value(s.sli, "percentunit") if s.sli > 0.99
                    else f"{s.sli * 100:.2f}%", className="slo-sli"),
            html.Td([html.Span(budget, className="slo-budget-left"), html.Br(),
                     html.Small(f"{budget_time} left", className="text-muted slo-budget-time")]),
            *[html.Td("–" if math.isnan(s.burn_rates[w]) else f"{s.burn_rates[w]:.2f}×",
                      className=f"slo-burn slo-burn-{w}" + (" text-danger fw-bold" if s.burn_rates[w] > 1 else ""))
              for w in PAGE_WINDOWS],
            html.Td(_budget_figure(s)),
            html.Td(_exhaustion(s), className="slo-exhaustion"),
        ], className=cls, title=s.error or "", **{"data-slo": s.slo.key,
                                                  "data-budget-left": "" if unknown else f"{s.budget_left:.6f}"}))
    header = html.Thead(html.Tr([html.Th(h) for h in (
        "SLO", "Objective", "Window", "Current SLI", "Error budget left",
        *[f"Burn {'24h' if w == '1d' else w}" for w in PAGE_WINDOWS], "Budget over the range", "Budget runs out")]))
    note = html.P("Burn rate 1× spends exactly the budget over the window; the alerts page (multi-window, "
                  "multi-burn-rate) pages at 14.4× and 6×, tickets at 3× and 1×. Sorted by budget left.",
                  className="text-muted small")
    return [note, dbc.Table([header, html.Tbody(rows)], size="sm", hover=True, responsive=True, className="slo-table")]


# ---------------------------------------------------------------- the callback
def _filters_from_store(store: dict) -> AlertFilters:
    raw = store.get("filters") if isinstance(store.get("filters"), dict) else {}
    filters, _, _ = parse_filters({k: v for k, v in raw.items() if k in FILTERS})
    return filters


@callback(
    Output("alerts-body", "children"),
    Input("view-params", "data"),
    Input("refresh-timer", "n_intervals"),
)
def fill_alert_pages(store, _n):
    """/alerts: active alerts (and silences); /slo: every SLO's numbers."""
    if not isinstance(store, dict) or store.get("dashboard") not in PAGES:
        return no_update
    runtime = current_runtime()
    if runtime is None:
        return no_update
    params = store.get("params") if isinstance(store.get("params"), dict) else {}
    view = parse_view_state(params, now=pinned_now(store), allowed_variables=())
    with display_zone(view.zone):
        return _alert_page_body(store, runtime, view)


def _alert_page_body(store, runtime, view):
    qs = view.query_string()
    if store["dashboard"] == "slo":
        try:
            return render_slos(evaluate_slos(runtime.engine, view))
        except Exception:
            log.exception("SLO evaluation failed")
            return dbc.Alert("The SLOs could not be evaluated; the next refresh retries.", color="danger")
    filters = _filters_from_store(store)
    try:
        alerts, silences, silence_error = active_alerts(runtime.engine)
    except SourceError as exc:
        return dbc.Alert(f"Alerts unavailable: {exc.user_message}", color="danger" if exc.kind != "forbidden"
                         else "warning", className="alerts-error")
    return render_alerts(alerts, filters, qs, silences, silence_error)


__all__ = ["alerts_body", "slo_body", "fill_alert_pages", "render_alerts", "render_slos", "DOMAINS", "SEVERITIES"]
