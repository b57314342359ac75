"""The Airflow source against a real Airflow 3 API server (SQLite, simple auth manager, JWT login).

Airflow lives in its own virtual environment (`make airflow-venv`, part of `make test`), so its
pins never meet the app's. One server per session: DAGs parsed, one DAG run executed, then the
API server on a loopback port.
"""
from __future__ import annotations

import os
import pathlib
import subprocess
import time

import pytest
import requests

from tests.conftest import free_port
from webapp.catalog import DASHBOARDS
from webapp.engine import QueryEngine
from webapp.prometheus import PrometheusClient
from webapp.restsource import RestSourceError
from webapp.runner import run_panels
from webapp.settings import Settings
from webapp.sources.airflow import build
from webapp.sources.transport import Credentials
from webapp.tenancy import Scope, parse_matcher
from webapp.viewstate import parse_view_state

ROOT = pathlib.Path(__file__).resolve().parents[2]
AIRFLOW = pathlib.Path(os.environ.get("DATAOPS_TEST_AIRFLOW_VENV", ROOT / ".airflow-venv")) / "bin" / "airflow"
PASSWORD = "viewer-s3cret"
DAGS = '''
import datetime
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

for dag_id, team, tasks in (("sales_mart_refresh", "sales", ("build_mart", "publish_mart")),
                            ("orders_daily_load", "orders", ("extract_orders",))):
    with DAG(dag_id, start_date=datetime.datetime(2026, 1, 1), schedule=None, tags=[f"team:{team}"],
             default_args={"owner": f"{team}-eng"}):
        previous = None
        for task_id in tasks:
            task = EmptyOperator(task_id=task_id)
            if previous is not None:
                previous >> task
            previous = task
'''


@pytest.fixture(scope="session")
def airflow_server(tmp_path_factory):
    if not AIRFLOW.exists():
        pytest.skip("Airflow is not installed: `make airflow-venv` (part of `make test`) installs it")
    home = tmp_path_factory.mktemp("airflow")
    (home / "dags").mkdir()
    (home / "dags" / "teams.py").write_text(DAGS)
    # The simple auth manager takes passwords from this file (it generates the missing ones).
    (home / "simple_auth_manager_passwords.json.generated").write_text(f'{{"viewer": "{PASSWORD}"}}')
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "viewer:viewer"}
    for step in (["db", "migrate"], ["dags", "reserialize"], ["dags", "test", "sales_mart_refresh"]):
        done = subprocess.run([str(AIRFLOW), *step], env=env, cwd=home, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"airflow {' '.join(step)}: {done.stderr[-2000:]}"
    port = free_port()
    with open(home / "api-server.log", "w") as log:
        server = subprocess.Popen([str(AIRFLOW), "api-server", "--host", "127.0.0.1", "--port", str(port)],
                                  env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert server.poll() is None, (home / "api-server.log").read_text()[-2000:]
            time.sleep(1)
        else:
            pytest.fail("the Airflow API server did not start")
        secrets = home / "secrets"
        secrets.mkdir()
        (secrets / "username").write_text("viewer\n")
        (secrets / "password").write_text(PASSWORD + "\n")
        yield url, Credentials(username_file=str(secrets / "username"), password_file=str(secrets / "password"))
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)


def _source(url, credentials):
    return build(Settings(prometheus_url="http://127.0.0.1:9", airflow_api_url=url, query_timeout_seconds=15),
                 None, credentials)


def test_the_client_logs_in_and_reads_dags_runs_and_task_instances(airflow_server):
    url, credentials = airflow_server
    client = _source(url, credentials).client
    dag = client.dag("sales_mart_refresh")
    assert dag.tags == ("team:sales",) and dag.owners == ("sales-eng",)
    assert client.dag("no_such_dag") is None
    runs = client.dag_runs("sales_mart_refresh")
    assert len(runs) == 1 and runs[0].state == "success" and runs[0].start_date is not None
    tasks = client.task_instances("sales_mart_refresh", runs[0].dag_run_id)
    assert {t.task_id: t.state for t in tasks} == {"build_mart": "success", "publish_mart": "success"}


def test_without_credentials_airflow_refuses(airflow_server):
    url, _ = airflow_server
    with pytest.raises(RestSourceError) as refused:
        _source(url, None).client.dag("sales_mart_refresh")
    assert refused.value.kind == "auth" and refused.value.status == 401
    wrong = pathlib.Path(airflow_server[1].password_file).with_name("wrong")
    wrong.write_text("not-the-password")
    with pytest.raises(RestSourceError) as refused:
        _source(url, Credentials(username_file=airflow_server[1].username_file,
                                 password_file=str(wrong))).client.dag("sales_mart_refresh")
    assert refused.value.kind == "auth" and "not-the-password" not in str(refused.value)
    # Refused credentials show in the source's health (/metrics, the data sources page).
    wrong_source = _source(url, Credentials(username_file=airflow_server[1].username_file, password_file=str(wrong)))
    assert wrong_source.health().up is False and _source(url, airflow_server[1]).health().up is True


def test_a_team_sees_its_own_dag_and_not_another_teams(airflow_server):
    url, credentials = airflow_server
    team = Scope((parse_matcher('namespace="airflow"'),), rest={"airflow": (parse_matcher('tags="team:sales"'),)})
    engine = QueryEngine(PrometheusClient("http://127.0.0.1:9"), sources={"airflow": _source(url, credentials)},
                         scope=lambda: team)
    panels = [p for p in DASHBOARDS["airflow-dag"].panels if p.source == "airflow"]
    view = parse_view_state({"from": "now-6h"})
    own = run_panels(engine, panels, view, {"dag_id": ("dag_id", ("sales_mart_refresh",))})
    assert {d.state for d in own.values()} == {"ok"}
    other = run_panels(engine, panels, view, {"dag_id": ("dag_id", ("orders_daily_load",))})
    assert all(d.empty and d.state != "ok" and "no record" in (d.notice or "") for d in other.values())
