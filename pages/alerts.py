"""/alerts: firing and pending alerts, filterable by severity and domain in the URL."""
import time

import dash

from components.alert_tables import alerts_body
from components.layout import page_frame
from components.page_builders import safe_layout
from webapp.alert_views import parse_filters
from webapp.viewstate import parse_view_state


@safe_layout
def layout(**params):
    filters, rest, notes = parse_filters(params)
    now = time.time()
    view = parse_view_state(rest, now=now, allowed_variables=())
    return page_frame(view, "/alerts", "Alerts",
                      "Firing and pending alerts of the generated rules (deploy/prometheus), most severe first. "
                      "Severity is the design's priority: critical P1, high P2, medium P3, low P4.",
                      (), alerts_body(view, filters),
                      {"dashboard": "alerts", "params": rest, "now": now,
                       "filters": {"severity": list(filters.severity), "domain": list(filters.domain)}},
                      extra_notes=notes, time_picker=False)


dash.register_page(__name__, path="/alerts", name="Alerts", title="Alerts · DataOps Monitor", layout=layout, order=2)
