"""Every page, every source, as a stranger and as scoped teams, against the demo.

Recording proxies stand in front of the demo's Prometheus and of its REST server (Spark History
Server and Airflow API, both behind credentials read from files): the tests check what each page
shows and what each source received.
"""
from __future__ import annotations

import json
import re

import promql_parser
import pytest
import requests

from components.alert_tables import fill_alert_pages
from components.page_builders import dashboard_page, entity_page, overview_page
from webapp.app import create_app
from webapp.catalog import DASHBOARDS, TILES, level1, level2
from webapp.demo.restapis import DemoCredentials, RestApiServer
from webapp.runner import evaluate_tiles, run_panels
from webapp.runtime import EXTENSION
from webapp.settings import Settings
from webapp.tenancy import CLUSTER_SCOPED_METRICS
from webapp.viewstate import parse_view_state

from .recording_proxy import RecordingProxy

SPARK_TEAM = "cn=spark-team,ou=groups,dc=corp"   # an LDAP DN: commas inside the group name
OTHER_TEAM = "cn=team-01,ou=groups,dc=corp"
TENANCY = f"""
header: X-Portal-Groups
header_format: json
cluster_scoped: visible
labels:
  namespace:
    - {{metrics: argocd_app_info, label: dest_namespace}}
  dag_id:
    - {{metrics: 'airflow_dagrun_.*|airflow_task_.*', label: dag_id}}
    - {{metrics: '.*', label: null}}
groups:
  "{SPARK_TEAM}":
    promql: ['namespace=~"spark-jobs|airflow"', 'dag_id="sales_mart_refresh"']
    airflow: ['tags="team:sales"']
  "{OTHER_TEAM}": ['namespace="team-01"']
  admins: []
"""
TEAM_NAMESPACES = {"spark-jobs", "airflow"}
VIEW = {"from": "now-6h"}


