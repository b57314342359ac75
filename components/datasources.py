"""The /datasources body: the exporter and coverage table of `webapp.datasources.report`."""
from __future__ import annotations

from dash import html

from webapp.datasources import Report
from webapp.sources.base import SourceHealth


def datasources_body(rep: Report) -> list:
    """Exporters (found/absent, form, required), coverage per page, and the metrics each page lacks."""
    if not rep.reachable:
        return [html.Div("The data source could not be read (metric names unavailable).", className="panel-error",
                         role="alert")]
    exporters = html.Table([
        html.Thead(html.Tr([html.Th(h) for h in ("exporter", "status", "metrics", "required", "form")])),
        html.Tbody([html.Tr([html.Td(s.exporter.title), html.Td("found" if s.found else "absent"),
                             html.Td(str(s.metrics_found)), html.Td("yes" if s.exporter.required else ""),
                             html.Td(", ".join(s.forms) or "–")],
                            **{"data-exporter": s.exporter.name, "data-found": str(s.found).lower()})
                    for s in rep.exporters]),
    ], className="table table-sm", id="datasources-exporters")
    pages = html.Table([
        html.Thead(html.Tr([html.Th(h) for h in ("page", "panels", "complete", "coverage", "metrics absent")])),
        html.Tbody([html.Tr([html.Td(p.path), html.Td(str(p.panels)), html.Td(str(p.panels_complete)),
                             html.Td(f"{p.coverage:.0%}"),
                             html.Td(", ".join(f"{m} ({e})" for m, e in p.absent) or "–", className="small")],
                            **{"data-page": p.path, "data-coverage": f"{p.coverage:.4f}"})
                    for p in rep.pages]),
    ], className="table table-sm", id="datasources-pages")
    missing = rep.required_missing
    verdict = (html.Div(f"Required exporters missing: {', '.join(missing)}", className="text-danger", role="alert")
               if missing else html.Div("Every required exporter was found.", className="text-success"))
    return [verdict, html.H2("Exporters", className="h5 mt-3"), exporters,
            html.H2("Coverage per page", className="h5 mt-3"), pages]


def sources_table(health: list[SourceHealth]) -> html.Table:
    """Each registered data source: configured or not, up or down (with the probe's short reason, never
    a URL or credential), and the probe's latency. `data-up` is true, false or unconfigured."""
    def row(h: SourceHealth) -> html.Tr:
        up = "unconfigured" if not h.configured else str(bool(h.up)).lower()
        status = {"unconfigured": "not configured", "true": "up", "false": "down"}[up]
        return html.Tr([html.Td(h.title), html.Td(status), html.Td(h.message if up == "false" else "–"),
                        html.Td(f"{h.seconds * 1000:.0f} ms" if h.configured else "–")],
                       **{"data-source": h.name, "data-up": up})
    return html.Table([
        html.Thead(html.Tr([html.Th(h) for h in ("source", "status", "reason", "probe")])),
        html.Tbody([row(h) for h in health]),
    ], className="table table-sm", id="datasources-sources")
