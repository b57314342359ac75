"""Grafana-compatible time expressions, step selection and step alignment."""
from __future__ import annotations

import dataclasses
import math
import re
import time
from datetime import datetime, timezone

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "M": 2592000, "y": 31536000}
_RELATIVE = re.compile(r"^now(?:(?P<sign>[+-])(?P<num>\d{1,6})(?P<unit>[smhdwMy]))?(?:/(?P<round>[smhdwMy]))?$")
_DURATION = re.compile(r"^(\d{1,6})([smhdwy])$")

# The relative ranges of the time picker, as Grafana offers them.
QUICK_RANGES: tuple[tuple[str, str], ...] = (
    ("now-5m", "Last 5 minutes"), ("now-15m", "Last 15 minutes"), ("now-30m", "Last 30 minutes"),
    ("now-1h", "Last 1 hour"), ("now-3h", "Last 3 hours"), ("now-6h", "Last 6 hours"),
    ("now-12h", "Last 12 hours"), ("now-24h", "Last 24 hours"), ("now-2d", "Last 2 days"),
    ("now-7d", "Last 7 days"), ("now-30d", "Last 30 days"), ("now/d", "Today so far"),
)
REFRESH_CHOICES: tuple[str, ...] = ("off", "10s", "30s", "1m", "5m", "15m", "1h")

# Steps Grafana-like panels snap to, so that neighbouring ranges share cache entries.
NICE_STEPS = (15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
MAX_POINTS_PER_SERIES = 11000


class TimeParseError(ValueError):
    pass


def _round_down(ts: float, unit: str) -> float:
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    if unit in "smhd":
        return math.floor(ts / _UNITS[unit]) * _UNITS[unit]
    if unit == "w":
        day = math.floor(ts / 86400) * 86400
        return day - moment.weekday() * 86400
    if unit == "M":
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()
    return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


def parse_time(text: str, now: float) -> float:
    """`now-6h`, `now`, `now/d`, epoch milliseconds or ISO 8601 -> epoch seconds."""
    value = text.strip()
    if not value or len(value) > 40:
        raise TimeParseError(f"not a time: {text[:40]!r}")
    match = _RELATIVE.match(value)
    if match:
        ts = now
        if match["num"]:
            delta = int(match["num"]) * _UNITS[match["unit"]]
            ts = ts - delta if match["sign"] == "-" else ts + delta
        if match["round"]:
            ts = _round_down(ts, match["round"])
        return ts
    if value.isdigit():
        return int(value) / 1000.0
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise TimeParseError(f"not a time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def parse_duration(text: str) -> int:
    """`30s`, `5m`, `1h` -> seconds (the refresh interval grammar)."""
    match = _DURATION.match(text.strip())
    if not match:
        raise TimeParseError(f"not a duration: {text[:20]!r}")
    return int(match[1]) * _UNITS[match[2]]


def format_duration(seconds: float) -> str:
    """Seconds -> the shortest exact PromQL duration (`90s` -> `90s`, `3600` -> `1h`)."""
    seconds = max(1, int(round(seconds)))
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


@dataclasses.dataclass(frozen=True)
class TimeRange:
    """A resolved time range; `raw_from`/`raw_to` are what the URL said."""

    start: float
    end: float
    raw_from: str = "now-6h"
    raw_to: str = "now"

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def is_relative(self) -> bool:
        return self.raw_to.startswith("now")

    def step_for(self, max_points: int, min_step: float = 15) -> int:
        """Grafana's rule with a point budget: the smallest nice step giving <= max_points."""
        wanted = max(min_step, self.seconds / max(1, max_points), self.seconds / MAX_POINTS_PER_SERIES)
        for step in NICE_STEPS:
            if step >= wanted:
                return step
        return int(math.ceil(wanted / 86400) * 86400)

    def aligned(self, step: int) -> tuple[float, float]:
        """Start and end rounded down to multiples of step, so caches hit."""
        return math.floor(self.start / step) * step, math.floor(self.end / step) * step


def resolve_range(raw_from: str, raw_to: str, now: float | None = None) -> TimeRange:
    """Parse both ends; raises TimeParseError on nonsense or an empty/inverted range."""
    now = time.time() if now is None else now
    start, end = parse_time(raw_from, now), parse_time(raw_to, now)
    if raw_to.strip() == "now/d":
        end = now  # "today so far" ends now, as Grafana's quick range does
    if end <= start:
        raise TimeParseError("the range ends before it starts")
    if end - start > 400 * 86400:
        raise TimeParseError("ranges longer than 400 days are not supported")
    return TimeRange(start, end, raw_from, raw_to)
