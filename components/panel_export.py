"""What a panel's menu hands out: its data as CSV, its queries as the data source's own UI link,
and the view with an absolute time range (an incident link). Pure functions over PanelData,
QueryPlans and ViewState; the menu (`components/panel_menu.py`) serves them.
"""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone, tzinfo
from urllib.parse import urlencode

import numpy as np

from webapp.catalog.kinds import PANEL_KINDS
from webapp.engine import QueryPlan
from webapp.timerange import format_duration
from webapp.viewstate import ViewState

from .textalt import named_series

# OWASP's list: a cell starting with one of these is a formula to Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
MAX_COLUMNS = 1000


def cell(text: object) -> str:
    """A text cell that no spreadsheet reads as a formula: a leading `'` when it starts like one."""
    value = str(text)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _number(value: float) -> str:
    return "" if value is None or math.isnan(value) else repr(float(value))


def iso_time(epoch_seconds: float, tz: tzinfo = timezone.utc) -> str:
    """ISO 8601 with the zone's offset, to the second: `2026-11-30T12:00:00+00:00`."""
    return datetime.fromtimestamp(epoch_seconds, tz).isoformat(timespec="seconds")


def _unique(names: Iterable[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0) + 1
        seen[name] = count
        out.append(name if count == 1 else f"{name} ({count})")
    return out


def series_columns(panel, results) -> list[tuple[str, object]]:
    """(column name, Series) of every series of the panel, named by its query's legend (as the
    chart's legend names it; the panel's title when the legend is empty)."""
    named = named_series(panel, results)[:MAX_COLUMNS]
    return list(zip(_unique(n for n, _ in named), (s for _, s in named)))


def _write(rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerows(rows)
    return out.getvalue()


def timeseries_csv(panel, results, tz: tzinfo = timezone.utc) -> str:
    """CSV of a panel's series: a header `time,<series>...`, one row per timestamp (ISO 8601 in
    `tz`, ascending), one column per series; an absent sample is an empty cell. Instant queries
    give one row (their evaluation time)."""
    columns = series_columns(panel, results)
    if not columns:
        return _write([["time"]])
    times = np.unique(np.concatenate([np.asarray(s.timestamps, dtype=float) for _, s in columns]))
    index = {t: i for i, t in enumerate(times.tolist())}
    grid = [[""] * len(columns) for _ in times]
    for c, (_, s) in enumerate(columns):
        for t, v in zip(np.asarray(s.timestamps, dtype=float).tolist(), np.asarray(s.values, dtype=float).tolist()):
            grid[index[t]][c] = _number(v)
    header = ["time"] + [cell(name) for name, _ in columns]
    return _write([header] + [[iso_time(t, tz)] + row for t, row in zip(times.tolist(), grid)])


def table_csv(panel, results) -> str:
    """CSV of a table panel as the table shows it: its label columns, then its value columns."""
    from .panels import table_rows

    value_columns, rows = table_rows(panel, results)
    header = [cell(c) for c in panel.label_columns] + [cell(c) for c in value_columns]
    body = [[cell(row["labels"].get(c, "")) for c in panel.label_columns]
            + [_number(row["values"].get(c, math.nan)) for c in value_columns] for row in rows]
    return _write([header] + body)


def rows_csv(panel, rows: Iterable[Mapping]) -> str:
    """CSV of a REST panel's rows (Spark History Server, Airflow): one column per field; times ISO 8601."""
    rows = list(rows)
    fields = list(dict.fromkeys(k for r in rows for k in r if k != "hover"))

    def text(value) -> str:
        if isinstance(value, datetime):
            return value.isoformat(timespec="seconds")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value) if isinstance(value, int) else _number(value)  # -5 is a number, not a formula
        return cell("" if value is None else value)
    return _write([[cell(f) for f in fields]] + [[text(r.get(f)) for f in fields] for r in rows])


def panel_csv(data, tz: tzinfo = timezone.utc) -> str:
    """The CSV of one panel's data (PanelData or RestPanelData), as `timeseries_csv`, `table_csv`
    (table panels) or `rows_csv` (REST panels) shape it."""
    panel = data.panel
    if panel.source != "prometheus":
        return rows_csv(panel, getattr(data, "rows", ()))
    if PANEL_KINDS[panel.kind].csv == "table":
        return table_csv(panel, data.results)
    return timeseries_csv(panel, data.results, tz)


def explore_url(base: str, plans: list[QueryPlan], thanos_params: Mapping[str, str] | None = None) -> str:
    """The Prometheus (or Thanos Query) expression browser showing these queries: `/graph` with one
    `g<i>.` group per query (`expr`, `tab` 0 graph / 1 table, `range_input`, `end_input` and
    `moment_input` as `YYYY-MM-DD HH:mm:ss` UTC, `step_input` in seconds), plus Thanos' `deduplicate`,
    `partial_response` and `max_source_resolution` when the app sends them."""
    params: list[tuple[str, str]] = []
    thanos = dict(thanos_params or {})
    for i, plan in enumerate(plans):
        g = f"g{i}."
        end = datetime.fromtimestamp(plan.end, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        params += [(g + "expr", plan.promql), (g + "tab", "1" if plan.instant else "0")]
        if not plan.instant:
            params.append((g + "range_input", format_duration(max(plan.end - plan.start, plan.step))))
        params += [(g + "end_input", end), (g + "moment_input", end)]
        if not plan.instant:
            params.append((g + "step_input", str(plan.step)))
        if "dedup" in thanos:
            params.append((g + "deduplicate", "1" if thanos["dedup"] == "true" else "0"))
        if "partial_response" in thanos:
            params.append((g + "partial_response", "1" if thanos["partial_response"] == "true" else "0"))
        if "max_source_resolution" in thanos:
            params.append((g + "max_source_resolution", thanos["max_source_resolution"]))
    return f"{base.rstrip('/')}/graph?{urlencode(params)}"


def absolute_range_ms(view: ViewState) -> tuple[int, int]:
    """The view's resolved range as epoch milliseconds (Grafana's absolute `from`/`to`)."""
    tr = view.time_range
    return int(math.floor(tr.start * 1000)), int(math.floor(tr.end * 1000))


def incident_link(view: ViewState, path: str, panel_id: str | None = None) -> str:
    """`path` showing this view with its time range made absolute (so the link shows the same data
    later), and the panel in full view when `panel_id` is given."""
    start, end = absolute_range_ms(view)
    return view.url(path, from_=start, to=end, viewPanel=panel_id)
