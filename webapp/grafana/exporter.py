"""The built-in dashboards as Grafana dashboard JSON (classic v1 model, schemaVersion 39).

Each Level 1 dashboard becomes one Grafana dashboard with a `datasource` variable, the catalog's
filter variables as `label_values` query variables (chained like the app's pickers), one row
per section and one panel per catalog panel (ids, `gridPos` on Grafana's 24 columns). Template
matchers become Grafana's `label=~"$var"` with `allValue: ".*"` (All matches everything, as
dropping the matcher does here). Importing an export gives back the same panels
(`webapp/grafana/importer.py`; tests/unit/test_grafana_roundtrip.py).
"""
from __future__ import annotations

import dataclasses
import re

from webapp.catalog import level1
from webapp.catalog.kinds import PANEL_KINDS
from webapp.catalog.model import Dashboard, Panel
from webapp.catalog.variables import VARIABLES
from webapp.promql import _TOKEN

SCHEMA_VERSION = 39
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
GRAFANA_CALCS = {"last": "lastNotNull", "max": "max", "mean": "mean", "min": "min"}
UNIT = {"cores": "suffix: cores", "dollars": "currencyUSD", "dateTime": "dateTimeAsIso"}
PANEL_HEIGHT = 8
COLOUR = {"critical": "red", "warning": "orange"}
RANK = {"warning": 1, "critical": 2}  # how bad a threshold's colour is (0: fine)
TAG = "dataops-monitor"
_PANEL_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Panel)}


def uid_for(dashboard: Dashboard) -> str:
    return f"dataops-{dashboard.id}"


def grafana_expr(template: str, variables: tuple[str, ...]) -> str:
    """A catalog template in Grafana's syntax: `$name:label` -> `label=~"$name"`; macros unchanged."""
    def replace(match: re.Match[str]) -> str:
        name = match[1]
        if name.startswith("__"):
            return match[0]
        label = match[2] or VARIABLES[name].label
        return f'{label}=~"${name}"'
    return _TOKEN.sub(replace, template)


def _variable(name: str) -> dict:
    variable = VARIABLES[name]
    parents = ", ".join(f'{VARIABLES[p].label}=~"${p}"' for p in variable.depends_on)
    selector = f"{variable.options_from}{{{parents}}}" if parents else variable.options_from
    query = f"label_values({selector}, {variable.label})"
    return {"type": "query", "name": name, "label": variable.title, "datasource": DATASOURCE,
            "query": {"query": query, "refId": f"{name}-query"}, "definition": query, "refresh": 2,
            "multi": True, "includeAll": True, "allValue": ".*", "sort": 1, "hide": 0,
            "current": {"text": ["All"], "value": ["$__all"]}, "options": []}


def _thresholds(panel: Panel) -> dict:
    """Grafana's threshold steps: each colours the values from its own up to the next step's (the
    first, `value: null`, from minus infinity). An `above` threshold colours from its value up, a
    `below` one everything under its value (e.g. a success rate: red base, green from 0.95)."""
    bounds = sorted({float(t.value) for t in panel.thresholds})

    def colour(low: float | None, high: float | None) -> str:  # of the values in [low, high)
        rank = max((RANK[t.severity] for t in panel.thresholds
                    if (t.direction == "above" and low is not None and low >= t.value)
                    or (t.direction == "below" and high is not None and high <= t.value)), default=0)
        return ("green", COLOUR["warning"], COLOUR["critical"])[rank]

    steps: list[dict] = []
    edges = [None, *bounds, None]
    for low, high in zip(edges, edges[1:]):
        if not steps or steps[-1]["color"] != colour(low, high):
            steps.append({"color": colour(low, high), "value": low})
    return {"mode": "absolute", "steps": steps}


def _link_url(path: str) -> str:
    """A drill-down path as a Grafana data link: `{label}` -> `${__data.fields.label}`, time kept."""
    return re.sub(r"\{([a-zA-Z_]\w*)\}", r"${__data.fields.\1}", path) + "?${__url_time_range}"


