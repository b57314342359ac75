"""A 4,268-character view in Chromium against `dataops-monitor serve` (gunicorn, two workers).

Ten clusters and fifty namespaces picked make a URL past gunicorn's default 4,094-byte request line
(a bare 400 before). The page, its callbacks (every one carries the URL as its Referer) and the share
button's short link all go through the real server; the short link opens the same view on any worker.
"""
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from selenium.webdriver.common.by import By

from ..integration.test_long_links_serve import served  # noqa: F401 (a fixture: serve on the demo Prometheus)
from .test_navigation import panel_states, panels_settled, wait_until

pytestmark = pytest.mark.browser
LENGTH = 4268


def ten_clusters_fifty_namespaces() -> str:
    """A /capacity path and query of exactly LENGTH characters: the demo's own cluster and namespace
    among the picked ones, so that panels have data."""
    clusters = ["prod-east", "prod-west"] + [f"prod-{i:02d}-eu-west-1-analytics" for i in range(8)]
    namespaces = ["spark-jobs", "airflow"] + [f"team-{i:02d}-data-platform-spark-jobs-and-airflow-dags-production"
                                               for i in range(48)]
    params = [("from", "now-6h"), ("to", "now")] + [("var-cluster", c) for c in clusters]
    params += [("var-namespace", n) for n in namespaces]
    path = "/capacity?" + urlencode(params)
    pad = LENGTH - len(path)
    assert 0 <= pad < 250
    for i in range(pad):  # spread over the made-up names: each stays a plausible namespace
        name, value = params[-1 - i % 48]
        params[-1 - i % 48] = (name, value + "x")
    return "/capacity?" + urlencode(params)


def test_a_4268_character_view_under_serve_and_its_short_link(dash_duo, served):  # noqa: F811
    path = ten_clusters_fifty_namespaces()
    assert len(path) == LENGTH
    driver = dash_duo.driver
    driver.get(served + path)
    wait_until(dash_duo, panels_settled, timeout=90)
    states = panel_states(driver)
    assert "state-ok" in states.values() and "state-error" not in states.values(), states
    notes = driver.find_elements(By.ID, "view-notes")
    assert not notes or "namespace" not in notes[0].text   # all fifty namespaces are in the view, as given
    assert "400" not in driver.title and "Bad Request" not in driver.page_source[:2000]

    wait_until(dash_duo, lambda d: d.find_elements(By.ID, "share-button"))[0].click()
    short = wait_until(dash_duo, lambda d: d.find_element(By.ID, "share-url").get_attribute("value"))
    assert short.startswith(served + "/s/") and len(short) < 60
    for _ in range(2):  # two workers: the link is stored where both find it
        driver.get(short)
        wait_until(dash_duo, lambda d: urlsplit(d.current_url).path == "/capacity")
        query = parse_qs(urlsplit(driver.current_url).query)
        assert len(query["var-cluster"]) == 10 and len(query["var-namespace"]) == 50
        assert len(urlsplit(driver.current_url).path + "?" + urlsplit(driver.current_url).query) == LENGTH
    wait_until(dash_duo, panels_settled, timeout=90)
    assert dash_duo.get_logs() == []
