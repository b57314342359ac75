"""Table panels as one `dash_table.DataTable`: sortable (by the value, not its text), filterable, cells
formatted by `components.format`, status in words and colour, drill-down links kept.

One component per table, never a component per cell: the Dash renderer's cost is per component.
Cells hold display text; each row also carries, per column, a sort key (`<column>_sort`: the number
for values, lower-case text otherwise) and for judged cells a status (`<column>_status`). Sorting is
done in the browser by a clientside callback over the sort keys (`SORT_JS`), filtering by the
table's native filter over the text. A link cell is markdown holding `<a class="entity-link">`, so the
DOM hook of drill-down links is the same in tables as elsewhere.
"""
from __future__ import annotations

import dataclasses
import html
import math
import re

from dash import dash_table

ROW_ORDER = "_row"   # the catalog's order, restored when the reader clears the sort
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()#+\-.!|~{}])")
STATUS_COLOURS = {  # CSS variables of assets/app.css, so both themes keep 4.5:1 text contrast
    "critical": "var(--status-text-critical)", "warning": "var(--status-text-warning)",
    "ok": "var(--status-text-ok)", "info": "var(--status-text-info)", "unknown": "var(--status-text-unknown)",
}


@dataclasses.dataclass(frozen=True)
class Column:
    """One column: `kind` is text, link (cells are markdown links) or value (numbers, right-aligned)."""

    id: str
    name: str
    kind: str = "text"


def link_cell(text: str, href: str | None) -> str:
    """A cell of a link column (markdown with HTML on): a drill-down link whose text is exactly `text`,
    or `text` alone when the row has no link; escaped for markdown and HTML either way (label values
    come from outside)."""
    shown = html.escape(_MARKDOWN_SPECIAL.sub(r"\\\1", text), quote=False)
    if href is None:
        return shown
    return f'<a class="entity-link" href="{html.escape(href, quote=True)}">{shown}</a>'


def sort_key(value) -> float | str | None:
    """A cell's sort key: numbers as they are (NaN: None, sorted last), text case-folded."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None if math.isnan(value) else float(value)
    return str(value).casefold()


def panel_table(table_id: dict, columns: list[Column], rows: list[dict]) -> dash_table.DataTable:
    """The DataTable of a panel. `rows`: dicts of display text by column id, plus optional
    `<id>_sort` and `<id>_status` keys (see the module docstring)."""
    data = []
    for i, row in enumerate(rows):
        item = {ROW_ORDER: i, **row}
        for column in columns:
            item.setdefault(f"{column.id}_sort", sort_key(row.get(column.id)))
        data.append(item)
    styles = [{"if": {"column_id": c.id}, "textAlign": "right"} for c in columns if c.kind == "value"]
    for column in columns:
        for status, colour in STATUS_COLOURS.items():
            if any(row.get(f"{column.id}_status") == status for row in rows):
                styles.append({"if": {"filter_query": f'{{{column.id}_status}} = "{status}"', "column_id": column.id},
                               "color": colour, "fontWeight": 600})
    return dash_table.DataTable(
        id=table_id,
        columns=[{"id": c.id, "name": c.name, "presentation": "markdown"} if c.kind == "link"
                 else {"id": c.id, "name": c.name} for c in columns],
        data=data,
        sort_action="custom", sort_mode="multi", sort_by=[],
        filter_action="native", filter_options={"case": "insensitive", "placeholder_text": "filter…"},
        page_action="none", markdown_options={"html": True, "link_target": "_self"},
        style_as_list_view=True, cell_selectable=False,
        style_table={"maxHeight": "340px", "overflowY": "auto", "overflowX": "auto"},
        style_header={"fontWeight": 600, "backgroundColor": "transparent", "color": "inherit"},
        style_filter={"backgroundColor": "transparent", "color": "inherit"},
        style_cell={"backgroundColor": "transparent", "color": "inherit", "fontFamily": "var(--bs-body-font-family)",
                    "fontSize": "13px", "padding": "2px 6px", "textAlign": "left", "whiteSpace": "normal",
                    "height": "auto", "maxWidth": "28rem"},
        style_data_conditional=styles,
        css=[{"selector": ".dash-cell-value p, .dash-cell-value.cell-markdown p", "rule": "margin: 0;"},
             {"selector": ".dash-spreadsheet-menu", "rule": "display: none;"},
             # Filters ignore case; the table's own case toggle is a faint "Aa" that fails 4.5:1 contrast.
             {"selector": ".dash-filter--case", "rule": "display: none;"}],
        fill_width=True,
    )


# Sorts `data` by the clicked columns' sort keys, blanks last, the catalog's order when cleared:
# in the browser, so a click costs no request.
SORT_JS = """
function(sortBy, data) {
    if (!Array.isArray(data)) { return window.dash_clientside.no_update; }
    var order = (sortBy || []).concat([{column_id: "%s", direction: "asc", raw: true}]);
    var rows = data.slice();
    rows.sort(function (a, b) {
        for (var i = 0; i < order.length; i++) {
            var key = order[i].raw ? order[i].column_id : order[i].column_id + "_sort";
            var x = a[key], y = b[key];
            var xb = (x === null || x === undefined), yb = (y === null || y === undefined);
            if (xb || yb) { if (xb && yb) { continue; } return xb ? 1 : -1; }
            if (x === y) { continue; }
            var less = x < y;
            return (order[i].direction === "desc" ? !less : less) ? -1 : 1;
        }
        return 0;
    });
    return rows;
}
""" % ROW_ORDER
