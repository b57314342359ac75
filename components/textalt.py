"""Text alternatives of charts: a short summary a screen reader reads (what the chart shows, latest
value, trend, threshold breaches) and a "View as table" of the chart's data, both computed from the
same PanelData the chart is drawn from.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
from dash import html

from webapp.catalog.kinds import PANEL_KINDS
from webapp.catalog.model import Panel, Threshold
from webapp.legends import legend

from .format import format_value

MAX_ROWS = 30          # time rows in a "view as table" (evenly spaced, always ending at the latest)
MAX_SERIES = 12        # series columns in it
MAX_NAMED = 5          # series named in a summary
STEADY = 0.05          # a change under 5% of the start value reads as "steady"


def named_series(panel: Panel, results) -> list[tuple[str, object]]:
    """(name, Series) of every series of the panel, named by its query's legend (the panel's title
    when the legend is empty), in query then result order."""
    out = []
    for query, result in zip(panel.queries, results):
        for s in (result.series if result else ()):
            out.append((legend(query.legend, dict(s.labels)) or panel.title, s))
    return out


def _finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[~np.isnan(values)]


def trend(values: np.ndarray) -> tuple[str, float]:
    """("rising" | "falling" | "steady" | "", first finite value) of a series over the range."""
    finite = _finite(values)
    if len(finite) < 2:
        return "", math.nan
    first, last = float(finite[0]), float(finite[-1])
    scale = max(abs(first), abs(last), 1e-12)
    if abs(last - first) <= STEADY * scale:
        return "steady", first
    return ("rising" if last > first else "falling"), first


def _thresholds(panel: Panel) -> list[Threshold]:
    return [t for t in panel.thresholds if t.unit == panel.unit or len(panel.thresholds) == 1]


def breaches(panel: Panel, named: list[tuple[str, float]]) -> list[str]:
    """Sentences naming each threshold that a latest value breaches, worst first."""
    out = []
    for t in sorted(_thresholds(panel), key=lambda t: t.severity != "critical"):
        hit = [(n, v) for n, v in named if t.breached(v)]
        if not hit:
            continue
        where = "below" if t.direction == "below" else "above"
        who = ", ".join(f"{n} ({format_value(v, panel.unit)})" for n, v in hit[:MAX_NAMED])
        more = f" and {len(hit) - MAX_NAMED} more" if len(hit) > MAX_NAMED else ""
        out.append(f"{t.severity.capitalize()}: {who}{more} {where} the threshold of "
                   f"{format_value(t.value, panel.unit)} ({t.title}).")
    if not out and _thresholds(panel) and named:
        out.append("No threshold is breached.")
    return out


def summarize(data) -> str:
    """One paragraph about the chart of this PanelData (REST rows included)."""
    panel = data.panel
    kind = panel.kind
    if kind == "gantt":
        rows = list(getattr(data, "rows", ()) or ())
        groups: dict[str, int] = {}
        for r in rows:
            groups[str(r["group"])] = groups.get(str(r["group"]), 0) + 1
        parts = ", ".join(f"{n} {g}" for g, n in groups.items())
        return f"{panel.title}: timeline of {len(rows)} items ({parts})."
    named = named_series(panel, data.results)
    if not named:
        return f"{panel.title}: no data."
    if kind == "flow":
        from .panels import flow_rows
        rows, bottleneck = flow_rows(panel, data.results)
        chains = "; ".join(" then ".join(f"{n} {format_value(v, panel.unit)}" for n, v in row) for row in rows)
        return f"{panel.title}: {chains}." + (f" Bottleneck: {bottleneck}." if bottleneck else "")
    latest = [(n, float(_finite(s.values)[-1]) if len(_finite(s.values)) else math.nan) for n, s in named]
    sentences = [f"{panel.title}:"]
    if kind in ("stat", "gauge", "timeseries"):
        items = []
        for (name, s), (_, value) in list(zip(named, latest))[:MAX_NAMED]:
            direction, first = trend(s.values)
            text = f"{name} {format_value(value, panel.unit, panel.value_map)}"
            if direction == "steady":
                text += ", steady over the range"
            elif direction:
                text += f", {direction} from {format_value(first, panel.unit, panel.value_map)}"
            items.append(text)
        count = f"{len(named)} series; " if len(named) > 1 else ""
        more = f"; {len(named) - MAX_NAMED} more in the table" if len(named) > MAX_NAMED else ""
        sentences.append(f"{count}latest {'; '.join(items)}{more}.")
    elif kind in ("bar", "pie"):
        ordered = sorted([(n, v) for n, v in latest if not math.isnan(v)], key=lambda nv: -nv[1])
        total = sum(v for _, v in ordered)
        items = [f"{n} {format_value(v, panel.unit)}" + (f" ({v / total:.0%})" if kind == "pie" and total else "")
                 for n, v in ordered[:MAX_NAMED]]
        more = f"; {len(ordered) - MAX_NAMED} more in the table" if len(ordered) > MAX_NAMED else ""
        sentences.append(f"{len(ordered)} values, largest first: {'; '.join(items)}{more}.")
    else:  # heatmaps: the hottest cell
        best = None
        for name, s in named:
            finite = _finite(s.values)
            if len(finite):
                i = int(np.nanargmax(np.asarray(s.values, dtype=float)))
                if best is None or s.values[i] > best[2]:
                    best = (name, float(s.timestamps[i]), float(s.values[i]))
        if best:
            sentences.append(f"{len(named)} rows; highest {format_value(best[2], panel.unit)} "
                             f"({best[0]}, {_time(best[1])}).")
    sentences += breaches(panel, latest)
    return " ".join(sentences)


def _time(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def data_table(data) -> html.Table | None:
    """The chart's data as a table: time rows x series columns, or one row per category or item."""
    panel = data.panel
    if panel.kind == "gantt":
        rows = list(getattr(data, "rows", ()) or ())[:panel.limit]
        head = ["Item", "Group", "Start", "End"]
        body = [[str(r["row"]), str(r["group"]), _time(r["start"].timestamp()), _time(r["end"].timestamp())]
                for r in rows]
        return _table(panel, head, body)
    named = named_series(panel, data.results)
    if not named:
        return None
    if panel.kind in ("bar", "pie", "flow") or panel.instant:
        body = [[name, format_value(s.last, panel.unit, panel.value_map)] for name, s in named[:panel.limit]]
        return _table(panel, ["Name", "Value"], body)
    named = named[:MAX_SERIES]
    times = np.unique(np.concatenate([s.timestamps for _, s in named]))
    if len(times) > MAX_ROWS:
        times = times[np.unique(np.linspace(0, len(times) - 1, MAX_ROWS).round().astype(int))]
    columns = []
    for _, s in named:
        index = dict(zip(s.timestamps.tolist(), s.values.tolist()))
        columns.append([format_value(index.get(t, math.nan), panel.unit, panel.value_map) for t in times.tolist()])
    body = [[_time(t)] + [c[i] for c in columns] for i, t in enumerate(times.tolist())]
    return _table(panel, ["Time"] + [n for n, _ in named], body)


