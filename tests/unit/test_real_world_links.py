"""Links and label values from the real world: what Grafana users paste into the address bar.

Each test names the input from the issue it stands for, and checks the kind around it.
"""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from dash._pages import _parse_query_string

from components.format import display_zone, format_value, time_axis_title, wall_times
from components.layout import navbar
from components.page_builders import _path_value
from webapp.settings import SettingsError, load_settings
from webapp.shortlinks import ShortLinkError, checked_path, short_id
from webapp.timerange import TimeParseError, read_time, resolve_range
from webapp.timezones import DisplayZone
from webapp.viewstate import entity_path, parse_view_state

NOW = 1_764_147_723.0  # 2025-11-26T09:02:03Z, a Wednesday
UTC_DEFAULTS = ("utc", 5, None)


def utc(*args) -> float:
    return datetime(*args, tzinfo=timezone.utc).timestamp()


def view(query: str, now=NOW, defaults=UTC_DEFAULTS, allowed=None):
    """The view a typed address bar gives: parsed as Dash pages parse the query string."""
    return parse_view_state(_parse_query_string("?" + query), now=now, defaults=defaults, allowed_variables=allowed)


# ---------------------------------------------------------------- 1. rounded `to` ends at the period's end
def test_yesterday_is_all_of_yesterday():
    v = view("from=now-1d/d&to=now-1d/d")
    assert (v.time_range.start, v.time_range.end) == (utc(2025, 11, 25), utc(2025, 11, 26))
    assert v.notes == ()


@pytest.mark.parametrize("unit,start,end", [
    ("s", utc(2025, 11, 26, 9, 2, 2), utc(2025, 11, 26, 9, 2, 3)),
    ("m", utc(2025, 11, 26, 9, 1), utc(2025, 11, 26, 9, 2)),
    ("h", utc(2025, 11, 26, 8), utc(2025, 11, 26, 9)),
    ("d", utc(2025, 11, 25), utc(2025, 11, 26)),
    ("w", utc(2025, 11, 17), utc(2025, 11, 24)),       # weeks start on Monday
    ("M", utc(2025, 10, 1), utc(2025, 11, 1)),          # calendar months, not 30 days
    ("Q", utc(2025, 7, 1), utc(2025, 10, 1)),
    ("y", utc(2024, 1, 1), utc(2025, 1, 1)),
])
def test_every_grafana_unit_rounds_both_ends(unit, start, end):
    tr = resolve_range(f"now-1{unit}/{unit}", f"now-1{unit}/{unit}", NOW)
    assert (tr.start, tr.end) == (start, end)


def test_today_ends_now_and_chained_math_works():
    today = resolve_range("now/d", "now/d", NOW)  # Grafana's "Today": the future part has no data
    assert (today.start, today.end) == (utc(2025, 11, 26), NOW)
    assert read_time("now/d+8h", NOW)[0] == utc(2025, 11, 26, 8)      # "today 08:00"
    assert read_time("now-1M-2d", NOW)[0] == NOW - (31 + 2) * 86400   # October has 31 days
    with pytest.raises(TimeParseError):
        resolve_range("now+1d", "now+2d", NOW)


# ---------------------------------------------------------------- 2. epoch seconds and other forms
def test_epoch_seconds_are_read_as_seconds_with_a_note():
    v = view("from=1700000000&to=1700003600")
    assert (v.time_range.start, v.time_range.end) == (1_700_000_000, 1_700_003_600)
    assert datetime.fromtimestamp(v.time_range.start, timezone.utc).strftime("%Y-%m-%d %H:%M") == "2023-11-14 22:13"
    assert any("epoch seconds" in n for n in v.notes)