@pytest.fixture(scope="module")
def walk(demo_platform, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tenancy")
    (folder / "tenancy.yml").write_text(TENANCY)
    credentials = DemoCredentials.create(folder / "secrets")
    rest = RestApiServer(demo_platform.world, credentials=credentials)
    rest.start()
    prom_proxy = RecordingProxy(demo_platform.url)
    rest_proxy = RecordingProxy(rest.url)
    cluster = demo_platform.world.clusters[0]
    settings = Settings(prometheus_url=prom_proxy.url, query_timeout_seconds=15,
                        tenancy_file=str(folder / "tenancy.yml"),
                        spark_history_url=f"{rest_proxy.url}/spark-history",
                        airflow_api_url=f"{rest_proxy.url}/airflow/{cluster}",
                        source_credentials=tuple(credentials.for_app().items()))
    app = create_app(settings)
    yield app, prom_proxy, rest_proxy, demo_platform
    prom_proxy.stop()
    rest_proxy.stop()
    rest.stop()


def _headers(*groups):
    return {"X-Portal-Groups": json.dumps(list(groups))} if groups else {}


def _entities(prometheus_url: str) -> dict:
    """Real entities of the demo: the team's own and another team's."""
    def values(query, label):
        answer = requests.get(f"{prometheus_url}/api/v1/query", params={"query": query}, timeout=10).json()
        return sorted({r["metric"][label] for r in answer["data"]["result"]})
    def pairs(query):  # Argo CD applications by (namespace, name): names repeat across namespaces
        answer = requests.get(f"{prometheus_url}/api/v1/query", params={"query": query}, timeout=10).json()
        return sorted({(r["metric"]["namespace"], r["metric"]["name"]) for r in answer["data"]["result"]})
    apps = values("max by (name, dest_namespace) (argocd_app_info)", "name")
    own_apps = values('max by (name) (argocd_app_info{dest_namespace=~"spark-jobs|airflow"})', "name")
    own_pairs = pairs('max by (namespace, name) (argocd_app_info{dest_namespace=~"spark-jobs|airflow"})')
    other_pairs = [(ns, name) for ns, name in pairs("max by (namespace, name) (argocd_app_info)")
                   if name not in own_apps]
    return {
        "own_argocd_app": own_pairs[0], "other_argocd_app": other_pairs[0],
        "spark_app": values("group by (application_id) (metrics_executor_totalDuration_seconds_total)", "application_id")[0],
        "own_argocd": own_apps, "other_argocd": sorted(set(apps) - set(own_apps)),
        "node": values("group by (node) (kube_node_info)", "node")[0],
    }


def _pages(app, groups, entities):
    """Walk every page as these groups: what the layouts and every panel show."""
    engine = app.server.extensions[EXTENSION].engine
    view = parse_view_state(VIEW)
    shown: dict[str, object] = {}
    with app.server.test_request_context(headers=_headers(*groups)):
        shown["overview"] = str(overview_page(**VIEW))
        shown["tiles"] = evaluate_tiles(engine, TILES, view)
        for dashboard in level1():
            shown[dashboard.id] = str(dashboard_page(dashboard.id, **VIEW))
            shown[f"panels:{dashboard.id}"] = run_panels(engine, list(dashboard.panels), view)
        level2_values = {
            "spark-app": {"app_id": entities["spark_app"]},
            "airflow-dag": {"dag_id": "sales_mart_refresh"},
            "argocd-app": dict(zip(("app_ns", "app"), entities["own_argocd_app"])),
            "node": {"node": entities["node"]},
            "namespace": {"ns": "spark-jobs"},
        }
        for dashboard in level2():
            values = level2_values.get(dashboard.id)
            if values is None:
                continue
            shown[dashboard.id] = str(entity_page(dashboard.id, **values, **VIEW))
            extra = {name: (label, (values[name],)) for name, label in dashboard.path_variables}
            shown[f"panels:{dashboard.id}"] = run_panels(engine, list(dashboard.panels), view, extra)
        for other in (dict(zip(("app_ns", "app"), entities["other_argocd_app"])),):
            shown["argocd-other"] = str(entity_page("argocd-app", **other, **VIEW))
        shown["airflow-other"] = str(entity_page("airflow-dag", dag_id="orders_daily_load", **VIEW))
        extra = {"dag_id": ("dag_id", ("orders_daily_load",))}
        shown["panels:airflow-other"] = run_panels(engine, list(DASHBOARDS["airflow-dag"].panels), view, extra)
        shown["alerts"] = str(fill_alert_pages({"dashboard": "alerts", "params": {}}, 0))
        shown["slo"] = str(fill_alert_pages({"dashboard": "slo", "params": VIEW}, 0))
    return shown


def test_a_stranger_gets_nothing_from_any_source(walk):
    app, prom, rest, platform = walk
    entities = _entities(platform.url)
    before_prom, before_rest = len(prom.requests), len(rest.requests)
    shown = _pages(app, (), entities)
    assert len(prom.requests) == before_prom and len(rest.requests) == before_rest  # nothing was sent anywhere
    assert {h.status for h in shown["tiles"]} == {"unknown"}
    for key, data in shown.items():
        if key.startswith("panels:"):
            assert all(d.state != "ok" and d.empty for d in data.values()), key
    for dashboard in level2():
        if dashboard.id in shown:
            assert "data-page='not-found'" in shown[dashboard.id], dashboard.id
    assert "do not grant access" in shown["alerts"] and "data-alert" not in shown["alerts"]
    assert "data-budget-left=''" in shown["slo"] and not re.search(r"data-budget-left='[-0-9]", shown["slo"])
    # The same with a header that names no known group, and with an unreadable one.
    for header in ({"X-Portal-Groups": '["strangers"]'}, {"X-Portal-Groups": "not json ["}):
        with app.server.test_request_context(headers=header):
            engine = app.server.extensions[EXTENSION].engine
            data = run_panels(engine, list(DASHBOARDS["gitops"].panels), parse_view_state(VIEW))
        assert {d.state for d in data.values()} == {"error"}
    assert len(prom.requests) == before_prom and len(rest.requests) == before_rest


def _selectors(query: str):
    found = []
    promql_parser.walk(promql_parser.parse(query), lambda n: found.append(n)
                       if isinstance(n, promql_parser.VectorSelector) else None)
    return found


def _assert_scoped(query: str) -> None:
    """Every selector of a query the team sent carries the team's matchers, as placed per metric."""
    cluster_scoped = re.compile(CLUSTER_SCOPED_METRICS)
    for sel in _selectors(query):
        name = sel.name or ""
        matchers = {(m.name, m.value) for m in sel.matchers.matchers}
        label = "dest_namespace" if name == "argocd_app_info" else "namespace"
        if not cluster_scoped.fullmatch(name):
            assert (label, "spark-jobs|airflow") in matchers, query
        if re.fullmatch("airflow_dagrun_.*|airflow_task_.*", name):
            assert ("dag_id", "sales_mart_refresh") in matchers, query


def test_a_scoped_team_sees_its_own_and_nothing_of_other_teams(walk):
    app, prom, rest, platform = walk
    entities = _entities(platform.url)
    assert entities["own_argocd"] and entities["other_argocd"]
    before_prom, before_rest = len(prom.requests), len(rest.requests)
    shown = _pages(app, (SPARK_TEAM, "not-a-group"), entities)
    sent = [form["query"][0] for _, form in prom.requests[before_prom:] if "query" in form]
    sent += [m for _, form in prom.requests[before_prom:] for m in form.get("match[]", [])]
    assert sent
    for query in sent:
        _assert_scoped(query)

    # Argo CD: the team's applications (by destination namespace), none of the others.
    argocd = shown["panels:gitops"]["argocd-apps"] if "argocd-apps" in shown["panels:gitops"] else next(
        d for pid, d in shown["panels:gitops"].items() if pid.startswith("argocd") and d.state == "ok"
        and any("dest_namespace" in s.labels for r in d.results if r for s in r.series))
    names = {s.labels.get("name") for r in argocd.results if r for s in r.series}
    assert names and names <= set(entities["own_argocd"])
    assert "not-found" not in shown["argocd-app"] and "not-found" in shown["argocd-other"]

    # Spark: the application page is found and the History Server's panels have rows.
    assert "not-found" not in shown["spark-app"]
    spark_rest = [d for d in shown["panels:spark-app"].values() if d.panel.source == "spark_history"]
    assert spark_rest and all(d.state == "ok" for d in spark_rest)

    # Airflow: its own DAG (tag team:sales) in full, another team's DAG not found and not fetched.
    assert "not-found" not in shown["airflow-dag"] and "not-found" in shown["airflow-other"]
    own_rest = [d for d in shown["panels:airflow-dag"].values() if d.panel.source == "airflow"]
    assert own_rest and all(d.state == "ok" for d in own_rest)
    other_rest = [d for d in shown["panels:airflow-other"].values() if d.panel.source == "airflow"]
    assert all(d.empty and d.state != "ok" for d in other_rest)
    dags = {s.labels.get("dag_id") for d in shown["panels:workloads"].values() if d.panel.source == "prometheus"
            for r in d.results if r for s in r.series if "dag_id" in s.labels}
    assert dags == {"sales_mart_refresh"}

    # Cluster-scoped series are visible by setting: the node page exists for the team.
    assert "not-found" not in shown["node"]

    # What the REST sources received: credentials on every call, nothing of other teams' DAGs.
    rest_calls = rest.auth_schemes[before_rest:]
    assert rest_calls and all(scheme == "Bearer" for path, scheme in rest_calls if not path.endswith("/auth/token"))
    assert not [p for p, _ in rest_calls if "orders_daily_load/" in p]
    assert [p for p, _ in rest_calls if "/spark-history/api/v1/applications/" in p]


def test_another_team_sees_none_of_the_spark_team(walk):
    app, prom, rest, platform = walk
    entities = _entities(platform.url)
    shown = _pages(app, (OTHER_TEAM,), entities)
    for page in ("spark-app", "airflow-dag", "argocd-app"):
        assert "not-found" in shown[page], page
    for data in shown["panels:workloads"].values():
        for r in getattr(data, "results", ()):
            for s in (r.series if r else ()):
                assert s.labels.get("namespace") in (None, "team-01")
                assert "application_id" not in s.labels and "dag_id" not in s.labels


def _route(client, headers, pathname: str, search: str) -> str:
    """The page Dash's own routing callback renders for a URL (as the browser asks for it)."""
    payload = {"output": ".._pages_content.children..._pages_store.data..",
               "outputs": [{"id": "_pages_content", "property": "children"},
                           {"id": "_pages_store", "property": "data"}],
               "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                          {"id": "_pages_location", "property": "search", "value": search}],
               "changedPropIds": ["_pages_location.pathname"], "state": []}
    answer = client.post("/_dash-update-component", json=payload, headers=headers)
    assert answer.status_code == 200
    return json.dumps(answer.json)


def test_the_path_wins_over_a_query_parameter_of_the_same_name(walk):
    app, _, _, _ = walk
    client = app.server.test_client()
    client.get("/", headers=_headers("admins"))  # Dash registers its routing callback on the first request
    shown = _route(client, _headers("admins"), "/workloads/airflow/sales_mart_refresh", "?dag_id=orders_daily_load")
    assert "Airflow DAG: sales_mart_refresh" in shown and "Airflow DAG: orders_daily_load" not in shown
    assert "Ignored unknown parameter 'dag_id'" in shown
    # The team cannot reach another team's DAG through a query parameter either.
    shown = _route(client, _headers(SPARK_TEAM), "/workloads/airflow/orders_daily_load", "?dag_id=sales_mart_refresh")
    assert "not-found" in shown and "sales_mart_refresh" not in shown


def test_every_response_carries_the_security_headers(walk):
    app, _, _, _ = walk
    client = app.server.test_client()
    for path in ("/", "/gitops", "/no/such/page", "/healthz", "/readyz", "/metrics", "/_dash-layout"):
        response = client.get(path, headers=_headers("admins"))
        csp = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'self'" in csp and "default-src 'self'" in csp, path
        assert response.headers.get("X-Content-Type-Options") == "nosniff", path
        assert response.headers.get("Referrer-Policy") == "same-origin", path
    metrics = client.get("/metrics").data.decode()
    for source in ("prometheus", "alerts", "spark_history", "airflow"):
        assert f'dataops_datasource_up{{source="{source}"}} 1.0' in metrics, source
