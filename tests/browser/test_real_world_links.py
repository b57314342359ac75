"""Browser tests of links from the real world: filters through every page, the browser's time
zone, a "+" typed into the address bar, a folder job's page, and short links for long views."""
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from webapp.app import create_app

from ..conftest import free_port

from .test_navigation import panel_states, panels_settled, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
def app_url(dash_duo, settings, tmp_path):
    import dataclasses
    settings = dataclasses.replace(settings, short_links_dir=str(tmp_path / "links"))
    dash_duo.start_server(create_app(settings), port=free_port())
    return dash_duo.server_url


def _nav(dash_duo, title):
    """Click a navigation link; the page may re-render under the click (then find it again)."""
    def click(driver):
        try:
            link = [a for a in driver.find_elements(By.CSS_SELECTOR, "#app-nav a.nav-link") if a.text == title]
            if link:
                link[0].click()
                return True
        except StaleElementReferenceException:
            pass
        return False
    wait_until(dash_duo, click)


def _query(driver):
    return parse_qs(urlsplit(driver.current_url).query, keep_blank_values=True)


def test_filters_survive_pages_that_do_not_use_them(dash_duo, app_url):
    dash_duo.driver.get(app_url + "/capacity?var-cluster=prod-east&var-namespace=spark-jobs")
    wait_until(dash_duo, panels_settled, timeout=60)
    for through in ("Alerts", "SLOs", "E2E"):
        _nav(dash_duo, through)
        wait_until(dash_duo, lambda d: urlsplit(d.current_url).path != "/capacity")
        assert _query(dash_duo.driver)["var-namespace"] == ["spark-jobs"], through
        _nav(dash_duo, "Capacity")
        wait_until(dash_duo, lambda d: urlsplit(d.current_url).path == "/capacity")
        query = _query(dash_duo.driver)
        assert query["var-cluster"] == ["prod-east"] and query["var-namespace"] == ["spark-jobs"], through
    # A filter changed on a page that shows only some of them keeps the others.
    _nav(dash_duo, "E2E")
    wait_until(dash_duo, panels_settled, timeout=60)
    dash_duo.select_dcc_dropdown("#time-quick", "Last 2 days")
    wait_until(dash_duo, lambda d: "from=now-2d" in d.current_url)
    assert _query(dash_duo.driver)["var-namespace"] == ["spark-jobs"]
    assert dash_duo.get_logs() == []


def test_browser_time_zone_reaches_the_server(dash_duo, app_url):
    dash_duo.driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Seoul"})
    dash_duo.driver.get(app_url + "/gitops?from=now/d&to=now&timezone=browser")
    zone = wait_until(dash_duo, lambda d: d.find_elements(By.ID, "time-zone"))[0]
    assert zone.get_attribute("data-timezone") == "Asia/Seoul"
    wait_until(dash_duo, panels_settled, timeout=60)
    axis = dash_duo.driver.find_element(By.CSS_SELECTOR, '[data-panel="jenkins-build-results"] .xtitle').text
    assert axis == "Time (Asia/Seoul)"
    assert dash_duo.get_logs() == []


def test_an_unencoded_plus_in_a_typed_url(dash_duo, app_url):
    dash_duo.driver.get(app_url + "/capacity?from=2024-03-10T08:00:00+01:00&to=2024-03-10T12:00:00+01:00")
    wait_until(dash_duo, lambda d: d.find_elements(By.ID, "time-from"))
    assert dash_duo.driver.find_element(By.ID, "time-from").get_attribute("value") == "2024-03-10T08:00:00+01:00"
    notes = dash_duo.driver.find_elements(By.ID, "view-notes")
    assert not notes or "time range" not in notes[0].text


def test_folder_job_typed_with_its_slash(dash_duo, app_url):
    dash_duo.driver.get(app_url + "/gitops/jenkins/team-a/ingest-replay?from=now-24h")
    wait_until(dash_duo, panels_settled, timeout=60)
    assert dash_duo.driver.find_element(By.CSS_SELECTOR, "h1.page-title").text == "Jenkins job: team-a/ingest-replay"
    assert panel_states(dash_duo.driver)["l2-jenkins-success"] == "state-ok"
    assert dash_duo.get_logs() == []


def test_share_button_gives_a_short_link_for_a_long_view(dash_duo, app_url):
    namespaces = "&".join(f"var-namespace=team-{i:02d}-data-platform-spark-jobs" for i in range(50))
    dash_duo.driver.get(app_url + "/capacity?from=now-6h&to=now&" + namespaces)
    wait_until(dash_duo, panels_settled, timeout=60)
    wait_until(dash_duo, lambda d: d.find_elements(By.ID, "share-button"))[0].click()
    short = wait_until(dash_duo, lambda d: d.find_element(By.ID, "share-url").get_attribute("value"))
    assert short.startswith(app_url + "/s/")
    dash_duo.driver.get(short)
    wait_until(dash_duo, lambda d: urlsplit(d.current_url).path == "/capacity")
    assert len(_query(dash_duo.driver)["var-namespace"]) == 50
