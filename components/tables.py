"""Table panels as one Dash component.

The Dash renderer's cost is per component on the page, paid again on every callback answer (each
mounted component re-runs its store selector on every dispatch): a table of a few hundred `html.Td`
made the table panels most of `/pipeline`'s components and most of its time in Chromium
(`benchmarks/browser.py`). So a table panel, and a chart's row of drill-down links, is one
`dcc.Markdown` holding HTML, every label value and link escaped here; the links are plain anchors
that `assets/table-links.js` opens inside the app, as `dcc.Link` would.
"""
from __future__ import annotations

import html as markup
import math

from dash import dcc

from webapp.runner import PanelData

from .format import format_value
from .panels import entity_href, render_empty, scrollable_table, table_rows, value_status


def _text(value: object) -> str:
    return markup.escape(str(value), quote=True)


def _link(href: str | None, text: str, css: str = "entity-link") -> str:
    """An anchor for an app path (`/...`, never `//host`); anything else is shown as text."""
    if not href or not href.startswith("/") or href.startswith("//"):
        return _text(text)
    return f'<a class="{css}" href="{_text(href)}">{_text(text)}</a>'


def links_component(links: list[tuple[str, str]]) -> dcc.Markdown:
    """A chart's drill-down links ("Open: a b c") as one component: (name, app path) pairs."""
    anchors = "".join(_link(href, name, "entity-link me-2") for name, href in links)
    return dcc.Markdown(f'<div><span class="text-muted">Open: </span>{anchors}</div>', dangerously_allow_html=True,
                        className="entity-links app-links small")


def table_html(data: PanelData, query_string: str) -> str:
    """The table panel's rows (`panels.table_rows`) as one line of HTML: label columns (the link
    label as a drill-down link), then value columns right-aligned, coloured by their thresholds
    with the status in words beside the value. Empty string when there are no rows."""
    panel = data.panel
    value_columns, rows = table_rows(panel, data.results)
    if not rows:
        return ""
    units = {q.column: (q.unit or panel.unit) for q in panel.queries if q.column}
    column_thresholds = {q.column: q.thresholds for q in panel.queries if q.column and q.thresholds}
    head = ("".join(f"<th>{_text(c.replace('_', ' '))}</th>" for c in panel.label_columns)
            + "".join(f'<th class="text-end">{_text(c)}</th>' for c in value_columns))
    body = []
    for row in rows:
        labels = row["labels"]
        cells = []
        for column in panel.label_columns:
            text = labels.get(column, "")
            link = panel.link is not None and column == panel.link.label
            cells.append(f"<td>{_link(entity_href(panel, labels, query_string), text) if link else _text(text)}</td>")
        for column in value_columns:
            value = row["values"].get(column, math.nan)
            unit = units[column]
            thresholds = column_thresholds.get(column) or tuple(t for t in panel.thresholds if t.unit == unit)
            status = value_status(value, thresholds, unit) if thresholds else "ok"
            value_map = panel.value_map if unit == "none" else ()
            word = f' <span class="status-word status-text-{status}">{status}</span>' if status != "ok" else ""
            css = f"text-end status-text-{status}" if thresholds else "text-end"
            cells.append(f'<td class="{css}">{_text(format_value(value, unit, value_map))}{word}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="table table-sm table-hover mb-0"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def render_table(data: PanelData, query_string: str) -> list:
    """A table panel: its rows in a scrolling region, as one component (see the module doc)."""
    text = table_html(data, query_string)
    if not text:
        return render_empty(data.panel)
    return [scrollable_table(dcc.Markdown(text, dangerously_allow_html=True, className="panel-table-html app-links"),
                             data.panel.title)]
