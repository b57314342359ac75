"""Accessibility in a real Chromium: axe-core audits of every kind of page (light and dark themes, kiosk
mode), the text alternative of a chart as a screen reader reaches it, and the keyboard-only path from
Level 0 to a Spark application and back (time range, filter, share link).

One browser and one app server per test; each page is loaded once per theme (the audit is sized for CI).

axe-core (MPL-2.0) is installed by `make a11y-deps` (npm) into `.tools/`; it is injected into each page.
"""
import pathlib
import re
from urllib.parse import urlsplit

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By

from webapp.catalog import level1, level2

from .test_drilldown import app_url  # noqa: F401  (the app with the demo's REST sources)
from .test_navigation import wait_until

pytestmark = pytest.mark.browser
AXE = pathlib.Path(__file__).resolve().parents[2] / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

# Only the WCAG 2.0/2.1 A and AA rules, plus the two landmark rules the issue named; violations only.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "rules": {"region": {"enabled": True}, "landmark-one-main": {"enabled": True}},
               "resultTypes": ["violations"]}
RUN_AXE = """
var done = arguments[arguments.length - 1];
axe.run(document, arguments[0]).then(function (r) {
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
    if not driver.execute_script("return typeof axe !== 'undefined'"):
        driver.execute_script(axe_source)
    return driver.execute_async_script(RUN_AXE, AXE_OPTIONS)


# Follow a link inside the app as dcc.Link does: the Dash and Plotly bundles (and axe) stay loaded.
FOLLOW = "window.history.pushState({}, '', arguments[0]); window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));"


def audit_view(dash_duo, axe_source, url: str, marker: str, first: bool = False) -> list[dict]:
    """Open the view (the first one by loading the page, the others inside the app), wait until the page
    carrying `marker` (a CSS class list) has settled, audit it: axe's violations."""
    if first:
        dash_duo.driver.get(dash_duo.server_url + url)
    else:
        dash_duo.driver.execute_script(FOLLOW, url)
    try:
        wait_until(dash_duo, lambda d: d.find_elements(By.CSS_SELECTOR, f".page{marker}") and page_settled(d),
                   timeout=180)
    except TimeoutException:
        return [{"id": "page-did-not-settle", "impact": "critical", "help": url, "nodes": []}]
    return audit(dash_duo.driver, axe_source)


def blocking(found: dict[str, list[dict]]) -> dict[str, list[dict]]:
    return {path: bad for path, violations in found.items()
            if (bad := [v for v in violations if v["impact"] in BLOCKING
                        or v["id"] in ("region", "landmark-one-main")])}



LEVEL1 = [d.path for d in level1()]
LEVEL2 = {d.id: [re.compile(re.sub(r"<[^>]+>", "[^/?#]+", t)) for t in (d.path_template,) + d.alias_templates]
          for d in level2()}


ENTITY_LINKS = "return Array.from(document.querySelectorAll('a.entity-link'), a => a.getAttribute('href') || '')"


def level2_kind(href: str) -> str | None:
    """The Level 2 dashboard a link leads to (by its path templates), or None."""
    path = urlsplit(href).path
    return next((kind for kind, patterns in LEVEL2.items() if any(p.fullmatch(path) for p in patterns)), None)


def test_no_serious_axe_violations_on_any_kind_of_page_in_both_themes(dash_duo, app_url, axe_source):
    """Level 0, every Level 1 page, one page of each Level 2 kind (reached by the links the pages
    show), /alerts, /slo and /datasources, each in the light and the dark theme; Level 0 in kiosk mode."""
    driver = dash_duo.driver
    found, kinds = {}, {}

    # Views alternate light and dark, so the page's theme class tells the new view from the one before.
    def visit(path: str):
        for theme in ("light", "dark"):
            query = "from=now-24h&to=now" + ("&theme=dark" if theme == "dark" else "")
            found[f"{path} ({theme})"] = audit_view(dash_duo, axe_source, f"{path}?{query}", f".theme-{theme}",
                                                    first=not found)
            if theme == "light":
                for href in driver.execute_script(ENTITY_LINKS):
                    kind = level2_kind(href)
                    if kind and kind not in kinds:
                        kinds[kind] = urlsplit(href).path

    for path in ["/", *LEVEL1, "/alerts", "/slo", "/datasources"]:
        visit(path)
    for kind in LEVEL2:  # in catalog order: a DAG's page comes before its runs, which it links to
        if kind in kinds:
            visit(kinds[kind])
    found["/ (kiosk)"] = audit_view(dash_duo, axe_source, "/?from=now-24h&kiosk", ".kiosk.theme-light")
    assert sorted(kinds) == sorted(LEVEL2)
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


