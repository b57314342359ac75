"""Browser tests of the drill-down paths: Level 0 -> Level 1 -> Level 2, back, and shared Level 2 URLs."""
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By

from webapp.app import create_app

from ..conftest import free_port

from .test_navigation import panel_states, panels_settled, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
def app_url(dash_duo, settings, demo_platform):
    import dataclasses
    settings = dataclasses.replace(settings, spark_history_url=demo_platform.spark_history_url,
                                   airflow_api_url=demo_platform.airflow_api_url)
    dash_duo.start_server(create_app(settings), port=free_port())
    return dash_duo.server_url


def _click_link(dash_duo, selector, text=None):
    def find(d):
        links = d.find_elements(By.CSS_SELECTOR, selector)
        return [a for a in links if text is None or a.text == text]
    link = wait_until(dash_duo, find)[0]
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
    dash_duo.driver.execute_script("arguments[0].click();", link)


def test_three_clicks_from_level0_reach_a_spark_application(dash_duo, app_url):
    dash_duo.driver.get(app_url + "/?from=now-24h&to=now")
    _click_link(dash_duo, '[data-tile="workloads"] a')                       # 1: the tile
    wait_until(dash_duo, lambda d: urlsplit(d.current_url).path == "/workloads")
    wait_until(dash_duo, panels_settled)
    _click_link(dash_duo, "a.entity-link[href^='/workloads/spark/']")      # 2: an application
    wait_until(dash_duo, lambda d: urlsplit(d.current_url).path.startswith("/workloads/spark/"))
    app_id = urlsplit(dash_duo.driver.current_url).path.rsplit("/", 1)[1]
    assert "from=now-24h" in dash_duo.driver.current_url
    wait_until(dash_duo, panels_settled, timeout=60)
    states = panel_states(dash_duo.driver)
    for panel in ("l2-spark-stages", "l2-spark-tasks", "l2-spark-executor-table", "l2-spark-events",
                  "l2-spark-stage-table", "l2-spark-executors"):
        assert states[panel] == "state-ok", (panel, states[panel])
    assert app_id in dash_duo.driver.find_element(By.CSS_SELECTOR, ".page-title").text
    shared = dash_duo.driver.current_url
    # Breadcrumbs lead back up; the browser's back button works too.
    _click_link(dash_duo, "#breadcrumbs a", "Workload Execution")                # 3rd click is the way back
    wait_until(dash_duo, lambda d: urlsplit(d.current_url).path == "/workloads")
    dash_duo.driver.back()
    wait_until(dash_duo, lambda d: urlsplit(d.current_url).path.startswith("/workloads/spark/"))
    # The shared URL, opened afresh, shows the same application.
    dash_duo.driver.get(shared)
    wait_until(dash_duo, panels_settled, timeout=60)
    assert app_id in dash_duo.driver.find_element(By.CSS_SELECTOR, ".page-title").text
    assert dash_duo.get_logs() == []


def test_jenkins_argocd_and_airflow_run_pages(dash_duo, app_url):
    dash_duo.driver.get(app_url + "/gitops?from=now-24h&to=now")
    wait_until(dash_duo, panels_settled)
    _click_link(dash_duo, "a.entity-link[href^='/gitops/jenkins/etl-orders-build']")
    wait_until(dash_duo, lambda d: urlsplit(d.current_url).path == "/gitops/jenkins/etl-orders-build")
    wait_until(dash_duo, panels_settled)
    assert "state-error" not in panel_states(dash_duo.driver).values()
    dash_duo.driver.get(app_url + "/gitops/argocd/trino-gateway?from=now-24h")
    wait_until(dash_duo, panels_settled)
    assert "Degraded" in dash_duo.driver.find_element(By.CSS_SELECTOR, '[data-panel="l2-argocd-status"]').text
    dash_duo.driver.get(app_url + "/workloads/airflow/sales_mart_refresh?from=now-24h")
    wait_until(dash_duo, panels_settled)
    assert panel_states(dash_duo.driver)["l2-dag-run-gantt"] == "state-ok"
    _click_link(dash_duo, "[data-panel='l2-dag-run-list'] a.entity-link")
    wait_until(dash_duo, lambda d: "/runs/" in urlsplit(d.current_url).path)
    wait_until(dash_duo, panels_settled)
    assert panel_states(dash_duo.driver)["l2-run-gantt"] == "state-ok"
    assert dash_duo.get_logs() == []


def test_unknown_entity_is_a_clear_not_found(dash_duo, app_url):
    dash_duo.driver.get(app_url + "/workloads/spark/no-such-app")
    wait_until(dash_duo, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-page='not-found']"))
    assert "no-such-app" in dash_duo.driver.find_element(By.CSS_SELECTOR, ".not-found").text
    assert dash_duo.get_logs() == []


def test_alerts_page_lists_firing_alerts_with_links(dash_duo, app_url, prometheus_url):
    dash_duo.driver.get(app_url + "/alerts")
    rows = wait_until(dash_duo, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-alert]"), timeout=60)
    severities = {r.get_attribute("data-severity") for r in rows}
    assert severities & {"critical", "high"}
    dash_duo.driver.get(app_url + "/alerts?severity=critical")
    rows = wait_until(dash_duo, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-alert]"), timeout=60)
    assert {r.get_attribute("data-severity") for r in rows} == {"critical"}
    dash_duo.select_dcc_dropdown("#refresh-picker", "30s")
    wait_until(dash_duo, lambda d: "refresh=30s" in d.current_url)
    assert "severity=critical" in dash_duo.driver.current_url  # the page's own filter survives
    dash_duo.driver.get(app_url + "/slo")
    slos = wait_until(dash_duo, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-slo]"), timeout=60)
    assert len(slos) == 6
    assert dash_duo.get_logs() == []


CLICK_JS = """
var panel = arguments[0], kind = arguments[1];
var gd = document.querySelector('[data-panel="' + panel + '"] .js-plotly-plot');
if (!gd || !gd.data) { return null; }
var i = -1;
for (var k = 0; k < gd.data.length; k++) {
    var t = gd.data[k];
    if (kind === 'bar' ? Array.isArray(t.customdata) : typeof t.meta === 'string') { i = k; break; }
}
if (i < 0) { return null; }
var tr = gd.data[i];
var href = Array.isArray(tr.customdata) ? tr.customdata[0] : tr.meta;
gd.emit('plotly_click', {points: [{curveNumber: i, pointNumber: 0, x: tr.x[0], y: tr.y[0],
    customdata: Array.isArray(tr.customdata) ? tr.customdata[0] : undefined, data: tr, fullData: gd._fullData[i]}]});
return href;
"""


@pytest.mark.parametrize("panel,kind", [("restarts-trend", "series"), ("jenkins-build-duration", "bar")])
def test_clicking_a_series_or_a_bar_opens_its_entity(dash_duo, app_url, panel, kind):
    dash_duo.driver.get(app_url + "/gitops?from=now-24h&to=now&var-cluster=prod-east")
    wait_until(dash_duo, panels_settled)
    href = wait_until(dash_duo, lambda d: d.execute_script(CLICK_JS, panel, kind))
    assert href.startswith("/capacity/namespace/" if kind == "series" else "/gitops/jenkins/")
    assert "var-cluster=prod-east" in href
    wait_until(dash_duo, lambda d: urlsplit(d.current_url).path == urlsplit(href).path)
    wait_until(dash_duo, panels_settled)
    assert "state-error" not in panel_states(dash_duo.driver).values()
    assert dash_duo.get_logs() == []
