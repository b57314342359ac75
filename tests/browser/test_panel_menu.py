"""Browser: the panel menu on each panel kind of /gitops (one page load), full view and incident links."""
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from webapp.app import create_app

from ..conftest import free_port
from .test_navigation import panels_settled, wait_until

pytestmark = pytest.mark.browser
ACTIONS = ["promql", "explore", "csv", "png", "view", "incident-link"]
KINDS = {"restarts-trend": "timeseries", "jenkins-success-rate": "stat", "jenkins-build-duration": "bar",
         "jenkins-jobs": "table", "git-pull-requests": "pie", "jenkins-success-by-hour": "timeofday"}
PICTURE = """
return window.dataopsPanelPicture(arguments[0]).then(function (url) { return url.slice(0, 40); },
                                                     function (e) { return "error: " + e; });
"""


@pytest.fixture
def app_url(dash_duo, settings):
    dash_duo.start_server(create_app(settings), port=free_port())
    return dash_duo.server_url


def _panel(driver, pid):
    return driver.find_element(By.CSS_SELECTOR, f'[data-panel="{pid}"]')


def _open_menu(dash_duo, pid):
    """Open the panel's menu from the keyboard; the first item takes the focus."""
    toggle = _panel(dash_duo.driver, pid).find_element(By.CSS_SELECTOR, ".panel-menu-toggle")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();", toggle)
    toggle.send_keys(Keys.ENTER)
    wait_until(dash_duo, lambda d: d.switch_to.active_element.get_attribute("data-action") == "promql")
    return toggle


def _dialog_text(dash_duo, contains):
    wait_until(dash_duo, lambda d: contains in (d.find_element(By.ID, "panel-dialog-text").text
                                                if d.find_elements(By.ID, "panel-dialog-text") else ""))
    return dash_duo.driver.find_element(By.ID, "panel-dialog-text").text


def _close_dialog(dash_duo):
    dash_duo.driver.find_element(By.ID, "panel-dialog-text").send_keys(Keys.ESCAPE)
    wait_until(dash_duo, lambda d: not d.find_elements(By.CSS_SELECTOR, ".modal.show"))


def test_menu_on_every_panel_kind(dash_duo, app_url):
    driver = dash_duo.driver
    driver.get(app_url + "/gitops?from=now-3h&to=now&var-cluster=prod-east")
    wait_until(dash_duo, panels_settled, timeout=60)
    for pid in KINDS:
        toggle = _open_menu(dash_duo, pid)
        items = _panel(driver, pid).find_elements(By.CSS_SELECTOR, ".panel-menu [data-action]")
        assert [i.get_attribute("data-action") for i in items] == ACTIONS, pid
        assert toggle.get_attribute("aria-expanded") == "true"
        driver.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
        assert driver.switch_to.active_element.get_attribute("data-action") == "explore"
        driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        wait_until(dash_duo, lambda d: not d.find_elements(By.CSS_SELECTOR, ".panel-menu.show"))
        assert driver.switch_to.active_element == toggle and toggle.get_attribute("aria-expanded") == "false"
    # Tables have no picture; every chart kind has one.
    assert _panel(driver, "jenkins-jobs").find_element(By.CSS_SELECTOR, '[data-action="png"]').get_attribute("disabled")
    for pid, kind in KINDS.items():
        if kind != "table":
            assert driver.execute_script(PICTURE, pid).startswith("data:image/png;base64,"), pid

    # PromQL as sent: variables filled, in a dialog with a copy button.
    _open_menu(dash_duo, "restarts-trend")
    driver.switch_to.active_element.send_keys(Keys.ENTER)          # the focused first item: PromQL
    text = _dialog_text(dash_duo, 'cluster="prod-east"')
    assert "$" not in text and "Range query from" in driver.find_element(By.ID, "panel-dialog-notes").text
    driver.execute_script("arguments[0].click();", driver.find_element(By.ID, "panel-dialog-copy"))
    wait_until(dash_duo, lambda d: d.find_element(By.ID, "panel-dialog-copied").text == "Copied")
    _close_dialog(dash_duo)

    # CSV and Explore are links carrying the view.
    _open_menu(dash_duo, "restarts-trend")
    menu = _panel(driver, "restarts-trend")
    csv_href = menu.find_element(By.CSS_SELECTOR, '[data-action="csv"]').get_attribute("href")
    explore_href = menu.find_element(By.CSS_SELECTOR, '[data-action="explore"]').get_attribute("href")
    answer = requests.get(csv_href, timeout=30)
    assert answer.status_code == 200 and answer.text.startswith("time,")
    assert "var-cluster=prod-east" in csv_href and "var-cluster=prod-east" in explore_href
    view_href = menu.find_element(By.CSS_SELECTOR, '[data-action="view"]').get_attribute("href")

    # Incident link: absolute range, the panel in full view.
    driver.switch_to.active_element.send_keys(Keys.END)             # the last item
    assert driver.switch_to.active_element.get_attribute("data-action") == "incident-link"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    link = _dialog_text(dash_duo, "viewPanel=restarts-trend")
    query = parse_qs(urlsplit(link).query)
    assert query["from"][0].isdigit() and query["to"][0].isdigit() and query["var-cluster"] == ["prod-east"]
    _close_dialog(dash_duo)
    assert dash_duo.get_logs() == []

    # Full view: its own URL shows that panel alone, full width; the way back keeps the view.
    driver.get(view_href)
    wait_until(dash_duo, panels_settled, timeout=60)
    panels = driver.find_elements(By.CSS_SELECTOR, "[data-panel]")
    assert [p.get_attribute("data-panel") for p in panels] == ["restarts-trend"]
    assert "panel-full" in panels[0].get_attribute("class") and "state-ok" in panels[0].get_attribute("class")
    back = driver.find_element(By.ID, "full-view-back").get_attribute("href")
    assert "viewPanel" not in back and "var-cluster=prod-east" in back
    assert dash_duo.get_logs() == []


