"""Browser tests: Grafana dashboards imported as files are pages like the built-in ones."""
import dataclasses
import pathlib
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from webapp.app import create_app
from webapp.grafana.commands import import_main

from ..conftest import free_port
from .test_navigation import panel_states, panels_settled, wait_until

pytestmark = pytest.mark.browser
FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures" / "grafana"


@pytest.fixture
def app_url(dash_duo, settings, tmp_path):
    class Args:
        files = sorted(str(p) for p in FIXTURES.glob("*.json"))
        out = str(tmp_path / "dashboards")
    assert import_main(Args) == 0
    app = create_app(dataclasses.replace(settings, dashboards_dir=Args.out))
    dash_duo.start_server(app, port=free_port())
    return dash_duo.server_url


def _choose(dash_duo, selector: str, value: str, attempts: int = 3) -> None:
    """Pick one option of a dropdown whose list may reach below the window. A URL change redraws the
    filter bar, which can replace the dropdown between finding it and clicking it: then find it again."""
    for attempt in range(attempts):
        try:
            dash_duo.find_element(selector).click()
            option = wait_until(dash_duo, lambda d: [o for o in d.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
                                                     if o.text == value])[0]
            dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", option)
            option.click()
            return
        except StaleElementReferenceException:
            if attempt == attempts - 1:
                raise


def _query(driver) -> dict:
    return parse_qs(urlsplit(driver.current_url).query, keep_blank_values=True)


def test_imported_dashboard_from_the_navigation_with_filters_time_and_links(dash_duo, app_url):
    driver = dash_duo.driver
    driver.get(app_url + "/?from=now-6h&to=now")
    wait_until(dash_duo, lambda d: d.find_elements(By.ID, "file-dashboards-menu"))
    driver.find_element(By.CSS_SELECTOR, "#file-dashboards-menu .dropdown-toggle").click()
    entry = wait_until(dash_duo, lambda d: [e for e in d.find_elements(By.CSS_SELECTOR, ".file-dashboard-link")
                                            if "Pods by namespace" in e.text])[0]
    entry.click()
    wait_until(dash_duo, lambda d: urlsplit(d.current_url).path == "/d/fx-pods")
    wait_until(dash_duo, panels_settled, timeout=60)
    states = panel_states(driver)
    assert states["p3-cpu-usage-by-namespace"] == "state-ok"
    assert states["p2-running-pods"] == "state-ok"
    assert states["p4-restarts-per-resolution-step"] in ("state-ok", "state-empty")
    assert "state-error" not in states.values()
    about = driver.find_element(By.CSS_SELECTOR, '[data-panel="p5-about"]').text
    assert "Not supported: panel type text" in about
    # Its own filters: the interval and custom variables show their defaults; a namespace goes into the URL.
    assert "5m" in driver.find_element(By.ID, "var-resolution").text
    _choose(dash_duo, "#var-namespace", "ml-serving")
    wait_until(dash_duo, lambda d: _query(d).get("var-namespace") == ["ml-serving"])
    wait_until(dash_duo, panels_settled, timeout=60)
    _choose(dash_duo, "#time-quick", "Last 24 hours")
    wait_until(dash_duo, lambda d: _query(d).get("from") == ["now-24h"])
    assert _query(driver).get("var-namespace") == ["ml-serving"]
    wait_until(dash_duo, panels_settled, timeout=60)
    assert "state-error" not in panel_states(driver).values()
    # The table's data link leads to the other imported dashboard, with the row's pod and the time range.
    link = wait_until(dash_duo, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-panel="p7-pods"] a.entity-link'))[0]
    pod = link.text
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", link)
    wait_until(dash_duo, lambda d: urlsplit(d.current_url).path == "/d/fx-pod")
    query = _query(driver)
    assert query["var-pod"] == [pod] and query["var-namespace"] == ["ml-serving"] and query["from"] == ["now-24h"]
    wait_until(dash_duo, panels_settled, timeout=60)
    states = panel_states(driver)
    assert states["p1-cpu-by-container"] == "state-ok"
    assert states["p2-memory-mean-over-the-range"] == "state-ok"
    assert "Not supported: datasource loki" in driver.find_element(By.CSS_SELECTOR, '[data-panel="p3-logs"]').text
    assert pod in driver.find_element(By.ID, "var-pod").text
    # Its share link: this view's URL, which opened afresh gives back the same filters and time range.
    before = _query(driver)
    wait_until(dash_duo, lambda d: d.find_elements(By.ID, "share-button"))[0].click()
    shared = wait_until(dash_duo, lambda d: d.find_element(By.ID, "share-url").get_attribute("value"))
    assert urlsplit(shared).path == "/d/fx-pod" and parse_qs(urlsplit(shared).query, keep_blank_values=True) == before
    driver.get(app_url + "/")
    wait_until(dash_duo, lambda d: urlsplit(d.current_url).path == "/")
    driver.get(shared)
    wait_until(dash_duo, panels_settled, timeout=60)
    assert pod in driver.find_element(By.ID, "var-pod").text
    assert driver.find_element(By.ID, "time-from").get_attribute("value") == "now-24h"
    assert panel_states(driver)["p1-cpu-by-container"] == "state-ok"
    assert dash_duo.get_logs() == []


def test_default_time_range_and_hostile_values(dash_duo, app_url):
    driver = dash_duo.driver
    driver.get(app_url + '/d/fx-pods?var-namespace=a%22%7D%20or%20vector(1)%20%23&var-resolution=1h%22'
                         '&var-container_filter=.%2A%22')
    wait_until(dash_duo, panels_settled, timeout=60)
    assert driver.find_element(By.ID, "time-from").get_attribute("value") == "now-3h"  # the file's default
    states = panel_states(driver)
    assert states["p3-cpu-usage-by-namespace"] == "state-error"      # not one of the custom options
    assert states["p4-restarts-per-resolution-step"] == "state-error"  # not a duration
    assert states["p2-running-pods"] == "state-empty"                 # a namespace that does not exist
    assert dash_duo.get_logs() == []
