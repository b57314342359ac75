"""Browser test of a table panel: sort by a value column (by the number, not its text), filter by a
label, and open a row's Level 2 page from its link without reloading the app; the console stays clean."""
import re
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from .test_navigation import app_url, panels_settled, wait_until  # noqa: F401 (app_url is a fixture)

pytestmark = pytest.mark.browser
TABLE = '[data-panel="jenkins-jobs"] .dash-table-container'


def _column(driver, column):
    return [c.text for c in driver.find_elements(By.CSS_SELECTOR, f'{TABLE} td.dash-cell[data-dash-column="{column}"]')]


def _durations(driver):
    """The "Last duration" cells as "<number> <unit>" (without a status word), blanks left out."""
    return [" ".join(t.split()[:2]) for t in _column(driver, "v2") if t != "–"]


def _sorted(driver, reverse):
    values = _durations(driver)
    return values if len(values) > 3 and values == sorted(values, key=_seconds, reverse=reverse) else None


def _click(driver, selector):
    element = driver.find_element(By.CSS_SELECTOR, selector)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", element)


def _seconds(text):
    number, unit = re.match(r"([\d.]+) (ms|s|min|h|d)", text).groups()
    return float(number) * {"ms": 0.001, "s": 1, "min": 60, "h": 3600, "d": 86400}[unit]


def test_sort_filter_and_follow_a_link_in_a_table_panel(dash_duo, app_url):  # noqa: F811
    driver = dash_duo.driver
    driver.get(app_url + "/gitops?from=now-24h&to=now")
    wait_until(dash_duo, panels_settled, timeout=60)
    names = wait_until(dash_duo, lambda d: _column(d, "l0"))
    assert "etl-orders-build" in names and len(names) > 3
    # "Last duration" (v2) sorts by seconds: "1.5 min" after "45.0 s", whatever the text says.
    header = f'{TABLE} th[data-dash-column="v2"] .column-header--sort'
    _click(driver, header)
    ascending = wait_until(dash_duo, lambda d: _sorted(d, reverse=False))
    # The second press comes from the keyboard: the sort control is a named button.
    control = driver.find_element(By.CSS_SELECTOR, header)
    assert control.get_attribute("role") == "button" and control.get_attribute("aria-label") == "Sort by Last duration"
    driver.execute_script("arguments[0].focus();", control)
    control.send_keys(Keys.ENTER)
    assert len(wait_until(dash_duo, lambda d: _sorted(d, reverse=True))) == len(ascending)
    # Filter the job column: only matching rows stay.
    box = driver.find_element(By.CSS_SELECTOR, f'{TABLE} th.dash-filter[data-dash-column="l0"] input')
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
    box.send_keys("orders" + Keys.ENTER)
    kept = wait_until(dash_duo, lambda d: (lambda v: v if v and len(v) < len(names) else None)(_column(d, "l0")))
    assert all("orders" in name for name in kept)
    # The status is said in the cell, and coloured by it (assets/app.css: --status-text-warning; the
    # success rate is a P2, High, threshold: a warning).
    rates = driver.find_elements(By.CSS_SELECTOR, f'{TABLE} td.dash-cell[data-dash-column="v0"]')
    warning = [r for r in rates if r.text.endswith(" warning")]
    assert warning and warning[0].value_of_css_property("color") == "rgba(138, 75, 0, 1)"
    # The job's link opens its Level 2 page inside the app (no reload: the marker survives).
    driver.execute_script("window.__same_app = true;")
    _click(driver, f"{TABLE} a.entity-link[href^='/gitops/jenkins/etl-orders-build']")
    wait_until(dash_duo, lambda d: urlsplit(d.current_url).path == "/gitops/jenkins/etl-orders-build")
    assert "from=now-24h" in driver.current_url and driver.execute_script("return window.__same_app === true;")
    wait_until(dash_duo, panels_settled, timeout=60)
    assert dash_duo.get_logs() == []
