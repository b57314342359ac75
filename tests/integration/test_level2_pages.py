"""Level 2 pages against the real Prometheus: data for real entities, 'not found' for others."""
import pytest

from components.page_builders import entity_page
from webapp.app import create_app
from webapp.catalog import DASHBOARDS
from webapp.runner import run_panels
from webapp.runtime import EXTENSION
from webapp.viewstate import parse_view_state

from .recording_proxy import RecordingProxy

ENTITIES = {
    "jenkins-job": "etl-orders-build",
    "argocd-app": {"app_ns": "argocd", "app": "trino-gateway"},  # applications in any namespace
    "namespace": "airflow",
    "node": "prod-east-node-01",
    "pvc": "export-minio-0",
    "oracle-tablespace": "HMS_DATA",
    "iceberg-table": "clickstream_events",
    "s3-bucket": "lakehouse",
    "airflow-dag": "sales_mart_refresh",
}


@pytest.mark.parametrize("dashboard_id,value", ENTITIES.items())
def test_entity_pages_have_data(settings, dashboard_id, value):
    app = create_app(settings)
    dashboard = DASHBOARDS[dashboard_id]
    values = value if isinstance(value, dict) else {name: value for name, _ in dashboard.path_variables}
    extra = {name: (label, (values[name],)) for name, label in dashboard.path_variables}
    data = run_panels(app.server.extensions[EXTENSION].engine, list(dashboard.panels),
                      parse_view_state({"from": "now-6h"}), extra)
    assert all(d.state != "error" for d in data.values())
    promql = [d for d in data.values() if d.panel.source == "prometheus"]
    assert sum(d.state == "ok" for d in promql) >= len(promql) - 1
    # Without a History Server or Airflow API configured, their panels say so plainly.
    for d in data.values():
        if d.panel.source != "prometheus":
            assert d.state == "empty" and "not configured" in d.notice


def test_a_nodes_shares_are_fractions(settings):
    """CPU busy and memory used of one node stay within 0-1, however many `cpu` series node-exporter reports."""
    import numpy as np
    app = create_app(settings)
    dashboard = DASHBOARDS["node"]
    shares = [p for p in dashboard.panels if p.kind == "timeseries" and p.unit == "percentunit"]
    extra = {name: (label, (ENTITIES["node"],)) for name, label in dashboard.path_variables}
    data = run_panels(app.server.extensions[EXTENSION].engine, shares, parse_view_state({"from": "now-6h"}), extra)
    assert {p.id for p in shares} >= {"l2-node-cpu", "l2-node-memory"}
    for d in data.values():
        values = np.concatenate([s.values for r in d.results if r for s in r.series])
        values = values[np.isfinite(values)]
        assert values.size and ((values >= 0) & (values <= 1)).all(), (d.panel.id, values.min(), values.max())


def test_rest_panels_with_the_demo_sources(settings, demo_platform):
    import dataclasses
    app = create_app(dataclasses.replace(settings, spark_history_url=demo_platform.spark_history_url,
                                         airflow_api_url=demo_platform.airflow_api_url))
    runtime = app.server.extensions[EXTENSION]
    for dashboard_id, value in (("airflow-dag", "sales_mart_refresh"), ("spark-app", None)):
        dashboard = DASHBOARDS[dashboard_id]
        if value is None:  # any application Prometheus knows
            result = runtime.client.query("group by (application_id) (metrics_executor_memoryUsed_bytes)")
            value = result.series[0].labels["application_id"]
        extra = {name: (label, (value,)) for name, label in dashboard.path_variables}
        rest = [p for p in dashboard.panels if p.source != "prometheus"]
        data = run_panels(runtime.engine, rest, parse_view_state({"from": "now-6h"}), extra)
        assert {pid: d.state for pid, d in data.items()} == {p.id: "ok" for p in rest}


def _layout_text(app, dashboard_id, **params):
    with app.server.test_request_context():
        return str(entity_page(dashboard_id, **params))


def test_existing_entity_renders_its_page_with_breadcrumbs(settings):
    app = create_app(settings)
    text = _layout_text(app, "jenkins-job", job="etl-orders-build", **{"from": "now-24h"})
    assert "Jenkins job: etl-orders-build" in text and "breadcrumbs" in text and "Not found" not in text


@pytest.mark.parametrize("value", ["no-such-job", 'x"} or vector(1) #', "%22%7D"])
def test_unknown_or_hostile_entity_is_not_found_and_escaped(prometheus_url, value):
    proxy = RecordingProxy(prometheus_url)
    try:
        from webapp.settings import Settings
        app = create_app(Settings(prometheus_url=proxy.url))
        text = _layout_text(app, "jenkins-job", job=value)
        assert "Not found" in text and "Traceback" not in text
        (query,) = [q for q in proxy.queries() if "jenkins_job" in q]
        import promql_parser
        found = []
        promql_parser.walk(promql_parser.parse(query), lambda n: found.extend(
            m.value for m in n.matchers.matchers) if isinstance(n, promql_parser.VectorSelector) else None)
        from urllib.parse import unquote
        assert found == [unquote(value)]
    finally:
        proxy.stop()


def test_invalid_path_value_is_rejected_before_any_query(settings):
    app = create_app(settings)
    assert "not a valid" in _layout_text(app, "node", node="bad%0Avalue")


def test_a_nodes_requests_table_compares_resources_by_their_share(settings):
    """Rows are in different units (cores, bytes): the share column is what compares them."""
    app = create_app(settings)
    dashboard = DASHBOARDS["node"]
    panel = next(p for p in dashboard.panels if p.id == "l2-node-requests")
    extra = {name: (label, (ENTITIES["node"],)) for name, label in dashboard.path_variables}
    data = run_panels(app.server.extensions[EXTENSION].engine, [panel], parse_view_state({"from": "now-1h"}), extra)
    requested, allocatable, share = ({s.labels["resource"]: s.last for s in r.series} for r in data[panel.id].results)
    assert {"cpu", "memory"} <= set(share)
    for resource, value in share.items():
        assert abs(value - requested[resource] / allocatable[resource]) < 1e-9 and 0 < value < 1.5, (resource, value)