def _table(panel: Panel, head: list[str], body: list[list[str]]) -> html.Table:
    return html.Table([
        html.Caption(f"{panel.title}: data"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
        html.Tbody([html.Tr([html.Th(row[0], scope="row")] + [html.Td(c) for c in row[1:]]) for row in body]),
    ], className="table table-sm chart-data-table mb-0")


def has_table(data) -> bool:
    """Whether the chart has rows to show in "View as table"."""
    if data.panel.kind == "gantt":
        return bool(getattr(data, "rows", None))
    return bool(named_series(data.panel, data.results))


def with_text_alternative(data, children: list) -> list:
    """The chart's children preceded by its summary and followed by "View as table".

    The table itself is filled only when the reader opens it (the `fill_chart_table` callback):
    one table per chart, each cell a Dash component, made a page of 60 panels take minutes to draw
    in Chromium, and a closed <details> is not in the accessibility tree anyway."""
    if not PANEL_KINDS[data.panel.kind].chart:
        return children
    summary = html.P(summarize(data), className="chart-summary visually-hidden",
                     **{"data-chart-summary": data.panel.id})
    extra = [] if not has_table(data) else [html.Details([
        html.Summary("View as table", className="chart-table-toggle",
                     id={"type": "chart-table-toggle", "panel": data.panel.id}),
        html.Div([], className="chart-data", tabIndex=0, role="region",
                 id={"type": "chart-table", "panel": data.panel.id},
                 **{"aria-label": f"{data.panel.title}: data table"}),
    ], className="chart-alt small")]
    return [summary] + list(children) + extra
