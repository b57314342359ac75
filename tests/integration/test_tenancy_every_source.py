"""Every page, every source, as a stranger and as scoped teams, against the demo.

Recording proxies stand in front of the demo's Prometheus, of its REST server (Spark History Server
and Airflow API, both behind credentials read from files) and of a real Alertmanager (behind a
token file): the tests check what each page shows and what each source received. Every Level 2 kind
is walked with an entity of the team's and one of another team's.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import subprocess
import time
from urllib.parse import quote

import dash
import promql_parser
import pytest
import requests

from components.alert_tables import fill_alert_pages
from components.page_builders import dashboard_page, entity_page, overview_page
from tests import dash_tree
from tests.conftest import free_port
from tests.servers import panel_request
from webapp.app import create_app
from webapp.catalog import DASHBOARDS, TILES, level1, level2
from webapp.demo.restapis import DemoCredentials, RestApiServer
from webapp.engine import plan_query
from webapp.runner import evaluate_tiles, run_panels
from webapp.runtime import EXTENSION
from webapp.settings import Settings
from webapp.sources.transport import Credentials
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
TEAM_NAMESPACES = {SPARK_TEAM: {"spark-jobs", "airflow"}, OTHER_TEAM: {"team-01"}}
VIEW = {"from": "now-6h"}
# The Airflow pages are judged by the DAG's tags (team:sales) as well: their entities are named here.
AIRFLOW_DAGS = {SPARK_TEAM: ("sales_mart_refresh", "orders_daily_load"), OTHER_TEAM: (None, "sales_mart_refresh")}
SILENCED = "TenancyWalkSilence"


@dataclasses.dataclass
class Walk:
    app: object
    prom: RecordingProxy          # in front of the demo's Prometheus (no credentials)
    rest: RecordingProxy          # in front of the Spark History Server and Airflow API (credentials)
    alertmanager: RecordingProxy  # in front of a real Alertmanager (a token)
    platform: object
    rest_url: str                 # the REST server itself, behind no proxy

    def received(self) -> tuple[int, int, int]:
        return len(self.prom.requests), len(self.rest.requests), len(self.alertmanager.requests)


class Alertmanager:
    """A real Alertmanager (Debian `prometheus-alertmanager`, installed by `make test`) on loopback,
    holding one active silence."""

    def __init__(self, folder):
        folder.mkdir()
        (folder / "alertmanager.yml").write_text("route: {receiver: nobody}\nreceivers: [{name: nobody}]\n")
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = open(folder / "alertmanager.log", "w")
        self.proc = subprocess.Popen(
            ["prometheus-alertmanager", f"--config.file={folder / 'alertmanager.yml'}",
             f"--storage.path={folder / 'data'}", f"--web.listen-address={self.url[len('http://'):]}",
             "--cluster.listen-address="], stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.url}/-/ready", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert self.proc.poll() is None and time.monotonic() < deadline, (folder / "alertmanager.log").read_text()
            time.sleep(0.2)
        now = dt.datetime.now(dt.timezone.utc)
        answer = requests.post(f"{self.url}/api/v2/silences", timeout=10, json={
            "matchers": [{"name": "alertname", "value": SILENCED, "isRegex": False, "isEqual": True}],
            "startsAt": now.isoformat(), "endsAt": (now + dt.timedelta(hours=2)).isoformat(),
            "createdBy": "tenancy walk", "comment": "a silence only unscoped groups may see"})
        assert answer.status_code == 200, answer.text

    def stop(self):
        os.killpg(self.proc.pid, 15)
        self.proc.wait(timeout=20)
        self.log.close()


@pytest.fixture(scope="module")
def walk(demo_platform, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tenancy")
    (folder / "tenancy.yml").write_text(TENANCY)
    credentials = DemoCredentials.create(folder / "secrets")
    (folder / "secrets" / "alertmanager-token").write_text("am-t0ken\n")
    rest = RestApiServer(demo_platform.world, credentials=credentials)
    rest.start()
    alertmanager = Alertmanager(folder / "alertmanager")
    prom_proxy = RecordingProxy(demo_platform.url)
    rest_proxy = RecordingProxy(rest.url)
    am_proxy = RecordingProxy(alertmanager.url)
    cluster = demo_platform.world.clusters[0]
    settings = Settings(prometheus_url=prom_proxy.url, query_timeout_seconds=15,
                        tenancy_file=str(folder / "tenancy.yml"),
                        spark_history_url=f"{rest_proxy.url}/spark-history",
                        airflow_api_url=f"{rest_proxy.url}/airflow/{cluster}",
                        alertmanager_url=am_proxy.url,
                        source_credentials=tuple({**credentials.for_app(), "alertmanager": Credentials(
                            token_file=str(folder / "secrets" / "alertmanager-token"))}.items()))
    yield Walk(create_app(settings), prom_proxy, rest_proxy, am_proxy, demo_platform, rest.url)
    for proxy in (prom_proxy, rest_proxy, am_proxy):
        proxy.stop()
    rest.stop()
    alertmanager.stop()


def _headers(*groups):
    return {"X-Portal-Groups": json.dumps(list(groups))} if groups else {}


def _prometheus(url: str, query: str) -> list[dict]:
    answer = requests.get(f"{url}/api/v1/query", params={"query": query}, timeout=30).json()
    assert answer["status"] == "success", answer
    return [r["metric"] for r in answer["data"]["result"]]


def _level2_entities(walk: Walk, team: str) -> dict[str, dict[str, dict[str, str]]]:
    """Per Level 2 kind, path values of an entity of `team`'s ("own") and of one it must not see
    ("other"), read from the demo itself (not through the app): an entity is the team's when one of
    its series carries one of the team's namespaces (Argo CD: `dest_namespace`) or its metric is
    cluster-scoped (visible by this tenancy file). Airflow's are judged by the DAG's tags too."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    view = parse_view_state(VIEW)
    cluster_scoped = re.compile(CLUSTER_SCOPED_METRICS)
    for dashboard in level2():
        if dashboard.id.startswith("airflow-"):
            continue
        plan = plan_query(dashboard.exists_query, view, True,
                          extra={name: (label, ()) for name, label in dashboard.path_variables})
        metric = next(sel.name for sel in _selectors(plan.promql) if sel.name)
        scoping = "dest_namespace" if metric == "argocd_app_info" else "namespace"
        labels = [label for _, label in dashboard.path_variables]
        namespaces: dict[tuple, set] = {}
        for series in _prometheus(walk.platform.url, f"group by ({', '.join(labels + [scoping])}) "
                                                     f"(last_over_time({metric}[6h]))"):
            namespaces.setdefault(tuple(series.get(label, "") for label in labels), set()).add(series.get(scoping, ""))
        assert namespaces, dashboard.id
        own = sorted(e for e, ns in namespaces.items() if cluster_scoped.fullmatch(metric) or ns & TEAM_NAMESPACES[team])
        other = sorted(e for e in namespaces if e not in own)
        names = [name for name, _ in dashboard.path_variables]
        out[dashboard.id] = {role: dict(zip(names, found[0])) for role, found in (("own", own), ("other", other))
                             if found}
    client = walk.app.server.extensions[EXTENSION].engine.sources["airflow"].client
    for role, dag in zip(("own", "other"), AIRFLOW_DAGS[team]):
        if dag is not None:
            out.setdefault("airflow-dag", {})[role] = {"dag_id": dag}
            out.setdefault("airflow-run", {})[role] = {"dag_id": dag, "run_id": client.dag_runs(dag)[0].dag_run_id}
    return out


