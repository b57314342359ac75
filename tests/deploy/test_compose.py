"""deploy/compose: every reference resolves (files, commands, settings, hosts and ports).

No container engine runs here, so each part is checked with the same program the image runs:
Prometheus' config with promtool (rule files mapped back through the volumes), Alertmanager's with
amtool, Redis' command by starting redis-server with it, the app's settings with `load_settings`.
"""
from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
from urllib.parse import urlsplit

import yaml

from tests.servers import Redis
from webapp.cli import _parser
from webapp.settings import load_settings

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
COMPOSE_DIR = ROOT / "deploy" / "compose"
COMPOSE = yaml.safe_load((COMPOSE_DIR / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
# Where each service listens inside the network (from its command or image defaults).
LISTENS = {"app": 8050, "prometheus": 9090, "alertmanager": 9093, "redis": 6379}


def _binds(service: str) -> dict[str, pathlib.Path]:
    """Container path -> host path of a service's bind mounts."""
    mounts = {}
    for volume in SERVICES[service].get("volumes", []):
        source, target = volume.split(":")[:2]
        mounts[target] = (COMPOSE_DIR / source).resolve()
    return mounts


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is installed by scripts/install-system-deps.sh"
    return path


def test_bind_mounts_and_build_context_exist():
    build = SERVICES["app"]["build"]
    assert (COMPOSE_DIR / build["context"] / build["dockerfile"]).is_file()
    for service in SERVICES:
        for target, source in _binds(service).items():
            if source == (COMPOSE_DIR / "data" / "tsdb").resolve():
                # Written by `make compose-data` (scripts/compose_data.py), not committed.
                assert "compose-data:" in (ROOT / "Makefile").read_text()
                assert (ROOT / "scripts" / "compose_data.py").read_text().count('"data" / "tsdb"') == 1
                continue
            assert source.exists(), f"{service}: {source} (for {target}) does not exist"


def test_app_command_settings_and_user_match_the_image_and_the_chart():
    app = SERVICES["app"]
    args = _parser().parse_args(app["command"])
    assert args.command == "serve"
    env = {k: str(v) for k, v in app["environment"].items()}
    known = set(re.findall(r'"(DATAOPS_[A-Z_]+)"', (ROOT / "webapp" / "settings.py").read_text()))
    assert set(env) <= known, set(env) - known
    settings = load_settings({k: v for k, v in env.items() if k != "DATAOPS_WORKER_TMP_DIR"})
    assert settings.port == LISTENS["app"]
    assert f"EXPOSE {settings.port}" in (ROOT / "Dockerfile").read_text()
    chart = yaml.safe_load((ROOT / "deploy" / "helm" / "dataops-monitor" / "values.yaml").read_text())
    assert app["user"] == str(chart["podSecurityContext"]["runAsUser"]) and app["read_only"] is True
    # Every URL names a service of this file on the port it listens on.
    for name in ("DATAOPS_PROMETHEUS_URL", "DATAOPS_ALERTMANAGER_URL", "DATAOPS_REDIS_URL"):
        url = urlsplit(env[name])
        assert url.hostname in SERVICES and url.port == LISTENS[url.hostname], (name, env[name])
    for published in app["ports"]:
        assert published.endswith(f":{settings.port}") and published.startswith("127.0.0.1:")


def test_prometheus_config_and_rules_check_with_promtool(tmp_path):
    prometheus = SERVICES["prometheus"]
    flags = dict(f.lstrip("-").split("=", 1) for f in prometheus["command"])
    done = subprocess.run([_tool("prometheus"), "--help"], capture_output=True, text=True)
    helptext = done.stdout + done.stderr
    for flag in flags:
        assert f"--{flag}=" in helptext, flag
    assert flags["web.listen-address"].endswith(f":{LISTENS['prometheus']}")
    binds = _binds("prometheus")
    config_path = binds[flags["config.file"]]
    assert flags["storage.tsdb.path"] in binds
    config = yaml.safe_load(config_path.read_text())
    host_rules = []
    for pattern in config["rule_files"]:
        folder, glob = pattern.rsplit("/", 1)
        host_rules += sorted(binds[folder].glob(glob))
    assert sorted(p.name for p in host_rules) == sorted(p.name for p in (ROOT / "deploy" / "prometheus").glob("*.rules.yml"))
    local = dict(config, rule_files=[str(p) for p in host_rules])
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(local))
    check = subprocess.run([_tool("promtool"), "check", "config", str(tmp_path / "prometheus.yml")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    targets = [t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]]
    targets += [t for am in config["alerting"]["alertmanagers"] for sc in am["static_configs"] for t in sc["targets"]]
    for target in targets:
        host, port = target.rsplit(":", 1)
        if host != "localhost":
            assert host in SERVICES and int(port) == LISTENS[host], target
    app_job = next(j for j in config["scrape_configs"] if j["job_name"] == "dataops-monitor")
    assert app_job["metrics_path"] == "/metrics"


def test_alertmanager_config_checks_with_amtool():
    alertmanager = SERVICES["alertmanager"]
    flags = dict(f.lstrip("-").split("=", 1) for f in alertmanager["command"])
    helptext = subprocess.run([_tool("prometheus-alertmanager"), "--help"], capture_output=True, text=True)
    for flag in flags:
        assert f"--{flag}=" in helptext.stdout + helptext.stderr, flag
    assert flags["web.listen-address"].endswith(f":{LISTENS['alertmanager']}")
    check = subprocess.run([_tool("amtool"), "check-config", str(_binds("alertmanager")[flags["config.file"]])],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_redis_accepts_the_command(tmp_path):
    command = SERVICES["redis"]["command"]
    assert command[0] == "redis-server"
    server = Redis(tmp_path, tuple(command[1:]))  # after the helper's own flags: the file's win
    try:
        assert server.client.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
        assert server.client.config_get("save") == {"save": ""}
    finally:
        server.stop()
