"""GitOps page against the real Prometheus with the demo platform's data."""
import pytest

from webapp.app import create_app
from webapp.catalog import DASHBOARDS
from webapp.runner import run_panels
from webapp.runtime import EXTENSION
from webapp.viewstate import parse_view_state

GITOPS = DASHBOARDS["gitops"]


def run(settings, **params):
    app = create_app(settings)
    engine = app.server.extensions[EXTENSION].engine
    return run_panels(engine, list(GITOPS.panels), parse_view_state(params))


@pytest.mark.parametrize("window", ["now-6h", "now-24h"])
def test_every_panel_has_data_for_the_default_view(settings, window):
    data = run(settings, **{"from": window, "to": "now"})
    states = {pid: d.state for pid, d in data.items()}
    assert states == {pid: "ok" for pid in states}, {p: s for p, s in states.items() if s != "ok"}


def test_stories_are_visible(settings):
    data = run(settings, **{"from": "now-24h", "to": "now"})
    jobs = {s.labels["jenkins_job"]: s.last for s in data["jenkins-jobs"].results[0].series}
    assert jobs["etl-orders-build"] < 0.95
    reasons = {s.labels["reason"] for s in data["pod-problems"].results[0].series}
    assert {"CrashLoopBackOff", "ImagePullBackOff"} & reasons and "CrashLoopBackOff" in reasons
    apps = {(s.labels["name"], s.labels["sync_status"], s.labels["health_status"])
            for s in data["argocd-apps"].results[0].series}
    assert ("trino-gateway", "OutOfSync", "Degraded") in apps
    assert data["pods-evicted"].results[0].series[0].last >= 1
    # the crash-looping pod's Service has a not-ready address (kube-state-metrics EndpointSlices)
    not_ready = {(s.labels["namespace"], s.labels["endpoint"]) for s in data["endpoint-health"].results[0].series}
    assert ("airflow", "airflow-worker") in not_ready


def test_namespace_filter_changes_the_panels_it_touches(settings):
    everything = run(settings, **{"from": "now-6h"})
    one = run(settings, **{"from": "now-6h", "var-namespace": "ml-serving"})
    namespaces = {s.labels["namespace"] for s in one["pod-status-by-namespace"].results[0].series}
    assert namespaces == {"ml-serving"}
    assert len(everything["pod-status-by-namespace"].results[0].series) > len(
        one["pod-status-by-namespace"].results[0].series)
    # Jenkins has no namespace: the filter leaves it alone.
    assert everything["jenkins-success-rate"].results[0].series[0].last == \
        one["jenkins-success-rate"].results[0].series[0].last


def test_a_namespace_that_matches_nothing_gives_empty_not_error(settings):
    data = run(settings, **{"from": "now-6h", "var-namespace": "no-such-namespace"})
    assert data["pod-status-by-namespace"].state == "empty"
    assert data["pod-phase-trend"].state == "empty"
    assert all(d.state != "error" for d in data.values())