def _absent(values: dict[str, str]) -> dict[str, str]:
    return {name: f"no-such-entity-{i}" for i, name in enumerate(values)}


def _pages(walk: Walk, groups, entities) -> dict:
    """Walk every page as these groups: what the layouts and every panel show. Level 2 pages:
    `<kind>:own`, `<kind>:other` and `<kind>:absent` (an entity that does not exist at all)."""
    app = walk.app
    engine = app.server.extensions[EXTENSION].engine
    view = parse_view_state(VIEW)
    shown: dict[str, object] = {}
    with app.server.test_request_context(headers=_headers(*groups)):
        shown["overview"] = str(overview_page(**VIEW))
        shown["tiles"] = evaluate_tiles(engine, TILES, view)
        for dashboard in level1():
            shown[dashboard.id] = str(dashboard_page(dashboard.id, **VIEW))
            shown[f"panels:{dashboard.id}"] = run_panels(engine, list(dashboard.panels), view)
        for kind, roles in entities.items():
            dashboard = DASHBOARDS[kind]
            for role, values in (*roles.items(), ("absent", _absent(next(iter(roles.values()))))):
                shown[f"{kind}:{role}"] = str(entity_page(kind, **values, **VIEW))
                # The panels as a crafted callback would ask for them, whatever the page said.
                extra = {name: (label, (values[name],)) for name, label in dashboard.path_variables}
                shown[f"panels:{kind}:{role}"] = run_panels(engine, list(dashboard.panels), view, extra)
        shown["alerts"] = str(fill_alert_pages({"dashboard": "alerts", "params": {}}, 0))
        shown["slo"] = str(fill_alert_pages({"dashboard": "slo", "params": VIEW}, 0))
        # The page as the app registered it (importing pages.datasources would register it again).
        shown["datasources"] = str(next(p["layout"] for p in dash.page_registry.values()
                                        if p["path"] == "/datasources")())
    return shown


