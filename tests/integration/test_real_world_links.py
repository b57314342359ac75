"""Links and label values from the real world, against the real demo Prometheus.

Windows that follow the step, names with slashes, Argo CD applications in any namespace, joins
over duplicated series, and Grafana time forms on a whole page.
"""
import dataclasses
import re

import pytest

from components.page_builders import dashboard_page, entity_page
from webapp.app import create_app
from webapp.catalog import DASHBOARDS
from webapp.runner import run_panels
from webapp.runtime import EXTENSION
from webapp.viewstate import parse_view_state


@pytest.fixture
def app(settings):
    return create_app(settings)


def engine(app):
    return app.server.extensions[EXTENSION].engine


def layout(app, build, /, *args, **params) -> str:
    with app.server.test_request_context():
        return str(build(*args, **params))


def panel(dashboard_id, panel_id):
    return next(p for p in DASHBOARDS[dashboard_id].panels if p.id == panel_id)


# ---------------------------------------------------------------- 6. windowed panels count everything
def _total(app, query):
    result = app.server.extensions[EXTENSION].client.query(query)
    return sum(s.last for s in result.series)


@pytest.mark.parametrize("dashboard_id,panel_id,extra", [
    ("gitops", "jenkins-build-results", {}),
    ("jenkins-job", "l2-jenkins-results", {"job": ("jenkins_job", ("etl-orders-build",))}),
])
def test_per_step_bars_add_up_to_the_range_at_a_three_hour_step(app, dashboard_id, panel_id, extra):
    # 8 points over 24 h: a 3-hour step, as 30 days give with the panel's 300 points.
    wide = dataclasses.replace(panel(dashboard_id, panel_id), max_points=8)
    view = parse_view_state({"from": "now-24h", "to": "now"}, defaults=("utc", 5, None))
    assert view.time_range.step_for(wide.max_points, wide.min_step) == 10800
    data = run_panels(engine(app), [wide], view, extra)[panel_id]
    assert data.state == "ok"
    bars = sum(float(v) for r in data.results for s in r.series for v in s.values if v == v)
    job = '{jenkins_job="etl-orders-build"}' if extra else ""
    start, end = view.time_range.aligned(10800)
    total = _total(app, f"sum(increase(default_jenkins_builds_total_build_count_total{job}[{int(end - start + 10800)}s]))")
    assert total > 5
    assert bars == pytest.approx(total, rel=0.15)
    # The old fixed one-hour window at the same step saw about a third of the builds.
    fixed = dataclasses.replace(wide, queries=tuple(dataclasses.replace(q, expr=q.expr.replace("$__interval", "1h"))
                                                    for q in wide.queries))
    old = run_panels(engine(app), [fixed], view, extra)[panel_id]
    seen = sum(float(v) for r in old.results for s in r.series for v in s.values if v == v)
    assert seen < 0.6 * total


# ---------------------------------------------------------------- 9. a Jenkins folder job
@pytest.mark.parametrize("typed", ["team-a/ingest-replay", "team-a%2Fingest-replay"])
def test_folder_job_page_from_a_typed_or_clicked_url(app, typed):
    text = layout(app, entity_page, "jenkins-job", "/gitops/jenkins/<job>", job=typed, **{"from": "now-24h"})
    assert "Jenkins job: team-a/ingest-replay" in text and "not a valid" not in text and "Not found" not in text
    data = run_panels(engine(app), list(DASHBOARDS["jenkins-job"].panels), parse_view_state({"from": "now-24h"}),
                      {"job": ("jenkins_job", ("team-a/ingest-replay",))})
    assert data["l2-jenkins-success"].state == "ok"


def test_folder_job_links_keep_the_folder(app):
    data = run_panels(engine(app), [panel("gitops", "jenkins-jobs")], parse_view_state({"from": "now-24h"}))
    from components.panels import render_panel_body
    text = str(render_panel_body(data["jenkins-jobs"], "from=now-24h")[0])
    assert "/gitops/jenkins/team-a%2Fingest-replay?from=now-24h" in text


# ---------------------------------------------------------------- 10. Argo CD applications in any namespace
def test_same_name_in_two_namespaces_is_two_rows(app):
    data = run_panels(engine(app), [panel("gitops", "argocd-apps")], parse_view_state({"from": "now-6h"}))
    from components.panels import table_rows
    _, rows = table_rows(data["argocd-apps"].panel, list(data["argocd-apps"].results))
    twins = sorted(r["labels"]["namespace"] for r in rows if r["labels"]["name"] == "data-ingest")
    assert twins == ["argocd", "team-a"]


def test_namespaced_and_old_application_urls(app):
    one = layout(app, entity_page, "argocd-app", "/gitops/argocd/<app_ns>/<app>",
                 app_ns="team-a", app="data-ingest")
    assert "Argo CD application: team-a / data-ingest" in one and "Not found" not in one
    choose = layout(app, entity_page, "argocd-app", "/gitops/argocd/<app>", app="data-ingest")
    assert "Which Argo CD application?" in choose and "Not found" not in choose
    assert "/gitops/argocd/argocd/data-ingest" in choose and "/gitops/argocd/team-a/data-ingest" in choose
    old = layout(app, entity_page, "argocd-app", "/gitops/argocd/<app>", app="trino-gateway")
    assert "Argo CD application: argocd / trino-gateway" in old  # unambiguous: the old form still works
    missing = layout(app, entity_page, "argocd-app", "/gitops/argocd/<app_ns>/<app>",
                     app_ns="team-a", app="trino-gateway")
    assert "Not found" in missing
    data = run_panels(engine(app), [panel("argocd-app", "l2-argocd-status")], parse_view_state({"from": "now-6h"}),
                      {"app_ns": ("namespace", ("team-a",)), "app": ("name", ("data-ingest",))})
    (series,) = data["l2-argocd-status"].results[0].series
    assert series.labels["namespace"] == "team-a" and series.labels["health_status"] == "Healthy"


