"""promtool checks and unit-tests every rule file (promtool comes with the prometheus package)."""
import pathlib
import shutil
import subprocess

import pytest

from webapp.rules import RULES_DIR

PROMTOOL = shutil.which("promtool") or "promtool"
RULE_FILES = sorted(RULES_DIR.glob("*.rules.yml"))
TEST_FILES = sorted((RULES_DIR / "tests").glob("*.test.yml"))


def _run(*args, cwd=None):
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_rule_files_exist():
    assert {p.name for p in RULE_FILES} == {"thresholds.rules.yml", "named.rules.yml", "slo.rules.yml",
                                            "recording.rules.yml"}
    assert {p.name for p in TEST_FILES} == {"generated.test.yml", "named.test.yml"}


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_promtool_check_rules(path: pathlib.Path):
    proc = _run("check", "rules", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_promtool_test_rules(path: pathlib.Path):
    proc = _run("test", "rules", path.name, cwd=path.parent)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]


def test_promtool_test_catches_a_wrong_expectation(tmp_path):
    """The harness really compares: a broken expectation fails."""
    text = (RULES_DIR / "tests" / "named.test.yml").read_text().replace("../", f"{RULES_DIR}/")
    broken = tmp_path / "broken.test.yml"
    broken.write_text(text.replace("instance: \"hms:9083\"", "instance: \"other:1\"", 1))
    proc = _run("test", "rules", str(broken))
    assert proc.returncode != 0


def test_duplicated_series_break_the_old_pod_start_up_join(tmp_path):
    """named.test.yml feeds the pod start-up rule every kube-state-metrics series twice (two replicas);
    the join as it was (`on (...)` over raw series) fails there with many-to-many matching, so the
    case really tests that the generated rule survives duplicates."""
    import yaml
    rules = yaml.safe_load((RULES_DIR / "thresholds.rules.yml").read_text())
    (rule,) = [r for g in rules["groups"] for r in g["rules"] if r.get("record") == "dataops:pod_startup:signal"]
    rule["expr"] = ("max by (cluster, namespace, pod) (kube_pod_status_ready_time - on (cluster, namespace, pod, uid) "
                    "kube_pod_created)")
    (tmp_path / "old.rules.yml").write_text(yaml.safe_dump(rules))
    tests = yaml.safe_load((RULES_DIR / "tests" / "named.test.yml").read_text())
    case = [t for t in tests["tests"] if t["name"].startswith("PodStartup survives duplicated series")]
    assert len(case) == 1
    (tmp_path / "old.test.yml").write_text(yaml.safe_dump({"rule_files": ["old.rules.yml"],
                                                           "evaluation_interval": "1m", "tests": case}))
    proc = _run("test", "rules", "old.test.yml", cwd=tmp_path)
    assert proc.returncode != 0 and "many-to-many" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