def _entity_text(values: dict[str, str]) -> str:
    return " / ".join(v for v in values.values() if v)


def _assert_no_hint(shown: dict, entities: dict) -> None:
    """A page of an entity outside the scope reads exactly as one of an entity that does not exist."""
    for kind, roles in entities.items():
        if "other" in roles:
            other = shown[f"{kind}:other"].replace(_entity_text(roles["other"]), "ENTITY")
            absent = shown[f"{kind}:absent"].replace(_entity_text(_absent(roles["other"])), "ENTITY")
            assert "data-page='not-found'" in other and other == absent, kind


def test_a_stranger_gets_nothing_from_any_source(walk):
    entities = _level2_entities(walk, SPARK_TEAM)
    assert set(entities) == {d.id for d in level2()}  # every Level 2 kind is walked
    before = walk.received()
    shown = _pages(walk, (), entities)
    assert walk.received() == before  # nothing was sent anywhere
    assert {h.status for h in shown["tiles"]} == {"unknown"}
    for key, data in shown.items():
        if key.startswith("panels:"):
            assert all(d.state != "ok" and d.empty for d in data.values()), key
    for kind, roles in entities.items():
        for role in (*roles, "absent"):
            assert "data-page='not-found'" in shown[f"{kind}:{role}"], (kind, role)
    assert "do not grant access" in shown["alerts"] and "data-alert" not in shown["alerts"]
    assert "data-silence" not in shown["alerts"] and "silences" not in shown["alerts"].lower()
    assert "data-budget-left=''" in shown["slo"] and not re.search(r"data-budget-left='[-0-9]", shown["slo"])
    assert "data-exporter" not in shown["datasources"] and "data-coverage" not in shown["datasources"]
    assert "data-source" not in shown["datasources"] and "do not grant access" in shown["datasources"]
    # The same with a header that names no known group, and with an unreadable one.
    for header in ({"X-Portal-Groups": '["strangers"]'}, {"X-Portal-Groups": "not json ["}):
        with walk.app.server.test_request_context(headers=header):
            engine = walk.app.server.extensions[EXTENSION].engine
            data = run_panels(engine, list(DASHBOARDS["gitops"].panels), parse_view_state(VIEW))
        assert {d.state for d in data.values()} == {"error"}
    assert walk.received() == before


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


def _rest_rows(data: dict, source: str) -> list:
    return [d for d in data.values() if d.panel.source == source]