def test_same_name_in_two_namespaces_is_two_pages(app):
    """Each row's own page: the title, and every panel's data, are that namespace's application."""
    from components.links import link_href
    from components.panels import table_rows
    data = run_panels(engine(app), [panel("gitops", "argocd-apps")], parse_view_state({"from": "now-6h"}))
    table = data["argocd-apps"]
    _, rows = table_rows(table.panel, list(table.results))
    hrefs = sorted(link_href(table.panel.link, r["labels"], "from=now-6h") for r in rows
                   if r["labels"]["name"] == "data-ingest")
    assert hrefs == ["/gitops/argocd/argocd/data-ingest?from=now-6h", "/gitops/argocd/team-a/data-ingest?from=now-6h"]
    projects = {}
    for ns in ("argocd", "team-a"):
        text = layout(app, entity_page, "argocd-app", "/gitops/argocd/<app_ns>/<app>", app_ns=ns, app="data-ingest")
        assert f"Argo CD application: {ns} / data-ingest" in text and "Not found" not in text
        status = run_panels(engine(app), [panel("argocd-app", "l2-argocd-status")], parse_view_state({"from": "now-6h"}),
                            {"app_ns": ("namespace", (ns,)), "app": ("name", ("data-ingest",))})["l2-argocd-status"]
        assert {s.labels["namespace"] for r in status.results for s in r.series} == {ns}
        projects[ns] = {s.labels["project"] for s in status.results[0].series}
    assert projects == {"argocd": {"data-platform"}, "team-a": {"team-a"}}


# ---------------------------------------------------------------- 11. joins over duplicated series
DUPLICATED = ("kube_pod_status_ready_time", "kube_pod_created", "kube_replicaset_created", "kube_replicaset_owner")


def duplicated(query: str) -> str:
    """Every selector of these metrics read twice, as two kube-state-metrics replicas (or Thanos
    without deduplication) deliver them: the same series, once per `replica`."""
    def twice(m):
        sel = m.group(0)
        return f'(label_replace({sel}, "replica", "a", "", "") or label_replace({sel}, "replica", "b", "", ""))'
    return re.sub(r"\b(?:%s)\b(\{[^}]*\})?" % "|".join(DUPLICATED), twice, query)


def _rendered(expr, view):
    from webapp.engine import plan_query
    return plan_query(expr, view, True).promql


@pytest.mark.parametrize("source,panel_id", [("gitops", "pod-startup-time"), ("gitops", "rollout-history"),
                                             ("namespace", "l2-ns-rollouts")])
def test_named_joins_survive_duplicated_series(app, source, panel_id):
    client = app.server.extensions[EXTENSION].client
    view = parse_view_state({"from": "now-24h"}, defaults=("utc", 5, None))
    extra = {"ns": ("namespace", ("airflow",))} if source == "namespace" else {}
    from webapp.engine import plan_query
    (query,) = panel(source, panel_id).queries
    promql = plan_query(query.expr, view, True, extra=extra).promql
    plain = client.query(promql)
    twice = client.query(duplicated(promql))
    assert not plain.empty
    assert sorted((tuple(sorted(s.labels.items())), s.last) for s in twice.series) == \
        sorted((tuple(sorted(s.labels.items())), s.last) for s in plain.series)


def test_the_pod_start_up_rule_survives_duplicated_series(app):
    from webapp.rules import all_rules
    client = app.server.extensions[EXTENSION].client
    (rule,) = [r for r in all_rules() if r.get("record") == "dataops:pod_startup:signal"]
    client.query(duplicated(str(rule["expr"])))  # raises PrometheusError on "many-to-many"


def test_the_old_join_fails_on_duplicated_series(app):
    from webapp.prometheus import PrometheusError
    client = app.server.extensions[EXTENSION].client
    old = ("max by (namespace, pod) (kube_pod_status_ready_time - on (cluster, namespace, pod, uid) "
           "kube_pod_created)")
    client.query(old)
    with pytest.raises(PrometheusError, match="many-to-many|duplicate series"):
        client.query(duplicated(old))


# ---------------------------------------------------------------- 1, 2, 5. Grafana times on a whole page
def test_epoch_seconds_on_the_e2e_page_come_with_a_note(app):
    text = layout(app, dashboard_page, "e2e", **{"from": "1700000000", "to": "1700003600"})
    assert "epoch seconds" in text and "showing the last 6 hours" not in text


def test_yesterday_and_an_unencoded_offset_on_a_page(app):
    assert "ends before it starts" not in layout(app, dashboard_page, "gitops", **{"from": "now-1d/d", "to": "now-1d/d"})
    text = layout(app, dashboard_page, "capacity", **{"from": "2024-03-10T08:00:00 01:00", "to": "2024-03-10T12:00:00 01:00"})
    assert "Ignored the time range" not in text


def test_a_query_parameter_named_like_a_layout_argument_stays_a_parameter(app):
    text = layout(app, entity_page, "jenkins-job", "/gitops/jenkins/<job>", job="etl-orders-build",
                  template="x", dashboard_id="y", **{"from": "now-24h"})
    assert "Jenkins job: etl-orders-build" in text and "unknown parameter 'template'" in text
