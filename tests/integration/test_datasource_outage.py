"""With the data source down every panel shows an error state, /readyz stays ready (the app still serves
its pages) and /metrics says the source is down; then it recovers."""
from webapp.app import create_app
from webapp.catalog import DASHBOARDS, TILES
from webapp.runner import evaluate_tiles, run_panels
from webapp.runtime import EXTENSION
from webapp.settings import Settings
from webapp.sources import source_health
from webapp.viewstate import parse_view_state

from components.panels import render_panel_body
from .recording_proxy import RecordingProxy


def test_outage_and_recovery(prometheus_url):
    proxy = RecordingProxy(prometheus_url)
    try:
        app = create_app(Settings(prometheus_url=proxy.url, query_timeout_seconds=5))
        client = app.server.test_client()
        engine = app.server.extensions[EXTENSION].engine
        panels = list(DASHBOARDS["gitops"].panels)
        assert client.get("/readyz").status_code == 200
        view = parse_view_state({"from": "now-3h"})
        # What the page shows when all is well, from a separate app (so nothing is cached in ours).
        healthy_engine = create_app(Settings(prometheus_url=proxy.url)).server.extensions[EXTENSION].engine
        healthy = {pid: d.state for pid, d in run_panels(healthy_engine, panels, view).items()}
        assert set(healthy.values()) <= {"ok", "empty"} and list(healthy.values()).count("ok") > len(panels) // 2

        proxy.stop()
        data = run_panels(engine, panels, view)
        assert {d.state for d in data.values()} == {"error"}
        body, state = render_panel_body(next(iter(data.values())), "")
        assert state == "error" and "Data source unreachable" in str(body) and "Traceback" not in str(body)
        assert {h.status for h in evaluate_tiles(engine, TILES, view)} == {"unknown"}
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json == {"status": "ready", "sources": {"prometheus": False,
                                                                                         "alerts": False}}
        assert b'dataops_datasource_up{source="prometheus"} 0.0' in client.get("/metrics").data
        assert client.get("/healthz").status_code == 200
        assert client.get("/gitops").status_code == 200  # the page shell still renders

        proxy.start()  # same port: the next refresh recovers (errors are never cached)
        data = run_panels(engine, panels, view)
        assert {pid: d.state for pid, d in data.items()} == healthy
        assert client.get("/readyz").json["sources"] == {"prometheus": True, "alerts": True}
        assert b"dataops_query_errors_total" in client.get("/metrics").data
        # Health probes are reused for a few seconds; a fresh one sees the source back.
        health = {h.name: h for h in source_health(app.server.extensions[EXTENSION], max_age=0)}
        assert health["prometheus"].up and not health["spark_history"].configured
        assert b'dataops_datasource_up{source="prometheus"} 1.0' in client.get("/metrics").data
    finally:
        proxy.stop()