def test_a_scoped_team_sees_its_own_and_nothing_of_other_teams(walk):
    entities = _level2_entities(walk, SPARK_TEAM)
    assert "other" in entities["argocd-app"] and "other" in entities["namespace"]
    prom_before, rest_before, am_before = walk.received()
    shown = _pages(walk, (SPARK_TEAM, "not-a-group"), entities)
    sent = [form["query"][0] for _, form in walk.prom.requests[prom_before:] if "query" in form]
    sent += [m for _, form in walk.prom.requests[prom_before:] for m in form.get("match[]", [])]
    assert sent
    for query in sent:
        _assert_scoped(query)

    # Every Level 2 kind: the team's entity is found, another team's is "not found", with no hint.
    for kind, roles in entities.items():
        if "own" in roles:
            assert "not-found" not in shown[f"{kind}:own"], kind
        if "other" in roles:
            assert "not-found" in shown[f"{kind}:other"], kind
    _assert_no_hint(shown, entities)

    # Argo CD: the team's applications (by destination namespace), none of the others.
    own_argocd = {s["name"] for s in _prometheus(
        walk.platform.url, 'group by (name) (argocd_app_info{dest_namespace=~"spark-jobs|airflow"})')}
    argocd = [d for pid, d in shown["panels:gitops"].items() if d.state == "ok"
              and any("dest_namespace" in s.labels for r in d.results if r for s in r.series)]
    names = {s.labels.get("name") for d in argocd for r in d.results if r for s in r.series}
    assert argocd and names and names <= own_argocd

    # Spark: the application page is found and the History Server's panels have rows.
    spark_rest = _rest_rows(shown["panels:spark-app:own"], "spark_history")
    assert spark_rest and all(d.state == "ok" for d in spark_rest)

    # Airflow: its own DAG (tag team:sales) and run in full; another team's not found and not fetched.
    for kind in ("airflow-dag", "airflow-run"):
        assert all(d.state == "ok" for d in _rest_rows(shown[f"panels:{kind}:own"], "airflow")), kind
        other_rest = _rest_rows(shown[f"panels:{kind}:other"], "airflow")
        assert other_rest and all(d.empty and d.state != "ok" for d in other_rest), kind
    dags = {s.labels.get("dag_id") for d in shown["panels:workloads"].values() if d.panel.source == "prometheus"
            for r in d.results if r for s in r.series if "dag_id" in s.labels}
    assert dags == {"sales_mart_refresh"}

    # What the REST sources received: credentials on every call, nothing of other teams' DAGs.
    rest_calls = walk.rest.auth_schemes[rest_before:]
    assert rest_calls and all(scheme == "Bearer" for path, scheme in rest_calls if not path.endswith("/auth/token"))
    assert not [p for p, _ in rest_calls if "orders_daily_load/" in p]
    assert [p for p, _ in rest_calls if "/spark-history/api/v1/applications/" in p]
    # Alertmanager's silences name other teams' label values: a scoped team gets none, and none are asked
    # for (its health probe, for the data sources page, reads the status only).
    asked = {path for path, _ in walk.alertmanager.auth_schemes[am_before:]}
    assert asked <= {"/api/v2/status"} and "data-silence" not in shown["alerts"]


def test_another_team_sees_none_of_the_spark_team(walk):
    entities = _level2_entities(walk, OTHER_TEAM)
    before = walk.received()
    shown = _pages(walk, (OTHER_TEAM,), entities)
    for kind in ("spark-app", "airflow-dag", "airflow-run", "argocd-app", "iceberg-table", "jenkins-job"):
        assert "other" in entities[kind], kind
    for kind, roles in entities.items():
        if "other" in roles:
            assert "not-found" in shown[f"{kind}:other"], kind
            for data in _rest_rows(shown[f"panels:{kind}:other"], "spark_history") + _rest_rows(
                    shown[f"panels:{kind}:other"], "airflow"):
                assert data.empty and data.state != "ok", kind  # a crafted panel request gets nothing either
    _assert_no_hint(shown, entities)
    for data in shown["panels:workloads"].values():
        for r in getattr(data, "results", ()):
            for s in (r.series if r else ()):
                assert s.labels.get("namespace") in (None, "team-01")
                assert "application_id" not in s.labels and "dag_id" not in s.labels
    # The REST sources were never asked about the entities (the team has no matcher on their fields).
    assert not [p for p, _ in walk.rest.auth_schemes[before[1]:] if "/applications/" in p or "/dags/" in p]


def test_silences_reach_only_unscoped_groups_with_their_own_credentials(walk):
    before = walk.received()
    with walk.app.server.test_request_context(headers=_headers("admins")):
        alerts = str(fill_alert_pages({"dashboard": "alerts", "params": {}}, 0))
    assert "data-silence" in alerts and SILENCED in alerts
    asked = walk.alertmanager.auth_schemes[before[2]:]
    assert ("/api/v2/silences", "Bearer") in asked and {scheme for _, scheme in asked} == {"Bearer"}
    # Each source's credentials stay with it: Prometheus (given none) never received any.
    assert {scheme for _, scheme in walk.prom.auth_schemes} == {""}
    # The demo's REST APIs refuse a caller without the credentials.
    assert requests.get(f"{walk.rest_url}/spark-history/api/v1/applications", timeout=10).status_code == 401
    cluster = walk.platform.world.clusters[0]
    assert requests.get(f"{walk.rest_url}/airflow/{cluster}/api/v2/dags", timeout=10).status_code == 401


