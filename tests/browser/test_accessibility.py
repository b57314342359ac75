"""Accessibility in a real Chromium: axe-core audits (Level 0 and /gitops in the dark theme, Level 0 in
kiosk mode) and the text alternative of a chart as a screen reader reaches it.

axe-core (MPL-2.0) is installed by `make a11y-deps` (npm) into `.tools/`; it is injected into each page.
"""
import pathlib

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By

from .test_drilldown import app_url  # noqa: F401  (the app with the demo's REST sources)
from .test_navigation import wait_until

pytestmark = pytest.mark.browser
AXE = pathlib.Path(__file__).resolve().parents[2] / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

RUN_AXE = """
var done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(function (r) {
    done(r.violations.map(function (v) {
        return {id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(function (n) { return n.target.join(' ') + ' :: ' + n.failureSummary; })};
    }));
}).catch(function (e) { done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]); });
"""


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}: run `make a11y-deps`")
    return AXE.read_text(encoding="utf-8")


def page_settled(driver):
    """Every panel, tile and table of the page has left its loading state."""
    if not driver.find_elements(By.CSS_SELECTOR, "main"):
        return False
    loading = driver.find_elements(By.CSS_SELECTOR, "[data-panel].state-loading, .tile-placeholder")
    body = driver.find_elements(By.ID, "alerts-body")
    return not loading and not (body and "Loading" in body[0].text)


def audit(driver, axe_source: str) -> list[dict]:
    """axe-core's violations on the page as it is now: [{id, impact, help, nodes}]."""
    driver.set_script_timeout(90)
    driver.execute_script(axe_source)
    return driver.execute_async_script(RUN_AXE)


def walk(dash_duo, axe_source, base: str, paths: list[str], query: str) -> dict[str, list[dict]]:
    """Open each path with the query, wait for it to settle, audit it: {path: violations}."""
    found = {}
    for path in paths:
        dash_duo.driver.get(f"{base}{path}?{query}")
        try:
            wait_until(dash_duo, page_settled, timeout=180)
        except TimeoutException:
            found[path] = [{"id": "page-did-not-settle", "impact": "critical", "help": "", "nodes": []}]
            continue
        found[path] = audit(dash_duo.driver, axe_source)
    return found


def blocking(found: dict[str, list[dict]]) -> dict[str, list[dict]]:
    return {path: bad for path, violations in found.items()
            if (bad := [v for v in violations if v["impact"] in BLOCKING
                        or v["id"] in ("region", "landmark-one-main")])}


def test_no_serious_axe_violations_in_the_dark_theme_and_kiosk(dash_duo, app_url, axe_source):
    found = walk(dash_duo, axe_source, app_url, ["/", "/gitops"], "from=now-24h&theme=dark")
    found.update({f"{p} (kiosk)": v for p, v in walk(dash_duo, axe_source, app_url, ["/"], "from=now-24h&kiosk").items()})
    assert blocking(found) == {}
    assert dash_duo.get_logs() == []


def test_a_screen_reader_learns_the_build_success_rate_and_its_breach(dash_duo, app_url):
    dash_duo.driver.get(app_url + "/gitops?from=now-24h&to=now")
    wait_until(dash_duo, page_settled, timeout=180)
    panel = dash_duo.driver.find_element(By.CSS_SELECTOR, '[data-panel="jenkins-success-rate"]')
    stat = panel.find_element(By.CSS_SELECTOR, ".stat-value")
    words = stat.find_elements(By.CSS_SELECTOR, ".status-word")
    shown = stat.text.replace(words[0].text, "").strip() if words else stat.text.strip()
    summary = panel.find_element(By.CSS_SELECTOR, ".chart-summary").get_attribute("textContent")
    assert "Build success rate" in summary and shown in summary
    if words:  # the value is coloured and says its status; the summary says which threshold it breaches
        assert words[0].text.lower() in ("critical", "warning")
        assert f"{words[0].text.lower().capitalize()}:" in summary and "below the threshold of 95.0%" in summary
    else:
        assert "No threshold is breached" in summary
    # The summary is in the accessibility tree (not hidden from assistive technology).
    tree = dash_duo.driver.execute_cdp_cmd("Accessibility.getFullAXTree", {})["nodes"]
    names = [n.get("name", {}).get("value", "") for n in tree if not n.get("ignored")]
    assert any(summary.strip() in name for name in names)
    # "View as table" holds the data behind the chart.
    toggle = panel.find_element(By.CSS_SELECTOR, ".chart-alt > summary")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", toggle)
    rows = wait_until(dash_duo, lambda d: panel.find_elements(By.CSS_SELECTOR, ".chart-data-table tbody tr"))
    assert shown in rows[-1].text
    assert dash_duo.get_logs() == []
