"""Browser test: a table panel (one component holding HTML) shows its rows, and its drill-down
links open the entity's page inside the app, as dcc.Link's do (no page reload)."""
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.by import By

from webapp.app import create_app

from ..conftest import free_port

from .test_navigation import wait_until

pytestmark = pytest.mark.browser


def test_a_table_link_opens_the_entity_page_without_reloading(dash_duo, settings):
    dash_duo.start_server(create_app(settings), port=free_port())
    dash_duo.driver.get(dash_duo.server_url + "/gitops?from=now-24h&to=now")
    table = '[data-panel="jenkins-jobs"].state-ok .panel-table[role="region"] table'
    wait_until(dash_duo, lambda d: d.find_elements(By.CSS_SELECTOR, table + " tbody tr"))
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, table + " thead th")
    link = wait_until(dash_duo, lambda d: d.find_elements(By.CSS_SELECTOR, table + " a.entity-link"))[0]
    job = link.text
    assert urlsplit(link.get_attribute("href")).path == f"/gitops/jenkins/{job}"
    dash_duo.driver.execute_script("window.__sameDocument = true; arguments[0].scrollIntoView({block: 'center'});",
                                   link)
    dash_duo.driver.execute_script("arguments[0].click();", link)
    wait_until(dash_duo, lambda d: urlsplit(d.current_url).path == f"/gitops/jenkins/{job}")
    assert parse_qs(urlsplit(dash_duo.driver.current_url).query)["from"] == ["now-24h"]
    assert dash_duo.driver.execute_script("return window.__sameDocument === true;")  # no reload
    wait_until(dash_duo, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-panel]"))
    assert dash_duo.get_logs() == []
