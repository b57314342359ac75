"""Shared fixtures: the real demo Prometheus (started once per session) and Chromium options."""
from __future__ import annotations

import os
import pathlib
import time

import pytest
import requests
from selenium.webdriver.chrome.options import Options

from webapp.settings import Settings

DATA_ROOT = pathlib.Path(os.environ.get("DATAOPS_TEST_DATA", pathlib.Path(__file__).parent.parent / ".demo-data" / "tests"))


def pytest_setup_options():
    """Chromium for dash_duo: headless, and no background traffic to a network we do not have."""
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1400,1000"):
        options.add_argument(arg)
    return options


@pytest.fixture(scope="session")
def demo_platform():
    """The embedded demo platform at the tiny scale: a real Prometheus with simulated history."""
    from webapp.demo.platform import DemoPlatform

    from webapp.cli import _rule_files

    platform = DemoPlatform(DATA_ROOT, scale="tiny", seed=42, rule_files=_rule_files())
    platform.start()
    _wait_for_live_scrapes(platform.url)
    yield platform
    platform.stop()


def _wait_for_live_scrapes(url: str, timeout: float = 60) -> None:
    """Rates over the last minutes need two live scrapes after the backfill; wait for them."""
    deadline = time.monotonic() + timeout
    query = 'min(count_over_time(up{job="kube-state-metrics"}[40s]))'
    while time.monotonic() < deadline:
        answer = requests.get(f"{url}/api/v1/query", params={"query": query}, timeout=5).json()
        result = answer.get("data", {}).get("result", [])
        if result and float(result[0]["value"][1]) >= 3:
            return
        time.sleep(2)


@pytest.fixture(scope="session")
def prometheus_url(demo_platform) -> str:
    return demo_platform.url


@pytest.fixture
def settings(prometheus_url) -> Settings:
    return Settings(prometheus_url=prometheus_url, query_timeout_seconds=15)


def free_port() -> int:
    """A free loopback port, so that browser tests of several checkouts can run side by side."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CORPUS_CLUSTER_LABEL = "k8s_cluster"  # not `cluster`: the corpus tests prove nothing assumes the name


@pytest.fixture(scope="session")
def corpus_prometheus():
    """A real Prometheus scraping the real-exporter corpus (tests/corpus.py), two clusters told apart by
    `k8s_cluster`. The corpus is part of the test setup: without it the tests fail, they do not skip."""
    from tests.corpus import CorpusPrometheus, corpus_dir, corpus_files

    if not corpus_files():
        pytest.fail(f"the real-exporter corpus is absent from {corpus_dir()} (set DATAOPS_CORPUS_DIR)")
    corpus = CorpusPrometheus(DATA_ROOT / "corpus", cluster_label=CORPUS_CLUSTER_LABEL)
    corpus.start()
    yield corpus
    corpus.stop()
