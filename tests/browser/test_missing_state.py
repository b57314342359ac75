"""Browser: against the real-exporter corpus, missing metrics show the missing state, and /datasources renders."""
from __future__ import annotations

import dataclasses

import pytest
from selenium.webdriver.common.by import By

from webapp.app import create_app
from webapp.settings import Settings

from ..conftest import free_port
from .test_navigation import panel_states, panels_settled, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
def corpus_app_url(dash_duo, corpus_prometheus):
    settings = dataclasses.replace(Settings(prometheus_url=corpus_prometheus.url, query_timeout_seconds=15),
                                   cluster_label=corpus_prometheus.cluster_label)
    dash_duo.start_server(create_app(settings), port=free_port())
    return dash_duo.server_url


def test_missing_metrics_are_named_not_no_data(dash_duo, corpus_app_url):
    dash_duo.driver.get(corpus_app_url + "/pipeline")
    wait_until(dash_duo, panels_settled, timeout=60)
    states = panel_states(dash_duo.driver)
    assert states["iceberg-tables"] == "state-missing"
    panel = dash_duo.driver.find_element(By.CSS_SELECTOR, '[data-panel="iceberg-tables"]')
    assert "iceberg_table_" in panel.text and "Iceberg table exporter" in panel.text
    assert "No data" not in panel.text
    assert dash_duo.get_logs() == []


def test_datasources_page_lists_exporters(dash_duo, corpus_app_url, corpus_prometheus):
    dash_duo.driver.get(corpus_app_url + "/datasources")
    wait_until(dash_duo, lambda d: d.find_elements(By.CSS_SELECTOR, "#datasources-exporters [data-exporter]"))
    found = {e.get_attribute("data-exporter"): e.get_attribute("data-found")
             for e in dash_duo.driver.find_elements(By.CSS_SELECTOR, "[data-exporter]")}
    assert all(found[name] == "true" for name in corpus_prometheus.exporters)
    assert found["iceberg"] == "false"
    pages = {e.get_attribute("data-page") for e in dash_duo.driver.find_elements(By.CSS_SELECTOR, "[data-page]")}
    assert {"/gitops", "/capacity", "/workloads", "/pipeline", "/optimize", "/e2e"} <= pages
    health = {e.get_attribute("data-source"): e.get_attribute("data-up")
              for e in dash_duo.driver.find_elements(By.CSS_SELECTOR, "#datasources-sources [data-source]")}
    assert health["prometheus"] == "true" and health["airflow"] == "unconfigured"
    assert dash_duo.get_logs() == []
