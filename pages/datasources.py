"""/datasources: each data source's health, which exporters the data source has, in which form, and what each
page lacks."""
import dash
from dash import html

from components.datasources import datasources_body, sources_table
from components.layout import page_frame
from components.page_builders import safe_layout
from webapp.datasources import report
from webapp.runtime import current_runtime
from webapp.sources import source_health
from webapp.sources.base import forbidden
from webapp.viewstate import parse_view_state


@safe_layout
def layout(**params):
    view = parse_view_state(params, allowed_variables=())
    runtime = current_runtime()
    if runtime is None:
        body = [html.Div("No data source.")]
    elif runtime.engine.current_scope() is None:  # a stranger: nothing is asked of any source
        body = [html.Div(forbidden().user_message, className="panel-error", role="alert")]
    else:
        # Each probe is bounded by its source's own timeout: a person reading this page wants the verdict.
        body = [html.H2("Sources", className="h5"), sources_table(source_health(runtime)),
                *datasources_body(report(runtime.engine))]
    return page_frame(view, "/datasources", "Data sources",
                      "Each data source's health, and what `dataops-monitor doctor` prints: the exporters found "
                      "and in which form, the metrics each page needs and does not find, and coverage per page.",
                      (), [html.Div(body, id="datasources-body")], {"dashboard": "datasources", "params": params},
                      time_picker=False)


dash.register_page(__name__, path="/datasources", name="Data sources", title="Data sources · DataOps Monitor",
                   layout=layout, order=5)