def test_the_data_sources_page_shows_each_sources_health(walk):
    with walk.app.server.test_request_context("/datasources", headers=_headers(SPARK_TEAM)):
        page = next(p["layout"] for p in dash.page_registry.values() if p["path"] == "/datasources")()
    health = {getattr(n, "data-source"): getattr(n, "data-up") for n in dash_tree.walk(page) if hasattr(n, "data-source")}
    assert health == {s: "true" for s in ("prometheus", "alerts", "spark_history", "airflow", "alertmanager")}
    assert "data-exporter" in str(page)  # the exporter table follows, for a team too (metric names only)


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
    return json.dumps(answer.json, ensure_ascii=False)


def test_the_path_wins_over_a_query_parameter_of_the_same_name(walk):
    client = walk.app.server.test_client()
    client.get("/", headers=_headers("admins"))  # Dash registers its routing callback on the first request
    entities = _level2_entities(walk, SPARK_TEAM)
    for dashboard in level2():  # e.g. /gitops/jenkins/a?job=b shows job a
        values = entities[dashboard.id]["own"] if "own" in entities[dashboard.id] else entities[dashboard.id]["other"]
        path = dashboard.path_template
        for name, value in values.items():
            path = path.replace(f"<{name}>", quote(value, safe=""))
        first = dashboard.path_variables[0][0]
        shown = _route(client, _headers("admins"), path, f"?{first}=decoy-entity")
        assert f"{dashboard.entity}: {_entity_text(values)}" in shown, dashboard.id
        assert f'"path_vars": {json.dumps(values, ensure_ascii=False)}' in shown, dashboard.id  # what panels ask for
        assert f"Ignored unknown parameter '{first}'" in shown, dashboard.id
    # The team cannot reach another team's DAG through a query parameter either.
    shown = _route(client, _headers(SPARK_TEAM), "/workloads/airflow/orders_daily_load", "?dag_id=sales_mart_refresh")
    assert "not-found" in shown and "sales_mart_refresh" not in shown


def _fill_panel(client, headers, store: dict, panel_id: str) -> str:
    """The panel callback as the browser's renderer posts it."""
    deps = client.get("/_dash-dependencies", headers=headers).get_json()
    spec = next(d["output"] for d in deps if '"type":"panel-body"' in d["output"])
    answer = client.post("/_dash-update-component", json=panel_request(spec, panel_id, store), headers=headers)
    assert answer.status_code == 200
    return json.dumps(answer.get_json()["response"])


def test_a_rendered_panel_kept_for_one_team_is_never_served_to_another(walk):
    client = walk.app.server.test_client()
    client.get("/", headers=_headers("admins"))
    store = {"dashboard": "capacity", "params": VIEW, "path_vars": {}, "now": time.time()}
    panel = next(p.id for p in DASHBOARDS["capacity"].panels if p.source == "prometheus"
                 and any("kube_pod" in q.expr for q in p.queries) and not p.instant)
    as_admins = _fill_panel(client, _headers("admins"), store, panel)
    assert "state-ok" in as_admins
    before = walk.received()
    as_stranger = _fill_panel(client, _headers("strangers"), store, panel)
    assert "state-ok" not in as_stranger and "do not grant access" in as_stranger
    assert walk.received() == before
    as_team = _fill_panel(client, _headers(SPARK_TEAM), store, panel)
    assert "state-ok" in as_team and as_team != as_admins  # its own, scoped numbers
    assert _fill_panel(client, _headers("admins"), store, panel) == as_admins


def test_every_response_carries_the_security_headers(walk):
    client = walk.app.server.test_client()
    for path in ("/", "/gitops", "/no/such/page", "/healthz", "/readyz", "/metrics", "/_dash-layout",
                 "/_dash-dependencies", "/assets/app.css", "/s/no-such-link"):
        response = client.get(path, headers=_headers("admins"))
        csp = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'self'" in csp and "default-src 'self'" in csp, path
        assert response.headers.get("X-Content-Type-Options") == "nosniff", path
        assert response.headers.get("Referrer-Policy") == "same-origin", path
    metrics = client.get("/metrics").data.decode()
    for source in ("prometheus", "alerts", "spark_history", "airflow", "alertmanager"):
        assert f'dataops_datasource_up{{source="{source}"}} 1.0' in metrics, source
