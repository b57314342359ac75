"""Annotations against the real demo Prometheus: deployments (Argo CD syncs, Jenkins builds) from the
backfilled history and alert state changes from the rules Prometheus evaluates, drawn on the panels
that ask for them, narrowed to the entity on a Level 2 page."""
import time

import requests

from components.panels import render_panel_body
from webapp.annotations import events
from webapp.app import create_app
from webapp.catalog import DASHBOARDS
from webapp.runner import run_panels
from webapp.runtime import EXTENSION
from webapp.viewstate import parse_view_state


def _engine(settings):
    return create_app(settings).server.extensions[EXTENSION].engine


def _panel(dashboard, panel_id):
    return next(p for p in DASHBOARDS[dashboard].panels if p.id == panel_id)


def _traces(data):
    children, state = render_panel_body(data, "")
    assert state == "ok"
    graph = next(c for c in children if getattr(c, "figure", None) is not None)
    return {t["name"].split(" (")[0]: t for t in graph.figure["data"] if t.get("yaxis") == "y2"}


def test_deployments_from_the_demo_history_on_a_gitops_panel(settings):
    data = run_panels(_engine(settings), [_panel("gitops", "jenkins-build-results")],
                      parse_view_state({"from": "now-24h"}))["jenkins-build-results"]
    found = [e for item in data.annotations for e in events(item)]
    texts = {e.text.split(":")[0].split(" ×")[0] for e in found}
    assert "Argo CD sync" in texts and "Jenkins build" not in texts   # builds only on a job's own page
    marks = _traces(data)
    assert "Deployments" in marks and len(marks["Deployments"]["x"]) == 3 * sum(e.set == "deployments" for e in found)


def test_a_jenkins_job_page_marks_only_that_jobs_builds(settings):
    panel = DASHBOARDS["jenkins-job"].panels[-1]
    data = run_panels(_engine(settings), [panel], parse_view_state({"from": "now-24h"}),
                      {"job": ("jenkins_job", ("etl-orders-build",))})[panel.id]
    builds = [e for item in data.annotations if item.annotation.id == "jenkins-builds" for e in events(item)]
    assert builds and all(e.text.endswith(": etl-orders-build") for e in builds)
    assert not [item for item in data.annotations if item.annotation.id == "argocd-syncs"]


def test_alert_state_changes_appear_once_prometheus_evaluates_the_rules(settings, prometheus_url):
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:   # the first rule evaluations after the demo starts
        answer = requests.get(f"{prometheus_url}/api/v1/query", params={"query": "count(ALERTS)"}, timeout=5).json()
        if answer["data"]["result"]:
            break
        time.sleep(3)
    panel = _panel("gitops", "pod-phase-trend")
    data = run_panels(_engine(settings), [panel], parse_view_state({"from": "now-15m"}))[panel.id]
    alerts = [e for item in data.annotations if item.set == "alerts" for e in events(item)]
    assert alerts and all(e.text.startswith(("Alert pending: ", "Alert firing: ", "Alert resolved: ")) for e in alerts)
    assert "Alerts" in _traces(data)
