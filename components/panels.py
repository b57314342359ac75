"""One renderer per panel kind: PanelData -> Dash components. No HTTP, no PromQL here."""
from __future__ import annotations

import base64
import importlib
import math
from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go
from dash import dcc, html

from webapp.catalog.kinds import PANEL_KINDS
from webapp.catalog.model import Panel, Threshold
from webapp.prometheus import QueryResult, Series
from webapp.runner import PanelData
from webapp.legends import legend

from .annotations import ANNOTATION_AXIS, annotation_traces, legend_values
from .figures import DARK_LAYOUT, GRAPH_CONFIG, LIGHT_TEMPLATE, base_layout, scrollable_table
from .format import axis_range, current_zone, format_value, safe, time_axis_title, wall_epoch_ms, wall_times
from .links import link_href
from .palette import STATUS, state_colour
from .tables import Column, link_cell, panel_table, sort_key
from .textalt import with_text_alternative

SEVERITY_COLOURS = {k: STATUS[k] for k in ("ok", "warning", "critical", "unknown")}
MAX_SERIES = 20


def value_status(value: float, thresholds: tuple[Threshold, ...], unit: str) -> str:
    """ok, warning or critical: the worst of the thresholds of the same unit that the value breaches."""
    worst = "ok"
    for t in thresholds:
        if t.unit == unit or unit == "" or len(thresholds) == 1:
            if t.breached(value):
                worst = "critical" if t.severity == "critical" or worst == "critical" else "warning"
    return worst


def value_colour(value: float, thresholds: tuple[Threshold, ...], unit: str) -> str:
    """Colour of a value under the panel's thresholds of the same unit."""
    return SEVERITY_COLOURS[value_status(value, thresholds, unit)]


def status_word(status: str) -> html.Span | None:
    """The status in words beside a coloured value (colour is never the only sign)."""
    if status == "ok":
        return None
    return html.Span(status, className=f"status-word status-text-{status}")


def entity_href(panel: Panel, labels: dict[str, str], query_string: str) -> str | None:
    """The drill-down URL for a series, or None when a label it needs is missing."""
    return link_href(panel.link, labels, query_string)


def typed_array(values: np.ndarray, dtype: str = "f8") -> dict:
    """A numeric array as plotly.js's typed-array spec (little-endian base64): a third of the bytes
    of a JSON list of ISO times, and nothing for the browser to parse."""
    raw = np.ascontiguousarray(np.asarray(values, dtype=float), dtype="<" + dtype).tobytes()
    return {"dtype": dtype, "bdata": base64.b64encode(raw).decode("ascii")}


def _epoch_ms(series: Series) -> dict:
    """x of a time series: the display zone's wall clock (`components.format.wall_epoch_ms`)."""
    return typed_array(wall_epoch_ms(series.timestamps))


def _named_series(panel: Panel, results: list[QueryResult | None]) -> list[tuple[str, Series]]:
    named = []
    for query, result in zip(panel.queries, results):
        if result is None:
            continue
        for s in result.series:
            named.append((safe(legend(query.legend, dict(s.labels))), s))
    return named[:MAX_SERIES]


def threshold_marks(panel: Panel, horizontal: bool = True) -> tuple[list[dict], list[dict]]:
    """(shapes, annotations): a dashed line per threshold of the panel's unit, with its label, as
    plotly's add_hline/add_vline would place them."""
    shapes, notes = [], []
    for t in panel.thresholds:
        if t.unit != panel.unit and len(panel.thresholds) > 1:
            continue
        line = {"color": SEVERITY_COLOURS[t.severity], "dash": "dash"}
        text = safe(f"{t.title}: {format_value(t.value, panel.unit)}")
        if horizontal:
            shapes.append({"type": "line", "line": line, "x0": 0, "x1": 1, "xref": "x domain",
                           "y0": t.value, "y1": t.value, "yref": "y"})
            notes.append({"font": {"size": 9}, "showarrow": False, "text": text, "x": 0, "xanchor": "left",
                          "xref": "x domain", "y": t.value, "yanchor": "bottom", "yref": "y"})
        else:
            shapes.append({"type": "line", "line": line, "x0": t.value, "x1": t.value, "xref": "x",
                           "y0": 0, "y1": 1, "yref": "y domain"})
            notes.append({"font": {"size": 9}, "showarrow": False, "text": text, "x": t.value,
                          "xanchor": "left", "xref": "x", "y": 1, "yanchor": "top", "yref": "y domain"})
    return shapes, notes


