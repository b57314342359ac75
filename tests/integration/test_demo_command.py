"""`dataops-monitor demo` serves through the same production server as `serve`."""
from __future__ import annotations

import pytest
import requests

from tests.conftest import DATA_ROOT, free_port
from tests.servers import Served

pytestmark = pytest.mark.integration


def test_demo_serves_with_gunicorn_and_prints_no_development_server_warning(tmp_path):
    # Its own data folder (the session's Prometheus holds the tests' one), kept between runs.
    env = {"PATH": "/usr/bin:/bin", "DATAOPS_PORT": str(free_port()), "HOME": str(tmp_path)}
    demo = Served(["demo", "--scale", "tiny", "--data-root", str(DATA_ROOT.parent / "demo-command")], env,
                  tmp_path / "demo.log")
    try:
        demo.wait_ready(timeout=240)
        assert requests.get(demo.url + "/readyz", timeout=30).status_code == 200
        assert "DataOps Monitor" in requests.get(demo.url + "/", timeout=30).text
    finally:
        demo.stop()
    output = demo.output()
    assert "Booting worker" in output  # gunicorn served it
    assert "development server" not in output.lower()
    assert "Do not use it in a production deployment" not in output
    assert demo.proc.returncode == 0, output[-2000:]
