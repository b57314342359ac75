"""Tenancy against the real Prometheus: a scoped group sees only its namespaces, a stranger nothing."""
import pytest

from webapp.app import create_app
from webapp.catalog import DASHBOARDS
from webapp.runner import run_panels
from webapp.runtime import EXTENSION
from webapp.settings import Settings
from webapp.viewstate import parse_view_state

from .recording_proxy import RecordingProxy


@pytest.fixture
def scoped_app(prometheus_url, tmp_path):
    proxy = RecordingProxy(prometheus_url)
    tenancy = tmp_path / "tenancy.yml"
    tenancy.write_text("header: X-Portal-Groups\ngroups:\n"
                       "  airflow-team: ['namespace=\"airflow\"']\n  admins: []\n")
    app = create_app(Settings(prometheus_url=proxy.url, tenancy_file=str(tenancy)))
    yield app, proxy
    proxy.stop()


def _run(app, groups, panel_ids):
    engine = app.server.extensions[EXTENSION].engine
    panels = [p for p in DASHBOARDS["gitops"].panels if p.id in panel_ids]
    with app.server.test_request_context(headers={"X-Portal-Groups": groups} if groups else {}):
        return run_panels(engine, panels, parse_view_state({"from": "now-6h"}))


def test_scoped_group_sees_only_its_namespace(scoped_app):
    app, proxy = scoped_app
    data = _run(app, "airflow-team", {"pod-status-by-namespace", "jenkins-success-rate"})
    namespaces = {s.labels["namespace"] for s in data["pod-status-by-namespace"].results[0].series}
    assert namespaces == {"airflow"}
    # Jenkins series have no namespace label: a namespace-scoped group does not see them.
    assert data["jenkins-success-rate"].state == "empty"
    assert all('namespace="airflow"' in q for q in proxy.queries())


def test_admins_see_everything_and_strangers_nothing(scoped_app):
    app, proxy = scoped_app
    admins = _run(app, "admins", {"pod-status-by-namespace"})
    assert len({s.labels["namespace"] for s in admins["pod-status-by-namespace"].results[0].series}) > 3
    sent = len(proxy.queries())
    stranger = _run(app, "", {"pod-status-by-namespace"})
    assert stranger["pod-status-by-namespace"].state == "error"
    assert "do not grant access" in stranger["pod-status-by-namespace"].error
    assert len(proxy.queries()) == sent  # nothing was sent for the stranger