def _threshold_shapes(fig: go.Figure, panel: Panel, horizontal: bool = True) -> None:
    shapes, notes = threshold_marks(panel, horizontal)
    if shapes:
        fig.update_layout(shapes=shapes, annotations=notes)


def _axis_format(unit: str) -> dict:
    if unit == "percentunit":
        return dict(tickformat=".0%")
    if unit == "bytes":
        return dict(tickformat=".2s", ticksuffix="B")
    if unit == "Bps":
        return dict(tickformat=".2s", ticksuffix="B/s")
    if unit == "s":
        return dict(ticksuffix=" s")
    return {}


def _graph(panel: Panel, fig: go.Figure | dict) -> dcc.Graph:
    return dcc.Graph(figure=fig, config=GRAPH_CONFIG, className="panel-graph",
                     id={"type": "panel-graph", "panel": panel.id})


TIMESERIES_PLOT_PX = 220   # a time series figure's height without its legend: plot, ticks and axis title
LEGEND_ROW_PX = 19         # one legend row at the figures' 10 px legend font
LEGEND_MAX_ROWS = 4


def timeseries_figure(data: PanelData, query_string: str) -> dict:
    """The time series figure as plain plotly data (no validated figure objects: this is the hot
    path of every page): epoch-ms x and float y as typed arrays, threshold lines as shapes."""
    panel = data.panel
    traces = []
    for i, (name, s) in enumerate(_named_series(panel, data.results)):
        values = legend_values(s.values, panel.legend_values, panel.unit, panel.value_map)
        trace = {"type": "scatter", "x": _epoch_ms(s), "y": typed_array(s.values), "mode": "lines",
                 "name": f"{name}  {values}" if values else name,
                 # A series named by a state (Jenkins results, Airflow runs) takes its meaning's colour.
                 "line": {"width": 1.5, "color": state_colour(name, i)},
                 "hovertemplate": "%{y:.4g}<extra>" + name + "</extra>"}
        if panel.stacked:
            trace["stackgroup"] = "one"
        # A series that names an entity carries its drill-down URL; clicking the line opens it.
        href = entity_href(panel, dict(s.labels), query_string)
        if href is not None:
            trace["meta"] = href
        traces.append(trace)
    marks = annotation_traces(getattr(data, "annotations", ()))
    shapes, notes = threshold_marks(panel)
    # The figure grows by its legend's rows (entries with values rarely share a row), up to
    # LEGEND_MAX_ROWS; past them the legend scrolls. A fixed height left a 4-entry legend and two
    # lines of date ticks a plot of about 90 px.
    legend_px = LEGEND_ROW_PX * min(len(traces) + len(marks), LEGEND_MAX_ROWS) + 14
    base = base_layout(TIMESERIES_PLOT_PX + legend_px)
    # The legend at the foot of the figure (not under the plot area): its values make entries long.
    base["legend"] = {**base["legend"], "yref": "container", "y": 0, "yanchor": "bottom", "maxheight": legend_px}
    layout = {**base, "showlegend": True,
              "xaxis": {"type": "date", "title": {"text": time_axis_title(), "font": {"size": 10}},
                        **({"range": span} if (span := axis_range()) else {})},
              "yaxis": {**_axis_format(panel.unit), "rangemode": "tozero"}}
    if marks:
        traces += marks
        layout["yaxis2"] = ANNOTATION_AXIS
    if shapes:
        layout.update(shapes=shapes, annotations=notes)
    return {"data": traces, "layout": layout}


def render_timeseries(data: PanelData, query_string: str) -> list:
    panel = data.panel
    children: list = [_graph(panel, timeseries_figure(data, query_string))]
    # The lines' drill-downs as links too: a keyboard cannot click a line.
    links = _entity_links(panel, [dict(s.labels) for r in data.results if r for s in r.series][:MAX_SERIES],
                          query_string)
    if links:
        children.append(links)
    return children