def test_unknown_and_hostile_view_panel_get_a_note(dash_duo, app_url):
    driver = dash_duo.driver
    driver.get(app_url + "/gitops?viewPanel=no-such-panel")
    note = wait_until(dash_duo, lambda d: d.find_elements(By.ID, "view-panel-note"))[0]
    assert "no-such-panel" in note.text
    assert len(driver.find_elements(By.CSS_SELECTOR, "[data-panel]")) > 10   # the whole dashboard
    driver.get(app_url + "/gitops?viewPanel=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    notes = wait_until(dash_duo, lambda d: d.find_elements(By.ID, "view-notes"))[0]
    assert "Ignored viewPanel" in notes.text and not driver.find_elements(By.CSS_SELECTOR, "img[src='x']")
    assert dash_duo.get_logs() == []


def test_menu_on_spark_history_panels(dash_duo, settings, demo_platform):
    """REST panels (gantt, rows): the menu says what they read, has no Explore, and gives their rows as CSV."""
    import dataclasses
    settings = dataclasses.replace(settings, spark_history_url=demo_platform.spark_history_url,
                                   airflow_api_url=demo_platform.airflow_api_url)
    dash_duo.start_server(create_app(settings), port=free_port())
    driver = dash_duo.driver
    driver.get(dash_duo.server_url + "/workloads?from=now-24h&to=now")
    link = wait_until(dash_duo, lambda d: d.find_elements(By.CSS_SELECTOR, "a.entity-link[href^='/workloads/spark/']"),
                      timeout=60)[0].get_attribute("href")
    driver.get(link)
    wait_until(dash_duo, panels_settled, timeout=60)
    for pid, kind in (("l2-spark-stages", "gantt"), ("l2-spark-stage-table", "rows")):
        _open_menu(dash_duo, pid)
        items = {i.get_attribute("data-action"): i
                 for i in _panel(driver, pid).find_elements(By.CSS_SELECTOR, ".panel-menu [data-action]")}
        assert list(items) == ACTIONS
        assert items["explore"].get_attribute("disabled")
        assert bool(items["png"].get_attribute("disabled")) == (kind == "rows")
        answer = requests.get(items["csv"].get_attribute("href"), timeout=30)
        assert answer.status_code == 200 and "Stage" in answer.text.splitlines()[0]
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        assert "spark_history: stages" in _dialog_text(dash_duo, "spark_history")
        assert "Spark History Server" in driver.find_element(By.ID, "panel-dialog-notes").text
        _close_dialog(dash_duo)
    assert driver.execute_script(PICTURE, "l2-spark-stages").startswith("data:image/png;base64,")
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("path, pid", [("/capacity", "minio-capacity"), ("/workloads", "airflow-task-heatmap"),
                                       ("/e2e", "e2e-pipeline-map")])
def test_menu_on_gauge_heatmap_and_flow_in_full_view(dash_duo, app_url, path, pid):
    """The kinds /gitops lacks, each opened in full view: its menu from the keyboard, a picture, its CSV."""
    driver = dash_duo.driver
    driver.get(f"{app_url}{path}?from=now-6h&to=now&viewPanel={pid}")
    wait_until(dash_duo, panels_settled, timeout=60)
    assert [p.get_attribute("data-panel") for p in driver.find_elements(By.CSS_SELECTOR, "[data-panel]")] == [pid]
    _open_menu(dash_duo, pid)
    items = {i.get_attribute("data-action"): i
             for i in _panel(driver, pid).find_elements(By.CSS_SELECTOR, ".panel-menu [data-action]")}
    assert list(items) == ACTIONS and not items["png"].get_attribute("disabled")
    assert driver.execute_script(PICTURE, pid).startswith("data:image/png;base64,")
    answer = requests.get(items["csv"].get_attribute("href"), timeout=30)
    assert answer.status_code == 200 and answer.text.strip()
    driver.switch_to.active_element.send_keys(Keys.ENTER)           # PromQL
    assert "$" not in _dialog_text(dash_duo, "(")
    _close_dialog(dash_duo)
    assert dash_duo.get_logs() == []
