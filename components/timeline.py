"""Renderers for rows that come from REST sources: Gantt timelines and plain row tables."""
from __future__ import annotations

import datetime as dt
import math

import plotly.graph_objects as go
from dash import dcc


from .figures import GRAPH_CONFIG, base_layout, scrollable_table
from .format import format_moment, format_value, safe, time_axis_title
from .links import link_href
from .palette import NAMED_STATES, state_colour
from .tables import Column, link_cell, panel_table, sort_key
# Column units for the row tables (everything else is text).
COLUMN_UNITS = {"Duration": "s", "Input": "bytes", "Output": "bytes", "Shuffle read": "bytes",
                "Shuffle write": "bytes", "Memory used": "bytes", "Max memory": "bytes", "GC time": "s",
                "GC ratio": "percentunit", "Tasks": "short", "Failed tasks": "short", "Completed tasks": "short",
                "Cores": "short"}


GANTT_LABEL_CHARS = 26   # a lane's label on the axis; the whole name is in the hover
GANTT_MAX_HEIGHT = 640   # px: past ~25 lanes they get thinner rather than the panel longer


def _short(name: str) -> str:
    """Cut in the middle: stage names share their start ("1.0 start at OrdersStream") and differ at the end."""
    if len(name) <= GANTT_LABEL_CHARS:
        return name
    head = (GANTT_LABEL_CHARS - 1) // 2
    return name[:head] + "…" + name[-(GANTT_LABEL_CHARS - 1 - head):]


def render_gantt(data, query_string: str) -> list:
    """One bar per row item from start to end; colour by group (status or stage). Lanes are labelled
    by their names cut to `GANTT_LABEL_CHARS` (labels wider than that took half a panel, or were cut)."""
    rows = list(data.rows)
    groups = list(dict.fromkeys(r["group"] for r in rows))
    fig = go.Figure()
    for i, group in enumerate(groups):
        items = [r for r in rows if r["group"] == group]
        fig.add_trace(go.Bar(
            base=[format_moment(r["start"], seconds=True).rsplit(" ", 1)[0] for r in items],
            x=[max(1.0, (r["end"] - r["start"]).total_seconds() * 1000) for r in items],
            y=[safe(r["row"]) for r in items], orientation="h", name=safe(group),
            marker_color=state_colour(group, i),
            hovertext=[safe(f'{r["row"]}: {r["hover"]}' if not str(r["hover"]).startswith(str(r["row"]))
                            else r["hover"]) for r in items], hoverinfo="text"))
    lanes = list(dict.fromkeys(safe(r["row"]) for r in rows))
    height = min(GANTT_MAX_HEIGHT, max(220, 22 * len(lanes) + 80))
    every = max(1, math.ceil(len(lanes) * 13 / (height - 80)))  # labels 13 px apart at least, never overlapping
    fig.update_layout(**base_layout(height), barmode="overlay", showlegend=len(groups) <= 12)
    fig.update_xaxes(type="date", title_text=time_axis_title(), title_font_size=10)
    fig.update_yaxes(autorange="reversed", automargin=True, tickmode="array", tickvals=lanes[::every],
                     ticktext=[_short(lane) for lane in lanes[::every]], tickfont_size=10)
    return [dcc.Graph(figure=fig, config=GRAPH_CONFIG, className="panel-graph")]


def _cell(column: str, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, dt.datetime):
        return format_moment(value, seconds=True)
    if column in COLUMN_UNITS and isinstance(value, (int, float)):
        return format_value(float(value), COLUMN_UNITS[column])
    return str(value)


def render_rows(data, query_string: str) -> list:
    """A table of REST rows as one sortable, filterable DataTable; the panel's `fields` pick and
    order the columns when given. Unit columns sort by their numbers, State/Status by their words."""
    rows = list(data.rows)[:data.panel.limit]
    names = list(data.panel.fields) or [c for c in rows[0] if not c.startswith("_") and c not in
                                                ("row", "start", "end", "group", "hover")]
    link = data.panel.link
    columns = [Column(f"c{i}", name, "value" if name in COLUMN_UNITS else
                      "link" if link is not None and name == link.label else "text") for i, name in enumerate(names)]
    cells = []
    for row in rows:
        item = {}
        for i, column in enumerate(names):
            raw = row.get(column)
            text = _cell(column, raw)
            href = None
            if link is not None and column == link.label and isinstance(row.get("_href"), dict):
                href = link_href(link, row["_href"], query_string)
            item[f"c{i}"] = link_cell(text, href) if columns[i].kind == "link" else text
            item[f"c{i}_sort"] = (sort_key(raw.timestamp()) if isinstance(raw, dt.datetime)
                                  else sort_key(raw) if isinstance(raw, (int, float)) else sort_key(text))
            status = NAMED_STATES.get(str(raw)) if column in ("State", "Status") else None
            if status:
                item[f"c{i}_status"] = status
        cells.append(item)
    return [scrollable_table(panel_table({"type": "panel-table", "panel": data.panel.id}, columns, cells),
                             data.panel.title)]