def sparkline_figure(series: Series, colour: str) -> dict:
    """A stat's small area chart, as plain plotly data."""
    trace = {"type": "scatter", "x": _epoch_ms(series), "y": typed_array(series.values), "mode": "lines",
             "line": {"color": colour, "width": 1.5}, "fill": "tozeroy", "hoverinfo": "skip"}
    return {"data": [trace], "layout": {"height": 50, "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
                                        "xaxis": {"visible": False, "type": "date"}, "yaxis": {"visible": False},
                                        "showlegend": False, "template": LIGHT_TEMPLATE}}


def render_stat(data: PanelData, query_string: str) -> list:
    panel = data.panel
    named = _named_series(panel, data.results)
    name, series = named[0]
    finite = series.values[~np.isnan(series.values)]
    value = float(finite[-1]) if len(finite) else math.nan
    status = value_status(value, panel.thresholds, panel.unit) if panel.thresholds else "ok"
    colour = SEVERITY_COLOURS[status] if panel.thresholds else STATUS["info"]
    spark = sparkline_figure(series, colour)
    return [
        html.Div([format_value(value, panel.unit, panel.value_map), status_word(status)],
                 className=f"stat-value status-text-{status}" if panel.thresholds else "stat-value"),
        dcc.Graph(figure=spark, config={"staticPlot": True}, className="stat-spark"),
    ]


def render_bar(data: PanelData, query_string: str) -> list:
    panel = data.panel
    rows: list[tuple[str, str, float, dict]] = []
    for query, result in zip(panel.queries, data.results):
        if result is None:
            continue
        for s in result.series:
            labels = dict(s.labels)
            group = legend(query.legend, labels)
            category = labels.get(panel.x_label, "") if panel.x_label else group
            rows.append((category, group if panel.x_label else "", s.last, labels))
    totals: dict[str, float] = {}
    for category, _, value, _ in rows:
        totals[category] = totals.get(category, 0) + (0 if math.isnan(value) else value)
    categories = sorted(totals, key=lambda c: -totals[c] if panel.sort_desc else totals[c])[:panel.limit]
    groups = list(dict.fromkeys(g for _, g, _, _ in rows))
    fig = go.Figure()
    for i, group in enumerate(groups):
        values = {c: v for c, g, v, _ in rows if g == group}
        ys = [safe(c) for c in categories if c in values]
        xs = [values[c] for c in categories if c in values]
        colours = ([value_colour(x, panel.thresholds, panel.unit) for x in xs]
                   if panel.thresholds and not group else state_colour(group, i))
        hrefs = {c: entity_href(panel, labels, query_string) for c, g, _, labels in rows if g == group}
        fig.add_trace(go.Bar(x=xs, y=ys, orientation="h", name=safe(group) or panel.title,
                             customdata=[hrefs.get(c) for c in categories if c in values] if panel.link else None,
                             marker_color=colours, hovertemplate="%{y}: %{x:.4g}<extra></extra>"))
    fig.update_layout(**base_layout(max(160, 24 * len(categories) + 60)), barmode="stack",
                      showlegend=bool(panel.x_label))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(**_axis_format(panel.unit))
    _threshold_shapes(fig, panel, horizontal=False)
    children: list = [_graph(panel, fig)]
    links = _entity_links(panel, [labels for _, _, _, labels in rows], query_string)
    if links:
        children.append(links)
    return children


def _entity_links(panel: Panel, label_sets: list[dict], query_string: str):
    if panel.link is None:
        return None
    seen: dict[str, str] = {}
    for labels in label_sets:
        href = entity_href(panel, labels, query_string)
        name = labels.get(panel.link.label, "")
        if href and name not in seen:
            seen[name] = href
    if not seen:
        return None
    return html.Div([html.Span("Open: ", className="text-muted")] + [
        dcc.Link(name, href=href, className="entity-link me-2") for name, href in list(seen.items())[:panel.limit]
    ], className="entity-links small")


