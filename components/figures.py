"""The panels' shared figure style: Plotly config, plain light/dark templates, the base layout,
and the scrolling box of tables. Every renderer module (panels, timeline) imports it."""
from __future__ import annotations

from dash import html

GRAPH_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"]}


def _template(font: str, grid: str, line: str, background: str) -> dict:
    """The few settings of plotly's white/dark templates the panels use, as a plain template: the
    named templates resolve to about 7 KB per figure, sent with every panel."""
    axis = dict(gridcolor=grid, linecolor=line, zerolinecolor=grid, zerolinewidth=2, ticks="", automargin=True,
                title=dict(standoff=15))
    return {"layout": dict(font=dict(color=font), paper_bgcolor=background, plot_bgcolor=background,
                           hovermode="closest", hoverlabel=dict(align="left"), xaxis=axis, yaxis=axis)}


LIGHT_TEMPLATE = _template("#2a3f5f", "#EBF0F8", "#EBF0F8", "white")
DARK_TEMPLATE = _template("#f2f5fa", "#283442", "#506784", "#22252b")


def base_layout(height: int = 240) -> dict:
    """The layout every panel figure starts from: `height` in px, the light template, a legend below
    that scrolls past 30% of the height (Plotly's default, 50%, left a many-series chart a sliver of plot)."""
    return dict(height=height, margin=dict(l=48, r=12, t=8, b=32), template=LIGHT_TEMPLATE,
                legend=dict(orientation="h", y=-0.2, font=dict(size=10), maxheight=0.3), uirevision="keep",
                font=dict(size=11), hoverlabel=dict(namelength=-1))


DARK_LAYOUT = dict(template=DARK_TEMPLATE, paper_bgcolor="#22252b", plot_bgcolor="#22252b")


def scrollable_table(table, title: str) -> html.Div:
    """A table in a scrolling box the keyboard can reach and scroll (tabindex) and that says what it is."""
    return html.Div(table, className="panel-table", tabIndex=0, role="region", **{"aria-label": title})
