"""Hostile URL values reach Prometheus only as escaped literals; the page still renders."""
import promql_parser
import pytest

from webapp.app import create_app
from webapp.settings import Settings

from .recording_proxy import RecordingProxy

EVIL = 'a"} or vector(1) #'


@pytest.fixture
def proxy(prometheus_url):
    p = RecordingProxy(prometheus_url)
    yield p
    p.stop()


def _matcher_values(query):
    values = []

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            values.extend((m.name, m.value) for m in node.matchers.matchers)
    promql_parser.walk(promql_parser.parse(query), visit)
    return values


def _dash_update(client, output, inputs):
    return client.post("/_dash-update-component", json={"output": output, "outputs": inputs["outputs"],
                                                         "inputs": inputs["inputs"], "changedPropIds": []})


def test_hostile_namespace_is_an_escaped_literal(proxy):
    app = create_app(Settings(prometheus_url=proxy.url))
    client = app.server.test_client()
    # The page layout renders (it asks Prometheus for picker values with the hostile value escaped).
    from components.page_builders import dashboard_page
    with app.server.test_request_context():
        layout = dashboard_page("gitops", **{"var-namespace": EVIL, "var-cluster": ["prod-east", "x|y"]})
    assert "Something went wrong" not in str(layout)
    from webapp.catalog import DASHBOARDS
    from webapp.runner import run_panels
    from webapp.runtime import EXTENSION
    from webapp.viewstate import parse_view_state
    data = run_panels(app.server.extensions[EXTENSION].engine, list(DASHBOARDS["gitops"].panels),
                      parse_view_state({"var-namespace": EVIL}))
    assert all(d.state in ("ok", "empty") for d in data.values())
    queries = proxy.queries()
    assert queries
    touched = 0
    for query in queries:
        values = _matcher_values(query)  # every query Prometheus received parses...
        for name, value in values:
            if name in ("namespace", "dest_namespace") and "vector(1)" in value:
                assert value == EVIL  # ...and the hostile text is exactly one matcher's literal value
                touched += 1
        assert "or vector(1)" not in query.replace('\\"} or vector(1) #', "")
    assert touched > 10
    assert client.get("/gitops?var-namespace=" + EVIL.replace("#", "%23")).status_code == 200


def test_thanos_parameters_and_warnings(proxy):
    proxy.inject_warnings = ["partial response: store gateway 10.0.0.7 unavailable"]
    settings = Settings(prometheus_url=proxy.url, thanos_dedup=True, thanos_partial_response=True,
                        thanos_max_source_resolution="5m")
    app = create_app(settings)
    from webapp.catalog import DASHBOARDS
    from webapp.runner import run_panels
    from webapp.runtime import EXTENSION
    from webapp.viewstate import parse_view_state
    from components.panels import render_panel_body
    data = run_panels(app.server.extensions[EXTENSION].engine, list(DASHBOARDS["gitops"].panels)[:3],
                      parse_view_state({}))
    form = next(f for path, f in proxy.requests if path.startswith("/api/v1/query"))
    assert form["dedup"] == ["true"] and form["partial_response"] == ["true"]
    assert form["max_source_resolution"] == ["5m"]
    first = next(iter(data.values()))
    assert first.warnings == ("partial response: store gateway 10.0.0.7 unavailable",)
    children, state = render_panel_body(first, "")
    assert state == "ok" and "Partial data" in str(children)