@pytest.mark.parametrize("text,expected,note", [
    ("1700000000000", 1_700_000_000, None),               # Grafana's own: epoch milliseconds
    ("1700000000", 1_700_000_000, "seconds"),
    ("1700000000.5", 1_700_000_000.5, "seconds"),
    ("1700000000000000", 1_700_000_000, "microseconds"),
    ("1700000000000000000", 1_700_000_000, "nanoseconds"),
    ("20231114", utc(2023, 11, 14), None),                # Grafana's YYYYMMDD
    ("20231114T221320", utc(2023, 11, 14, 22, 13, 20), None),
    ("2023-11-14T22:13:20Z", utc(2023, 11, 14, 22, 13, 20), None),
    ("2023-11-14 22:13:20", utc(2023, 11, 14, 22, 13, 20), None),
    ("2023-11-14T22:13:20.250+00:00", utc(2023, 11, 14, 22, 13, 20) + 0.25, None),
])
def test_every_grafana_time_form(text, expected, note):
    value, said = read_time(text, NOW)
    assert value == pytest.approx(expected)
    assert (said is None) if note is None else (note in said)


# ---------------------------------------------------------------- 3. refresh between a floor and a day
def test_a_month_refresh_is_clamped_to_a_day_with_a_note():
    v = view("refresh=30d")
    assert v.refresh_seconds == 86400 and any("1d maximum" in n for n in v.notes)
    assert ("refresh", "1d") in v.query_params()


def test_refresh_floor_is_a_setting():
    assert view("refresh=1s").refresh_seconds == 5
    floor = view("refresh=10s", defaults=("utc", 30, None))
    assert floor.refresh_seconds == 30 and any("30s minimum" in n for n in floor.notes)
    assert load_settings({"DATAOPS_MIN_REFRESH": "1m"}).min_refresh_seconds == 60
    with pytest.raises(SettingsError):
        load_settings({"DATAOPS_MIN_REFRESH": "fast"})


# ---------------------------------------------------------------- 4. time zones
SEOUL_8AM = utc(2025, 11, 25, 23)  # 08:00 on 26 November in Korea


def test_today_in_korea_starts_at_korean_midnight():
    v = view("from=now/d&to=now&timezone=Asia/Seoul", now=SEOUL_8AM)
    assert v.time_range.start == datetime(2025, 11, 26, tzinfo=ZoneInfo("Asia/Seoul")).timestamp()
    assert v.zone.name == "Asia/Seoul" and ("timezone", "Asia/Seoul") in v.query_params()
    assert view("from=now/d&to=now", now=SEOUL_8AM).time_range.start == utc(2025, 11, 25)


def test_browser_zone_comes_from_the_browser_and_the_default_from_a_setting():
    v = view("from=now/d&to=now&timezone=browser", now=SEOUL_8AM, defaults=("utc", 5, "Asia/Seoul"))
    assert v.zone == DisplayZone("browser", "Asia/Seoul") and v.notes == ()
    unknown = view("timezone=browser", defaults=("utc", 5, None))
    assert unknown.zone.name == "UTC" and any("browser's time zone" in n for n in unknown.notes)
    by_setting = view("from=now/d&to=now", now=SEOUL_8AM, defaults=("Asia/Seoul", 5, None))
    assert by_setting.zone.name == "Asia/Seoul" and by_setting.query_params()[2:] == []
    assert any("unknown time zone" in n for n in view("timezone=Mars/Olympus").notes)
    assert load_settings({"DATAOPS_TIMEZONE": "Asia/Seoul"}).timezone == "Asia/Seoul"
    with pytest.raises(SettingsError):
        load_settings({"DATAOPS_TIMEZONE": "Asia/Nowhere"})


def test_naive_times_are_in_the_view_zone():
    v = view("from=2025-11-26T08:00:00&to=2025-11-26T09:00:00&timezone=Asia/Seoul")
    assert v.time_range.start == utc(2025, 11, 25, 23)


def test_axes_and_tables_are_labelled_with_the_zone():
    with display_zone(DisplayZone("Asia/Seoul", "Asia/Seoul")):
        assert time_axis_title() == "Time (Asia/Seoul)"
        assert format_value(utc(2025, 11, 25, 23), "dateTime") == "2025-11-26 08:00 Asia/Seoul"
        assert str(wall_times([utc(2025, 11, 25, 23)])[0]) == "2025-11-26T08:00:00.000"
    assert format_value(utc(2025, 11, 25, 23), "dateTime") == "2025-11-25 23:00 UTC"