def render_pie(data: PanelData, query_string: str) -> list:
    panel = data.panel
    named = [(n, s.last) for n, s in _named_series(panel, data.results) if not math.isnan(s.last)]
    fig = go.Figure(go.Pie(labels=[n for n, _ in named], values=[v for _, v in named], hole=0.5,
                           marker=dict(colors=[state_colour(n, i) for i, (n, _) in enumerate(named)]),
                           textinfo="label+value", hovertemplate="%{label}: %{value}<extra></extra>"))
    fig.update_layout(**base_layout(220), showlegend=False)
    return [_graph(panel, fig)]


def render_heatmap(data: PanelData, query_string: str) -> list:
    panel = data.panel
    named = _named_series(panel, data.results)
    buckets = all("le" in dict(s.labels) for _, s in named)
    if buckets:  # cumulative histogram buckets: order by bound, label "lower-upper", count per bucket
        named.sort(key=lambda n: float(dict(n[1].labels)["le"]))
        bounds = [dict(s.labels)["le"] for _, s in named]
        named = [(f"{lo}-{hi}" if i else f"≤ {hi}", s) if hi != "+Inf" else (f"> {lo}", s)
                 for i, ((_, s), lo, hi) in enumerate(zip(named, ["0"] + bounds, bounds))]
    times = np.unique(np.concatenate([s.timestamps for _, s in named]))
    z = np.full((len(named), len(times)), np.nan)
    for row, (_, s) in enumerate(named):
        z[row, np.searchsorted(times, s.timestamps)] = s.values
    if buckets and len(named) > 1:
        z[1:] = np.maximum(z[1:] - np.nan_to_num(z[:-1]), 0)
    fig = go.Figure(go.Heatmap(x=wall_times(times), y=[n for n, _ in named], z=z,
                               colorscale="YlOrRd", hovertemplate="%{y} %{x}: %{z:.4g}<extra></extra>"))
    fig.update_layout(**base_layout(max(200, 22 * len(named) + 60)))
    fig.update_xaxes(title_text=time_axis_title(), title_font_size=10)
    return [_graph(panel, fig)]


