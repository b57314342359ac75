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
