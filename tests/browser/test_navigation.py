"""Browser tests: real Chromium against the app on the real demo Prometheus."""
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from webapp.app import create_app

from ..conftest import free_port

pytestmark = pytest.mark.browser
STATUSES = {"ok", "warning", "critical", "unknown"}


@pytest.fixture
def app_url(dash_duo, settings):
    dash_duo.start_server(create_app(settings), port=free_port())
    return dash_duo.server_url


def wait_until(dash_duo, predicate, timeout=40):
    return WebDriverWait(dash_duo.driver, timeout).until(lambda d: predicate(d))


def panels_settled(driver):
    panels = driver.find_elements(By.CSS_SELECTOR, "[data-panel]")
    return panels and not driver.find_elements(By.CSS_SELECTOR, "[data-panel].state-loading")


def panel_states(driver):
    return {e.get_attribute("data-panel"): e.get_attribute("class").split()[1]
            for e in driver.find_elements(By.CSS_SELECTOR, "[data-panel]")}


def test_level0_shows_six_tiles_with_a_status(dash_duo, app_url):
    dash_duo.driver.get(app_url + "/")
    wait_until(dash_duo, lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-tile]")) == 6)
    tiles = {e.get_attribute("data-tile"): e.get_attribute("data-status")
             for e in dash_duo.driver.find_elements(By.CSS_SELECTOR, "[data-tile]")}
    assert set(tiles) == {"gitops", "capacity", "workloads", "pipeline", "optimize", "e2e"}
    assert set(tiles.values()) <= STATUSES
    assert tiles["gitops"] in ("warning", "critical")  # the demo's stories: a failing job, a Degraded app
    assert sum(1 for status in tiles.values() if status == "critical") <= 2   # a mostly healthy platform
    # the tile ranks its breaches (P1 first) and links each entity to its Level 2 page, keeping the view
    breaches = dash_duo.driver.find_elements(By.CSS_SELECTOR, '[data-tile="gitops"] li.tile-breach')
    priorities = [b.get_attribute("data-priority") for b in breaches]
    assert priorities and priorities == sorted(priorities)
    assert all(int(b.get_attribute("data-breaching")) <= int(b.get_attribute("data-total")) for b in breaches)
    app_link = dash_duo.driver.find_element(
        By.CSS_SELECTOR, '[data-tile="gitops"] li[data-breach="argocd_unhealthy"] a.tile-problem-link')
    assert urlsplit(app_link.get_attribute("href")).path.startswith("/gitops/argocd/")
    assert dash_duo.get_logs() == []


def test_clicking_gitops_carries_time_range_and_filters(dash_duo, app_url):
    dash_duo.driver.get(app_url + "/?from=now-24h&to=now&var-namespace=airflow")
    tile = wait_until(dash_duo, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-tile="gitops"] a'))[0]
    tile.click()
    wait_until(dash_duo, lambda d: urlsplit(d.current_url).path == "/gitops")
    query = parse_qs(urlsplit(dash_duo.driver.current_url).query, keep_blank_values=True)
    assert query["from"] == ["now-24h"] and query["var-namespace"] == ["airflow"]
    wait_until(dash_duo, panels_settled)
    states = panel_states(dash_duo.driver)
    assert "state-error" not in states.values()
    assert states["pod-status-by-namespace"] == "state-ok"
    assert dash_duo.get_logs() == []


def test_shared_url_reproduces_the_view(dash_duo, app_url):
    dash_duo.driver.get(app_url + "/gitops?from=now-24h&to=now&var-namespace=ml-serving")
    wait_until(dash_duo, panels_settled)
    picker = dash_duo.driver.find_element(By.ID, "var-namespace")
    assert "ml-serving" in picker.text
    assert dash_duo.driver.find_element(By.ID, "time-from").get_attribute("value") == "now-24h"
    states = panel_states(dash_duo.driver)
    assert states["image-pull-status"] == "state-ok"  # the namespace with image-pull errors
    assert "state-error" not in states.values()
    bars = dash_duo.driver.find_element(By.CSS_SELECTOR, '[data-panel="pod-status-by-namespace"]').text
    assert "ml-serving" in bars or dash_duo.driver.find_elements(
        By.CSS_SELECTOR, '[data-panel="pod-status-by-namespace"] .js-plotly-plot')
    assert dash_duo.get_logs() == []


def test_quick_range_updates_the_url_and_kiosk_hides_navigation(dash_duo, app_url):
    dash_duo.driver.get(app_url + "/gitops?kiosk")
    wait_until(dash_duo, panels_settled)
    assert not dash_duo.driver.find_elements(By.ID, "app-nav")
    assert dash_duo.driver.find_element(By.ID, "filter-bar")
    dash_duo.select_dcc_dropdown("#time-quick", "Last 2 days")
    wait_until(dash_duo, lambda d: "from=now-2d" in d.current_url)
    assert "kiosk" in parse_qs(urlsplit(dash_duo.driver.current_url).query, keep_blank_values=True)
    wait_until(dash_duo, panels_settled)
    assert not dash_duo.driver.find_elements(By.ID, "app-nav")
    assert dash_duo.get_logs() == []


def test_theme_switch_keeps_the_page_and_the_view(dash_duo, app_url):
    driver = dash_duo.driver
    driver.get(app_url + "/workloads/airflow/sales_mart_refresh?from=now-2h&var-cluster=prod-east")
    wait_until(dash_duo, panels_settled)
    driver.find_element(By.ID, "theme-toggle").click()
    wait_until(dash_duo, lambda d: "theme=dark" in d.current_url and d.find_elements(By.CSS_SELECTOR, ".page.theme-dark"))
    url = urlsplit(driver.current_url)
    assert url.path == "/workloads/airflow/sales_mart_refresh"
    query = parse_qs(url.query)
    assert (query["from"], query["var-cluster"], query["theme"]) == (["now-2h"], ["prod-east"], ["dark"]), query
    wait_until(dash_duo, panels_settled)
    driver.find_element(By.ID, "theme-toggle").click()
    wait_until(dash_duo, lambda d: "theme=" not in d.current_url and d.find_elements(By.CSS_SELECTOR, ".page.theme-light"))
    assert dash_duo.get_logs() == []


def test_hostile_url_renders_a_normal_page_with_a_note(dash_duo, app_url):
    dash_duo.driver.get(app_url + '/gitops?var-namespace=a%22%7D%20or%20vector(1)%20%23&from=garbage&var-x=1')
    wait_until(dash_duo, panels_settled)
    notes = dash_duo.driver.find_element(By.ID, "view-notes").text
    assert "time range" in notes and "unknown variable" in notes
    states = panel_states(dash_duo.driver)
    assert "state-error" not in states.values()
    assert states["pod-status-by-namespace"] == "state-empty"
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("path", ["/capacity", "/workloads", "/pipeline", "/optimize", "/e2e"])
def test_every_domain_page_loads_without_error_panels(dash_duo, app_url, path):
    dash_duo.driver.get(app_url + path + "?from=now-6h&to=now")
    wait_until(dash_duo, panels_settled, timeout=60)
    states = panel_states(dash_duo.driver)
    assert len(states) >= 20
    assert [p for p, s in states.items() if s == "state-error"] == []
    assert dash_duo.get_logs() == []