def render_timeofday(data: PanelData, query_string: str) -> list:
    """Hourly values pivoted into day x hour-of-day (in the display zone), as Grafana's 'by time of day' heatmaps."""
    panel = data.panel
    _, series = _named_series(panel, data.results)[0]
    hours = (wall_times(series.timestamps).astype("datetime64[h]").astype(np.int64)).astype(int)
    days = sorted(set((hours // 24).tolist()))
    z = np.full((len(days), 24), np.nan)
    for h, v in zip(hours, series.values):
        z[days.index(h // 24), h % 24] = v
    labels = [str(np.datetime64(int(d) * 86400, "s").astype("datetime64[D]")) for d in days]
    zone = current_zone().name
    reverse = any(t.direction == "below" for t in panel.thresholds)
    fig = go.Figure(go.Heatmap(x=[f"{h:02d}:00" for h in range(24)], y=labels, z=z,
                               colorscale="RdYlGn" if reverse else "YlOrRd",
                               zmin=0 if panel.unit == "percentunit" else None,
                               zmax=1 if panel.unit == "percentunit" else None,
                               hovertemplate="%{y} %{x} " + zone + (": %{z:.1%}" if panel.unit == "percentunit"
                                                                     else ": %{z:.4g}") + "<extra></extra>"))
    fig.update_layout(**base_layout(max(180, 24 * len(days) + 60)))
    fig.update_xaxes(title_text=f"Hour of day ({zone})", title_font_size=10)  # days and hours are the zone's
    # Day labels are ISO dates: as a date axis, one day reads as milliseconds around its midnight.
    fig.update_yaxes(type="category")
    return [_graph(panel, fig)]


def table_rows(panel: Panel, results: list[QueryResult | None]) -> tuple[list[str], list[dict]]:
    """Join the queries of a table panel on its label columns: (value columns, rows)."""
    value_columns = [q.column for q in panel.queries if q.column]
    rows: dict[tuple, dict] = {}
    for query, result in zip(panel.queries, results):
        if result is None:
            continue
        for s in result.series:
            labels = dict(s.labels)
            key = tuple(labels.get(c, "") for c in (panel.join_on or panel.label_columns))
            row = rows.setdefault(key, {"labels": labels, "values": {}})
            if query.column:
                row["values"][query.column] = s.last
            else:
                row["labels"] = {**labels, **row["labels"]}
    first = value_columns[0] if value_columns else None

    def sort_key(row):
        value = row["values"].get(first, math.nan) if first else 0
        value = -math.inf if math.isnan(value) else value
        return -value if panel.sort_desc else value

    ordered = sorted(rows.values(), key=sort_key) if first else list(rows.values())
    return value_columns, ordered[:panel.limit]


def render_table(data: PanelData, query_string: str) -> list:
    """A table panel as one sortable, filterable DataTable (components/tables.py): label columns as
    text (the panel's link column as drill-down links), value columns formatted by their unit and
    judged by their thresholds, the status in words beside the value."""
    panel = data.panel
    value_columns, rows = table_rows(panel, data.results)
    if not rows:
        return render_empty(panel)
    units = {q.column: (q.unit or panel.unit) for q in panel.queries if q.column}
    column_thresholds = {q.column: q.thresholds for q in panel.queries if q.column and q.thresholds}
    link_column = panel.link.label if panel.link else None
    columns = [Column(f"l{i}", c.replace("_", " "), "link" if c == link_column else "text")
               for i, c in enumerate(panel.label_columns)]
    columns += [Column(f"v{i}", c, "value") for i, c in enumerate(value_columns)]
    cells = []
    for row in rows:
        labels, item = row["labels"], {}
        for i, column in enumerate(panel.label_columns):
            text = labels.get(column, "")
            href = entity_href(panel, labels, query_string) if column == link_column else None
            item[f"l{i}"] = link_cell(text, href) if column == link_column else text
            item[f"l{i}_sort"] = sort_key(text)
        for i, column in enumerate(value_columns):
            value = row["values"].get(column, math.nan)
            unit = units[column]
            thresholds = column_thresholds.get(column) or tuple(t for t in panel.thresholds if t.unit == unit)
            status = value_status(value, thresholds, unit) if thresholds else "ok"
            text = format_value(value, unit, panel.value_map if unit == "none" else ())
            item[f"v{i}"] = text if status == "ok" else f"{text} {status}"
            item[f"v{i}_sort"] = sort_key(value)
            if thresholds:
                item[f"v{i}_status"] = status
        cells.append(item)
    return [scrollable_table(panel_table({"type": "panel-table", "panel": panel.id}, columns, cells), panel.title)]


def flow_rows(panel: Panel, results: list[QueryResult | None]) -> tuple[list[list[tuple[str, float]]], str]:
    """(rows of (segment, value), bottleneck segment) of a flow panel: one row per query, one
    segment per series named by the query's legend (e.g. "{stage}"), ordered as the panel's
    `stages` lists the segment names (unlisted names follow, in result order). The
    bottleneck is the segment with the largest value in the whole panel."""
    order = {name: i for i, name in enumerate(panel.stages)}
    rows = []
    for query, result in zip(panel.queries, results):
        nodes = [(legend(query.legend, dict(s.labels)), s.last) for s in (result.series if result else [])]
        if nodes:
            rows.append(sorted(nodes, key=lambda n: order.get(n[0], len(order))))
    finite = [(v, name) for row in rows for name, v in row if not math.isnan(v)]
    return rows, (max(finite)[1] if finite else "")


def render_flow(data: PanelData, query_string: str) -> list:
    """Pipeline map: each row a left-to-right chain of segment boxes with arrows, each box showing
    its value (an instant query by segment); the bottleneck (see flow_rows) is drawn red."""
    panel = data.panel
    rows, bottleneck = flow_rows(panel, data.results)
    fig = go.Figure()
    for r, row in enumerate(rows):
        y = -r
        for x, (name, value) in enumerate(row):
            hot = name == bottleneck
            colour = SEVERITY_COLOURS["critical"] if hot else "#1f4e79"
            text = f"<b>{safe(name)}</b><br>{safe(format_value(value, panel.unit))}" + ("<br>bottleneck" if hot else "")
            fig.add_annotation(x=x, y=y, text=text, showarrow=False, bgcolor="#fdecea" if hot else "#eef3f8",
                               bordercolor=colour, borderwidth=3 if hot else 1, borderpad=6,
                               font=dict(color=colour, size=12))
            if x:
                fig.add_annotation(x=x - 0.32, y=y, ax=x - 0.68, ay=y, xref="x", yref="y", axref="x", ayref="y",
                                   text="", showarrow=True, arrowhead=2, arrowwidth=1.5, arrowcolor="#9e9e9e")
    width = max((len(row) for row in rows), default=1)
    fig.update_layout(**base_layout(90 + 80 * len(rows)), showlegend=False)
    fig.update_xaxes(visible=False, range=[-0.6, width - 0.4])
    fig.update_yaxes(visible=False, range=[-len(rows) + 0.5, 0.5])
    children: list = [_graph(panel, fig)]
    if bottleneck:
        children.append(html.Div(f"Bottleneck: {bottleneck}", className="flow-bottleneck small text-danger"))
    return children


def render_empty(panel: Panel) -> list:
    return [html.Div(panel.empty_text, className="panel-empty text-muted")]


def render_missing(data: PanelData) -> list:
    """The metric does not exist in the data source: say which, and which exporter emits it."""
    return [html.Div([html.Span("∅ ", **{"aria-hidden": "true"}), data.missing_text],
                     className="panel-missing text-warning", role="status",
                     **{"data-missing-metrics": " ".join(data.missing)})]


def render_error(message: str) -> list:
    return [html.Div([html.Span("⚠ ", **{"aria-hidden": "true"}), message], className="panel-error",
                     role="alert")]




def apply_theme(children: list, theme: str) -> list:
    """Dark figures for `theme=dark` (the page's CSS darkens everything else)."""
    if theme == "dark":
        for child in children:
            figure = getattr(child, "figure", None)
            if isinstance(figure, go.Figure):
                figure.update_layout(**DARK_LAYOUT)
            elif isinstance(figure, dict):
                figure["layout"] = {**figure.get("layout", {}), **DARK_LAYOUT}
    return children


def render_panel_body(data: PanelData, query_string: str) -> tuple[list, str]:
    """(children, state) for a panel: state is ok, empty, missing or error."""
    state = data.state
    notice = getattr(data, "notice", None)
    if notice:
        return [html.Div(notice, className="panel-notice text-muted", role="status")], "empty"
    if state == "error":
        return render_error(data.error or "Query failed"), "error"
    if state == "empty":
        return render_empty(data.panel), "empty"
    if state == "missing":
        return render_missing(data), "missing"
    try:
        children = with_text_alternative(data, RENDERERS[data.panel.kind](data, query_string))
    except Exception:  # a renderer bug must cost one panel, never the page
        import logging
        logging.getLogger(__name__).exception("renderer failed for panel %s", data.panel.id)
        return render_error("This panel could not be drawn"), "error"
    warnings = data.warnings
    if warnings:
        children = [html.Div("Partial data: " + "; ".join(safe(w) for w in warnings)[:300],
                             className="panel-warning small")] + list(children)
    return children, state


def panel_container(panel: Panel, title: str | None = None) -> html.Div:
    """The panel's frame in the loading state; a callback fills the body and the state class.
    `title` is the panel's title as shown for this view (default: the catalog's)."""
    from .panel_menu import menu_button
    shown = panel.title if title is None else title
    header = html.Div([
        html.Span(shown, className="panel-title"),
        # A letter in a CSS circle, not U+24D8: common fonts (Debian's Chromium) lack that glyph.
        html.Span("i", title=panel.description, className="panel-info", tabIndex=0, role="note",
                  **{"aria-label": f"About this panel: {panel.description}"}) if panel.description else None,
        *menu_button(panel, shown),
    ], className="panel-header")
    return html.Div(
        [header, html.Div(html.Div("Loading…", className="panel-loading text-muted"),
                          id={"type": "panel-body", "panel": panel.id}, className="panel-body")],
        id={"type": "panel", "panel": panel.id},
        className=f"panel state-loading col-12 col-lg-{panel.width}",
        **{"data-panel": panel.id},
    )


def _renderer(path: str) -> Callable[[PanelData, str], list]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


# The dispatch the kinds registry declares; built last, once every renderer above is defined.
RENDERERS: dict[str, Callable[[PanelData, str], list]] = {
    name: _renderer(kind.renderer) for name, kind in PANEL_KINDS.items()}
