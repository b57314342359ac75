import pytest

from webapp.timerange import TimeParseError, format_duration, parse_duration, parse_time, resolve_range

NOW = 1_764_147_723.0  # 2025-11-26T09:02:03Z


@pytest.mark.parametrize("text,expected", [
    ("now", NOW),
    ("now-6h", NOW - 6 * 3600),
    ("now-7d", NOW - 7 * 86400),
    ("now-30m", NOW - 1800),
    ("now/d", 1_764_115_200.0),
    ("now-1d/d", 1_764_028_800.0),
    ("1764140400000", 1_764_140_400.0),
    ("2025-11-26T08:00:00Z", 1_764_144_000.0),
    ("2025-11-26T08:00:00+01:00", 1_764_140_400.0),
    ("2025-11-26", 1_764_115_200.0),
])
def test_parse_time(text, expected):
    assert parse_time(text, NOW) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "now-", "now-6x", "now+-1h", "1e9", "now-99999999h", "x" * 100])
def test_parse_time_rejects(text):
    with pytest.raises(TimeParseError):
        parse_time(text, NOW)


def test_range_must_be_forward():
    with pytest.raises(TimeParseError):
        resolve_range("now", "now-1h", NOW)


def test_step_respects_point_budget_and_aligns():
    tr = resolve_range("now-24h", "now", NOW)
    step = tr.step_for(300)
    assert step == 300 and tr.seconds / step <= 300
    start, end = tr.aligned(step)
    assert start % step == 0 and end % step == 0 and end <= tr.end
    assert resolve_range("now-5m", "now", NOW).step_for(1000) == 15  # never below the scrape interval
    assert resolve_range("now-30d", "now", NOW).step_for(300, min_step=3600) == 10800


def test_durations():
    assert parse_duration("30s") == 30 and parse_duration("5m") == 300
    assert format_duration(3600) == "1h" and format_duration(90) == "90s" and format_duration(86400 * 2) == "2d"
    with pytest.raises(TimeParseError):
        parse_duration("5 minutes")