def export_panel(panel: Panel, panel_id: int, x: int, y: int, variables: tuple[str, ...]) -> dict:
    """One catalog panel as a Grafana panel at grid position (x, y)."""
    kind = PANEL_KINDS[panel.kind].grafana
    if not kind:
        raise KeyError(panel.kind)
    instant = panel.instant
    targets = []
    for i, query in enumerate(panel.queries):
        ref = chr(ord("A") + i)
        target = {"refId": ref, "datasource": DATASOURCE, "expr": grafana_expr(query.expr, variables),
                  "legendFormat": re.sub(r"\{([a-zA-Z_]\w*)\}", r"{{\1}}", query.legend),
                  "range": not instant, "instant": instant, "editorMode": "code"}
        if panel.kind in ("table", "flow"):
            target["format"] = "table"
        if panel.min_step != 15:
            target["interval"] = f"{panel.min_step}s"
        targets.append(target)
    custom: dict = {"stacking": {"mode": "normal" if panel.stacked else "none"}}
    if panel.kind == "timeseries":
        custom["thresholdsStyle"] = {"mode": "line" if panel.thresholds else "off"}
    unit = UNIT.get(panel.unit, panel.unit)
    out = {
        "type": kind, "id": panel_id, "title": panel.title, "description": panel.description,
        "datasource": DATASOURCE, "gridPos": {"x": x, "y": y, "w": panel.width * 2, "h": PANEL_HEIGHT},
        "targets": targets, "maxDataPoints": panel.max_points,
        "fieldConfig": {"defaults": {"unit": unit, "thresholds": _thresholds(panel), "custom": custom,
                                     "mappings": [{"type": "value", "options": {
                                         str(int(v) if float(v).is_integer() else v): {"text": text}
                                         for v, text in panel.value_map}}] if panel.value_map else []},
                        "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "legend": {"showLegend": True, "displayMode": "list", "placement": "bottom"},
                    "dataopsKind": panel.kind},
        "transformations": [],
    }
    if panel.kind == "timeseries" and panel.legend_values:
        # Grafana's legend calcs: a table legend shows each series' values, as ours does.
        out["options"]["legend"].update(displayMode="table", calcs=[GRAFANA_CALCS[c] for c in panel.legend_values])
    if panel.kind in ("table", "flow"):
        # A flow's stages become label columns too: Grafana draws it as a table of its segments.
        columns = list(panel.label_columns if panel.kind == "table" else panel.stages)
        index = {c: i for i, c in enumerate(columns)}
        renames, excluded = {}, {"Time": True}
        for i, query in enumerate(panel.queries):
            field = f"Value #{chr(ord('A') + i)}"
            index[field] = len(index)
            if query.column:
                renames[field] = query.column
                if query.unit and query.unit != panel.unit:
                    out["fieldConfig"]["overrides"].append({
                        "matcher": {"id": "byName", "options": query.column},
                        "properties": [{"id": "unit", "value": UNIT.get(query.unit, query.unit)}]})
            else:
                excluded[field] = True
        join = ({"id": "joinByField", "options": {"byField": panel.join_on[0], "mode": "outer"}}
                if len(panel.join_on) == 1 else {"id": "merge", "options": {}})
        if len(panel.join_on) > 1:  # Grafana joins on one field; merge joins on all common ones
            out["options"]["dataopsJoinOn"] = list(panel.join_on)
        # Rows by the first value column, then at most `limit` of them: what the table shows here.
        first = next((q.column for q in panel.queries if q.column), "Value #A")
        out["transformations"] = [join, {"id": "organize", "options": {
            "excludeByName": excluded, "indexByName": index, "renameByName": renames}},
            {"id": "sortBy", "options": {"fields": {}, "sort": [{"field": first, "desc": panel.sort_desc}]}},
            {"id": "limit", "options": {"limitField": panel.limit}}]
    elif (panel.sort_desc, panel.limit) != (_PANEL_DEFAULTS["sort_desc"], _PANEL_DEFAULTS["limit"]):
        # Bars and lists are ordered and cut by value here; Grafana has no such option outside tables.
        out["options"]["dataopsSort"] = {"desc": panel.sort_desc, "limit": panel.limit}
    if panel.empty_text != _PANEL_DEFAULTS["empty_text"]:
        out["fieldConfig"]["defaults"]["noValue"] = panel.empty_text
    if panel.link is not None:
        out["fieldConfig"]["overrides"].append({
            "matcher": {"id": "byName", "options": panel.link.label},
            "properties": [{"id": "links", "value": [{"title": f"Open {panel.link.label}",
                                                      "url": _link_url(panel.link.path)}]}]})
        if panel.kind != "table":
            out["fieldConfig"]["defaults"]["links"] = [{"title": f"Open {panel.link.label}",
                                                        "url": _link_url(panel.link.path)}]
    return out


def export_dashboard(dashboard: Dashboard) -> dict:
    """One catalog dashboard as Grafana dashboard JSON."""
    panels: list[dict] = []
    next_id, y = 1, 0
    for section in dashboard.sections:
        panels.append({"type": "row", "id": next_id, "title": section.title, "collapsed": False, "panels": [],
                       "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}})
        next_id, y, x = next_id + 1, y + 1, 0
        for panel in section.panels:
            if panel.source != "prometheus":
                continue
            width = panel.width * 2
            if x + width > 24:
                x, y = 0, y + PANEL_HEIGHT
            panels.append(export_panel(panel, next_id, x, y, dashboard.variables))
            next_id, x = next_id + 1, x + width
        y += PANEL_HEIGHT
    datasource = {"type": "datasource", "name": "datasource", "label": "Data source", "query": "prometheus",
                  "hide": 0, "current": {}, "options": [], "refresh": 1}
    return {
        "uid": uid_for(dashboard), "title": dashboard.title, "description": dashboard.description,
        "tags": [TAG], "schemaVersion": SCHEMA_VERSION, "editable": True, "graphTooltip": 1,
        "time": {"from": "now-6h", "to": "now"}, "refresh": "", "timezone": "browser",
        "templating": {"list": [datasource] + [_variable(n) for n in dashboard.variables]},
        "links": [{"title": "DataOps Monitor", "type": "dashboards", "tags": [TAG], "asDropdown": True,
                   "includeVars": True, "keepTime": True}],
        "panels": panels,
    }


def export_all() -> list[dict]:
    """The six Level 1 dashboards, in the app's navigation order."""
    return [export_dashboard(d) for d in level1()]
