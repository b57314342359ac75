"""Alerts and SLOs against the real demo Prometheus, which loads deploy/prometheus/*.rules.yml."""
import math
import time

import pytest
import requests

from webapp.app import create_app
from webapp.alert_views import evaluate_slos
from webapp.catalog import TILES
from webapp.runner import evaluate_tiles
from webapp.runtime import EXTENSION
from webapp.viewstate import parse_view_state

from tests.dash_tree import walk as _walk


@pytest.fixture
def app(settings):
    return create_app(settings)


def _firing(client, timeout=90):
    """Firing alerts once the stories' 0m alerts are in (the first evaluations run 15 s apart)."""
    deadline = time.monotonic() + timeout
    while True:
        alerts = client.alerts()
        firing = [a for a in alerts if a.state == "firing"]
        names = {a.name for a in firing}
        if {"PodEvicted", "AirflowDagFailed"} <= names or time.monotonic() > deadline:
            return alerts, firing
        time.sleep(2)



def test_rules_are_loaded_and_healthy(prometheus_url):
    groups = requests.get(f"{prometheus_url}/api/v1/rules", timeout=10).json()["data"]["groups"]
    names = {g["name"] for g in groups}
    assert {"dataops-gitops-thresholds", "dataops-named-alerts", "dataops-slo-spark_success", "dataops-panels"} <= names
    bad = [(g["name"], r["name"], r.get("lastError")) for g in groups for r in g["rules"]
           if r.get("health") not in ("ok", "unknown")]
    assert bad == []


def test_p1_and_p2_alerts_fire_from_the_stories(app):
    runtime = app.server.extensions[EXTENSION]
    _alerts, firing = _firing(runtime.client)
    by_name = {a.name: a for a in firing}
    # evicted-pod story (prod-west data-ingest): P1; airflow-dag-failing (sales_mart_refresh): P2
    assert by_name["PodEvicted"].labels["priority"] == "P1"
    assert by_name["PodEvicted"].labels["severity"] == "critical"
    assert by_name["PodEvicted"].labels["namespace"] == "data-ingest"
    assert by_name["AirflowDagFailed"].labels["priority"] == "P2"
    assert by_name["AirflowDagFailed"].labels["dag_id"] == "sales_mart_refresh"


def test_alerts_page_shows_them_with_filters(app):
    from components.alert_tables import fill_alert_pages

    _firing(app.server.extensions[EXTENSION].client)
    with app.server.app_context():
        rows = [n for n in _walk_list(fill_alert_pages({"dashboard": "alerts", "params": {}}, None))
                if getattr(n, "className", "") and "alert-row" in n.className]
        attrs = [(getattr(r, "data-alert"), getattr(r, "data-severity"), getattr(r, "data-state")) for r in rows]
        assert ("PodEvicted", "critical", "firing") in attrs
        assert ("AirflowDagFailed", "high", "firing") in attrs
        high_only = fill_alert_pages({"dashboard": "alerts", "params": {},
                                      "filters": {"severity": ["high", "<bogus>"], "domain": ["workloads"]}}, None)
        rows = [n for n in _walk_list(high_only) if getattr(n, "className", "") and "alert-row" in n.className]
        assert rows and all(getattr(r, "data-severity") == "high" and getattr(r, "data-domain") == "workloads"
                            for r in rows)


def _walk_list(nodes):
    for node in nodes if isinstance(nodes, list) else [nodes]:
        yield from _walk(node)


def test_tiles_count_their_domains_firing_alerts(app):
    from components.layout import render_tile

    engine = app.server.extensions[EXTENSION].engine
    _firing(app.server.extensions[EXTENSION].client)
    deadline = time.monotonic() + 45
    while True:  # instant queries run at "now" rounded down to 15 s: right after start that can predate the alerts
        healths = {h.tile.domain: h for h in evaluate_tiles(engine, TILES, parse_view_state({}))}
        if (healths["gitops"].firing_alerts and healths["workloads"].firing_alerts) or time.monotonic() > deadline:
            break
        time.sleep(5)
    assert healths["gitops"].firing_alerts >= 1      # PodEvicted (P1)
    assert healths["workloads"].firing_alerts >= 1   # AirflowDagFailed (P2)
    assert all(h.firing_alerts is not None for h in healths.values())
    lines = [n for n in _walk(render_tile(healths["gitops"], "")) if getattr(n, "className", "") == "tile-alerts tile-alerts-firing"]
    assert lines and "firing" in lines[0].children


def test_slo_page_shows_the_six_slos_with_numbers(app):
    from components.alert_tables import render_slos

    engine = app.server.extensions[EXTENSION].engine
    statuses = evaluate_slos(engine, parse_view_state({"from": "now-6h"}))
    assert len(statuses) == 6
    for s in statuses:
        assert not math.isnan(s.error_ratio), s.slo.key
        assert all(not math.isnan(v) for v in s.burn_rates.values()), s.slo.key
        assert s.history is not None and not s.history.empty, s.slo.key
    lefts = [s.budget_left for s in statuses]
    assert lefts == sorted(lefts)  # least budget first
    by_key = {s.slo.key: s for s in statuses}
    # argocd-degraded-app story: trino-gateway's syncs fail every 10 minutes -> deployment budget burning
    assert by_key["deployment_success"].burn_rates["1h"] > 1
    rows = [n for n in _walk_list(render_slos(statuses)) if getattr(n, "className", "").startswith("slo-row")]
    assert len(rows) == 6
