"""The platform's critical services as a setting: the design's `up{job="platform-critical"}` replaced
centrally by the matchers a platform names (`DATAOPS_CRITICAL_SERVICES`), checked by the PromQL parser."""
from __future__ import annotations

import pytest

from webapp.catalog import DASHBOARDS, TILES
from webapp.engine import QueryEngine, plan_query
from webapp.labelnames import CRITICAL_SERVICES, replace_critical_services, validate_critical_services
from webapp.prometheus import PrometheusClient
from webapp.settings import Settings, SettingsError, load_settings
from webapp.viewstate import parse_view_state

OURS = 'job=~"hive-metastore|trino"'


def test_default_setting_is_the_design_selector():
    assert Settings().critical_services == CRITICAL_SERVICES
    assert load_settings({}).critical_services == CRITICAL_SERVICES
    assert load_settings({"DATAOPS_CRITICAL_SERVICES": OURS}).critical_services == OURS


@pytest.mark.parametrize("bad", [
    "   ",
    'job="a"} or vector(1) or up{x="y"',     # would add an expression, not matchers
    'job="a" or job="b"',                    # or-groups would escape the query's other matchers
    '__name__="node_load1"',                 # the series is always up
    'job=',
    'job="a"}[5m]',
    'job="a"} #',                            # a comment would swallow the rest of the query
    'job="a"}\n#',
    'job="a"} offset 1d',                    # modifiers are not matchers
    'job="a"} @ 0 #',
])
def test_setting_refuses_anything_but_matchers(bad):
    with pytest.raises(SettingsError, match="DATAOPS_CRITICAL_SERVICES"):
        load_settings({"DATAOPS_CRITICAL_SERVICES": bad})
    with pytest.raises(ValueError):
        validate_critical_services(bad)


def test_every_catalog_use_is_replaced_and_still_parses():
    templates = [q.expr for d in DASHBOARDS.values() for p in d.panels for q in p.queries]
    templates += [s.expr for t in TILES for s in t.signals]
    uses = [t for t in templates if CRITICAL_SERVICES in t]
    assert len(uses) >= 5  # the E2E availability panels and the two Level 0 signals
    view = parse_view_state({})
    for template in uses:
        promql = plan_query(template, view, instant=True).promql
        replaced = replace_critical_services(promql, OURS)
        assert OURS in replaced and "platform-critical" not in replaced


def test_engine_sends_the_platform_selector_with_the_cluster_label():
    engine = QueryEngine(PrometheusClient("http://127.0.0.1:9", 1.0, {}), cluster_label="k8s_cluster",
                         critical_services=OURS)
    plan = plan_query('min by (instance) (up{' + CRITICAL_SERVICES + ', $cluster})',
                      parse_view_state({"var-cluster": "prod-east"}), instant=True)
    sent = engine.as_sent(plan).promql
    assert sent == 'min by (instance) (up{job=~"hive-metastore|trino", k8s_cluster="prod-east"})'
    default = QueryEngine(PrometheusClient("http://127.0.0.1:9", 1.0, {}))
    assert default.as_sent(plan).promql == plan.promql


def test_rules_written_for_a_platform_use_its_names(tmp_path, monkeypatch):
    import shutil
    import subprocess

    import promql_parser
    import yaml

    from webapp.cli import main
    from webapp.labelnames import label_usages

    monkeypatch.setenv("DATAOPS_CLUSTER_LABEL", "k8s_cluster")
    monkeypatch.setenv("DATAOPS_CRITICAL_SERVICES", OURS)
    assert main(["rules", "--platform", "--out", str(tmp_path)]) == 0
    files = sorted(tmp_path.glob("*.rules.yml"))
    assert len(files) == 4 and not (tmp_path / "tests").exists()
    rules = [r for f in files for g in yaml.safe_load(f.read_text())["groups"] for r in g["rules"]]
    for rule in rules:
        names = {name for _, name in label_usages(rule["expr"])}
        assert "cluster" not in names, rule["expr"]
        assert "platform-critical" not in rule["expr"]
        promql_parser.parse(rule["expr"])
        assert "$labels.cluster " not in str(rule.get("annotations", "")) + " "
    down = next(r for r in rules if r.get("alert") == "PlatformDown")
    assert OURS in down["expr"] and "$labels.k8s_cluster" in down["annotations"]["description"]
    promtool = shutil.which("promtool") or "promtool"
    subprocess.run([promtool, "check", "rules", *map(str, files)], check=True, capture_output=True)
    # the committed files stay the design's (their drift check) and are never overwritten this way
    assert main(["rules", "--platform"]) == 2
    monkeypatch.setenv("DATAOPS_CRITICAL_SERVICES", 'job="a"} or vector(1')
    assert main(["rules", "--platform", "--out", str(tmp_path)]) == 2
