"""Every Level 2 page takes the names its platform uses, from a click and from a typed URL.

Jenkins folder and multibranch jobs (`team-a/build-service`), nodes (`ip-10-0-1-2.ec2.internal`),
Airflow run ids (`scheduled__2024-03-10T08:00:00+00:00`), Spark application names, Iceberg tables
(`db.orders`), plus signs, spaces and unicode. Each name goes through Dash's page router as the
browser sends it (the `_pages_location` callback), once as the app's own link writes it (the catalog
Link a table row, a tile or a timeline carries) and once as a person types it. The data source is
unreachable here, so each page shows its entity's name in its title (the integration tests show the
same pages with data).
"""
import re
from urllib.parse import quote

import pytest

from components.links import link_href
from webapp.app import create_app
from webapp.catalog import DASHBOARDS, TILES, level2
from webapp.settings import Settings

from tests.page_router import components, route, router_client

NAMES = ["team-a/build-service", "team-a/sub/PR-12", "ip-10-0-1-2.ec2.internal", "spark:app", "c++ build",
         "데이터 적재", "scheduled__2024-03-10T08:00:00+00:00", "a+b", "100%", "v1.2 (hotfix)"]
CLICK_ONLY = ["c# tools", "what?", "50% off"]   # a typed `#` or `?` ends the path; `%4` is not an escape


@pytest.fixture(scope="module")
def client():
    return router_client(create_app(Settings(prometheus_url="http://127.0.0.1:9", query_timeout_seconds=2)))


def title(client, pathname: str, search: str = "?from=now-6h") -> str:
    """The page title the router renders for `pathname` (as `window.location.pathname` gives it)."""
    titles = [c["props"].get("children") for c in components(route(client, pathname, search))
              if c["type"] == "H1" and "page-title" in str(c["props"].get("className", ""))]
    assert len(titles) == 1, titles
    return titles[0]


def typed(path: str) -> str:
    """`path` as the browser sends it when typed: spaces, quotes and non-ASCII percent-encoded (the
    URL standard's path set), everything else (`/ : + . @ ( )`) as typed."""
    return "".join(ch if ch.isascii() and ch not in ' "<>`{}' else quote(ch, safe="") for ch in path)


def catalog_links(dashboard):
    """The catalog Links (panels, tile signals) that lead to `dashboard`'s page."""
    pattern = re.sub(r"<[^>]+>", "{}", dashboard.path_template)
    links = [p.link for d in DASHBOARDS.values() for p in d.panels if p.link is not None]
    links += [s.link for t in TILES for s in t.signals if s.link is not None]
    return [link for link in links if re.sub(r"\{[^}]+\}", "{}", link.path) == pattern]


def cases():
    for dashboard in level2():
        variables = list(dashboard.path_variables)
        for position, (var, _) in enumerate(variables):
            for name in NAMES + CLICK_ONLY:
                # A typed slash can only be read in the last part of a path (the rest is the template's).
                can_type = name not in CLICK_ONLY and ("/" not in name or position == len(variables) - 1)
                values = {v: (name if i == position else "plain-1") for i, (v, _) in enumerate(variables)}
                yield pytest.param(dashboard, values, can_type, id=f"{dashboard.id}-{var}-{name}")


@pytest.mark.parametrize("dashboard,values,can_type", list(cases()))
def test_every_entity_page_takes_platform_names(client, dashboard, values, can_type):
    expected = f"{dashboard.entity}: " + " / ".join(values.values())
    links = catalog_links(dashboard)
    assert links, f"no catalog link leads to {dashboard.path_template}"
    for link in links:
        labels = {dict(dashboard.path_variables)[v]: value for v, value in values.items()}
        href = link_href(link, labels, "from=now-6h")
        path, _, search = href.partition("?")
        assert title(client, path, "?" + search) == expected, href  # from a click
    if can_type:
        path = dashboard.path_template
        for var, value in values.items():
            path = path.replace(f"<{var}>", value)
        assert title(client, typed(path)) == expected, typed(path)  # typed into the address bar


@pytest.mark.parametrize("pathname", ["/gitops/jenkins/a//b", "/gitops/jenkins/%2Fteam-a", "/capacity/node/%00x",
                                      "/workloads/airflow/etl/runs/" + "x" * 300])
def test_names_that_cannot_be_are_refused(client, pathname):
    assert title(client, pathname) == "Not found"