# What the focus is on, in one round trip: enough to tell links, buttons and options apart.
FOCUSED = """
var e = document.activeElement;
if (!e || e === document.body) { return null; }
var o = e.closest('.dash-dropdown-option');
return {tag: e.tagName.toLowerCase(), id: e.id || '', cls: (e.className && e.className.baseVal === undefined) ? e.className : '',
        href: e.getAttribute('href') || '', text: (o || e).textContent.trim().slice(0, 80),
        outline: getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth};
"""


def _press(driver, *keys):
    from selenium.webdriver.common.action_chains import ActionChains
    for key in keys:
        ActionChains(driver).send_keys(key).perform()


def _tab_to(driver, matches, limit=400) -> dict:
    """Press Tab until the focused element matches; return what it is (see FOCUSED)."""
    from selenium.webdriver.common.keys import Keys
    for _ in range(limit):
        _press(driver, Keys.TAB)
        focused = driver.execute_script(FOCUSED)
        if focused and matches(focused):
            return focused
    raise AssertionError("no focusable element matched within the tab limit")


def _choose(dash_duo, button_id_part: str, option: str, search: str = ""):
    """Open a dropdown from the keyboard, find the option with the arrow keys, pick it with Space."""
    from selenium.webdriver.common.keys import Keys
    driver = dash_duo.driver
    _tab_to(driver, lambda f: f["tag"] == "button" and button_id_part in f["id"])
    _press(driver, Keys.ENTER)
    wait_until(dash_duo, lambda d: d.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option"))
    if search:
        _press(driver, search)
        wait_until(dash_duo, lambda d: any(option == o.text.strip() for o in
                                           d.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")))
    for _ in range(60):
        _press(driver, Keys.ARROW_DOWN)
        if (driver.execute_script(FOCUSED) or {}).get("text") == option:
            break
    else:
        raise AssertionError(f"option {option!r} not reached with the arrow keys")
    _press(driver, Keys.SPACE)  # options are radio buttons (single) or checkboxes (multi)


def tiles_shown(driver):
    return len(driver.find_elements(By.CSS_SELECTOR, "[data-tile] a.tile-link")) == 6 and page_settled(driver)


def test_keyboard_alone_reaches_a_spark_application_and_back_and_changes_the_view(dash_duo, app_url):
    from urllib.parse import parse_qs

    from selenium.webdriver.common.keys import Keys
    driver = dash_duo.driver
    driver.get(app_url + "/?from=now-24h&to=now")
    wait_until(dash_duo, tiles_shown, timeout=120)
    # The first Tab reaches the skip link; Enter moves the focus to the content, not the URL.
    skip = _tab_to(driver, lambda f: True, limit=1)
    assert "skip-link" in skip["cls"] and skip["outline"].startswith("solid")
    _press(driver, Keys.ENTER)
    wait_until(dash_duo, lambda d: (d.execute_script(FOCUSED) or {}).get("id") == "main-content")
    assert urlsplit(driver.current_url).fragment == ""
    # Level 0 -> Level 1 (a tile) -> Level 2 (a table row's link), with Tab and Enter; focus is visible.
    tile = _tab_to(driver, lambda f: "tile-link" in f["cls"] and f["href"].startswith("/workloads?"))
    assert tile["outline"].startswith("solid")
    _press(driver, Keys.ENTER)
    wait_until(dash_duo, lambda d: urlsplit(d.current_url).path == "/workloads")
    wait_until(dash_duo, page_settled, timeout=180)
    _tab_to(driver, lambda f: f["tag"] == "a" and f["href"].startswith("/workloads/spark/"))
    _press(driver, Keys.ENTER)
    wait_until(dash_duo, lambda d: urlsplit(d.current_url).path.startswith("/workloads/spark/"))
    wait_until(dash_duo, page_settled, timeout=180)
    # ... and back to Level 0 by the breadcrumbs, keeping the time range.
    _tab_to(driver, lambda f: f["tag"] == "a" and f["text"] == "Overview")
    _press(driver, Keys.ENTER)
    wait_until(dash_duo, lambda d: urlsplit(d.current_url).path == "/")
    assert parse_qs(urlsplit(driver.current_url).query)["from"] == ["now-24h"]
    wait_until(dash_duo, tiles_shown, timeout=120)
    # The time range and a filter, from the keyboard.
    _choose(dash_duo, "time-quick", "Last 2 days")
    wait_until(dash_duo, lambda d: "from=now-2d" in d.current_url)
    wait_until(dash_duo, tiles_shown, timeout=120)
    _choose(dash_duo, "namespace", "airflow", search="airf")
    _press(driver, Keys.ESCAPE)
    wait_until(dash_duo, lambda d: "var-namespace=airflow" in d.current_url)
    wait_until(dash_duo, tiles_shown, timeout=120)
    # Copy the link: the share button, pressed from the keyboard, shows the link to this view.
    _tab_to(driver, lambda f: f["id"] == "share-button")
    _press(driver, Keys.ENTER)
    wait_until(dash_duo, lambda d: d.find_element(By.ID, "share-url").get_attribute("value") == d.current_url)
    assert dash_duo.get_logs() == []
