"""The Helm chart: lint, render (default and full values), validate against Kubernetes' schemas.

Helm itself comes from `helm-python-sdk` (Helm's Go SDK in a PyPI wheel), the schemas from
`kubernetes-validate` (bundled, offline). ServiceMonitor and PrometheusRule are validated against the
Prometheus operator's CRD schemas as `cloudcoil-models-prometheus-operator` generates them (pydantic
models), and the rules they carry with promtool.
"""
from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from tests.servers import Redis
from webapp.cli import _parser
from webapp.settings import load_settings
from webapp.tenancy import load_tenancy

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
CHART = ROOT / "deploy" / "helm" / "dataops-monitor"
RULES = ROOT / "deploy" / "prometheus"
FULL = yaml.safe_load((CHART / "ci" / "full-values.yaml").read_text())
# The chart's kubeVersion floor and the newest schemas kubernetes-validate bundles.
KUBE_VERSIONS = ("1.25.0", kubernetes_validate.latest_version())
DURATION = re.compile(r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$")
# Redis outside the chart behind the NetworkPolicy: the one combination where the app's egress must
# open a port none of the other values name.
EXTERNAL_REDIS = {"networkPolicy": {"enabled": True}, "redis": {"externalUrl": "redis://cache.infra.svc:6379/0"}}
VALUES = {"default": {}, "full": FULL, "external-redis": EXTERNAL_REDIS}


def _render(values: dict) -> list[dict]:
    import helm_python as helm

    with helm.Chart.load(str(CHART)) as chart:
        rendered = chart.render(values, name="dm", namespace="dataops")
    docs = []
    for path, text in sorted(rendered.items()):
        if path.endswith(".yaml"):
            docs += [d for d in yaml.safe_load_all(text) if d]
    return docs


@pytest.fixture(scope="module", params=sorted(VALUES))
def manifests(request) -> list[dict]:
    return _render(VALUES[request.param])


def _one(docs: list[dict], kind: str, component: str = "web") -> dict:
    found = [d for d in docs if d["kind"] == kind
             and d["metadata"]["labels"].get("app.kubernetes.io/component", "web") == component]
    assert len(found) == 1, [d["metadata"]["name"] for d in found]
    return found[0]


@pytest.mark.parametrize("name", sorted(VALUES))
def test_chart_lints_clean(name):
    import helm_python as helm

    report = helm.lint(str(CHART), VALUES[name], strict=True)
    problems = [m for m in report["messages"] if m["severity"] >= 2]  # warnings and errors
    assert report["errors"] == [] and problems == [], report


def test_rendered_objects_validate_against_kubernetes_schemas(manifests):
    builtin = [d for d in manifests if not d["apiVersion"].startswith("monitoring.coreos.com/")]
    assert {d["kind"] for d in builtin} >= {"Deployment", "Service", "ConfigMap", "ServiceAccount",
                                           "PodDisruptionBudget"}
    for version in KUBE_VERSIONS:
        for doc in builtin:
            kubernetes_validate.validate(doc, version, strict=True)


def test_full_values_render_every_kind():
    kinds = {d["kind"] for d in _render(FULL)}
    assert kinds == {"ConfigMap", "Deployment", "Service", "ServiceAccount", "Ingress", "HorizontalPodAutoscaler",
                     "PodDisruptionBudget", "NetworkPolicy", "ServiceMonitor", "PrometheusRule"}


def _operator_problems(doc: dict) -> str:
    """'' when `doc` (a monitoring.coreos.com/v1 object) is valid under the operator's CRD schema;
    else what is wrong. The models ignore unknown fields: a field dropped on the way through is one."""
    import pydantic
    from cloudcoil.models.prometheus_operator import v1

    try:
        model = getattr(v1, doc["kind"]).model_validate(doc)
    except pydantic.ValidationError as exc:
        return str(exc)
    back = model.model_dump(by_alias=True, exclude_unset=True, mode="json")
    return "" if back == doc else f"fields unknown to the CRD: {yaml.safe_dump(doc)} became {yaml.safe_dump(back)}"


def test_operator_objects_validate_against_the_operators_schemas(manifests):
    operator = [d for d in manifests if d["apiVersion"].startswith("monitoring.coreos.com/")]
    assert {d["kind"] for d in operator} == {"ServiceMonitor", "PrometheusRule"}
    for doc in operator:
        assert doc["apiVersion"] == "monitoring.coreos.com/v1"
        assert _operator_problems(doc) == "", doc["metadata"]["name"]


@pytest.mark.parametrize("path, value, expected", [
    (("spec", "endpoints", 0, "interval"), "30 seconds", "String should match pattern"),
    (("spec", "endpoints", 0, "scrapeIntervall"), "30s", "fields unknown to the CRD"),
    (("spec", "groups", 0, "rules", 0, "for"), 5, "valid string"),
])
def test_an_operator_schema_violation_is_caught(path, value, expected):
    docs = _render({})
    doc = next(d for d in docs if d["kind"] == ("ServiceMonitor" if "endpoints" in path else "PrometheusRule"))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert expected in _operator_problems(doc)


def test_a_schema_violation_is_caught():
    deployment = _one(_render({}), "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBE_VERSIONS[0], strict=True)


def test_deployment_runs_the_image_command_non_root_on_a_read_only_root(manifests):
    deployment = _one(manifests, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert pod["automountServiceAccountToken"] is False
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert container["resources"]["requests"]["memory"] and container["resources"]["limits"]["memory"]
    # The arguments are the image's entrypoint's (`dataops-monitor`): they must parse as its CLI.
    args = _parser().parse_args(container["args"])
    assert args.command == "serve" and args.workers >= 1
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    env = {e["name"]: e.get("value") for e in container["env"]}
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    # Every path the server writes is a mounted emptyDir, not the read-only root.
    assert env["DATAOPS_WORKER_TMP_DIR"] in mounts
    assert any(env["PROMETHEUS_MULTIPROC_DIR"].startswith(m + "/") for m in mounts)
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["dataops-monitor"]' in dockerfile
    assert f"USER {pod['securityContext']['runAsUser']}" in dockerfile


def _known_settings() -> set[str]:
    source = (ROOT / "webapp" / "settings.py").read_text()
    return set(re.findall(r'"(DATAOPS_[A-Z_]+)"', source))


def test_settings_and_env_are_ones_the_app_reads(manifests):
    deployment = _one(manifests, "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    known = _known_settings() | {"PROMETHEUS_MULTIPROC_DIR"}
    names = {e["name"] for e in container["env"]}
    assert names <= known, names - known
    config = next(d for d in manifests if d["kind"] == "ConfigMap" and not d["metadata"]["name"].endswith("-tenancy"))
    assert set(config["data"]) <= known, set(config["data"]) - known
    environment = {**config["data"], **{e["name"]: e["value"] for e in container["env"] if "value" in e}}
    tenancy = [d for d in manifests if d["metadata"]["name"].endswith("-tenancy")]
    if tenancy:  # the file the ConfigMap holds, where the Deployment mounts it
        path = pathlib.Path(pytest.importorskip("tempfile").mkdtemp()) / "tenancy.yaml"
        path.write_text(tenancy[0]["data"]["tenancy.yaml"])
        load_tenancy(str(path))
        mount = next(m for m in container["volumeMounts"] if m["name"] == "config")["mountPath"]
        assert environment["DATAOPS_TENANCY_FILE"] == f"{mount}/tenancy.yaml"
        environment["DATAOPS_TENANCY_FILE"] = str(path)
    environment.pop("PROMETHEUS_MULTIPROC_DIR")
    environment.pop("DATAOPS_WORKER_TMP_DIR")
    settings = load_settings(environment)  # raises SettingsError on any bad value
    assert settings.prometheus_url.startswith("http")


def test_chart_refuses_a_missing_data_source_url():
    import helm_python as helm

    with pytest.raises(helm.HelmError, match="DATAOPS_PROMETHEUS_URL is required"):
        _render({"settings": {"DATAOPS_PROMETHEUS_URL": ""}})


def test_service_monitor_scrapes_the_app_service(manifests):
    monitor = _one(manifests, "ServiceMonitor")
    service = _one(manifests, "Service")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    labels = service["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in monitor["spec"]["selector"]["matchLabels"].items())
    ports = {p["name"] for p in service["spec"]["ports"]}
    for endpoint in monitor["spec"]["endpoints"]:
        assert set(endpoint) <= {"port", "path", "interval", "scrapeTimeout"}
        assert endpoint["port"] in ports and endpoint["path"] == "/metrics"
        assert DURATION.match(endpoint["interval"]) and DURATION.match(endpoint["scrapeTimeout"])
    assert monitor["spec"]["namespaceSelector"]["matchNames"] == ["dataops"]
    redis = [d for d in manifests if d["kind"] == "Service"
             and d["metadata"]["labels"].get("app.kubernetes.io/component") == "redis"]
    for other in redis:  # the selector picks the app's Service only
        assert not all(other["metadata"]["labels"].get(k) == v
                       for k, v in monitor["spec"]["selector"]["matchLabels"].items())


def test_prometheus_rules_carry_the_rule_files_unchanged(manifests, tmp_path):
    rules = [d for d in manifests if d["kind"] == "PrometheusRule"]
    files = sorted(RULES.glob("*.rules.yml"))
    assert len(rules) == len(files) > 0
    for doc in rules:
        assert doc["apiVersion"] == "monitoring.coreos.com/v1"
        source = ROOT / doc["metadata"]["annotations"]["dataops.example.com/source"]
        assert doc["spec"] == {"groups": yaml.safe_load(source.read_text())["groups"]}
        for group in doc["spec"]["groups"]:
            assert set(group) <= {"name", "interval", "rules", "limit", "partial_response_strategy"}
            for rule in group["rules"]:
                assert ("alert" in rule) != ("record" in rule) and rule["expr"]
        out = tmp_path / f"{doc['metadata']['name']}.yml"
        out.write_text(yaml.safe_dump(doc["spec"]))
        promtool = shutil.which("promtool")
        assert promtool, "promtool is installed by scripts/install-system-deps.sh prometheus"
        check = subprocess.run([promtool, "check", "rules", str(out)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_the_chart_reads_the_rule_files_through_its_link():
    link = CHART / "rules"
    assert link.is_symlink() and link.resolve() == RULES.resolve()


def test_every_value_is_documented():
    readme = (CHART / "README.md").read_text()
    values = yaml.safe_load((CHART / "values.yaml").read_text())

    def leaves(tree, prefix=""):
        for key, value in tree.items():
            path = f"{prefix}{key}"
            if isinstance(value, dict) and value and key not in ("settings", "tenancy", "resources", "probes",
                                                                             "podSecurityContext", "securityContext"):
                yield from leaves(value, path + ".")
            else:
                yield path
    missing = [path for path in leaves(values) if f"`{path}`" not in readme]
    assert not missing, missing


def _selects(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _pods(docs: list[dict]) -> dict[str, dict]:
    """Deployment name -> its pod template (labels and spec)."""
    return {d["metadata"]["name"]: d["spec"]["template"] for d in docs if d["kind"] == "Deployment"}


def _port_names(template: dict) -> set[str]:
    return {p["name"] for c in template["spec"]["containers"] for p in c.get("ports", [])}


def test_every_reference_between_the_rendered_objects_resolves(manifests):
    """Selectors, backends, scale targets and named ports point at objects this release renders."""
    pods = _pods(manifests)
    names = {(d["kind"], d["metadata"]["name"]) for d in manifests}
    for deployment in (d for d in manifests if d["kind"] == "Deployment"):
        template = deployment["spec"]["template"]
        assert _selects(deployment["spec"]["selector"]["matchLabels"], template["metadata"]["labels"])
    services = {d["metadata"]["name"]: d for d in manifests if d["kind"] == "Service"}
    for name, service in services.items():
        (target,) = [p for p in pods.values() if _selects(service["spec"]["selector"], p["metadata"]["labels"])]
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in _port_names(target), (name, port)
    app = pods[_one(manifests, "Deployment")["metadata"]["name"]]
    for kind in ("PodDisruptionBudget", "NetworkPolicy"):
        for doc in (d for d in manifests if d["kind"] == kind):
            selector = doc["spec"]["selector" if kind == "PodDisruptionBudget" else "podSelector"]["matchLabels"]
            assert sum(_selects(selector, p["metadata"]["labels"]) for p in pods.values()) == 1, doc["metadata"]
    for hpa in (d for d in manifests if d["kind"] == "HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        assert (ref["kind"], ref["name"]) in names and ref["apiVersion"] == "apps/v1"
    for ingress in (d for d in manifests if d["kind"] == "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                ports = {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
                assert _selects(services[backend["name"]]["spec"]["selector"], app["metadata"]["labels"])
                assert backend["port"]["name"] in ports
    spec = app["spec"]
    if ("ServiceAccount", spec["serviceAccountName"]) not in names:
        assert spec["serviceAccountName"] == "default"
    (container,) = spec["containers"]
    for source in container["envFrom"]:
        if "configMapRef" in source:
            assert ("ConfigMap", source["configMapRef"]["name"]) in names
    for volume in spec["volumes"]:
        if "configMap" in volume:
            assert ("ConfigMap", volume["configMap"]["name"]) in names
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["port"] in _port_names(app)


def test_network_policies_let_through_what_the_app_is_configured_to_reach(manifests):
    """The app's egress admits the port of every data source URL it is given and the Redis it uses;
    Redis' ingress admits the app's pods; the app's ingress port is its container's."""
    policies = [d for d in manifests if d["kind"] == "NetworkPolicy"]
    if not policies:
        return
    pods = _pods(manifests)
    app = pods[_one(manifests, "Deployment")["metadata"]["name"]]
    (own,) = [p for p in policies if _selects(p["spec"]["podSelector"]["matchLabels"], app["metadata"]["labels"])]
    for rule in own["spec"]["ingress"]:
        assert all(p["port"] in _port_names(app) for p in rule["ports"])
    open_ports = {p["port"] for rule in own["spec"]["egress"] for p in rule.get("ports", [])}
    config = next(d for d in manifests if d["kind"] == "ConfigMap" and not d["metadata"]["name"].endswith("-tenancy"))
    (container,) = app["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    urls = {k: v for k, v in {**config["data"], **env}.items() if k.endswith("_URL") and v}
    for name, url in urls.items():
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443, "redis": 6379}[parts.scheme]
        assert port in open_ports, (name, url, sorted(open_ports))
    redis_url = env.get("DATAOPS_REDIS_URL")
    redis_pods = [p for p in pods.values() if p["metadata"]["labels"].get("app.kubernetes.io/component") == "redis"]
    if redis_pods:
        (redis_policy,) = [p for p in policies
                           if _selects(p["spec"]["podSelector"]["matchLabels"], redis_pods[0]["metadata"]["labels"])]
        peers = [peer for rule in redis_policy["spec"]["ingress"] for peer in rule["from"]]
        assert any(_selects(peer["podSelector"]["matchLabels"], app["metadata"]["labels"]) for peer in peers)
        assert urlsplit(redis_url).port in {p["port"] for r in redis_policy["spec"]["ingress"] for p in r["ports"]}


def test_chart_redis_is_the_one_the_app_is_pointed_at_and_starts_with_its_arguments(tmp_path):
    docs = _render(FULL)
    redis_deployment = _one(docs, "Deployment", "redis")
    redis_service = _one(docs, "Service", "redis")
    (container,) = _one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    url = urlsplit(next(e["value"] for e in container["env"] if e["name"] == "DATAOPS_REDIS_URL"))
    assert url.scheme == "redis" and url.hostname == redis_service["metadata"]["name"]
    assert url.port in {p["port"] for p in redis_service["spec"]["ports"]}
    load_settings({"DATAOPS_PROMETHEUS_URL": "http://prometheus:9090", "DATAOPS_REDIS_URL": url.geturl()})
    # The container's arguments, given to the real redis-server (the image's entrypoint is redis-server).
    (redis,) = redis_deployment["spec"]["template"]["spec"]["containers"]
    assert redis["securityContext"]["readOnlyRootFilesystem"] is True
    server = Redis(tmp_path, tuple(redis["args"]))
    try:
        config = server.client.config_get("*")
        assert config["maxmemory-policy"] == "allkeys-lru" and config["save"] == "" and config["appendonly"] == "no"
        assert int(config["maxmemory"]) == 256 * 1024 * 1024  # the chart's `redis.maxMemory`
    finally:
        server.stop()


def test_credentials_come_from_secret_references_never_from_values():
    docs = _render(FULL)
    assert not [d for d in docs if d["kind"] == "Secret"]  # the chart creates none
    (container,) = _one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    for entry in FULL["secretEnv"]:
        assert env[entry["name"]] == {"name": entry["name"], "valueFrom": {"secretKeyRef": {
            "name": entry["secretName"], "key": entry["key"]}}}
    assert [s["secretRef"]["name"] for s in container["envFrom"] if "secretRef" in s] == FULL["secretEnvFrom"]
    existing = _render({"redis": {"existingSecret": "cache-url"}})
    (container,) = _one(existing, "Deployment")["spec"]["template"]["spec"]["containers"]
    (redis_url,) = [e for e in container["env"] if e["name"] == "DATAOPS_REDIS_URL"]
    assert redis_url == {"name": "DATAOPS_REDIS_URL",
                         "valueFrom": {"secretKeyRef": {"name": "cache-url", "key": "redis-url"}}}
    assert not [d for d in existing if d["metadata"]["labels"].get("app.kubernetes.io/component") == "redis"]
