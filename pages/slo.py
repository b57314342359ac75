"""/slo: the design's six SLOs with objective, SLI, error budget, burn rates and exhaustion."""
import time

import dash

from components.alert_tables import slo_body
from components.layout import page_frame
from components.page_builders import safe_layout
from webapp.viewstate import parse_view_state


@safe_layout
def layout(**params):
    now = time.time()
    view = parse_view_state(params, now=now, allowed_variables=())
    return page_frame(view, "/slo", "Service level objectives",
                      "The design's SLOs (section 5): error budget left, burn rates and when the budget runs out "
                      "at the current (1 h) rate. The time range sets the budget-over-time charts.",
                      (), slo_body(), {"dashboard": "slo", "params": params, "now": now})


dash.register_page(__name__, path="/slo", name="SLOs", title="SLOs · DataOps Monitor", layout=layout, order=3)
