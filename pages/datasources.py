"""/datasources: which exporters the data source has, in which form, and what each page lacks."""
import dash
from dash import html

from components.datasources import datasources_body
from components.layout import page_frame
from components.page_builders import safe_layout
from webapp.datasources import report
from webapp.runtime import current_runtime
from webapp.viewstate import parse_view_state


@safe_layout
def layout(**params):
    view = parse_view_state(params, allowed_variables=())
    runtime = current_runtime()
    body = datasources_body(report(runtime.engine)) if runtime else [html.Div("No data source.")]
    return page_frame(view, "/datasources", "Data sources",
                      "What `dataops-monitor doctor` prints: the exporters found and in which form, the metrics "
                      "each page needs and does not find, and coverage per page.",
                      (), [html.Div(body, id="datasources-body")], {"dashboard": "datasources", "params": params},
                      time_picker=False)


dash.register_page(__name__, path="/datasources", name="Data sources", title="Data sources · DataOps Monitor",
                   layout=layout, order=5)
