"""Shared fixtures: the real demo Prometheus (started once per session) and Chromium options."""
from __future__ import annotations

import os
import pathlib

import pytest
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

    platform = DemoPlatform(DATA_ROOT, scale="tiny", seed=42)
    platform.start()
    yield platform
    platform.stop()


@pytest.fixture(scope="session")
def prometheus_url(demo_platform) -> str:
    return demo_platform.url


@pytest.fixture
def settings(prometheus_url) -> Settings:
    return Settings(prometheus_url=prometheus_url, query_timeout_seconds=15)
