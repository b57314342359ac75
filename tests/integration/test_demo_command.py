"""`dataops-monitor demo` serves through the same production server as `serve` (here with its REST APIs
behind credentials read from files)."""
from __future__ import annotations

import pytest
import requests

from tests.conftest import DATA_ROOT, free_port
from tests.servers import Served

pytestmark = pytest.mark.integration


def test_demo_serves_with_gunicorn_and_prints_no_development_server_warning(tmp_path):
    # Its own data folder (the session's Prometheus holds the tests' one), kept between runs.
    env = {"PATH": "/usr/bin:/bin", "DATAOPS_PORT": str(free_port()), "HOME": str(tmp_path)}
    data_root = DATA_ROOT.parent / "demo-command"
    # --credentials: the demo's Spark History Server and Airflow API want credentials, which the app
    # reads from the files the demo writes.
    demo = Served(["demo", "--scale", "tiny", "--data-root", str(data_root), "--credentials"], env,
                  tmp_path / "demo.log")
    try:
        demo.wait_ready(timeout=240)
        ready = requests.get(demo.url + "/readyz", timeout=30)
        assert ready.status_code == 200
        assert ready.json()["sources"]["spark_history"] is True and ready.json()["sources"]["airflow"] is True
        assert "DataOps Monitor" in requests.get(demo.url + "/", timeout=30).text
    finally:
        demo.stop()
    secrets = {f.name: f for f in (data_root / "secrets").iterdir()}
    assert {"spark-history-token", "airflow-password"} <= set(secrets)
    assert all(f.stat().st_mode & 0o077 == 0 for f in secrets.values())  # readable by their owner only
    output = demo.output()
    assert "Booting worker" in output  # gunicorn served it
    # a first start takes minutes: each stage says what it is doing
    assert "simulated exporters" in output and "Prometheus: starting" in output and "alert history" in output
    assert "development server" not in output.lower()
    assert "Do not use it in a production deployment" not in output
    assert demo.proc.returncode == 0, output[-2000:]
