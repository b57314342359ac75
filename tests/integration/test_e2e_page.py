"""End-to-End Analytics page against the real Prometheus with the demo platform's data."""
import math
import time

import requests

from components.panels import flow_rows
from webapp.app import create_app
from webapp.catalog import DASHBOARDS, TILES
from webapp.runner import evaluate_tiles, run_panels
from webapp.runtime import EXTENSION
from webapp.viewstate import parse_view_state

E2E = DASHBOARDS["e2e"]
PANELS = {p.id: p for p in E2E.panels}


def engine(settings):
    return create_app(settings).server.extensions[EXTENSION].engine


def run(settings, **params):
    return run_panels(engine(settings), list(E2E.panels), parse_view_state(params))


def since_anchor(demo_platform, extra_hours: float) -> str:
    """A `from` covering the stories placed relative to the anchor, even on a reused data folder."""
    hours = math.ceil((time.time() - demo_platform.world.anchor) / 3600 + extra_hours)
    return f"now-{hours}h"


def values(data, panel_id, label):
    return {s.labels.get(label, ""): s.last for s in data[panel_id].results[0].series}


def test_every_panel_has_data_for_the_default_view(settings):
    data = run(settings, **{"from": "now-6h", "to": "now"})
    states = {pid: d.state for pid, d in data.items()}
    assert states == {pid: "ok" for pid in states}, {p: s for p, s in states.items() if s != "ok"}


def test_flow_panel_shows_the_iceberg_bottleneck_and_the_sla_breaches(settings):
    data = run(settings, **{"from": "now-6h"})
    rows, bottleneck = flow_rows(PANELS["e2e-pipeline-map"], data["e2e-pipeline-map"].results)
    assert [n for n, _ in rows[0]] == ["portal", "git", "jenkins", "argocd", "kubernetes"]
    assert [n for n, _ in rows[1]] == ["application", "iceberg", "storage"]
    assert bottleneck == "iceberg"
    assert data["e2e-sla-compliance"].results[0].series[0].last < 1.0
    assert data["e2e-sla-breaches"].results[0].series[0].last >= 1
    assert data["e2e-run-time-p95"].results[0].series[0].last > 3600
    latency = values(data, "e2e-segment-latency", "stage")
    assert max(latency, key=latency.get) == "iceberg"


def test_data_quality_story(settings, demo_platform):
    data = run(settings, **{"from": since_anchor(demo_platform, 6)})
    assert data["e2e-quality-score"].results[0].series[0].last < 0.95
    by_dataset = values(data, "e2e-quality-by-dataset", "dataset")
    assert by_dataset["sales.orders"] < 0.95 and by_dataset["web.clickstream"] > by_dataset["sales.orders"]
    assert values(data, "e2e-schema-changes-by-dataset", "dataset")["sales.orders"] >= 1
    nulls = {(s.labels["dataset"], s.labels["column"]): s.last for s in data["e2e-unexpected-ratio"].results[0].series}
    assert nulls[("sales.orders", "customer_id")] > 0.3


def test_platform_outage_lowers_availability_but_the_page_still_shows_it(settings):
    data = run(settings, **{"from": "now-6h"})
    assert 0.9 < data["e2e-availability-30d"].results[0].series[0].last < 1.0
    rows = {(s.labels["cluster"], s.labels["instance"]): s.last
            for s in data["e2e-critical-services"].results[1].series}
    assert rows[("prod-east", "hive-metastore.hive-metastore.svc:9083")] < 1.0
    assert rows[("prod-west", "hive-metastore.hive-metastore.svc:9083")] == 1.0


def test_e2e_tile_warns_from_the_stories(settings):
    health = {h.tile.domain: h for h in evaluate_tiles(engine(settings), TILES, parse_view_state({"from": "now-6h"}))}
    e2e = health["e2e"]
    assert e2e.status == "warning"   # P2 and P3 stories; only P1 turns a tile red
    kinds = {p.threshold_key for p in e2e.problems}
    assert {"pipeline_duration", "data_quality"} <= kinds
    assert 0 < e2e.figure < 1


def test_cluster_filter_changes_the_panels_it_touches(settings):
    everything = run(settings, **{"from": "now-6h"})
    west = run(settings, **{"from": "now-6h", "var-cluster": "prod-west"})
    clusters = {s.labels["cluster"] for s in west["e2e-critical-services"].results[0].series}
    assert clusters == {"prod-west"}
    assert everything["e2e-utilisation"].results[0].series[0].last != west["e2e-utilisation"].results[0].series[0].last
    # platform-wide pipeline series ignore the cluster filter
    assert everything["e2e-sla-compliance"].results[0].series[0].last == \
        west["e2e-sla-compliance"].results[0].series[0].last


def test_pipeline_counters_never_reset(prometheus_url):
    r = requests.get(prometheus_url + "/api/v1/query", params={
        "query": 'sum(resets(pipeline_runs_total[1d])) + sum(resets(pipeline_duration_seconds_count[1d])) '
                 '+ sum(resets(dq_checks_total[1d])) + sum(resets(http_requests_total{job="portal"}[1d]))'},
        timeout=10).json()
    assert r["status"] == "success" and float(r["data"]["result"][0]["value"][1]) == 0
