"""The real-world time inputs on whole pages, through Dash's page router as the browser calls it.

`/gitops?from=now-1d/d&to=now-1d/d`, `/e2e?from=1700000000&to=1700003600`, `/capacity?refresh=30d`,
a `timezone`, and an offset typed with an unencoded `+`: each reaches the page's time inputs, its
refresh timer and its notes. The data source is unreachable here; the panels' data is the
integration and browser tests' part (tests/integration/test_real_world_links.py,
tests/browser/test_real_world_links.py).
"""
from datetime import datetime, timezone

import numpy as np
import plotly.graph_objects as go
import pytest

from components.format import display_zone
from components.panels import render_timeofday, render_timeseries
from webapp.app import create_app
from webapp.catalog.model import Panel, Query
from webapp.prometheus import QueryResult, Series
from webapp.runner import PanelData
from webapp.settings import Settings
from webapp.timezones import BROWSER_COOKIE, DisplayZone

from tests.page_router import components, route, router_client

UNREACHABLE = "http://127.0.0.1:9"


def page(settings: Settings, pathname: str, search: str, cookie: str | None = None) -> dict:
    """The page's components by id (props), as the router renders `pathname` + `search`."""
    client = router_client(create_app(settings))
    if cookie:
        client.set_cookie(BROWSER_COOKIE, cookie)
    return {c["props"]["id"]: c["props"] for c in components(route(client, pathname, search))
            if isinstance(c["props"].get("id"), str)}


def notes(components: dict) -> str:
    return str(components.get("view-notes", {}).get("children", ""))


def settings(**more) -> Settings:
    return Settings(prometheus_url=UNREACHABLE, query_timeout_seconds=2, **more)


# ---------------------------------------------------------------- 1, 2, 5: time forms on a page
def test_yesterday_epoch_seconds_and_a_typed_plus_on_their_pages():
    yesterday = page(settings(), "/gitops", "?from=now-1d/d&to=now-1d/d")
    assert (yesterday["time-from"]["value"], yesterday["time-to"]["value"]) == ("now-1d/d", "now-1d/d")
    assert "ends before it starts" not in notes(yesterday) and "Ignored" not in notes(yesterday)

    epoch = page(settings(), "/e2e", "?from=1700000000&to=1700003600")
    assert "epoch seconds" in notes(epoch) and "last 6 hours" not in notes(epoch)

    # The browser sends the `+` as typed; a query string reads it as a space, the app reads it back.
    plus = page(settings(), "/capacity", "?from=2024-03-10T08:00:00+01:00&to=2024-03-10T12:00:00+01:00")
    assert plus["time-from"]["value"] == "2024-03-10T08:00:00+01:00"
    assert plus["time-to"]["value"] == "2024-03-10T12:00:00+01:00"
    assert "time range" not in notes(plus)


# ---------------------------------------------------------------- 3: the refresh timer between a floor and a day
@pytest.mark.parametrize("floor,asked,interval_ms,note", [
    (5, "30d", 86_400_000, "1d maximum"),     # a month overflowed the browser's timer: it fired continuously
    (5, "1s", 5_000, "5s minimum"),           # the default floor, as Grafana's min_refresh_interval
    (30, "10s", 30_000, "30s minimum"),       # DATAOPS_MIN_REFRESH=30s
    (5, "30s", 30_000, None),
])
def test_the_refresh_timer_is_clamped_with_a_note(floor, asked, interval_ms, note):
    components = page(settings(min_refresh_seconds=floor), "/capacity", f"?refresh={asked}")
    timer = components["refresh-timer"]
    assert timer["interval"] == interval_ms and not timer["disabled"]
    assert timer["interval"] < 2 ** 31 - 1   # browsers' setTimeout limit
    assert (note in notes(components)) if note else "efresh" not in notes(components)


def test_the_refresh_picker_offers_nothing_faster_than_the_floor():
    offered = [o["value"] for o in page(settings(min_refresh_seconds=30), "/capacity", "")["refresh-picker"]["options"]]
    assert offered[0] == "off" and "10s" not in offered and "30s" in offered
    default = [o["value"] for o in page(settings(), "/capacity", "")["refresh-picker"]["options"]]
    assert "10s" in default


# ---------------------------------------------------------------- 4: the time zone, by parameter, by setting, by browser
@pytest.mark.parametrize("search,more,cookie,zone", [
    ("?from=now/d&to=now&timezone=Asia/Seoul", {}, None, "Asia/Seoul"),
    ("?from=now/d&to=now", {"timezone": "Asia/Seoul"}, None, "Asia/Seoul"),       # DATAOPS_TIMEZONE
    ("?from=now/d&to=now&timezone=browser", {}, "Asia/Seoul", "Asia/Seoul"),      # the browser's, by cookie
    ("?from=now/d&to=now&timezone=utc", {"timezone": "Asia/Seoul"}, None, "UTC"),  # the URL wins
    ("?from=now/d&to=now", {}, None, "UTC"),
])
def test_the_page_names_its_time_zone(search, more, cookie, zone):
    components = page(settings(**more), "/gitops", search, cookie)
    assert components["time-zone"]["data-timezone"] == zone
    assert components["time-zone"]["children"] == f"Times in {zone}"


def _series(times, values) -> Series:
    return Series({"job": "a"}, np.asarray(times, dtype=float), np.asarray(values, dtype=float))


def test_time_axes_and_the_time_of_day_grid_are_in_the_view_zone():
    # 2025-11-25 23:00 UTC is 08:00 on the 26th in Seoul: the time-of-day grid puts it there.
    at = datetime(2025, 11, 25, 23, tzinfo=timezone.utc).timestamp()
    result = QueryResult("up", "matrix", (_series([at], [0.5]),))
    grid = Panel("tod", "By hour", "timeofday", (Query("up"),), unit="percentunit")
    line = Panel("ts", "Load", "timeseries", (Query("up", "{job}"),))
    with display_zone(DisplayZone("Asia/Seoul", "Asia/Seoul")):
        figure = render_timeofday(PanelData(grid, (result,)), "")[0].figure
        axis = render_timeseries(PanelData(line, (result,)), "")[0].figure
    figure = go.Figure(figure)  # decodes plotly's typed arrays
    heat = figure.data[0]
    assert figure.layout.xaxis.title.text == "Hour of day (Asia/Seoul)"
    assert list(heat.y) == ["2025-11-26"]
    assert np.nanargmax(np.asarray(heat.z, dtype=float)[0]) == 8
    assert "Asia/Seoul" in heat.hovertemplate
    assert go.Figure(axis).layout.xaxis.title.text == "Time (Asia/Seoul)"