# ---------------------------------------------------------------- 5. a "+" typed unencoded
def test_an_offset_typed_with_a_plus_keeps_its_sign():
    v = view("from=2024-03-10T08:00:00+01:00&to=2024-03-10T12:00:00+01:00")
    assert (v.time_range.start, v.time_range.end) == (utc(2024, 3, 10, 7), utc(2024, 3, 10, 11))
    assert v.notes == () and v.time_range.raw_from == "2024-03-10T08:00:00+01:00"
    assert "from=2024-03-10T08%3A00%3A00%2B01%3A00" in v.query_string()  # shared links encode it
    assert read_time("2024-03-10T08:00:00 0530", NOW)[0] == utc(2024, 3, 10, 2, 30)
    assert read_time("2024-03-10T08:00:00-01:00", NOW)[0] == utc(2024, 3, 10, 9)


# ---------------------------------------------------------------- 7. filters survive every page
def test_pages_without_filters_carry_them_in_every_link():
    alerts = view("var-cluster=prod-east&var-namespace=spark-jobs", allowed=())
    assert alerts.variables == {} and alerts.notes == ()
    hrefs = [link.href for link in _links(navbar(alerts, "/alerts"))]
    capacity = next(h for h in hrefs if h.startswith("/capacity?"))
    assert "var-cluster=prod-east" in capacity and "var-namespace=spark-jobs" in capacity
    e2e = view("var-cluster=prod-east&var-namespace=spark-jobs&timezone=Asia/Seoul", allowed=("cluster",))
    back = e2e.url("/capacity")
    assert "var-namespace=spark-jobs" in back and "timezone=Asia%2FSeoul" in back
    assert "Ignored unknown variable" in " ".join(view("var-nope=1").notes)


def test_one_url_builder_applies_changes():
    v = view("from=now-24h&to=now&var-cluster=a&var-cluster=b&var-namespace=x&refresh=30s")
    assert v.url("/gitops", from_="now-7d", var_cluster=["c"], refresh=None) == \
        "/gitops?to=now&var-namespace=x&from=now-7d&var-cluster=c"
    assert v.url("/x", var_namespace=[]).count("var-namespace") == 0


def _links(component):
    from dash import dcc
    found = []

    def walk(c):
        if isinstance(c, dcc.Link):
            found.append(c)
        children = getattr(c, "children", None)
        for child in children if isinstance(children, (list, tuple)) else [children]:
            if child is not None and hasattr(child, "to_plotly_json"):
                walk(child)
    walk(component)
    return found


# ---------------------------------------------------------------- 8. short links
def test_short_links_keep_only_app_paths():
    long = "/capacity?" + "&".join(f"var-namespace=ns-{i:03d}" for i in range(300))
    assert checked_path("http://monitor.example:8050" + long) == long
    assert short_id(long) == short_id(long) and len(short_id(long)) == 16
    assert checked_path("https://evil.example/gitops") == "/gitops"  # never another site: the path only
    assert checked_path("//evil.example/gitops") == "/gitops"
    with pytest.raises(ShortLinkError):
        checked_path("http://h//evil.example")
    for bad in ("", "evil.example/x", "/s/0123456789abcdef", "/x\n", "/" + "a" * 70000):
        with pytest.raises(ShortLinkError):
            checked_path(bad)


# ---------------------------------------------------------------- 9. names as platforms write them
@pytest.mark.parametrize("name", ["team-a/build-service", "team-a/sub/build", "ip-10-0-1-2.ec2.internal",
                                  "spark:app", "c++ build", "데이터 적재", "a+b", "100%"])
def test_entity_names_from_a_click_and_from_a_typed_url(name):
    clicked = entity_path("/gitops/jenkins/<job>", {"job": name})[len("/gitops/jenkins/"):]
    assert _path_value(clicked) == name                      # percent-encoded by the app's links
    if "%" not in name:
        assert _path_value(name) == name                     # as typed (a browser encodes spaces itself)


@pytest.mark.parametrize("raw", ["", "team-a/", "/x", "a//b", "a\x00b", "x" * 300])
def test_entity_names_that_cannot_be(raw):
    assert _path_value(raw) is None
