"""The panel kinds: one entry per kind, with its renderer, its own options and its capabilities.

Adding a kind is one entry here plus its renderer function; the catalog's validation, the renderer
dispatch (components/panels.py), the text alternatives (components/textalt.py), the panel menu
(components/panel_menu.py, components/panel_export.py) and the Grafana exporter/importer
(webapp/grafana/) all read this table. It lives in the catalog, without Dash, so that the catalog
(and the rule generator that reads it) validates without importing the web layer: renderers are
named as "module:function" and resolved by the renderer dispatch.
"""
from __future__ import annotations

import dataclasses
from typing import Literal

CsvShape = Literal["series", "table", "rows"]


@dataclasses.dataclass(frozen=True)
class PanelKind:
    """One panel kind.

    `renderer`: "module:function" taking (PanelData, query string) and returning Dash children.
    `options`: the Panel fields only this kind reads; setting one on another kind is a catalog error.
    `instant`: asks Prometheus for one instant (else a range).
    `chart`: drawn as a picture, so it gets a text alternative and a PNG download in the panel menu
    (tables are their own text and export as CSV).
    `csv`: the CSV shape of the panel menu's download for Prometheus panels: "series" (a time column and
    one column per series), "table" (as the table shows it) or "rows" (REST rows, one column per field).
    `grafana`: the Grafana panel type the exporter writes ("" for kinds Grafana cannot show).
    `grafana_imports`: Grafana panel types the importer reads as this kind.
    """

    name: str
    renderer: str
    options: frozenset[str] = frozenset()
    instant: bool = False
    chart: bool = True
    csv: CsvShape = "series"
    grafana: str = ""
    grafana_imports: tuple[str, ...] = ()


_PANELS = "components.panels"
_TIMELINE = "components.timeline"

PANEL_KINDS: dict[str, PanelKind] = {k.name: k for k in (
    PanelKind("timeseries", f"{_PANELS}:render_timeseries", frozenset({"legend_calcs", "annotations"}),
              grafana="timeseries", grafana_imports=("timeseries", "graph")),
    PanelKind("stat", f"{_PANELS}:render_stat", grafana="stat", grafana_imports=("stat", "singlestat")),
    PanelKind("gauge", f"{_PANELS}:render_stat", instant=True, grafana="gauge", grafana_imports=("gauge",)),
    PanelKind("bar", f"{_PANELS}:render_bar", frozenset({"x_label"}), instant=True, grafana="bargauge",
              grafana_imports=("bargauge",)),
    PanelKind("pie", f"{_PANELS}:render_pie", instant=True, grafana="piechart", grafana_imports=("piechart",)),
    PanelKind("table", f"{_PANELS}:render_table", frozenset({"label_columns", "join_on"}), instant=True,
              chart=False, csv="table", grafana="table", grafana_imports=("table", "table-old")),
    PanelKind("heatmap", f"{_PANELS}:render_heatmap", grafana="heatmap", grafana_imports=("heatmap",)),
    PanelKind("timeofday", f"{_PANELS}:render_timeofday", grafana="heatmap"),
    PanelKind("flow", f"{_PANELS}:render_flow", frozenset({"stages"}), instant=True, grafana="table"),
    PanelKind("gantt", f"{_TIMELINE}:render_gantt", csv="rows"),
    PanelKind("rows", f"{_TIMELINE}:render_rows", frozenset({"fields"}), chart=False, csv="rows"),
)}

# Options some kind owns: any other kind must leave them at their defaults.
KIND_OPTIONS = frozenset(o for k in PANEL_KINDS.values() for o in k.options)
# Grafana panel type -> our kind, for the importer.
FROM_GRAFANA = {t: k.name for k in PANEL_KINDS.values() for t in k.grafana_imports}
# Kinds exported as a Grafana type that imports as another kind: the exporter keeps the kind in
# `options.dataopsKind` so that a round trip restores it.
OWN_GRAFANA_KINDS = frozenset(k.name for k in PANEL_KINDS.values()
                              if k.grafana and FROM_GRAFANA.get(k.grafana) != k.name)
