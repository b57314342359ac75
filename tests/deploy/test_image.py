"""The image: Dockerfile clean under hadolint, dependencies declared, used and locked."""
from __future__ import annotations

import ast
import importlib.metadata
import pathlib
import re
import subprocess
import sys
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
LOCK = (ROOT / "requirements.lock").read_text()
PRODUCT = ("webapp", "components", "pages")
# Needed at run time though no module-level import of ours names them: the Redis client (imported
# only when a Redis URL is set) and the IANA time zone database `zoneinfo` reads where the image has none.
RUNTIME_ONLY = {"redis", "tzdata"}
# Imported only by the commands that need them, installed as extras (the exporters stage of the image
# installs `iceberg`; `demo` serves only the embedded demo's history); not in the app's lock.
OPTIONAL_EXTRAS = ("iceberg", "demo")


def _runtime_requirements() -> list[Requirement]:
    return [Requirement(r) for r in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["redis"]]


def _locked() -> dict[str, str]:
    return {canonicalize_name(name): version
            for name, version in re.findall(r"^([A-Za-z0-9._-]+)==([^\s\\]+)", LOCK, re.M)}


def test_dockerfile_is_clean_under_hadolint():
    hadolint = pathlib.Path(sys.executable).with_name("hadolint")
    done = subprocess.run([str(hadolint), "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "", done.stdout + done.stderr


def test_hadolint_would_catch_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install flask\nCMD dataops-monitor serve\n")
    hadolint = pathlib.Path(sys.executable).with_name("hadolint")
    done = subprocess.run([str(hadolint), "--no-color", str(bad)], capture_output=True, text=True)
    assert done.returncode != 0 and "DL3025" in done.stdout and "DL3006" in done.stdout


def test_dockerfile_installs_the_lock_with_hashes_and_copies_what_exists():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements.lock" in dockerfile
    assert "--no-deps" in dockerfile  # the project itself adds nothing unlocked
    for source in re.findall(r"^COPY (\S+)", dockerfile, re.M):
        assert (ROOT / source).exists(), source
    entries = re.split(r"\n(?=[A-Za-z0-9])", LOCK.split("\n\n", 1)[-1])
    pinned = [e for e in entries if "==" in e.split("\n", 1)[0]]
    assert pinned and all("--hash=sha256:" in e for e in pinned)


def test_lock_pins_every_runtime_dependency_within_its_range():
    locked = _locked()
    for req in _runtime_requirements():
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is missing from requirements.lock: run `make lock`"
        assert req.specifier.contains(locked[name], prereleases=True), (req, locked[name])
    for gone in ("pandas", "prometheus-api-client", "dateparser"):
        assert gone not in locked


def _third_party_imports() -> set[str]:
    stdlib = set(sys.stdlib_module_names)
    found = set()
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                found |= {n.split(".")[0] for n in names}
    return {n for n in found if n not in stdlib and n not in PRODUCT}


def test_every_import_is_a_declared_dependency_and_every_dependency_is_used():
    providers = importlib.metadata.packages_distributions()
    declared = {canonicalize_name(r.name) for r in _runtime_requirements()}
    optional = {canonicalize_name(Requirement(r).name) for extra in OPTIONAL_EXTRAS
                for r in PROJECT["optional-dependencies"][extra]}
    imported = set()
    for module in _third_party_imports():
        dists = {canonicalize_name(d) for d in providers.get(module, ())}
        assert dists & (declared | optional), f"{module} is imported but not declared in pyproject.toml ({dists})"
        imported |= dists & declared
    assert declared - imported <= RUNTIME_ONLY, declared - imported - RUNTIME_ONLY
